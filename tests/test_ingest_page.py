"""Article pages: the plain-text export and the same page as HTML give the same article."""

from __future__ import annotations

import io
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthqa.articles import ArticleRecord, Link
from healthqa.ingest import Item, Limits, Problem, detect
from healthqa.ingest.inputs import Input, expand
from healthqa.ingest.page import FORMATS

PAGES = Path(__file__).parent / "fixtures" / "pages"
SAMPLE = Path(__file__).parents[2] / "shared" / "samples" / "leg-cramps-late-pregnancy.txt"
FORMAT = {fmt.name: fmt for fmt in FORMATS}

TITLE = "Why do hiccups happen?"
PREVIOUS = Link("previous", "Is it safe to hold your breath for a long time?")
NEXT = Link("next", "Why does my eye twitch?")
RELATED = [
    Link(
        "related",
        "How to stop hiccups in a baby",
        "Babies hiccup often, especially after a feed, and...",
    ),
    Link(
        "related",
        "Can stress cause stomach pain?",
        "Worry and tension can show up in the belly as cra...",
    ),
    Link(
        "related",
        "Is sparkling water bad for your teeth?",
        "Plain sparkling water is far gentler on enamel th...",
    ),
]


def file_input(path: Path) -> Input:
    item = next(expand(path))
    assert isinstance(item, Input)
    return item


def memory_input(name: str, data: bytes) -> Input:
    return Input(name, len(data), lambda: io.BytesIO(data))


def read_one(item: Input) -> Item:
    """The single item a page yields, read with the format its name calls for."""
    name = "page-text" if item.suffix == ".txt" else "page-html"
    items = list(FORMAT[name].read(item, Limits()))
    assert len(items) == 1, items
    return items[0]


def record(item: Input) -> ArticleRecord:
    result = read_one(item)
    assert isinstance(result, ArticleRecord), str(result)
    return result


def problem(item: Input) -> Problem:
    result = read_one(item)
    assert isinstance(result, Problem), result
    return result


def body_tree(article: ArticleRecord) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(article.body, create_parent="div")


def list_items(article: ArticleRecord) -> list[list[str]]:
    """The text of each <li>, grouped by <ol>."""
    return [[li.text_content() for li in ol.findall("li")] for ol in body_tree(article).iter("ol")]


def links(article: ArticleRecord, kind: str) -> list[Link]:
    return [link for link in article.links if link.kind == kind]


def sniffed(item: Input) -> list[str]:
    return [fmt.name for fmt in FORMATS if fmt.sniff(item, item.head())]


@pytest.mark.parametrize(
    ("name", "item_count"),
    [
        ("why-do-hiccups-happen.txt", 3),
        ("why-do-hiccups-happen.html", 3),
        ("hiccups-variant.htm", 4),
    ],
)
def test_the_text_export_and_html_pages_give_the_same_article(name: str, item_count: int) -> None:
    article = record(file_input(PAGES / name))
    assert article.title == TITLE
    assert (links(article, "previous"), links(article, "next")) == ([PREVIOUS], [NEXT])
    assert links(article, "related") == RELATED
    assert [link.kind for link in article.links] == ["previous", "next"] + ["related"] * 3
    [numbered] = list_items(article)
    assert len(numbered) == item_count
    assert numbered[0].startswith("Eating too fast.")  # the <ol> numbers it; "1. " is gone
    assert article.body_format == "html"
    assert article.source == "pages"


def test_text_body_has_headings_paragraphs_and_escaped_text() -> None:
    article = record(file_input(PAGES / "why-do-hiccups-happen.txt"))
    tree = body_tree(article)
    assert [h2.text for h2 in tree.iter("h2")] == [
        "Common triggers of hiccups",
        "Are hiccups ever a sign of illness?",
    ]
    assert len(tree.findall("p")) == 4
    assert "minutes &amp; are harmless" in article.body
    assert TITLE not in article.body  # the repeated title is the page heading, not the article
    assert "<<:" not in article.body and "Recommend" not in article.body


