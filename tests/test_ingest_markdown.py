from datetime import date
from pathlib import Path

from healthqa.articles import ArticleRecord, Link
from healthqa.ingest import Limits, Problem, markdown
from healthqa.ingest.inputs import Input, expand


def read(path: Path) -> list[object]:
    item = next(expand(path))
    assert isinstance(item, Input)
    return list(markdown.read(item, Limits()))


def test_front_matter_fills_the_record(fixtures: Path) -> None:
    (record,) = read(fixtures / "markdown/sore-throat.md")
    assert isinstance(record, ArticleRecord)
    assert record.external_id == "sore-throat-causes"
    assert record.title == "What causes a sore throat?"
    assert record.source == "Tiny Clinic"
    assert record.topic is not None
    assert (record.topic.name, record.topic.synonyms) == ("Throat problems", ("pharyngitis",))
    assert record.topic.category == "Ear, nose and throat"
    assert (record.last_reviewed, record.next_review) == (date(2026, 1, 10), date(2027, 1, 10))
    assert record.links == (
        Link("next", "How can I soothe a sore throat?"),
        Link("related", "How can I soothe a sore throat?"),
        Link("related", "When is a cough serious?"),
    )
    assert record.meta["references"][0]["url"] == "https://example.org/sore-throat"


def test_body_is_rendered_and_raw_html_is_never_passed_through(fixtures: Path) -> None:
    (record,) = read(fixtures / "markdown/sore-throat.md")
    assert isinstance(record, ArticleRecord)
    assert "<strong>viruses</strong>" in record.body
    assert record.body.count("<li>") == 3
    assert "<script>" not in record.body


def test_id_defaults_to_the_file_name(fixtures: Path) -> None:
    (record,) = read(fixtures / "markdown/soothe-throat.md")
    assert isinstance(record, ArticleRecord)
    assert record.external_id == "soothe-throat"


def test_broken_front_matter_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text('---\ntitle: "ok"\nsource: a: b\n---\nBody\n')
    (problem,) = read(path)
    assert isinstance(problem, Problem)
    assert problem.reason == "bad front matter"
    assert problem.line == 3  # the file's line: the header starts after the first ---


def test_a_bad_date_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad-date.md"
    path.write_text("---\ntitle: Fine?\nnext_review: next spring\n---\nBody\n")
    (problem,) = read(path)
    assert isinstance(problem, Problem)
    assert (problem.reason, problem.field) == ("bad field", "next_review")
    assert "next spring" in problem.detail
