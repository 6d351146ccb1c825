from datetime import date
from pathlib import Path

from healthqa.articles import ArticleRecord, Link
from healthqa.imports import import_paths
from healthqa.ingest import Limits, Problem, markdown
from healthqa.ingest.inputs import Input, expand
from healthqa.store import open_store


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


def test_an_impossible_date_is_a_bad_field_and_the_other_files_import(tmp_path: Path) -> None:
    """YAML read 2026-13-45 as a date and raised, which stopped the whole import."""
    (tmp_path / "a-bad.md").write_text("---\ntitle: Bad?\nlast_reviewed: 2026-13-45\n---\nB.\n")
    (tmp_path / "b-good.md").write_text("---\ntitle: Good?\nlast_reviewed: 2026-01-31\n---\nG.\n")
    (tmp_path / "c-tagged.md").write_text("---\ntitle: T?\nx: !!timestamp 2026-13-45\n---\nT.\n")
    store = open_store(":memory:")
    summary = import_paths(store, [str(tmp_path)], workers=0)
    assert summary.imported == 1
    assert store.list_articles()[0].last_reviewed == date(2026, 1, 31)
    bad, tagged = summary.rejected
    assert (Path(bad.origin).name, bad.reason, bad.field) == (
        "a-bad.md",
        "bad field",
        "last_reviewed",
    )
    assert "2026-13-45" in bad.detail and "2026-01-31" in bad.detail  # what was expected
    assert bad.line == 3
    assert (Path(tagged.origin).name, tagged.reason) == ("c-tagged.md", "bad front matter")


def test_yaml_aliases_are_refused_so_a_small_file_cannot_take_gigabytes(tmp_path: Path) -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    path = tmp_path / "bomb.md"
    path.write_text("---\ntitle: Boom?\n" + "\n".join(levels) + "\n---\nBody.\n")
    assert path.stat().st_size < 1024
    (problem,) = read(path)  # expanded, this would be 9**9 strings
    assert isinstance(problem, Problem)
    assert problem.reason == "bad front matter" and problem.line == 3
    assert "aliases" in problem.detail
