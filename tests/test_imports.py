import json
import shutil
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from conftest import beir_row, write_jsonl

from healthqa import imports
from healthqa.imports import import_paths
from healthqa.store import Store, open_store


def test_importing_the_same_input_twice_changes_nothing(store: Store, fixtures: Path) -> None:
    paths = [str(fixtures / "medquad"), str(fixtures / "markdown")]
    first = import_paths(store, paths)
    assert (first.imported, first.updated, first.unchanged) == (5, 0, 0)
    assert first.ok and first.skipped == {"no answer text (MedQuAD removed it for copyright)": 1}
    assert first.formats == {"medquad": 2, "markdown": 2}
    before = store.stats()
    again = import_paths(store, paths)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 5)
    assert store.stats() == before


def test_a_changed_article_gets_a_new_revision(store: Store, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_jsonl(
        corpus, [beir_row("a", "What is A?", "A is a letter."), beir_row("b", "B?", "Bee.")]
    )
    import_paths(store, [str(corpus)])
    write_jsonl(
        corpus, [beir_row("a", "What is A?", "A is the first letter."), beir_row("b", "B?", "Bee.")]
    )
    summary = import_paths(store, [str(corpus)], author="nightly")
    assert (summary.imported, summary.updated, summary.unchanged) == (0, 1, 1)
    article = store.list_articles()[0]
    assert article.revision == 2
    assert [r.author for r in store.revisions(article.id)] == ["import", "nightly"]


def test_bad_records_are_reported_and_the_rest_imported(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(fixtures / "markdown", folder)
    (folder / "no-title.md").write_text("---\ntopic: Throat problems\n---\nJust a body.\n")
    unsafe = {"healthqa_export": 1}, {"source": "s", "external_id": "x", "title": "Safe?",
              "body_html": "<script>steal()</script>", "links": []}  # fmt: skip
    write_jsonl(folder / "unsafe.jsonl", list(unsafe))
    (folder / "cut.xml").write_text('<?xml version="1.0"?><Document source="x"><QAPairs>')
    summary = import_paths(store, [str(folder)])
    assert summary.imported == 2
    assert not summary.ok
    assert summary.rejected_by_reason() == {"no title": 1, "no body": 1, "broken XML": 1}
    messages = [str(p) for p in summary.rejected]
    assert any("no-title.md" in m and "title" in m for m in messages)
    assert store.stats()["articles"] == 2


def test_links_resolve_across_files_and_duplicates_are_listed(store: Store, tmp_path: Path) -> None:
    text = (
        "Cold water, a held breath and patience stop most hiccups within a few minutes at home. "
        "Hiccups that last more than two days, or that make it hard to eat, breathe or sleep, "
        "are worth a visit to a doctor, who can look for a cause and suggest treatment."
    )
    corpus = write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            beir_row("a", "How do I stop hiccups?", text),
            beir_row("b", "How can hiccups be stopped?", text + " Really."),
            beir_row("c", "What is a yawn?", "A deep breath in with the mouth open wide."),
        ],
    )
    summary = import_paths(store, [str(corpus)])
    assert summary.near_duplicates == 1
    (pair,) = store.near_duplicates()
    assert {pair.a_title, pair.b_title} == {"How do I stop hiccups?", "How can hiccups be stopped?"}


def test_summary_as_dict_lists_problems(store: Store, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"_id": "a", "title": "A?", "text": "Aye."}\n"just a string"\n')
    data = import_paths(store, [str(corpus)]).to_dict()
    assert data["imported"] == 1
    assert data["rejected"] == {"not an object": 1}
    assert data["problems"] == [
        f"{corpus}:2: not an object: each line must be a JSON object; this one is a JSON str"
    ]


def test_worker_processes_give_the_same_result_in_the_same_order(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "_CHUNK", 1)  # every document its own chunk: the pool is used
    paths = [str(fixtures / "medquad"), str(fixtures / "markdown"), str(fixtures / "pages")]
    results = []
    for workers in (0, 2):
        db = open_store(str(tmp_path / f"w{workers}.db"))
        summary = imports.import_paths(db, paths, workers=workers)
        rows = [(a.slug, a.content_hash) for a in db.iter_articles()]
        results.append((summary.imported, summary.rejected_by_reason(), summary.skipped, rows))
        db.close()
    assert results[0] == results[1]
    assert results[0][0] >= 7


UNSAFE_URLS = ["javascript:alert(document.cookie)", "data:text/html,<script>x()</script>",
               "VBScript:msgbox(1)", " javascript:alert(1)", "//evil.example/x",
               "http://a]b/"]  # fmt: skip


