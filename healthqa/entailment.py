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

The focus of a consumer question is its subject line: the text before the first '.' or '?'
("about uveitis. IS THE UVEITIS, AN AUTOIMMUNE DISEASE?" -> uveitis), less question-type words.
Everything here is deterministic: the same input gives the same scores.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from healthqa.evaluate.mediqa import QAAnswer, QAQuestion, RQEPair
from healthqa.index.analysis import stem, terms, words

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

# --- Question types ---------------------------------------------------------------------------

_TYPE_CUES = {
    "treatment": "treat treatment treatments therapy therapies cure cures remedy remedies manage "
    "management medication medications medicine drug drugs surgery relieve relief heal",
    "cause": "cause causes caused causing why reason reasons trigger triggers",
    "symptom": "symptom symptoms sign signs",
    "diagnosis": "test tests testing diagnose diagnosed diagnosis screening exam",
    "prevention": "prevent prevention preventing avoid",
    "prognosis": "prognosis outlook survival expectancy recovery",
}
_CUE_TYPES = {stem(cue): kind for kind, cues in _TYPE_CUES.items() for cue in cues.split()}
_CUE_TERMS = frozenset(_CUE_TYPES)
_WHAT_IS = re.compile(r"\bwhat (?:is|are)\b")
_SUBJECT = re.compile(r"^[^.?]*")


def question_types(text: str) -> frozenset[str]:
    """The kinds of answer a question asks for, from cue words: treatment, cause, symptom,
    diagnosis, prevention, prognosis; "information" for a bare "what is/are"; empty when none."""
    kinds = {_CUE_TYPES[stem(word)] for word in words(text) if stem(word) in _CUE_TYPES}
    if not kinds and _WHAT_IS.search(" ".join(words(text))):
        kinds.add("information")
    return frozenset(kinds)


def focus_terms(text: str) -> list[str]:
    """The terms of the subject line (the text before the first '.' or '?'), less question-type
    words; those of the whole question when the subject line has none left, and none when the
    question holds nothing but question-type words."""
    match = _SUBJECT.match(text)
    subject = [term for term in terms(match.group() if match else text) if term not in _CUE_TERMS]
    return subject or [term for term in terms(text) if term not in _CUE_TERMS]


def _types_agree(asked: frozenset[str], offered: frozenset[str]) -> bool:
    """Whether an answer of the `offered` kinds can serve a question of the `asked` kinds: yes
    when either side says nothing or they share a kind; a bare "information" question is served
    by any answer about the subject."""
    return not asked or not offered or bool(asked & offered) or asked == {"information"}


# --- Task 3: answers ---------------------------------------------------------------------------


def answer_scores(
    question: str, answers: Sequence[str], focus_weight: float = FOCUS_WEIGHT
) -> list[float]:
    """How well each answer answers the question (higher is better; the best is at most
    1 + focus_weight): BM25 of the question's terms over these answers, divided by the best,
    plus `focus_weight` times the share of the question's focus terms found in the answer's
    heading (the text before its first ':', as CHiQA's answers start "Title (Section): ...")."""
    documents = [terms(answer) for answer in answers]
    bm25 = _bm25(terms(question), documents)
    best = max(bm25, default=0.0)
    focus = set(focus_terms(question))
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
    scores = answer_scores(question, [text for _, text in answers], focus_weight)
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


def entailment_score(chq: str, faq: str) -> float:
    """0..1: how far the consumer question `chq` covers the FAQ. The mean of the share of the
    FAQ's terms found in the CHQ and the share of the FAQ's focus terms found there (0 when the
    CHQ misses the focus entirely), times TYPE_MISMATCH_FACTOR when the FAQ asks a different kind
    of question (see `question_types`)."""
    asked = set(terms(chq))
    focus = _coverage(focus_terms(faq), asked)
    if focus == 0:
        return 0.0
    score = (_coverage(terms(faq), asked) + focus) / 2
    if not _types_agree(question_types(chq), question_types(faq)):
        score *= TYPE_MISMATCH_FACTOR
    return score


def entails(chq: str, faq: str, threshold: float = ENTAILMENT_THRESHOLD) -> bool:
    """Whether every answer to `faq` also answers `chq`, by `entailment_score` >= the threshold."""
    return entailment_score(chq, faq) >= threshold


def rqe_predictions(
    pairs: Sequence[RQEPair], threshold: float = ENTAILMENT_THRESHOLD
) -> dict[str, bool]:
    """Task 2 predictions for `score_rqe` / `write_rqe_run`: pair id -> entailed."""
    return {pair.id: entails(pair.chq, pair.faq, threshold) for pair in pairs}
