import time
from pathlib import Path

from conftest import quiet_settings, web_library
from test_store import article

from healthqa.library import Library
from healthqa.store import open_store
from healthqa.web.site import Site


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_changes_from_another_process_show_after_the_next_sync(
    demo_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    clock = Clock()
    site = Site(web_library(copy), sync_seconds=2.0, clock=clock)
    site.fresh()
    before = site.version
    other = web_library(copy)  # another process: its own connection
    gone = other.store.set_status("what-causes-leg-cramps-in-late-pregnancy", "retired", "t", "r")
    other.close()
    clock.now = 1.0
    site.fresh()
    assert site.version == before  # synced less than 2 s ago: not yet
    clock.now = 2.5
    site.fresh()
    assert site.version > before
    found = site.library.search.hits("what causes leg cramps in late pregnancy", 10)
    assert found and gone.id not in {hit.article_id for hit in found}
    site.close()


def test_cached_values_follow_the_data_version_and_expire(demo_db: Path) -> None:
    clock = Clock()
    site = Site(web_library(demo_db), ttl_seconds=10, clock=clock)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert site.cached("k", compute) == 1
    assert site.cached("k", compute) == 1
    clock.now = 11
    assert site.cached("k", compute) == 2
    assert site.cached("other", compute) == 3
    assert site.cached("kept", compute, expires=False) == 4
    clock.now = 1000
    assert site.cached("kept", compute, expires=False) == 4
    site.close()


def test_a_worker_carries_on_while_another_holds_the_index_lock(
    demo_db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    clock = Clock()
    first = Site(web_library(copy), clock=clock)
    first.fresh()
    second = Site(web_library(copy), clock=clock)  # another worker on the same index folder
    second.fresh()
    other = web_library(copy)
    slug = "what-are-the-signs-of-mastitis-and-what-helps"
    gone = other.store.set_status(slug, "retired", "t", "r")
    other.close()
    first.library.index.delete([])  # the first worker holds the write lock
    clock.now = 10
    second.fresh()  # cannot write: carries on with what it has
    assert second.version == first.version
    first.library.index.commit(first.version)  # lock released, nothing applied yet
    clock.now = 20
    first.fresh()  # applies the change
    assert first.version > second.version
    clock.now = 30
    second.fresh()  # takes it up from the folder
    assert second.version == first.version
    found = second.library.search.hits("signs of mastitis", 5)
    assert found and gone.id not in {hit.article_id for hit in found}
    first.close()
    second.close()


def test_on_postgresql_a_follower_applies_each_change_as_its_notice_arrives(
    postgres_url: str, tmp_path: Path
) -> None:
    """No request needed, and no waiting for the next look: another node's edit is in this
    worker's index moments after it commits."""
    library = Library(postgres_url, quiet_settings(index_path=str(tmp_path / "idx")))
    site = Site(library, sync_seconds=30)  # looks without a notice would come too late here
    site.start()
    assert site.following
    other = open_store(postgres_url)  # another node
    delays = []
    for n in range(5):
        other.save_batch([article(f"y{n}", f"Why do we yawn {n} times?")], "t", "r")
        committed, wanted = time.monotonic(), other.last_change()
        while site.version < wanted and time.monotonic() - committed < 5:
            time.sleep(0.005)
        delays.append(time.monotonic() - committed)
    assert site.version == other.last_change() and max(delays) < 1.0, delays
    assert len(site.library.search.hits("why do we yawn", 10)) == 5
    site.fresh()  # a request leaves it to the follower
    other.close()
    site.close()
    assert not site.following


def test_an_answer_is_kept_until_the_data_changes(demo_db: Path, tmp_path: Path) -> None:
    from healthqa.web import views

    copy = tmp_path / "copy.db"
    copy.write_bytes(demo_db.read_bytes())
    clock = Clock()
    site = Site(web_library(copy), sync_seconds=2.0, clock=clock)
    site.fresh()
    question = "what causes leg cramps in late pregnancy"
    first = views.ask_page(site, question)
    assert views.ask_page(site, question) is first  # asked again: the kept answer
    views.ask_page(site, "is heartburn normal when pregnant")
    assert len(site._cache) == 2
    top = first.answers[0]
    other = web_library(copy)  # an editor retires the top answer's article
    other.store.set_status(top.slug, "retired", "t", "r")
    other.close()
    clock.now = 2.5
    site.fresh()
    again = views.ask_page(site, question)
    assert again is not first and top.slug not in {answer.slug for answer in again.answers}
    assert len(site._cache) == 1  # the entries for the older data went with it
    site.close()
