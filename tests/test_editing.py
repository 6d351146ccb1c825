import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from conftest import quiet_settings

from healthqa import editing
from healthqa.articles import Article, ArticleRecord, Link, TopicRecord
from healthqa.clean import clean
from healthqa.editing import Draft, EditError, PreconditionRequired
from healthqa.library import Library
from healthqa.store import AlreadyExists, Conflict, NotFound

BODY = "<p>Cramps are sudden tight pains in the calf.</p><script>alert(1)</script>"


def settings(**overrides: object) -> dict[str, object]:
    return quiet_settings(**overrides)


def open_library(db: str = ":memory:", **overrides: object) -> Library:
    return Library(db, settings=settings(**overrides))


@pytest.fixture(params=["sqlite", "postgres"])
def library(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Library]:
    """Edits run on each backend: SQLite in memory, and PostgreSQL (its own schema)."""
    if request.param == "sqlite":
        opened = open_library()
    else:
        opened = open_library(request.getfixturevalue("postgres_url"), index_path=str(tmp_path))
    yield opened
    opened.close()


def draft(**changes: object) -> Draft:
    fields: dict[str, object] = {
        "title": "What causes leg cramps?",
        "body": BODY,
        "reason": "new article",
        "topic": TopicRecord("Leg cramps", ("charley horse",)),
    }
    return Draft(**(fields | changes))  # type: ignore[arg-type]


def revision_count(library: Library) -> int:
    return int(library.store.stats()["revisions"])


def test_article_etag_names_the_article_and_its_revision(library: Library) -> None:
    article = editing.create(library, draft(), "alice")
    assert editing.article_etag(article) == f'"a{article.id}-r1"'


def test_create_cleans_like_an_import_and_records_a_revision(library: Library) -> None:
    article = editing.create(library, draft(), "alice")
    assert article.revision == 1 and article.status == "published"
    assert article.body_html == "<p>Cramps are sudden tight pains in the calf.</p>"
    assert article.slug == "what-causes-leg-cramps" and article.source == "editor"
    assert article.topic is not None and article.topic.synonyms == ["charley horse"]
    (revision,) = library.store.revisions(article.id)
    assert (revision.author, revision.reason, revision.number) == ("alice", "new article", 1)
    assert [c.kind for c in library.store.changes_since(0)] == ["created"]


def test_create_gives_the_same_content_hash_as_importing_the_same_record(
    library: Library,
) -> None:
    article = editing.create(library, draft(source="nhs", external_id="cramps"), "alice")
    record = ArticleRecord(
        "nhs", "cramps", "What causes leg cramps?", BODY, "x", topic=TopicRecord("Leg cramps")
    )
    assert article.content_hash == clean(record).content_hash


def test_create_reads_text_bodies_as_imports_do(library: Library) -> None:
    article = editing.create(
        library, draft(body="First line.\n\nSecond <b>line</b>.", body_format="text"), "a"
    )
    assert article.body_html == "<p>First line.</p>\n<p>Second &lt;b&gt;line&lt;/b&gt;.</p>"


def test_an_external_id_is_unique_within_its_source(library: Library) -> None:
    editing.create(library, draft(source="nhs", external_id="cramps"), "alice")
    with pytest.raises(AlreadyExists, match="already has external id 'cramps'"):
        editing.create(library, draft(source="nhs", external_id="cramps", title="Other?"), "bob")
    assert editing.create(library, draft(source="cdc", external_id="cramps"), "bob").id == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "   "}, "title", "no title"),
        ({"title": "\u200b\u200d"}, "title", "invisible"),
        ({"title": "x" * 51}, "title", "at most 50 are allowed"),
        ({"body": ""}, "body", "no body"),
        ({"body": "y" * 201}, "body", "at most 200 are allowed"),
        ({"body": "<script>steal()</script><iframe></iframe>"}, "body", "nothing is left"),
        ({"reason": " "}, "reason", "say why"),
        ({"topic": TopicRecord(" ")}, "topic.name", "needs a name"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(
    changes: dict[str, object], field: str, message: str
) -> None:
    library = open_library(max_title_chars=50, max_body_chars=200)
    with pytest.raises(EditError, match=message) as caught:
        editing.create(library, draft(**changes), "alice")
    assert caught.value.field == field
    assert library.store.stats()["articles"] == 0 and revision_count(library) == 0


def test_update_needs_the_etag_of_the_revision_it_edits(library: Library) -> None:
    first = editing.create(library, draft(), "alice")
    tag = editing.article_etag(first)
    for missing in (None, "", "*"):
        with pytest.raises(PreconditionRequired, match="If-Match"):
            editing.update(library, first.id, draft(title="Why do legs cramp?"), missing, "bob")
    second = editing.update(
        library, first.id, draft(title="Why do legs cramp?", reason="clearer"), tag, "bob"
    )
    assert (second.revision, second.title, second.slug) == (2, "Why do legs cramp?", first.slug)
    with pytest.raises(Conflict, match="at revision 2, not 1"):
        editing.update(library, first.id, draft(title="Stale edit?"), tag, "carol")
    assert library.store.get_article(first.id).title == "Why do legs cramp?"
    history = library.store.revisions(first.id)
    assert [(r.number, r.author, r.reason) for r in history] == [
        (1, "alice", "new article"),
        (2, "bob", "clearer"),
    ]
    assert [c.kind for c in library.store.changes_since(0)] == ["created", "updated"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"a1-r3"', 3),
        (' "a9-r1", "a1-r3" ', 3),
        ('W/"a1-r4", "a1-r3"', 3),
    ],
)
def test_if_match_names_a_revision_of_this_article(header: str, expected: int) -> None:
    assert editing.expected_revision(header, 1) == expected


