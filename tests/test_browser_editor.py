"""The editors' workspace in a real browser, as the README tells a newcomer to use it.

`healthqa users create` makes an account, `healthqa serve` runs the site over the demo
articles, and chromium (Debian's, headless, scripts off unless said) signs in, fixes a typo,
sees the fix on the public page and in the history, and brings back the old version. Two
editors saving one article: the second sees both versions and keeps their text. axe-core finds
no accessibility problem on any workspace page.

An admin makes an account and an API token on the admin pages and revokes the token.

HEALTHQA_SCREENSHOTS=docs/images photographs the sign-in, lists, edit, conflict, history,
accounts, account and tokens pages at phone and desktop widths into that folder
(editor-NAME-WIDTH.png).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_browser import HEALTHQA, PHONE, _assert_accessible, _serve, browser, playwright

from healthqa.editing import draft_of, revision_etag, update
from healthqa.library import Library

__all__ = ["browser"]  # the fixture, shared with tests/test_browser.py

PASSWORD = "sea shells by the shore"
SLUG = "what-causes-leg-cramps-in-late-pregnancy"
TYPO, RIGHT = "usualy in the calf", "usually in the calf"
DESKTOP = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo site with a typo planted in one article, and two accounts made by the CLI."""
    db = str(tmp_path_factory.mktemp("workspace") / "site.db")
    subprocess.run([HEALTHQA, "--db", db, "init", "--demo"], check=True, capture_output=True)
    for name, role in (("Alice", "admin"), ("Bob", "editor")):
        made = subprocess.run(
            [HEALTHQA, "--db", db, "users", "create", name, "--role", role, "--password-stdin"],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"for '{name}' ({role}) is ready" in made.stdout
    _plant_typo(db)
    yield from _serve(db)


def _plant_typo(db: str) -> None:
    library = Library(db)
    try:
        article = library.primary.get_article(SLUG)
        body = article.body_html.replace(RIGHT, TYPO)
        draft = replace(draft_of(article, "a typo, for the test to fix"), body=body)
        update(library, article.id, draft, revision_etag(article.id, article.revision), "setup")
    finally:
        library.close()


def _context(browser: playwright.Browser, viewport: dict[str, int], scripts: bool) -> Any:
    return browser.new_context(viewport=viewport, java_script_enabled=scripts, bypass_csp=scripts)


@pytest.fixture
def page(browser: playwright.Browser) -> Iterator[playwright.Page]:
    context = _context(browser, PHONE, scripts=False)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def sign_in(page: playwright.Page, site: str, name: str = "Alice", path: str = "/editor/") -> None:
    page.goto(site + path)
    assert "/editor/sign-in" in page.url
    page.get_by_label("Your name").fill(name.lower())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/editor/sign-in" not in page.url


def open_article(page: playwright.Page) -> None:
    """From the lists, find the article with the search box and open its edit page."""
    page.get_by_label("Find articles in these lists").fill("leg cramps late pregnancy")
    page.get_by_role("button", name="Find").click()
    page.locator("main a", has_text="What causes leg cramps in late pregnancy?").first.click()
    assert page.locator("h1").inner_text() == "Edit this article"


def test_sign_in_fix_a_typo_see_it_and_its_history_then_restore(
    site: str, page: playwright.Page
) -> None:
    sign_in(page, site)
    open_article(page)
    body = page.get_by_label("Answer", exact=True)
    assert TYPO in body.input_value()
    body.fill(body.input_value().replace(TYPO, RIGHT))
    page.get_by_label("What did you change, and why?").fill("Fixed a typo")
    page.get_by_role("button", name="Save changes").click()
    assert "Saved." in page.locator("[role=status]").inner_text()
    page.get_by_role("link", name="View on the site").click()
    answer = page.locator(".answer").inner_text()
    assert RIGHT in answer and TYPO not in answer
    page.go_back()
    page.get_by_role("link", name="History").click()
    latest = page.locator("ol.history > li").first
    assert "Fixed a typo" in latest.inner_text() and "Alice" in latest.inner_text()
    assert latest.locator(".diff-added").count() and latest.locator(".diff-removed").count()
    before = page.locator("ol.history > li").nth(1)
    before.get_by_role("button", name="Bring back version").click()
    assert "The old version is back" in page.locator("[role=status]").inner_text()
    page.goto(f"{site}/articles/{SLUG}")
    page.reload()  # the browser kept the page it saw a moment ago (pages may be kept 60 s)
    assert TYPO in page.locator(".answer").inner_text()


def test_the_second_of_two_editors_sees_the_conflict_and_keeps_their_text(
    site: str, browser: playwright.Browser
) -> None:
    pages = []
    for name in ("Alice", "Bob"):
        opened = _context(browser, PHONE, scripts=False).new_page()
        sign_in(opened, site, name)
        open_article(opened)
        pages.append(opened)
    alice, bob = pages
    alice.get_by_label("Question (the title)").fill("What causes leg cramps late in pregnancy?")
    alice.get_by_label("What did you change, and why?").fill("Clearer title")
    alice.get_by_role("button", name="Save changes").click()
    mine = bob.get_by_label("Answer", exact=True).input_value() + "\nBob's new sentence.\n"
    bob.get_by_label("Answer", exact=True).fill(mine)
    bob.get_by_label("What did you change, and why?").fill("Added a sentence")
    bob.get_by_role("button", name="Save changes").click()
    assert bob.locator("h1").inner_text() == "Someone else saved this article first"
    assert "Clearer title" in bob.locator(".conflict").inner_text()
    assert bob.get_by_label("Answer", exact=True).input_value().strip() == mine.strip()
    bob.get_by_role("button", name="Save changes").click()
    assert "Saved." in bob.locator("[role=status]").inner_text()
    for opened in pages:
        opened.context.close()


def test_an_admin_makes_an_account_and_a_token_then_revokes_the_token(
    site: str, browser: playwright.Browser, page: playwright.Page
) -> None:
    sign_in(page, site)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Their name").fill("Dana")
    page.get_by_label("Role").select_option("reviewer")
    page.get_by_label("First password").fill(PASSWORD)
    page.get_by_role("button", name="Make the account").click()
    assert "Account made" in page.locator("[role=status]").inner_text()
    assert page.locator("h1").inner_text() == "Dana"
    dana = _context(browser, PHONE, scripts=False).new_page()
    sign_in(dana, site, "Dana")
    assert "Signed in as Dana (reviewer)" in dana.locator("main").inner_text()
    assert dana.get_by_role("link", name="Accounts").count() == 0
    dana.context.close()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Import robot")
    page.get_by_label("Days until it stops working").fill("30")
    page.get_by_role("button", name="Make the token").click()
    assert "Copy the token for “Import robot” now" in page.locator(".secret").inner_text()
    secret = page.locator(".secret-value code").inner_text()
    assert secret.startswith("hqa_") and len(secret) == 47
    page.get_by_role("button", name="Revoke “Import robot”").click()
    assert "Token revoked" in page.locator("[role=status]").inner_text()
    assert "Revoked" in page.locator("main li", has_text="Import robot").first.inner_text()
    assert secret not in page.content()  # shown once only


WORKSPACE_PAGES = ["sign-in", "lists", "edit", "conflict", "history", "accounts", "account"]
WORKSPACE_PAGES += ["tokens"]


@pytest.mark.parametrize("name", WORKSPACE_PAGES)
def test_each_workspace_page_is_accessible_and_photographed(
    site: str, browser: playwright.Browser, name: str, tmp_path: Path
) -> None:
    folder = Path(os.environ.get("HEALTHQA_SCREENSHOTS") or tmp_path)
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = _context(browser, viewport, scripts=True)  # axe is a script
        shown = context.new_page()
        shown.set_default_timeout(15_000)
        _show(shown, site, name)
        _assert_accessible(shown)
        shown.screenshot(path=str(folder / f"editor-{name}-{width}.png"), full_page=True)
        if name == "tokens":  # revoked, so that the next width may make it again
            shown.get_by_role("button", name="Revoke “Newsletter importer”").click()
        context.close()


def _show(page: playwright.Page, site: str, name: str) -> None:
    if name == "sign-in":
        page.goto(site + "/editor/sign-in")
        return
    sign_in(page, site)
    if name == "lists":
        return
    if name in ("accounts", "account", "tokens"):
        _show_admin(page, name)
        return
    open_article(page)
    if name == "history":
        page.get_by_role("link", name="History").click()
    elif name == "conflict":
        stale = page.locator("#edit-form input[name=revision]")
        stale.evaluate("field => field.value = String(Number(field.value) - 1)")
        body = page.get_by_label("Answer", exact=True)
        body.fill(body.input_value().replace("sudden, painful", "sudden and painful", 1))
        page.get_by_label("What did you change, and why?").fill("Plainer words")
        page.get_by_role("button", name="Save changes").click()
        assert page.locator(".conflict").is_visible()


def _show_admin(page: playwright.Page, name: str) -> None:
    """An admin page: the accounts, Bob's account, or the tokens just after making one."""
    if name == "tokens":
        page.get_by_role("link", name="API tokens").click()
        page.get_by_label("Name").fill("Newsletter importer")
        page.get_by_role("button", name="Make the token").click()
        assert page.locator(".secret").is_visible()
        return
    page.get_by_role("link", name="Accounts").click()
    if name == "account":
        page.locator("main a", has_text="Bob").click()
