"""A first, lexical answer filter and question-entailment scorer (no model yet).

Two MEDIQA 2019 tasks, scored by `healthqa.evaluate.mediqa`:

- Task 3 (QA): given a consumer question and the answers a system retrieved, say which answers
  are correct and re-rank them. `answer_scores` scores each answer by BM25 of the question's terms
  over the answers themselves (a tiny corpus) plus the share of the question's focus words the
  answer's heading holds; `rank_and_label` orders the answers by that score and labels 1 those
  within a fraction of the best.
- Task 2 (RQE): does a consumer health question (CHQ) entail an FAQ, i.e. does every answer to
  the FAQ also answer the CHQ? `entailment_score` is the share of the FAQ's terms (and of its
  focus) that the CHQ covers, discounted when the two ask different kinds of question (treatment,
  cause, symptoms, ...); `entails` compares it with a threshold.

Questions are analysed once each by `healthqa.questions.analyse`, the analysis ask uses: its
types (treatment, cause, symptoms, ...) and its focus, which without a collection's topics is
the subject line: the text before the first '.' or '?' ("about uveitis. IS THE UVEITIS, AN
AUTOIMMUNE DISEASE?" -> uveitis), less question-type words. Everything here is deterministic:
the same input gives the same scores.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from healthqa.questions import Analysis, analyse
from healthqa.text import terms

if TYPE_CHECKING:  # the re-ranker serves readers and imports this: serving never loads evaluate
    from healthqa.evaluate.mediqa import QAAnswer, QAQuestion, RQEPair

# --- Parameters -------------------------------------------------------------------------------

# BM25 over the answers of one question, with the usual Okapi constants (not tuned).
BM25_K1 = 1.2
BM25_B = 0.75
# The smoothing prior: document frequencies are computed as if the answer set held this many more
# answers without the term, so a word every candidate shares (the disease's name) keeps some
# weight instead of an idf of nearly 0 (not tuned).
IDF_PRIOR_DOCS = 5

# Chosen on MEDIQA2019-Task3-QA-TrainingSet2-Alexa.xml only (104 questions, 862 answers): the pair
# with the best label accuracy (0.719; ties to the higher MRR, then the smaller weight) over
# focus weights 0, 0.25, ..., 3 and fractions 0.05, 0.10, ..., 1.00. Nearby pairs score within
# 0.003 of it.
FOCUS_WEIGHT = 1.0  # the weight of focus overlap beside the BM25 score (normalised to 0..1)
CORRECT_FRACTION = 0.85  # label 1 an answer whose score is at least this fraction of the best

# Chosen on MEDIQA2019-Task2-RQE-TrainingSet-AMIA2016.xml only (8,588 pairs): the threshold with
# the best accuracy (0.978; ties to the lower) over 0.00, 0.01, ..., 1.00.
ENTAILMENT_THRESHOLD = 0.38
# The factor applied when the FAQ asks a different kind of question from the CHQ: a design choice,
# not tuned (the training pairs' negatives are random questions, which rarely differ only in type).
TYPE_MISMATCH_FACTOR = 0.5

# --- Question analysis ------------------------------------------------------------------------


def _analysed(question: str | Analysis) -> Analysis:
    """The question's analysis: the one `healthqa.questions.analyse` finds (no topics here, so
    the focus is the subject line less question-type words), computed once by the caller when
    it already has it."""
    return question if isinstance(question, Analysis) else analyse(question)


def types_agree(asked: Iterable[str], offered: Iterable[str]) -> bool:
    """Whether an answer of the `offered` kinds (`Analysis.types`) can serve a question of the
    `asked` kinds: yes when either side says nothing or they share a kind; a bare
    "information" question is served by any answer about the subject, and any question by an
    answer that says when to see a doctor ("how do I stop hiccups that won't go away?" is
    served by "Hiccups lasting two days need a check-up")."""
    asked, offered = set(asked), set(offered)
    if not asked or not offered or asked == {"information"}:
        return True
    return bool(asked & offered) or "when to see a doctor" in offered


# --- Task 3: answers ---------------------------------------------------------------------------


def answer_scores(
    question: str | Analysis, answers: Sequence[str], focus_weight: float = FOCUS_WEIGHT
) -> list[float]:
    """How well each answer answers the question (higher is better; the best is at most
    1 + focus_weight): BM25 of the question's terms over these answers, divided by the best,
    plus `focus_weight` times the share of the question's focus terms found in the answer's
    heading (the text before its first ':', as CHiQA's answers start "Title (Section): ...")."""
    analysis = _analysed(question)
    documents = [terms(answer) for answer in answers]
    bm25 = _bm25(analysis.terms, documents)
    best = max(bm25, default=0.0)
    focus = set(analysis.focus_terms)
    return [
        (score / best if best > 0 else 0.0) + focus_weight * _coverage(focus, _heading(answer))
        for score, answer in zip(bm25, answers, strict=True)
    ]


def _bm25(query: Sequence[str], documents: Sequence[Sequence[str]]) -> list[float]:
    """Okapi BM25 of `query` against each document, idf from `documents` plus the prior."""
    if not documents:
        return []
    counts = [Counter(document) for document in documents]
    average = max(sum(len(document) for document in documents) / len(documents), 1.0)
    total = len(documents) + IDF_PRIOR_DOCS
    frequency = Counter(term for count in counts for term in count)
    idf = {
        term: math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
        for term in set(query)
    }
    return [
        sum(_bm25_term(count[term], len(document), average) * idf[term] for term in query)
        for count, document in zip(counts, documents, strict=True)
    ]


def _bm25_term(tf: int, length: int, average: float) -> float:
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average)
    return tf * (BM25_K1 + 1) / (tf + norm) if tf else 0.0