@pytest.mark.parametrize("header", ['"a2-r3"', 'W/"a1-r3"', "a1-r3", '"anything"', '"a1-rX"'])
def test_if_match_that_names_no_revision_of_this_article_can_never_match(header: str) -> None:
    with pytest.raises(Conflict, match="names no revision of article 1"):
        editing.expected_revision(header, 1)


def test_update_keeps_identity_links_meta_and_a_retirement(library: Library) -> None:
    record = ArticleRecord(
        "nhs",
        "cramps",
        "What causes leg cramps?",
        BODY,
        "test",
        meta={"kind": "leaflet"},
        links=(),
    )
    (article_id,) = library.store.save_batch([clean(record)], "import", "test").article_ids
    library.store.set_status(article_id, "retired", "alice", "out of date")
    current = library.store.get_article(article_id)
    updated = editing.update(
        library, article_id, draft(body="<p>New text.</p>"), editing.article_etag(current), "bob"
    )
    assert (updated.source, updated.external_id, updated.meta) == ("nhs", "cramps", current.meta)
    assert updated.status == "retired" and updated.revision == 3
    with pytest.raises(EditError, match="source cannot change"):
        editing.update(library, article_id, draft(source="cdc"), '"a1-r3"', "bob")


def test_update_keeps_the_links_an_import_gave_and_resolves_them(library: Library) -> None:
    target = editing.create(library, draft(title="How are leg cramps treated?"), "alice")
    record = ArticleRecord(
        "nhs", "c", "What causes leg cramps?", BODY, "t", links=(Link("related", target.title),)
    )
    (article_id,) = library.store.save_batch([clean(record)], "import", "test").article_ids
    library.store.resolve_links()
    current = library.store.get_article(article_id)
    tag = editing.article_etag(current)
    updated = editing.update(library, article_id, draft(body="<p>New text.</p>"), tag, "bob")
    assert [(link.title, link.target_id) for link in updated.links] == [(target.title, target.id)]


def test_an_update_that_changes_nothing_writes_nothing(library: Library) -> None:
    first = editing.create(library, draft(), "alice")
    same = editing.update(library, first.id, draft(reason="no-op"), '"a1-r1"', "bob")
    assert same.revision == 1 and revision_count(library) == 1


def test_updating_a_missing_article_is_not_found(library: Library) -> None:
    with pytest.raises(NotFound):
        editing.update(library, 99, draft(), '"a99-r1"', "bob")


def test_retire_and_restore_are_revisions_and_repeating_one_changes_nothing(
    library: Library,
) -> None:
    article = editing.create(library, draft(), "alice")
    assert editing.retire(library, article.id, "superseded", "bob").status == "retired"
    assert editing.retire(library, article.id, "again", "bob").revision == 2
    assert editing.restore(library, article.slug, "back", "carol").revision == 3
    assert editing.restore(library, article.id, "again", "carol").status == "published"
    with pytest.raises(EditError, match="say why"):
        editing.retire(library, article.id, "", "bob")
    kinds = [c.kind for c in library.store.changes_since(0)]
    assert kinds == ["created", "retired", "restored"]


def test_the_search_index_follows_edits(library: Library) -> None:
    article = editing.create(library, draft(), "alice")
    library.sync()
    assert [hit.article_id for hit in library.search.hits("calf")] == [article.id]
    editing.update(
        library, article.id, draft(body="<p>Hiccups come from the diaphragm.</p>"), '"a1-r1"', "b"
    )
    library.sync()
    assert library.search.hits("calf") == []
    assert [hit.article_id for hit in library.search.hits("diaphragm")] == [article.id]
    editing.retire(library, article.id, "gone", "b")
    library.sync()
    assert library.search.hits("diaphragm") == []


def race(edits: list[Callable[[], Article]]) -> list[Article | Exception]:
    """Run the edits at the same moment, each in its own thread; what each returned or raised."""
    start = threading.Barrier(len(edits))
    results: list[Article | Exception] = [Exception("not run")] * len(edits)

    def run(number: int) -> None:
        start.wait()
        try:
            results[number] = edits[number]()
        except Exception as exc:
            results[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(edits))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_two_updates_from_one_revision_exactly_one_lands(tmp_path: Path) -> None:
    db = str(tmp_path / "site.db")
    first, second = open_library(db), open_library(db)  # two connections, as two processes
    article = editing.create(first, draft(), "alice")
    tag = editing.article_etag(article)
    for n in range(5):
        bob, carol = draft(title=f"Bob's {n}?"), draft(title=f"Carol's {n}?")
        results = race(
            [
                partial(editing.update, first, article.id, bob, tag, "bob"),
                partial(editing.update, second, article.id, carol, tag, "carol"),
            ]
        )
        won = [r for r in results if isinstance(r, Article)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict)
        assert first.store.get_article(article.id).title == won[0].title
        article = won[0]
        tag = editing.article_etag(article)
    assert revision_count(first) == 6
    first.close()
    second.close()


def test_threads_sharing_one_library_never_interleave_transactions(tmp_path: Path) -> None:
    library = open_library(str(tmp_path / "site.db"))
    article = editing.create(library, draft(), "alice")
    tag = editing.article_etag(article)
    results = race(
        [
            partial(editing.update, library, article.id, draft(title=f"Edit {n}?"), tag, "x")
            for n in range(6)
        ]
    )
    assert sum(isinstance(r, Article) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Article))
    assert revision_count(library) == 2
    library.close()