def test_html_body_leaves_out_the_page_around_the_article() -> None:
    article = record(file_input(PAGES / "why-do-hiccups-happen.html"))
    body = article.body
    for furniture in (
        "<h1",
        "<script",
        'track("read")',
        "analytics",
        "<!--",
        "Topics",
        "Recommend",
    ):
        assert furniture not in body
    assert TITLE not in body
    assert "does not give medical advice" not in body  # the footer is outside the <article>
    assert [h2.text for h2 in body_tree(article).iter("h2")] == [
        "Common triggers of hiccups",
        "Are hiccups ever a sign of illness?",
    ]
    assert 'href="/find-a-doctor"' in body  # links in the text stay; the sanitiser runs later


def test_html_variant_body_comes_from_the_element_with_most_paragraph_text() -> None:
    article = record(file_input(PAGES / "hiccups-variant.htm"))
    tree = body_tree(article)
    assert "Home" not in article.body
    assert "You may also like" not in article.body
    assert tree.findtext("h3") == "Common triggers of hiccups"
    assert "<strong>" not in article.body  # <strong>1.</strong> went with its number


def test_external_id_is_the_file_name_stem_and_origin_names_the_file() -> None:
    path = PAGES / "why-do-hiccups-happen.txt"
    article = record(file_input(path))
    assert article.external_id == "why-do-hiccups-happen"
    assert article.origin == str(path)
    member = record(memory_input("pages.tar.gz:site/Hiccups Page.txt", path.read_bytes()))
    assert member.external_id == "hiccups-page"


@pytest.mark.parametrize(
    ("name", "reason", "field", "line"),
    [
        ("no-title.txt", "no title", "title", 2),
        ("blank-lines.txt", "no title", "title", 1),
        ("bad-encoding.txt", "invalid encoding", None, 7),
    ],
)
def test_broken_pages_give_a_problem_naming_the_place(
    name: str, reason: str, field: str | None, line: int
) -> None:
    found = problem(file_input(PAGES / name))
    assert (found.reason, found.field, found.line) == (reason, field, line)
    assert found.origin == str(PAGES / name)
    assert str(found).startswith(f"{PAGES / name}:{line}: {reason}")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("empty.html", b""),
        ("blank.html", b" \n\t\n"),
        ("untitled.html", b"<html><body><p>Hiccups stop by themselves.</p></body></html>"),
        ("empty-h1.html", b"<h1> </h1><p>Hiccups stop by themselves.</p>"),
    ],
)
def test_pages_without_a_title_are_problems(name: str, data: bytes) -> None:
    found = problem(memory_input(name, data))
    assert (found.origin, found.reason, found.field) == (name, "no title", "title")


def test_invalid_utf8_in_html_is_a_problem_with_its_line() -> None:
    found = problem(memory_input("bad.html", b"<h1>Hiccups</h1>\n<p>caf\xe9</p>"))
    assert (found.reason, found.line) == ("invalid encoding", 2)
    assert "0xe9" in found.detail


def test_a_byte_order_mark_is_not_part_of_the_title() -> None:
    data = "\ufeffWhy do hiccups happen?\n\nThey are a reflex.\n".encode()
    assert record(memory_input("bom.txt", data)).title == TITLE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("why-do-hiccups-happen.txt", ["page-text"]),
        ("no-title.txt", ["page-text"]),  # the footer markers give the layout away
        ("why-do-hiccups-happen.html", ["page-html"]),
        ("hiccups-variant.htm", ["page-html"]),
    ],
)
def test_sniffing_picks_the_page_format(name: str, expected: list[str]) -> None:
    assert sniffed(file_input(PAGES / name)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("why-do-hiccups-happen.txt", "page-text"), ("why-do-hiccups-happen.html", "page-html")],
)
def test_detection_across_all_formats_picks_the_page_format(name: str, expected: str) -> None:
    found = detect(file_input(PAGES / name))
    assert found is not None and found.name == expected


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", b"Shopping list\nmilk\neggs\n", []),
        ("page.txt", b"<!DOCTYPE html><h1>Hiccups</h1>", ["page-html"]),
        ("page", b"\xef\xbb\xbf<!doctype html>\n<h1>Hiccups</h1>", ["page-html"]),
        ("page.md", b"# Hiccups\n\nHiccups\n", []),
    ],
)
def test_sniffing_leaves_other_files_alone(name: str, data: bytes, expected: list[str]) -> None:
    assert sniffed(memory_input(name, data)) == expected


