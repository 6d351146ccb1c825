"""The re-ranker: does this article's question ask what the reader asks, and does its text answer?

A logistic regression over a few features of a (question, candidate) pair, computed the same
way for a MEDIQA Task 3 answer ("Title (Section): text", in CHiQA's order) and for an article
the first stage found (its title and body, in fused order):

- `cosine`: the embedding cosine of the question and the candidate's embedded text (what the
  vector index embeds: its title, or title and lead), and `cosine_gap`, that minus the best
  cosine among the question's candidates;
- `entailment`: the lexical question-entailment score of the question and the candidate's
  title (`entailment.entailment_score`), `focus`: the share of the question's focus terms in
  the title, `types_agree`: whether the two ask the same kind of question;
- `keywords`: BM25 of the question over the candidates' texts, divided by the best;
- `first_stage`: 1 / the candidate's rank in the first stage.

`healthqa.training.mediqa.train` fits one model for answers (MEDIQA 2019 Task 3 training file:
is this answer correct? An answer is labelled correct when its probability is at least a
fraction of its question's best, the fraction chosen on the same file) and one for question
entailment (does the consumer question entail the FAQ?, on QUESTION_FEATURES: fitted on the
consumer-shaped pairs `healthqa.training.rqe` builds from LiveQA and MedQuAD, or on the Task 2
training file when no data folder is given), and writes both as a small JSON file: feature
names, scaling, weights and thresholds, with the files it learnt from. Everything is
deterministic."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from healthqa import entailment
from healthqa.embedders import Embedder, embed_question
from healthqa.questions import TYPE_WORDS, Analysis, analyse

if TYPE_CHECKING:
    from healthqa.articles import Article
    from healthqa.evaluate.mediqa import QAQuestion, RQEPair
    from healthqa.search import Candidate, Search

ANSWER_FEATURES = (
    "cosine",
    "cosine_gap",
    "entailment",
    "focus",
    "types_agree",
    "keywords",
    "first_stage",
)
# Question entailment (Task 2), of a consumer question and an FAQ; see `question_features`.
QUESTION_FEATURES = ("cosine", "focus", "faq_focus", "types_agree", "type_asked")
# The retrieval model's features of (question, article found by the first stage); see
# `retrieval_matrix`. Trained by `healthqa.training` on retrieval-shaped data.
RETRIEVAL_FEATURES = (
    "first_stage",
    "lexical",
    "lexical_rank",
    "cosine",
    "cosine_gap",
    "focus_topic",
    "focus_title",
    "question_in_title",
    "title_in_question",
    "types_agree",
    "overview",
    "population_match",
    "population_clash",
)
TITLE_CACHE = 50_000  # title vectors kept per model (~75 MB at most)
_TITLE_VECTORS: dict[str, dict[str, np.ndarray]] = {}
FORMAT = 1


class RerankerError(ValueError):
    """A re-ranker file that cannot be used, in words a person can act on."""


@dataclass(frozen=True)
class Text:
    """A candidate answer: the question it answers (title) and its text."""

    title: str
    body: str


@dataclass
class Model:
    """A logistic regression over named, standardised features, and its decision threshold."""

    features: tuple[str, ...]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = 0.5

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = (x - np.array(self.mean)) / np.array(self.scale)
        return np.asarray(1.0 / (1.0 + np.exp(-(z @ np.array(self.weights) + self.bias))))


@dataclass
class Reranker:
    """The two models, the embedder they were trained with, and what they were trained on."""

    answers: Model
    questions: Model
    model_id: str
    embedded_text: str
    trained_on: dict[str, str] = field(default_factory=dict)
    # The retrieval model (None in files from before it): the probability that an article the
    # first stage found answers the question, and the calibration of the top one's (Platt:
    # sigmoid(a * logit + b)), with the confidence lines chosen on held-in questions.
    retrieval: Model | None = None
    calibration: tuple[float, float] = (1.0, 0.0)
    min_confidence: float = 0.3
    good_match: float = 0.7
    embedder: Embedder | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(replace(self, embedder=None))  # an embedder's runtime cannot be copied
        data.pop("embedder")
        return {"format": FORMAT, **data}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    # Task 3 and retrieval ---------------------------------------------------------------

    def answer_scores(self, question: str, candidates: Sequence[Text]) -> list[float]:
        """The probability that each candidate (in first-stage order) answers the question."""
        if not candidates:
            return []
        x = answer_features(self._embedder(), question, candidates, self.embedded_text)
        return [float(p) for p in self.answers.probability(x)]

    def score_candidates(
        self, search: Search, question: str, found: Sequence[Candidate], articles: Sequence[Article]
    ) -> list[float]:
        """`answer_scores` for articles the first stage found, with their stored vectors."""
        if self.retrieval is not None and found:
            cosines = self.title_cosines(question, [a.title for a in articles])
            x = retrieval_matrix(search, search.analyse(question), found, articles, cosines)
            return [float(p) for p in self.calibrated(self.retrieval.probability(x))]
        vectors = search.vectors
        if vectors is None or not found:
            return [c.score for c in found]
        query = vectors.embed_query(search.semantic_text(question))
        stored = vectors.similarities(query, [c.article_id for c in found])
        cosines = np.array([stored.get(c.article_id, 0.0) for c in found], dtype=np.float32)
        texts = [Text(a.title, a.body_text) for a in articles]
        x = _answer_matrix(question, texts, cosines)
        return [float(p) for p in self.answers.probability(x)]

    def title_cosines(self, question: str, titles: Sequence[str]) -> np.ndarray:
        """The cosine of the question with each title, titles embedded once per process (a
        title is ~15 tokens: the 30 of a cold question cost a few ms), so the retrieval model
        needs no stored vectors and works over keyword ranking too."""
        embedder = self._embedder()
        query = embed_question(embedder, question)
        cache = _TITLE_VECTORS.setdefault(embedder.model_id, {})
        missing = [title for title in dict.fromkeys(titles) if title not in cache]
        if missing:
            if len(cache) + len(missing) > TITLE_CACHE:
                cache.clear()
            cache.update(zip(missing, embedder.embed(missing), strict=True))
        return np.array([float(cache[title] @ query) for title in titles])

    def calibrated(self, probabilities: np.ndarray) -> np.ndarray:
        """The retrieval model's probabilities as calibrated probabilities that an answer is
        right (a monotone map: the order stays)."""
        a, b = self.calibration
        p = np.clip(probabilities, 1e-6, 1 - 1e-6)
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(a * np.log(p / (1 - p)) + b, -30, 30))))

    def label_and_rank(
        self, question: str, answers: Sequence[tuple[str, str]]
    ) -> list[tuple[str, int]]:
        """(answer id, text) pairs in the system's order -> ids best first, labelled 1 when the
        answer model's probability is at least its threshold times the question's best (so
        the best answer is always labelled 1)."""
        scores = self.answer_scores(question, [split_answer(text) for _, text in answers])
        order = sorted(range(len(answers)), key=lambda i: (-scores[i], i))
        labels = relative_labels(np.array(scores), self.answers.threshold)
        return [(answers[i][0], int(labels[i])) for i in order]

    def mediqa_qa_predictions(
        self, questions: Sequence[QAQuestion]
    ) -> dict[str, list[tuple[str, int]]]:
        return {
            q.id: self.label_and_rank(q.text, [(a.id, a.text) for a in system_order(q)])
            for q in questions
        }

    # Task 2 ------------------------------------------------------------------------------

    def entailment_probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        x = question_features(self._embedder(), pairs)
        return [float(p) for p in self.questions.probability(x)]

    def rqe_predictions(self, pairs: Sequence[RQEPair]) -> dict[str, bool]:
        probabilities = self.entailment_probabilities([(p.chq, p.faq) for p in pairs])
        threshold = self.questions.threshold
        return {pair.id: p >= threshold for pair, p in zip(pairs, probabilities, strict=True)}

    def _embedder(self) -> Embedder:
        if self.embedder is None:
            raise RerankerError("the re-ranker needs its embedder: install the semantic extra")
        return self.embedder


# Features ---------------------------------------------------------------------------------


def split_answer(text: str) -> Text:
    """A MEDIQA answer "Title (Section): text" as its title and text."""
    head, colon, rest = text.partition(":")
    if colon and len(head) <= 200:
        return Text(head.strip(), rest.strip())
    return Text("", text)


def candidate_text(candidate: Text, part: str) -> str:
    """What the vector index would embed of this candidate for `part` ("title" or "lead")."""
    from healthqa.index.vectors import LEAD_WORDS

    if part == "title":
        return candidate.title or candidate.body[:300]
    lead = " ".join(candidate.body.split()[:LEAD_WORDS])
    return f"{candidate.title} {lead}".strip()


def answer_features(
    embedder: Embedder, question: str, candidates: Sequence[Text], kind: str
) -> np.ndarray:
    """ANSWER_FEATURES of each candidate; its cosine is its best text's, as in search."""
    from healthqa.index.vectors import text_parts

    parts = text_parts(kind)
    texts = [candidate_text(c, part) for part in parts for c in candidates]
    vectors = embedder.embed([question, *texts])
    cosines = (vectors[1:] @ vectors[0]).reshape(len(parts), len(candidates)).max(axis=0)
    return _answer_matrix(question, candidates, cosines)


