import json
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import beir_row, make_tar, write_jsonl

from healthqa import ingest
from healthqa.articles import ArticleRecord
from healthqa.ingest import Limits, Problem, Skipped, check


def kinds(items: list[ingest.Item]) -> list[str]:
    return [type(item).__name__ for item in items]


def test_each_format_is_detected_from_name_and_content(fixtures: Path, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "corpus.jsonl", [beir_row("a", "What is A?", "A letter.")])
    seen: dict[str, str | None] = {}
    paths = [fixtures / "medquad", fixtures / "markdown", tmp_path / "corpus.jsonl"]
    items = list(ingest.read(paths, on_input=lambda i, f: seen.update({i.filename: f and f.name})))
    assert seen == {
        "0000001_1.xml": "medquad",
        "0000002.xml": "medquad",
        "sore-throat.md": "markdown",
        "soothe-throat.md": "markdown",
        "corpus.jsonl": "beir",
    }
    assert kinds(items).count("ArticleRecord") == 3 + 2 + 1
    assert kinds(items).count("Skipped") == 1


def test_unknown_files_are_problems_and_the_rest_go_on(fixtures: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    items = list(ingest.read([tmp_path / "notes.bin", fixtures / "markdown"]))
    problems = [i for i in items if isinstance(i, Problem)]
    assert [p.reason for p in problems] == ["unknown format"]
    assert "--format" in problems[0].detail
    assert kinds(items).count("ArticleRecord") == 2


def test_other_files_in_a_folder_are_skipped_not_rejected(fixtures: Path, tmp_path: Path) -> None:
    shutil.copytree(fixtures / "markdown", tmp_path / "site")
    (tmp_path / "site" / "LICENSE").write_text("Some licence text.")
    items = list(ingest.read([tmp_path / "site"]))
    assert kinds(items) == ["Skipped", "ArticleRecord", "ArticleRecord"]
    assert items[0].reason == ingest.SKIP_UNKNOWN  # type: ignore[union-attr]


def test_a_named_format_overrides_detection(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "corpus.data", [beir_row("a", "What is A?", "A letter.")])
    assert kinds(list(ingest.read([path]))) == ["Problem"]
    assert kinds(list(ingest.read([path], format="beir"))) == ["ArticleRecord"]
    with pytest.raises(ValueError, match="unknown format 'nope'"):
        list(ingest.read([path], format="nope"))


def test_archives_are_read_member_by_member(fixtures: Path, tmp_path: Path) -> None:
    xml = (fixtures / "medquad/1_Tiny_QA/0000001_1.xml").read_bytes()
    archive = make_tar(tmp_path / "mq.tar.gz", {"MQ/1_Tiny_QA/0000001_1.xml": xml, "../x.xml": xml})
    items = list(ingest.read([archive]))
    assert kinds(items) == ["ArticleRecord", "ArticleRecord", "Skipped", "Problem"]
    record = items[0]
    assert isinstance(record, ArticleRecord)
    assert record.origin.startswith(f"{archive}:MQ/1_Tiny_QA/0000001_1.xml")


def test_oversized_files_are_refused_before_detection(tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with open(huge, "wb") as out:
        out.truncate(100 * 1024 * 1024)
    (problem,) = ingest.read([huge])
    assert isinstance(problem, Problem) and problem.reason == "too large"


def record(**changes: object) -> ArticleRecord:
    fields: dict[str, object] = {
        "source": "s",
        "external_id": "1",
        "title": "What is A?",
        "body": "A letter.",
        "origin": "f.md",
    }
    return ArticleRecord(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"title": "  "}, "no title", "title"),
        ({"title": "Why? " * 200}, "oversized field", "title"),
        ({"body": ""}, "no body", "body"),
        ({"body": "x" * 2_000}, "oversized field", "body"),
        ({"external_id": ""}, "no id", "external_id"),
    ],
)
def test_check_names_the_field_and_reason(changes: dict, reason: str, field: str) -> None:
    problem = check(record(**changes), Limits(body_chars=1_000))
    assert isinstance(problem, Problem)
    assert (problem.reason, problem.field, problem.origin) == (reason, field, "f.md")
    assert f"(field '{field}')" in str(problem)


def test_check_passes_a_complete_record() -> None:
    good = record()
    assert check(good, Limits()) is good


def test_skips_are_not_problems() -> None:
    assert not isinstance(Skipped("x", "why"), Problem)


def test_a_corpus_whose_first_line_is_long_is_still_detected(tmp_path: Path) -> None:
    """718 lines of liveqa-med-dev's corpus are over 4 KB; one of them may come first."""
    rows = [beir_row("a", "What is A?", "A is a letter. " * 500), beir_row("b", "B?", "Bee.")]
    folder = tmp_path / "bench"
    folder.mkdir()
    write_jsonl(folder / "corpus.jsonl", rows)
    make_tar(
        tmp_path / "bench.tar.gz", {"bench/corpus.jsonl": (folder / "corpus.jsonl").read_bytes()}
    )
    for path in (folder / "corpus.jsonl", folder, tmp_path / "bench.tar.gz"):
        items = list(ingest.read([path]))
        assert kinds(items) == ["ArticleRecord", "ArticleRecord"], (path, items)