def _heading(answer: str) -> set[str]:
    head, colon, _ = answer.partition(":")
    return set(terms(head if colon else answer[:200]))


def _coverage(wanted: Iterable[str], present: set[str]) -> float:
    wanted = set(wanted)
    return len(wanted & present) / len(wanted) if wanted else 0.0


def rank_and_label(
    question: str,
    answers: Sequence[tuple[str, str]],
    fraction: float = CORRECT_FRACTION,
    focus_weight: float = FOCUS_WEIGHT,
) -> list[tuple[str, int]]:
    """(answer id, text) pairs, in the system's order -> every answer id, best first, labelled 1
    when its score is at least `fraction` of the best score of the question (so the best is
    always labelled 1), else 0. Ties keep the given order. Correct answers come first."""
    scores = answer_scores(analyse(question), [text for _, text in answers], focus_weight)
    order = sorted(range(len(answers)), key=lambda i: -scores[i])  # stable: ties keep order
    best = max(scores, default=0.0)
    return [(answers[i][0], int(best > 0 and scores[i] >= fraction * best)) for i in order]


def mediqa_qa_predictions(
    questions: Sequence[QAQuestion],
    fraction: float = CORRECT_FRACTION,
    focus_weight: float = FOCUS_WEIGHT,
) -> dict[str, list[tuple[str, int]]]:
    """Task 3 predictions for `score_mediqa_qa` / `write_mediqa_qa_run`: each question's answers,
    taken in CHiQA's order (SystemRank, else file order), ranked and labelled."""
    return {
        question.id: rank_and_label(
            question.text, [(a.id, a.text) for a in _chiqa_order(question)], fraction, focus_weight
        )
        for question in questions
    }


def _chiqa_order(question: QAQuestion) -> list[QAAnswer]:
    return sorted(
        question.answers, key=lambda a: math.inf if a.system_rank is None else a.system_rank
    )


# --- Task 2: question entailment ----------------------------------------------------------------


def entailment_score(chq: str | Analysis, faq: str | Analysis) -> float:
    """0..1: how far the consumer question `chq` covers the FAQ. The mean of the share of the
    FAQ's terms found in the CHQ and the share of the FAQ's focus terms found there (0 when the
    CHQ misses the focus entirely), times TYPE_MISMATCH_FACTOR when the FAQ asks a different kind
    of question (`Analysis.types`, see `types_agree`). Either side may be given analysed."""
    consumer, frequent = _analysed(chq), _analysed(faq)
    asked = set(consumer.terms)
    focus = _coverage(frequent.focus_terms, asked)
    if focus == 0:
        return 0.0
    score = (_coverage(frequent.terms, asked) + focus) / 2
    if not types_agree(consumer.types, frequent.types):
        score *= TYPE_MISMATCH_FACTOR
    return score


def entails(
    chq: str | Analysis, faq: str | Analysis, threshold: float = ENTAILMENT_THRESHOLD
) -> bool:
    """Whether every answer to `faq` also answers `chq`, by `entailment_score` >= the threshold."""
    return entailment_score(chq, faq) >= threshold


def rqe_predictions(
    pairs: Sequence[RQEPair], threshold: float = ENTAILMENT_THRESHOLD
) -> dict[str, bool]:
    """Task 2 predictions for `score_rqe` / `write_rqe_run`: pair id -> entailed."""
    analysed: dict[str, Analysis] = {}  # a CHQ or FAQ asked in several pairs is analysed once
    for text in (text for pair in pairs for text in (pair.chq, pair.faq)):
        if text not in analysed:
            analysed[text] = analyse(text)
    return {
        pair.id: entailment_score(analysed[pair.chq], analysed[pair.faq]) >= threshold
        for pair in pairs
    }