def text_page(*article: str, footer: str = "") -> Input:
    data = "\n\n".join(["Hiccups", "Hiccups", *article]) + "\n\n" + footer
    return memory_input("hiccups.txt", data.encode())


def test_numbering_that_starts_again_makes_a_second_list() -> None:
    article = record(text_page("1. Sip water.", "2. Hold your breath.", "1. Rest.", "2. Wait."))
    assert list_items(article) == [["Sip water.", "Hold your breath."], ["Rest.", "Wait."]]


def test_a_lone_numbered_paragraph_stays_a_paragraph() -> None:
    article = record(text_page("Hiccups pass.", "1. Sip water slowly.", "Then rest."))
    assert "<ol" not in article.body
    assert "<p>1. Sip water slowly.</p>" in article.body


def test_a_list_that_starts_later_keeps_its_numbers() -> None:
    article = record(text_page("3. Sip water.", "4. Rest."))
    assert '<ol start="3">' in article.body


def test_headings_are_short_lines_without_a_full_stop_before_a_paragraph() -> None:
    article = record(text_page("Hiccups are harmless.", "What helps", "Sipping water.", "The end"))
    tree = body_tree(article)
    assert [h2.text for h2 in tree.iter("h2")] == ["What helps"]
    assert tree.findall("p")[-1].text == "The end"  # nothing follows it: not a heading


def test_a_page_without_footer_markers_has_no_links() -> None:
    article = record(text_page("Hiccups are a reflex of the diaphragm."))
    assert article.links == ()
    assert article.body == "<p>Hiccups are a reflex of the diaphragm.</p>"


def test_a_recommended_title_without_a_teaser_stands_alone() -> None:
    footer = "Recommend\n\nHiccups in babies\n\nYawning\n\nWhy we yawn when we are tire...\n"
    article = record(text_page("Hiccups are a reflex.", footer=footer))
    assert links(article, "related") == [
        Link("related", "Hiccups in babies"),
        Link("related", "Yawning", "Why we yawn when we are tire..."),
    ]


def test_html_keeps_its_own_lists_and_numbered_paragraphs_split_by_text() -> None:
    page = b"""<article><h1>Hiccups</h1>
        <ol><li>Sip water.</li><li>Hold your breath.</li></ol>
        <p>1. Rest.</p>loose text<p>2. Wait.</p><p>3. Sleep.</p></article>"""
    article = record(memory_input("lists.html", page))
    assert list_items(article) == [["Sip water.", "Hold your breath."], ["Wait.", "Sleep."]]
    assert "<p>1. Rest.</p>loose text" in article.body


def test_html_related_heading_loose_in_the_article_takes_what_follows_it() -> None:
    page = b"""<div id="page"><article><h1>Hiccups</h1><p>Hiccups are a reflex.</p>
        <h2>Related articles</h2>
        <ul><li><h3><a href="/yawn">Why we yawn</a></h3><p>Yawning cools the brain, some...</p></li>
        <li><a href="/sneeze">Why we sneeze</a>
            <span class="summary">A sneeze clears...</span></li></ul>
        </article></div>"""
    article = record(memory_input("loose.html", page))
    assert links(article, "related") == [
        Link("related", "Why we yawn", "Yawning cools the brain, some..."),
        Link("related", "Why we sneeze", "A sneeze clears..."),
    ]
    assert article.body == "<p>Hiccups are a reflex.</p>"