def test_a_data_file_in_a_folder_that_no_format_reads_is_a_problem_not_a_skip(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.jsonl").write_text('{"question": "no _id here"}\n')
    (tmp_path / "other.xml").write_text("<catalog/>")
    (tmp_path / "README").write_text("About these files.")
    items = list(ingest.read([tmp_path]))
    assert kinds(items) == ["Skipped", "Problem", "Problem"]
    problems = [i for i in items if isinstance(i, Problem)]
    assert [p.reason for p in problems] == ["unknown format", "unknown format"]
    assert '"_id"' in problems[0].detail and "<Document>" in problems[1].detail


def _markdown(title: str) -> bytes:
    return f"---\ntitle: {title}\n---\n{title} is answered here. {'More words. ' * 2000}\n".encode()


def test_a_truncated_tar_gz_is_a_problem_after_the_articles_before_the_cut(
    tmp_path: Path,
) -> None:
    members = {f"a{i}.md": _markdown(f"What is {i}?") for i in range(3)}
    whole = make_tar(tmp_path / "whole.tar.gz", members).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    items = list(ingest.read([cut]))
    assert kinds(items)[0] == "ArticleRecord"
    assert {i.reason for i in items if isinstance(i, Problem)} <= {"unreadable", "broken archive"}
    assert "Problem" in kinds(items)


def test_a_corrupt_or_lying_zip_member_is_a_problem_and_the_others_are_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):
            archive.writestr(f"a{i}.md", _markdown(f"What is {i}?"))
        second = archive.infolist()[1]
    data = bytearray(path.read_bytes())
    start = second.header_offset + 30 + len(second.filename) + 20
    data[start : start + 4] = bytes(b ^ 0xFF for b in data[start : start + 4])  # corrupt
    path.write_bytes(bytes(data))
    items = list(ingest.read([path]))
    assert kinds(items) == ["ArticleRecord", "Problem", "ArticleRecord"]
    assert items[1].reason == "unreadable" and "a1.md" in items[1].origin  # type: ignore[union-attr]
    lying = tmp_path / "lying.zip"
    with zipfile.ZipFile(lying, "w", zipfile.ZIP_STORED) as archive:
        for i in range(3):
            archive.writestr(f"a{i}.md", _markdown(f"What is {i}?"))
    data = bytearray(lying.read_bytes())
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)  # the second member's
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # says 100 bytes: too few
    lying.write_bytes(bytes(data))
    items = list(ingest.read([lying]))
    assert kinds(items) == ["ArticleRecord", "Problem", "ArticleRecord"]


def test_byte_order_marks_and_other_encodings_are_read(fixtures: Path, tmp_path: Path) -> None:
    """A BOM gave Markdown "no title"; UTF-16 XML and latin-1 JSON Lines were "unknown format"."""
    markdown = "---\ntitle: Où est la douleur?\n---\nÀ la jambe.\n"
    (tmp_path / "bom.md").write_bytes(b"\xef\xbb\xbf" + markdown.encode())
    (tmp_path / "utf16.md").write_text(markdown, encoding="utf-16")  # with its BOM
    xml = (fixtures / "medquad/1_Tiny_QA/0000002.xml").read_text(encoding="utf-8")
    xml = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace("yawning", "bâillement")
    (tmp_path / "utf16.xml").write_text(xml, encoding="utf-16")
    row = json.dumps(beir_row("c", "Café?", "Crème brûlée. " * 400), ensure_ascii=False)
    (tmp_path / "latin1.jsonl").write_bytes((row + "\n").encode("cp1252"))
    (tmp_path / "utf16.jsonl").write_text(row + "\n", encoding="utf-16")
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + (row + "\n").encode())
    for name in ("bom.md", "utf16.md", "utf16.xml", "latin1.jsonl", "utf16.jsonl", "bom.jsonl"):
        items = list(ingest.read([tmp_path / name]))
        assert kinds(items) == ["ArticleRecord"], (name, items)
        record = items[0]
        assert isinstance(record, ArticleRecord)
        text = record.title + record.body
        assert any(word in text for word in ("Où", "bâillement", "Café")), (name, text[:80])
        assert "\ufeff" not in text and "Ã" not in text, name


@pytest.mark.parametrize(("offset", "change"), [(8, 0x01), (10, 99)])
def test_an_encrypted_or_unknown_compression_zip_member_is_a_problem(
    tmp_path: Path, offset: int, change: int
) -> None:
    """zipfile raises RuntimeError (encrypted) or NotImplementedError (method 99) for these."""
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(3):
            archive.writestr(f"a{i}.md", _markdown(f"What is {i}?"))
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)  # the second member's
    data[central + offset] |= change  # flag bit 0 (encrypted), or the compression method
    path.write_bytes(bytes(data))
    items = list(ingest.read([path]))
    assert kinds(items) == ["ArticleRecord", "Problem", "ArticleRecord"]
    assert items[1].reason == "unreadable"  # type: ignore[union-attr]


def test_damaged_utf8_is_detected_and_named_by_line_not_garbled(tmp_path: Path) -> None:
    good = json.dumps(beir_row("a", "Crème?", "Brûlée."), ensure_ascii=False).encode()
    (tmp_path / "c.jsonl").write_bytes(good[:-3] + b"\xff" + good[-3:] + b"\n" + good + b"\n")
    items = list(ingest.read([tmp_path / "c.jsonl"]))
    assert kinds(items) == ["Problem", "ArticleRecord"]
    assert (items[0].reason, items[0].line) == ("not UTF-8", 1)  # type: ignore[union-attr]
    assert items[1].title == "Crème?"  # type: ignore[union-attr]