def _answer_matrix(question: str, candidates: Sequence[Text], cosines: np.ndarray) -> np.ndarray:
    asked = analyse(question)  # once for all the candidates
    keywords = entailment.answer_scores(asked, [f"{c.title}: {c.body}" for c in candidates], 0)
    rows = []
    for rank, (candidate, cosine, keyword) in enumerate(
        zip(candidates, cosines, keywords, strict=True), 1
    ):
        lexical = _question_row(asked, candidate.title)
        rows.append([float(cosine), float(cosine - cosines.max()), *lexical, keyword, 1.0 / rank])
    return np.array(rows, dtype=np.float64)


def retrieval_matrix(
    search: Search,
    asked: Analysis,
    found: Sequence[Candidate],
    articles: Sequence[Article],
    cosines: np.ndarray,
) -> np.ndarray:
    """RETRIEVAL_FEATURES of each article the first stage found (in its order):

    - `first_stage`, `lexical_rank`: 1 / rank in the first stage and in the keyword ranking
      (0 when keywords did not find it); `lexical`: its BM25 score over the best one's;
    - `cosine`: its title's embedding cosine with the question (`Reranker.title_cosines`),
      `cosine_gap` that less the best one's;
    - `focus_topic`: its topic is the question's focus (by name); `focus_title`: the share of
      the question's focus terms in its title;
    - `question_in_title`, `title_in_question`: the idf-weighted share of the question's terms
      found in the title, and of the title's subject terms (less question-type words) found in
      the question: is the article about what is asked, and only that;
    - `types_agree`: its title asks the kind of question asked; `overview`: its title is a
      "what is" question;
    - `population_match`, `population_clash`: the question and the title are about the same
      group of people (a child, pregnancy, older adults), or about two different ones.
    """
    best_lexical = max((c.lexical_score for c in found), default=0.0) or 1.0
    best_cosine = float(cosines.max()) if len(cosines) else 0.0
    focus = (asked.focus or "").casefold()
    focus_terms = set(asked.focus_terms)
    question_terms = set(asked.terms)
    weight = {term: search.idf(term) for term in question_terms}
    total = sum(weight.values()) or 1.0
    rows = []
    for candidate, article, cosine in zip(found, articles, cosines, strict=True):
        offered_types, title_terms, population = _title(article.title)
        subject = title_terms - TYPE_WORDS
        names = {article.topic.name.casefold()} if article.topic else set()
        if article.topic:
            names |= {name.casefold() for name in article.topic.synonyms}
        subject_weight = sum(search.idf(term) for term in subject) or 1.0
        rows.append(
            [
                1.0 / candidate.rank,
                candidate.lexical_score / best_lexical,
                1.0 / candidate.lexical_rank if candidate.lexical_rank else 0.0,
                float(cosine),
                float(cosine) - best_cosine,
                float(bool(focus) and focus in names),
                len(focus_terms & title_terms) / len(focus_terms) if focus_terms else 0.0,
                sum(weight[t] for t in question_terms & title_terms) / total,
                sum(search.idf(t) for t in subject & question_terms) / subject_weight,
                float(entailment.types_agree(asked.types, offered_types)),
                float(offered_types == ("information",)),
                float(population is not None and population == asked.population),
                float(population is not None and population != asked.population),
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(RETRIEVAL_FEATURES))


@lru_cache(maxsize=65_536)
def _title(title: str) -> tuple[tuple[str, ...], frozenset[str], str | None]:
    """An article title's question types, terms and population, analysed once per process."""
    offered = analyse(title)
    return offered.types, frozenset(offered.terms), offered.population


def question_features(embedder: Embedder, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """QUESTION_FEATURES of (consumer question, FAQ) pairs, each distinct text embedded and
    analysed once:

    - `cosine`: the two questions' embedding cosine;
    - `focus`: the share of the consumer question's focus terms found in the FAQ, and
      `faq_focus` the share of the FAQ's focus terms found in the consumer question (without
      a collection's topics, a question's focus is its subject line less question-type words);
    - `types_agree`: the FAQ's kind of question can serve the consumer's
      (`entailment.types_agree`); `type_asked`: the FAQ's main type is one the consumer asks,
      not merely compatible with it (a treatment question and a "what is X" FAQ agree, but
      "information" is not asked).
    """
    texts = list(dict.fromkeys(text for pair in pairs for text in pair))
    vectors = embedder.embed(texts)
    where = {text: i for i, text in enumerate(texts)}
    analysed = [analyse(text) for text in texts]
    rows = []
    for chq, faq in pairs:
        asked, offered = analysed[where[chq]], analysed[where[faq]]
        rows.append(
            [
                float(vectors[where[chq]] @ vectors[where[faq]]),
                _share(asked.focus_terms, offered.terms),
                _share(offered.focus_terms, asked.terms),
                float(entailment.types_agree(asked.types, offered.types)),
                float(offered.type in asked.types),
            ]
        )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(QUESTION_FEATURES))


def _question_row(question: str | Analysis, title: str) -> list[float]:
    asked = question if isinstance(question, Analysis) else analyse(question)
    offered = analyse(title)
    return [
        entailment.entailment_score(asked, offered),
        _share(asked.focus_terms, offered.terms),
        float(entailment.types_agree(asked.types, offered.types)),
    ]


def _share(wanted: Sequence[str], present: Sequence[str]) -> float:
    """The share of the distinct `wanted` terms that are `present` (0 when none is wanted)."""
    found = set(wanted)
    return len(found & set(present)) / len(found) if found else 0.0


def relative_labels(probabilities: np.ndarray, fraction: float) -> np.ndarray:
    """1 for each answer whose probability is at least `fraction` of the best of its question.

    Relative, not absolute: the share of correct answers differs between MEDIQA's training
    questions (47%) and its validation questions (40%), and an absolute threshold chosen on
    one moved too far on the other (accuracy 0.69 on validation against 0.76 relative)."""
    best = probabilities.max(initial=0.0)
    return np.asarray((probabilities >= fraction * best) & (best > 0))


# Loading ----------------------------------------------------------------------------------


def load_reranker(
    path: Path, embedder: Embedder | None, kind: str | None = None
) -> Reranker | None:
    """The re-ranker in `path`, joined to `embedder`; None when there is no file or no
    embedder. A file made with another model, or (when `kind` is given: the vector index's
    embedded text) on another kind of text, is an error that says to train again."""
    if embedder is None or not path.is_file():
        return None
    reranker = read(path)
    if reranker.model_id != embedder.model_id or kind not in (None, reranker.embedded_text):
        raise RerankerError(
            f"{path}: trained with {reranker.model_id} on {reranker.embedded_text} texts, but "
            f"search uses {embedder.model_id} on {kind or reranker.embedded_text}: "
            "run healthqa train again"
        )
    reranker.embedder = embedder
    return reranker


def read(path: Path) -> Reranker:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("format") != FORMAT:
            raise RerankerError(f"{path}: made by another version of healthqa: train again")
        answers, questions = (_model(data.pop(name)) for name in ("answers", "questions"))
        if questions.features != QUESTION_FEATURES:
            raise RerankerError(f"{path}: its question model has other features: train again")
        retrieval = data.get("retrieval")
        if retrieval and tuple(retrieval["features"]) != RETRIEVAL_FEATURES:
            raise RerankerError(f"{path}: its retrieval model has other features: train again")
        a, b = data.get("calibration", (1.0, 0.0))
        return Reranker(
            answers,
            questions,
            str(data["model_id"]),
            str(data["embedded_text"]),
            dict(data["trained_on"]),
            _model(retrieval) if retrieval else None,
            (float(a), float(b)),
            float(data.get("min_confidence", 0.3)),
            float(data.get("good_match", 0.7)),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, RerankerError):
            raise
        raise RerankerError(f"{path}: not a healthqa re-ranker file ({exc})") from None


def _model(data: dict[str, Any]) -> Model:
    model = Model(**data)
    model.features = tuple(model.features)
    return model


def system_order(question: QAQuestion) -> list[Any]:
    return sorted(
        question.answers, key=lambda a: math.inf if a.system_rank is None else a.system_rank
    )