def _unsafe_inputs(folder: Path, url: str) -> None:
    """One article in each format that carries a source URL, each with `url` as its link."""
    folder.mkdir()
    (folder / "a.md").write_text(f"---\ntitle: What is A?\nurl: {json.dumps(url)}\n---\nA.\n")
    write_jsonl(folder / "corpus.jsonl", [beir_row("b", "What is B?", "B.", url=url)])
    xml = f'<Document source="T" url={quoteattr(url)}><QAPairs><QAPair pid="1"><Question>'
    xml += "What is C?</Question><Answer>C.</Answer></QAPair></QAPairs></Document>"
    (folder / "c.xml").write_text(xml)
    export = {"source": "s", "external_id": "d", "title": "What is D?", "body_html": "<p>D.</p>",
              "source_url": url, "links": []}  # fmt: skip
    write_jsonl(folder / "d.jsonl", [{"healthqa_export": 1}, export])


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_a_link_that_is_not_http_is_dropped_and_reported_and_the_article_kept(
    store: Store, tmp_path: Path, url: str
) -> None:
    _unsafe_inputs(tmp_path / "in", url)
    summary = import_paths(store, [str(tmp_path / "in")])
    assert summary.imported == 4
    assert [a.source_url for a in store.list_articles()] == [None] * 4
    assert not summary.ok and summary.rejected_by_reason() == {"unsafe link": 4}
    where = {(Path(p.origin).name, p.line, p.field) for p in summary.rejected}
    assert where == {("a.md", None, "url"), ("corpus.jsonl", 1, "metadata.url"),
                     ("c.xml (pair 1)", None, "url"), ("d.jsonl", 2, "source_url")}  # fmt: skip
    assert all("http://" in p.detail for p in summary.rejected)


def test_http_and_https_links_are_kept(store: Store, tmp_path: Path) -> None:
    _unsafe_inputs(tmp_path / "in", "HTTPS://example.org/a?b=c")
    summary = import_paths(store, [str(tmp_path / "in")])
    assert summary.ok and summary.imported == 4
    assert {a.source_url for a in store.list_articles()} == {"HTTPS://example.org/a?b=c"}


def test_a_deeply_nested_line_is_one_problem_and_the_lines_after_it_import(
    store: Store, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = [json.dumps(beir_row("a", "A?", "A.")), "[" * 100_000 + "]" * 100_000,
            '{"_id": "c", "title": "' + "{" * 400 + '", "text": "C."}',
            json.dumps(beir_row("b", "B?", "B."))]  # fmt: skip
    corpus.write_text("\n".join(rows) + "\n")
    summary = import_paths(store, [str(corpus)])
    assert summary.imported == 3  # a, the title of braces, b
    (problem,) = summary.rejected
    assert (problem.line, problem.reason) == (2, "not JSON") and "nested" in problem.detail


def test_problems_are_all_counted_but_only_the_first_thousand_kept(
    store: Store, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    lines = [json.dumps(beir_row("a", "A?", "A."))] + ["not json"] * 2500
    corpus.write_text("\n".join(lines) + "\n")
    summary = import_paths(store, [str(corpus)])
    assert summary.imported == 1 and not summary.ok
    assert len(summary.rejected) == 2500 and len(summary.rejected.kept) == 1000
    assert summary.rejected_by_reason() == {"not JSON": 2500}
    assert summary.rejected[0].line == 2 and summary.rejected[-1].line == 1001
    data = summary.to_dict()
    assert len(data["problems"]) == 1000 and data["problems_not_listed"] == 1500


def test_beir_titles_are_tidied_like_medquads_and_reimport_unchanged(
    store: Store, tmp_path: Path
) -> None:
    """A BEIR corpus made from MedQuAD carries its templates; the one cleaning step tidies them."""
    corpus = tmp_path / "corpus.jsonl"
    text = "People with glaucoma can lose sight. Open-angle glaucoma is the most common form."
    write_jsonl(
        corpus,
        [
            beir_row("g1", "What is (are) Glaucoma ?", text, focus="Glaucoma"),
            beir_row("g2", "Who is at risk for Glaucoma? ?", text, focus="Glaucoma"),
        ],
    )
    import_paths(store, [str(corpus)])
    found = {a.external_id: a for a in store.iter_articles()}
    assert found["g1"].title == "What is glaucoma?"
    assert found["g1"].source_title == "What is (are) Glaucoma ?"
    assert found["g2"].title == "Who is at risk for glaucoma?"
    again = import_paths(store, [str(corpus)])
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)
