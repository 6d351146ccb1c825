"""Judging whether the top answer is about the question's subject."""

from pathlib import Path

import pytest

from healthqa.evaluate import EvaluationError
from healthqa.evaluate.runs import subjects_report
from healthqa.evaluate.subjects import load_subjects, same_subject
from healthqa.imports import import_paths
from healthqa.index.lexical import LexicalIndex
from healthqa.index.sync import sync
from healthqa.search import Search
from healthqa.store import Store


def test_subjects_match_without_case_punctuation_plurals_or_booklet_titles() -> None:
    assert same_subject(["Kidney Stones"], ["kidney stone"])
    assert same_subject(["What I need to know about Gout"], ["Gout"])
    assert same_subject(["Hiccup", "Singultus"], ["singultus"])  # an "also called" name
    assert not same_subject(["Asthma in Children"], ["Asthma"])  # narrower is not the same
    assert not same_subject([], ["Asthma"])


def test_a_subjects_file_is_read_and_a_bad_line_is_named(tmp_path: Path) -> None:
    good = tmp_path / "q.tsv"
    good.write_text("# a comment\nquestion\tsubjects\nwhy hiccups\tHiccups | Singultus\n")
    (question,) = load_subjects(good)
    assert question.subjects == ("Hiccups", "Singultus") and question.line == 3
    bad = tmp_path / "bad.tsv"
    bad.write_text("question\tsubjects\nno subjects here\n")
    with pytest.raises(EvaluationError, match=r"bad.tsv:2: expected a question, a tab"):
        load_subjects(bad)
    headless = tmp_path / "headless.tsv"
    headless.write_text("why hiccups\tHiccups\n")
    with pytest.raises(EvaluationError, match="header"):
        load_subjects(headless)


def test_the_top_answer_shown_is_judged_and_a_declined_question_is_a_miss(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    import_paths(store, [str(fixtures / "markdown")])
    index = LexicalIndex()
    sync(store, index)
    search = Search(store, index)
    file = tmp_path / "q.tsv"
    file.write_text(
        "question\tsubjects\n"
        "what causes a sore throat\tThroat problems | Sore throat\n"
        "what causes a sore throat?\tHiccups\n"
        "how do I replace a car gearbox\tGearboxes\n"
    )
    results, scores = subjects_report(search, load_subjects(file))
    assert [result.right for result in results] == [True, False, False]
    assert results[2].title is None  # declined
    assert (scores.questions, scores.right, scores.declined) == (3, 1, 1)
    assert results[1].confidence is not None and results[1].confidence >= 0.5
    assert scores.confident_mistakes == 1  # the answer about sore throats claims to be good
