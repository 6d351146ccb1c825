from pathlib import Path

from conftest import beir_row, write_jsonl

from healthqa.articles import ArticleRecord
from healthqa.ingest import Limits, Problem, beir
from healthqa.ingest.inputs import Input, expand


def read(path: Path, limits: Limits | None = None) -> list[object]:
    item = next(expand(path))
    assert isinstance(item, Input)
    return list(beir.read(item, limits or Limits()))


def test_rows_become_records_with_their_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "tiny-bench"
    folder.mkdir()
    path = write_jsonl(
        folder / "corpus.jsonl",
        [
            beir_row(
                "GARD_1_Sec1",
                "What causes hiccups?",
                "A stretched stomach can set them off.",
                url="https://example.org/h",
                source="GARD",
                focus="Hiccups",
                synonyms=["Singultus", "Hiccups"],
                qtype="causes",
            ),
            beir_row("X_2", "What is a yawn?", "A deep breath with the mouth open."),
        ],
    )
    first, second = read(path)
    assert isinstance(first, ArticleRecord) and isinstance(second, ArticleRecord)
    assert (first.external_id, first.source, first.question_type) == (
        "GARD_1_Sec1",
        "GARD",
        "causes",
    )
    assert first.topic is not None
    assert (first.topic.name, first.topic.synonyms) == ("Hiccups", ("Singultus",))
    assert first.origin == f"{path}:1"
    assert second.source == "tiny-bench"  # no metadata.source: the corpus folder names it
    assert second.topic is None


def test_bad_lines_are_problems_with_line_numbers_and_the_rest_go_on(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"_id": "a", "title": "What is A?", "text": "A is a letter."}\n'
        "[1, 2, 3]\n"
        "{not json\n"
        "\n"
        '{"_id": 5, "title": "Wrong id type", "text": "x"}\n'
        '{"title": "No id", "text": "x"}\n'
        '{"_id": "b", "title": "What is B?", "text": "B follows A."}\n'
    )
    items = read(path)
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(p.line, p.reason) for p in problems] == [
        (2, "not an object"),
        (3, "not JSON"),
        (5, "wrong type"),
        (6, "no id"),
    ]
    assert "JSON array" in problems[0].detail
    assert problems[2].field == "_id"
    assert [i.external_id for i in items if isinstance(i, ArticleRecord)] == ["a", "b"]


def test_a_line_over_the_limit_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    big = '{"_id": "big", "title": "Big", "text": "' + "x" * 5000 + '"}'
    path.write_text(big + "\n" + '{"_id": "small", "title": "Small?", "text": "ok"}\n')
    items = read(path, Limits(line_bytes=1000))
    assert isinstance(items[0], Problem) and items[0].reason == "too large"
    assert items[0].line == 1
    assert isinstance(items[1], ArticleRecord) and items[1].external_id == "small"
