from pathlib import Path

import pytest

from healthqa.articles import ArticleRecord
from healthqa.ingest import Limits, Problem, Skipped, medquad
from healthqa.ingest.inputs import Input, expand


def read_file(path: Path) -> list[object]:
    item = next(expand(path))
    assert isinstance(item, Input)
    return list(medquad.read(item, Limits()))


def records(items: list[object]) -> list[ArticleRecord]:
    return [item for item in items if isinstance(item, ArticleRecord)]


def test_each_answered_pair_is_an_article_titled_by_its_question(fixtures: Path) -> None:
    items = read_file(fixtures / "medquad/1_Tiny_QA/0000001_1.xml")
    found = records(items)
    assert [r.title for r in found] == [
        "What is (are) Hiccups ?",
        "What are the treatments for Hiccups ?",
    ]
    first = found[0]
    assert first.external_id == "TinyHealth_0000001_1_Sec1"
    assert first.source == "TinyHealth"
    assert first.source_url == "https://example.org/hiccups"
    assert first.question_type == "information"
    assert first.body_format == "text"
    assert "snapping shut" in first.body
    assert first.topic is not None
    assert first.topic.name == "Hiccups"
    assert first.topic.synonyms == ("Singultus", "Hiccoughs")
    assert first.topic.category == "Disease"
    assert first.meta["cuis"] == ["C0000001"]
    assert "CC BY 4.0" in (first.licence or "")


def test_pairs_without_answers_are_skipped_not_imported_empty(fixtures: Path) -> None:
    items = read_file(fixtures / "medquad/1_Tiny_QA/0000001_1.xml")
    skipped = [item for item in items if isinstance(item, Skipped)]
    assert len(skipped) == 1
    assert skipped[0].reason == medquad.SKIP_NO_ANSWER
    assert "pair 3" in skipped[0].origin


def test_older_doc_layout_reads_the_same_way(fixtures: Path) -> None:
    found = records(read_file(fixtures / "medquad/1_Tiny_QA/0000002.xml"))
    assert len(found) == 1
    assert found[0].title == "what is yawning ?"
    assert found[0].source == "TinyNeuro"
    assert found[0].external_id == "TinyNeuro_0000002_Sec1"
    assert found[0].topic is not None and found[0].topic.name == "Yawning"


def test_truncated_xml_is_a_problem_with_its_line(fixtures: Path, tmp_path: Path) -> None:
    whole = (fixtures / "medquad/1_Tiny_QA/0000001_1.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: len(whole) // 2])
    items = read_file(cut)
    assert len(items) == 1
    problem = items[0]
    assert isinstance(problem, Problem)
    assert problem.reason == "broken XML"
    assert problem.line is not None and problem.line > 1
    assert str(cut) in str(problem)


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET CONTENT")
    xml = tmp_path / "xxe.xml"
    xml.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<Document source="Evil" url="u"><Focus>F</Focus><QAPairs><QAPair pid="1">'
        "<Question>What is it?</Question><Answer>&x;</Answer></QAPair></QAPairs></Document>"
    )
    items = read_file(xml)
    assert [type(item) for item in items] == [Problem]
    assert items[0].reason == "unsafe XML"  # type: ignore[union-attr]
    assert "TOP SECRET" not in repr(items)


def test_entity_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    xml = tmp_path / "bomb.xml"
    xml.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE Document [{"".join(levels)}]>\n'
        '<Document source="Evil" url="u"><Focus>F</Focus><QAPairs><QAPair pid="1">'
        "<Question>Boom?</Question><Answer>&a9;</Answer></QAPair></QAPairs></Document>"
    )
    items = read_file(xml)
    assert [type(item) for item in items] == [Problem]
    assert items[0].reason == "unsafe XML"  # type: ignore[union-attr]


def test_other_xml_is_not_medquad(tmp_path: Path) -> None:
    xml = tmp_path / "other.xml"
    xml.write_text('<?xml version="1.0"?><Document><Nothing/></Document>')
    assert records(read_file(xml)) == []
    rss = tmp_path / "rss.xml"
    rss.write_text('<?xml version="1.0"?><rss><channel/></rss>')
    items = read_file(rss)
    assert isinstance(items[0], Problem) and items[0].reason == "not MedQuAD"


@pytest.mark.parametrize("head", [b"<Document source='x'>", b"<doc docid='1'>", b"<DiseaseFile>"])
def test_sniff_knows_every_layout(head: bytes) -> None:
    item = Input("x.xml", len(head), lambda: None)  # type: ignore[arg-type, return-value]
    assert medquad.sniff(item, b'<?xml version="1.0"?>\n' + head)
