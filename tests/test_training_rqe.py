"""The consumer-shaped question-entailment set and the question model fitted on it, on invented
questions and FAQs, with the deterministic fake embedder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from healthqa.articles import TopicRecord
from healthqa.embedders import WordEmbedder
from healthqa.evaluate.liveqa import LiveQAQuestion
from healthqa.ingest.medquad import FAQ
from healthqa.questions import TYPES
from healthqa.training.mediqa import fit_consumer, train
from healthqa.training.rqe import QTYPE_MAP, Pair, build_pairs, counts, read_faqs

EVAL = Path(__file__).parent / "fixtures" / "eval"
MEDQUAD = Path(__file__).parent / "fixtures" / "medquad"

HICCUPS = TopicRecord("Hiccups", ("Singultus",))
CRAMPS = TopicRecord("Muscle cramps", ("Leg cramps",))
NIGHT_CRAMPS = TopicRecord("Nocturnal leg cramps")  # contains a focus asked about: neither


def _faq(question: str, qtype: str, topic: TopicRecord) -> FAQ:
    return FAQ(question, qtype, topic, "invented")


FAQS = [
    _faq("What are the treatments for Hiccups ?", "treatment", HICCUPS),
    _faq("What is (are) Hiccups ?", "information", HICCUPS),
    _faq("What causes Hiccups ?", "causes", HICCUPS),
    _faq("What are the brand names of Hiccups ?", "brand names", HICCUPS),  # no type: left out
    _faq("What are the treatments for Muscle cramps ?", "treatment", CRAMPS),
    _faq("What are the symptoms of Muscle cramps ?", "symptoms", CRAMPS),
    _faq("What is (are) Muscle cramps ?", "information", CRAMPS),
    _faq("What are the treatments for Nocturnal leg cramps ?", "treatment", NIGHT_CRAMPS),
]


def _question(qid: str, text: str, *asked: tuple[str, str]) -> LiveQAQuestion:
    focuses = tuple(dict.fromkeys(focus for focus, _ in asked))
    return LiveQAQuestion(qid, text, focuses, tuple(kind for _, kind in asked), asked=asked)


STOP_HICCUPS = _question(
    "tiny:Q1",
    "singultus. how do I stop my hiccups at night? my legs cramp too",
    ("singultus", "treatment"),
)
ABOUT_CRAMPS = _question(
    "tiny:Q2", "leg cramps. tell me about leg cramps", ("Leg cramps", "information")
)


def test_a_question_gives_positives_hard_negatives_and_another_focus() -> None:
    pairs = build_pairs([STOP_HICCUPS], FAQS)
    found = {(pair.kind, pair.faq): pair.label for pair in pairs}
    assert found == {
        # the focus by its "also called" name, the type asked
        ("positive", "What are the treatments for Hiccups ?"): True,
        # the same focus, another type: the hard case
        ("same focus", "What is (are) Hiccups ?"): False,
        ("same focus", "What causes Hiccups ?"): False,
        # another focus sharing the most rare words with the question, of a type it asks
        ("other focus", "What are the treatments for Nocturnal leg cramps ?"): False,
    }
    assert counts(pairs) == {
        "questions": 1,
        "positive": 1,
        "same focus": 2,
        "other focus": 1,
        "pairs": 4,
    }


def test_a_related_focus_is_neither_and_an_information_question_has_no_hard_negative() -> None:
    pairs = build_pairs([ABOUT_CRAMPS], FAQS)
    # "Nocturnal leg cramps" contains the focus: neither; any answer on cramps answers in part
    assert [(pair.kind, pair.faq) for pair in pairs] == [
        ("positive", "What is (are) Muscle cramps ?")
    ]


def test_a_question_whose_focus_no_faq_has_gives_nothing() -> None:
    lonely = _question("tiny:Q3", "what is yawning?", ("yawning", "information"))
    assert build_pairs([lonely], FAQS) == []


def test_every_pair_of_a_question_falls_on_the_same_side_of_the_split() -> None:
    questions = [
        _question(f"tiny:Q{n}", f"singultus {n}. how do I stop hiccups?", ("hiccups", "treatment"))
        for n in range(200)
    ]
    pairs = build_pairs(questions, FAQS)
    sides: dict[str, set[bool]] = {}
    for pair in pairs:
        sides.setdefault(pair.group, set()).add(pair.check)
    assert all(len(side) == 1 for side in sides.values())
    held = sum(side == {True} for side in sides.values())
    assert 25 < held < 80  # about one question in 4


def test_every_mapped_qtype_is_one_of_the_analysis_types() -> None:
    assert set(QTYPE_MAP.values()) - {None} <= {*TYPES, "information"}


def test_the_medquad_reader_gives_every_question_answered_or_not() -> None:
    found = read_faqs(MEDQUAD)
    assert [(f.question, f.qtype) for f in found] == [
        ("What is (are) Hiccups ?", "information"),
        ("What are the treatments for Hiccups ?", "treatment"),
        ("What is the outlook for Hiccups ?", "outlook"),  # its answer was removed
        ("what is yawning ?", "information"),  # the older layout
    ]
    assert found[0].topic == TopicRecord("Hiccups", ("Singultus", "Hiccoughs"), "Disease")


def _consumer(n: int = 240) -> list[Pair]:
    """Invented pairs: a question entails an FAQ on its subject that asks what it asks."""
    subjects = ["hiccups", "cramps", "burping", "yawning", "sneezing", "snoring"]
    pairs = []
    for i in range(n):
        subject, other = subjects[i % 6], subjects[(i + 1) % 6]
        chq = f"{subject} {i}. how do I treat my {subject}? it started last week"
        pairs += [
            Pair(f"q{i}", chq, f"What are the treatments for {subject} ?", True, "positive"),
            Pair(f"q{i}", chq, f"What causes {subject} ?", False, "same focus"),
            Pair(f"q{i}", chq, f"What are the treatments for {other} ?", False, "other focus"),
        ]
    return pairs


def test_the_question_model_learns_subject_and_type_and_is_checked_on_unseen_questions() -> None:
    pairs = _consumer()
    model, figures = fit_consumer(WordEmbedder(), pairs)
    assert figures["questions (held-in check pairs)"] >= 0.9
    weights = dict(zip(model.features, model.weights, strict=True))
    assert weights["type_asked"] > 0  # a cause FAQ does not answer a treatment question
    kinds = Counter(pair.kind for pair in pairs if pair.check)
    assert kinds["positive"] == kinds["same focus"] > 0


def test_train_with_consumer_pairs_names_them_and_not_the_amia_file() -> None:
    reranker, figures = train(
        WordEmbedder(), EVAL / "qa-judged.xml", EVAL / "rqe-labelled.xml", "title", _consumer()
    )
    assert set(reranker.trained_on) == {"qa-judged.xml", "questions"}
    assert "questions (held-in check pairs)" in figures
    probabilities = reranker.entailment_probabilities(
        [
            ("hiccups 1. how do I treat my hiccups?", "What are the treatments for hiccups ?"),
            ("hiccups 1. how do I treat my hiccups?", "What causes hiccups ?"),
        ]
    )
    assert probabilities[0] > reranker.questions.threshold > probabilities[1]
    assert np.isfinite(probabilities).all()
