"""The site in a real browser: Debian's chromium, headless, against the real server.

`healthqa serve` runs in its own process over the bundled demo articles; Playwright drives
chromium (/usr/bin/chromium, never a downloaded browser) the way a reader would: search, open
an article, follow previous/next and related links, ask a question. axe-core (the copy inside
axe-playwright-python) checks each page for accessibility problems.

Without chromium these tests are skipped with the reason, unless HEALTHQA_REQUIRE_BROWSER=1
(CI sets it, after installing chromium) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")
axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HEALTHQA = str(Path(sys.executable).with_name("healthqa"))
# Without these, chromium reaches for Google's servers, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server over the demo articles, on a free port; its base URL.

    HEALTHQA_TEST_SITE=http://host:port runs the tests against a site already running instead.
    """
    if running := os.environ.get("HEALTHQA_TEST_SITE"):
        yield running.rstrip("/")
        return
    db = str(tmp_path_factory.mktemp("site") / "site.db")
    subprocess.run([HEALTHQA, "--db", db, "init", "--demo"], check=True, capture_output=True)
    yield from _serve(db)


def _serve(db: str, env: dict[str, str] | None = None, seconds: float = 60) -> Iterator[str]:
    """`healthqa serve` on `db` on a free port, its base URL once it answers; stopped after."""
    port = _free_port()
    server = subprocess.Popen(
        [HEALTHQA, "--db", db, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/robots.txt", server, seconds)
        yield base
    finally:
        server.terminate()
        server.wait(20)
        if server.stderr:
            server.stderr.close()


def _wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"healthqa serve stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"healthqa serve did not answer {url} within {seconds} s")


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright.Browser]:
    if not Path(CHROMIUM).exists():
        reason = f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("HEALTHQA_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture
def checked_page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    """A page where axe-core can run: the site itself needs no script, but axe is one, so
    this page allows scripts and lets axe past the site's Content-Security-Policy."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def test_search_then_open_an_article(site: str, page: playwright.Page) -> None:
    page.goto(site + "/")
    page.get_by_label("Search", exact=False).first.fill("leg cramps")
    page.locator("#search-form").get_by_role("button").click()
    page.wait_for_load_state()
    assert "/search" in page.url
    results = page.locator("main ol a, main ul a").filter(has_text="cramp")
    assert results.count() >= 2
    assert page.locator("mark").count() >= 1  # the matched words are highlighted
    results.first.click()
    page.wait_for_load_state()
    heading = page.locator("h1").inner_text()
    assert "cramp" in heading.casefold()


def test_previous_next_and_related_links_work(site: str, page: playwright.Page) -> None:
    page.goto(site + "/")
    page.get_by_label("Search", exact=False).first.fill("leg cramps late pregnancy")
    page.locator("#search-form").get_by_role("button").click()
    page.locator("main a").filter(has_text="What causes leg cramps").first.click()
    first = page.locator("h1").inner_text()
    assert first.startswith("What causes leg cramps")
    related = page.locator("section#related li")
    assert 4 <= related.count() <= 12
    following = page.locator("a[rel=next]")
    if following.count() == 0:  # the last article of its topic: go back instead
        page.locator("a[rel=prev]").first.click()
        assert page.locator("h1").inner_text() != first
        page.locator("a[rel=next]").first.click()
    else:
        following.first.click()
        assert page.locator("h1").inner_text() != first
        page.locator("a[rel=prev]").first.click()
    assert page.locator("h1").inner_text() == first
    target = related.first.locator("a").first
    title = target.inner_text()
    target.click()
    assert page.locator("h1").inner_text() == title


def test_ask_shows_an_answer_card_with_its_citation(site: str, page: playwright.Page) -> None:
    page.goto(site + "/")
    page.locator(
        "#ask-form textarea, #ask-form input[type=text], #ask-form input[type=search]"
    ).first.fill("why do my legs cramp at night, I'm 34 weeks pregnant")
    page.locator("#ask-form").get_by_role("button").click()
    page.wait_for_load_state()
    card = page.locator(".answer-card").first
    assert card.is_visible()
    assert card.locator("blockquote").count() >= 1  # the quoted passage
    text = card.inner_text()
    assert "cramp" in text.casefold()
    assert "reviewed" in text.casefold()  # the citation carries its review date
    assert card.locator("a").count() >= 1  # and links to the article


def test_keyboard_reaches_the_search_box_first(site: str, page: playwright.Page) -> None:
    page.goto(site + "/")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent")
    assert "skip" in skip.casefold()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search?q=leg+cramps",
        "/search?q=zzzxqv",
        "/ask?q=What+causes+leg+cramps+in+late+pregnancy%3F",
        "/ask?q=zzzxqv",
    ],
)
def test_no_serious_accessibility_problem(
    site: str, checked_page: playwright.Page, path: str
) -> None:
    checked_page.goto(site + path)
    _assert_accessible(checked_page)


def test_article_page_is_accessible(site: str, checked_page: playwright.Page) -> None:
    checked_page.goto(site + "/search?q=leg+cramps")
    checked_page.locator("main a").filter(has_text="cramp").first.click()
    _assert_accessible(checked_page)


def _assert_accessible(page: playwright.Page) -> None:
    result = axe_module.Axe().run(page)
    bad = [  # every violation, whatever its impact
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result.response["violations"]
    ]
    assert not bad, "\n".join(bad)


def test_a_printed_article_has_the_answer_and_no_navigation(
    site: str, page: playwright.Page
) -> None:
    page.goto(site + "/articles/what-causes-leg-cramps-in-late-pregnancy")
    page.emulate_media(media="print")
    assert page.locator("h1").is_visible() and page.locator(".answer").is_visible()
    for hidden in ("nav[aria-label='Main']", "nav[aria-label='Breadcrumb']", ".prev-next"):
        assert not page.locator(hidden).is_visible(), hidden
    licence = page.locator("dd.licence a[rel='license']")
    after = licence.evaluate("link => getComputedStyle(link, '::after').content")
    assert "creativecommons.org" in after  # a link's address is printed after it


# MedQuAD: the real collection, where sources overlap ---------------------------------------


@pytest.fixture(scope="module")
def medquad_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server over MedQuAD: a copy of HEALTHQA_MEDQUAD_DB (and its index) when set,
    else an import of ../shared/data/medquad.tar.gz (about a minute); skipped without either."""
    folder = tmp_path_factory.mktemp("medquad")
    db = folder / "medquad.db"
    env = os.environ | {"HEALTHQA_EMBEDDING_MODEL": "none"}
    if given := os.environ.get("HEALTHQA_MEDQUAD_DB"):
        shutil.copy(given, db)
        if Path(given + ".index").is_dir():
            shutil.copytree(given + ".index", str(db) + ".index")
    else:
        archive = Path(__file__).resolve().parents[2] / "shared" / "data" / "medquad.tar.gz"
        if not archive.exists():
            pytest.skip(f"{archive} is not here and HEALTHQA_MEDQUAD_DB is not set")
        imported = [HEALTHQA, "--db", str(db), "import", str(archive)]
        subprocess.run(imported, check=True, capture_output=True, env=env)
    yield from _serve(str(db), env, 180)


def _key(title: str) -> str:
    return " ".join(title.casefold().split()).rstrip(" ?.!")


@pytest.mark.slow
def test_medquad_lists_each_question_once_and_links_the_other_answers(
    medquad_site: str, page: playwright.Page
) -> None:
    page.goto(medquad_site + "/topics/glaucoma")
    titles = page.locator("main ul.link-list a").all_inner_texts()
    assert [_key(t) for t in titles].count("what is glaucoma") == 1
    assert len(titles) == len({_key(t) for t in titles})
    page.locator("main a", has_text="What is glaucoma?").first.click()
    others = page.locator("#also a")
    assert others.count() == 5 and "Also from" in others.first.inner_text()
    names = others.all_inner_texts()
    assert len(names) == len(set(names))  # five links, five different names
    seen = [_key(page.locator("h1").inner_text())]
    for _ in range(6):  # next, next, ...: never the same question twice
        following = page.locator("a[rel='next']")
        if not following.count():
            break
        following.click()
        seen.append(_key(page.locator("h1").inner_text()))
    assert len(seen) == len(set(seen)), seen
    related = [_key(t) for t in page.locator("#related a").all_inner_texts()]
    assert len(related) == len(set(related)) and seen[-1] not in related


@pytest.mark.slow
def test_medquad_search_says_what_it_corrected_and_shows_each_question_once(
    medquad_site: str, page: playwright.Page
) -> None:
    page.goto(medquad_site + "/search?q=diabetis+treatment")
    said = page.locator("p.corrected")
    assert "Showing results for diabetes treatment" in said.inner_text()
    titles = [_key(t) for t in page.locator("ol.results h2").all_inner_texts()]
    assert titles and len(titles) == len(set(titles))
    said.get_by_role("link").click()
    assert "correct=0" in page.url and not page.locator("p.corrected").count()


@pytest.mark.slow
def test_medquad_suggestions_come_as_you_type(
    medquad_site: str, browser: playwright.Browser
) -> None:
    context = browser.new_context(viewport=PHONE)  # scripts on: the site's own suggest.js
    page = context.new_page()
    page.goto(medquad_site + "/")
    page.locator("#search-q").press_sequentially("glauc", delay=50)
    options = page.locator("datalist#search-suggestions option")
    options.first.wait_for(state="attached")
    assert "Glaucoma" in [o.get_attribute("value") for o in options.all()]
    context.close()


@pytest.mark.slow
def test_medquad_feedback_works_without_javascript(
    medquad_site: str, page: playwright.Page
) -> None:
    page.goto(medquad_site + "/articles/what-is-glaucoma")
    page.get_by_label("Tell us more", exact=False).fill("Clear, thank you.")
    page.locator("#feedback").get_by_role("button", name="Yes").click()
    assert page.url.endswith("/articles/what-is-glaucoma?feedback=thanks#feedback")
    assert "Thank you for telling us" in page.locator("#feedback").inner_text()


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/articles/what-is-glaucoma", "/topics/glaucoma", "/search?q=diabetis+treatment"]
)
def test_medquad_pages_are_accessible(
    medquad_site: str, checked_page: playwright.Page, path: str
) -> None:
    checked_page.goto(medquad_site + path)
    _assert_accessible(checked_page)