def test_html_title_falls_back_to_the_title_element_without_the_site_name() -> None:
    page = b"<title>Hiccups | Everyday | Answers</title><div><p>Hiccups are a reflex.</p></div>"
    assert record(memory_input("title.html", page)).title == "Hiccups | Everyday"


def test_html_pager_labels_and_rel_links() -> None:
    page = b"""<h1>Hiccups</h1><p>Hiccups are a reflex.</p>
        <p class="pager"><a rel="prev nofollow" href="/a">Yawning</a></p>
        <nav><a href="/" title="Previous article: Sneezing">Home</a>
        <a href="/c" title="Coughing">Next &raquo;</a></nav>"""
    article = record(memory_input("pager.html", page))
    assert [(link.kind, link.title) for link in article.links] == [
        ("previous", "Yawning"),
        ("next", "Coughing"),
    ]


def test_malformed_html_is_read_as_far_as_it_goes() -> None:
    page = b"<h1>Hiccups<p>They pass.<p>1. Sip<b>water</i>.<p>2. Rest.</div></span><p>End"
    article = record(memory_input("broken.html", page))
    assert article.title == "Hiccups"
    assert [len(items) for items in list_items(article)] == [2]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab1. \n<>/:?!…pholia=\"'&")) | st.characters()),
    suffix=st.sampled_from([".txt", ".html"]),
)
def test_any_page_gives_exactly_one_record_or_problem(text: str, suffix: str) -> None:
    result = read_one(memory_input("page" + suffix, text.encode("utf-8", "surrogatepass")))
    assert isinstance(result, ArticleRecord | Problem)


@pytest.mark.slow
def test_the_real_sample_page() -> None:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is not here")
    article = record(file_input(SAMPLE))
    assert article.title == "What causes leg cramps in late pregnancy?"
    assert article.external_id == "leg-cramps-late-pregnancy"
    assert [link.title for link in links(article, "previous")] == [
        "Causes of high uric acid levels in late pregnancy"
    ]
    assert [link.title for link in links(article, "next")] == [
        "What is the reason for low gestational age?"
    ]
    related = links(article, "related")
    assert len(related) == 12
    assert all(link.teaser.endswith("...") for link in related)
    [numbered] = list_items(article)
    assert len(numbered) == 4
    assert article.body.count("<ol>") == 1


@pytest.mark.parametrize(
    "page",
    [b"<title>Hiccups</title>", b"<frameset><frame src=x></frameset><title>Hiccups</title>"],
)
def test_an_html_page_with_a_title_and_nothing_else_has_an_empty_body(page: bytes) -> None:
    article = record(memory_input("bare.html", page))
    assert (article.title, article.body) == ("Hiccups", "")


def test_nested_related_boxes_list_each_article_once() -> None:
    page = b"""<h1>Hiccups</h1><p>Hiccups are a reflex.</p>
        <aside><h2>Related</h2><section><h3>Recommended</h3>
        <a href="/yawn">Why we yawn</a><p>Yawning cools the brain, some...</p></section></aside>"""
    article = record(memory_input("nested.html", page))
    assert article.links == (Link("related", "Why we yawn", "Yawning cools the brain, some..."),)


def test_two_pages_with_one_file_name_in_different_folders_are_a_problem_naming_both(
    tmp_path: Path,
) -> None:
    from healthqa.imports import import_paths
    from healthqa.store import open_store

    page = (PAGES / "why-do-hiccups-happen.html").read_text()
    for folder in ("adults", "babies"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hiccups.html").write_text(page.replace("Hiccups", folder.title()))
    store = open_store(":memory:")
    summary = import_paths(store, [str(tmp_path / "adults"), str(tmp_path / "babies")], workers=0)
    assert summary.imported == 1
    (problem,) = summary.rejected
    assert problem.reason == "same file name as another page"
    assert str(tmp_path / "babies" / "hiccups.html") in problem.origin
    assert str(tmp_path / "adults" / "hiccups.html") in problem.detail
    again = import_paths(store, [str(tmp_path / "babies")], workers=0)  # moved: the same page
    assert len(again.rejected) == 0 and store.count_articles() == 1
