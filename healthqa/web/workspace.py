"""The editors' workspace: lists to work from, an article's edit page, its history, and the
forms that retire, restore, review and restore an old version. See docs/editing.md.

Server-rendered pages that work without JavaScript (/static/editor.js adds a live preview and a
warning before leaving unsaved changes). Every page needs a signed-in account and every form a
CSRF token (healthqa/web/sessions.py); every change is made by healthqa.editing, the same calls
the editor API makes, so the change log, the indexes and the history stay one.

An edit names the revision it started from (a hidden field). When someone else saved first,
the save is refused (healthqa.editing checks it inside the write transaction) and the page
shows their version beside the editor's own, which stays in the form: nothing is lost.
"""

from __future__ import annotations

import difflib
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from healthqa import clean, editing
from healthqa.articles import Article, TopicRecord
from healthqa.store import ArticleFilter, Conflict, NotFound
from healthqa.web import admin, sessions
from healthqa.web.pages import render
from healthqa.web.sessions import CSRF_FIELD, SignedIn, library, need, no_store, posted
from healthqa.web.site import Site

DUE_DAYS = 30
LISTED = 50
SEARCHED = 200
MAX_ID = 2**63 - 1
ArticleId = Annotated[int, Path(ge=1, le=MAX_ID)]
_TEXT_FIELDS = ("title", "body", "topic", "source_url", "licence", "pins", "excludes", "reason")
_DATE_FIELDS = ("last_reviewed", "next_review")


# Lists ------------------------------------------------------------------------------------------


async def lists(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    signed = need(request)
    store = library(request).primary
    today = date.today()
    due_by = (today + timedelta(days=DUE_DAYS)).isoformat()
    found = _matches(request, q)
    shown = {
        "due": store.list_articles(ArticleFilter(due_by=due_by, order="next_review"), limit=LISTED),
        "recent": store.list_articles(ArticleFilter(status=None, order="updated"), limit=10),
        "retired": store.list_articles(
            ArticleFilter(status="retired", order="updated"), limit=LISTED
        ),
    }
    if found is not None:
        shown = {name: [a for a in listed if a.id in found] for name, listed in shown.items()}
    pairs = [d for d in store.near_duplicates(LISTED) if found is None or {d.a, d.b} & found]
    unhelpful = [
        c for c in store.feedback_counts() if c.no and (found is None or c.article_id in found)
    ]
    context = shown | {"pairs": pairs, "unhelpful": unhelpful[:LISTED], "q": q, "today": today}
    return _page(request, "editor/lists.html", signed, context)


def _matches(request: Request, q: str) -> set[int] | None:
    """The ids of the articles a search for `q` finds (the library's keyword search, plus
    retired articles whose title has the words), or None for no search."""
    words = q.strip()
    if not words:
        return None
    site: Site = request.app.state.site
    site.fresh()
    results, _ = site.library.search.page(words, SEARCHED)
    found = {result.article.id for result in results}
    retired = library(request).primary.list_articles(ArticleFilter(status="retired"), 10_000)
    wanted = words.casefold().split()
    return found | {a.id for a in retired if all(w in a.title.casefold() for w in wanted)}


# The edit page ----------------------------------------------------------------------------------


async def edit_page(
    request: Request,
    article_id: ArticleId,
    saved: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    signed = need(request)
    article = library(request).primary.get_article(article_id)
    return _edit(request, signed, article, notice=_NOTICES.get(saved, ""))


async def save(request: Request, article_id: ArticleId) -> Response:
    signed, fields = await posted(request, "edit")
    lib = library(request)
    current = lib.primary.get_article(article_id)
    values = _values(fields, current, signed)
    try:
        draft = _draft(values, current, signed)
        if fields.get("action") == "preview":
            preview = editing.preview(lib, draft)
            return _edit(request, signed, current, values, preview=preview)
        pins, excludes = _lines(values["pins"]), _lines(values["excludes"])
        chosen = editing.related_choices(lib, current.id, pins, excludes)
        etag = editing.revision_etag(current.id, _revision(values))
        article = editing.update(lib, current.id, draft, etag, signed.name)
        editing.set_related(lib, current.id, chosen, article.revision, signed.name, draft.reason)
    except editing.EditError as exc:
        return _edit(request, signed, current, values, error=exc, status=422)
    except Conflict:
        return _conflict(request, signed, current, values)
    return _done(request, current.id, "saved")


async def review(request: Request, article_id: ArticleId) -> Response:
    signed, fields = await posted(request, "review")
    lib = library(request)
    current = lib.primary.get_article(article_id)
    try:
        reviewed = _date(fields, "reviewed") or date.today()
        due = _date(fields, "next_review")
        if due is None:
            raise editing.EditError("next_review", "Choose the date of the next review.")
        reason = fields.get("review_reason", "") or "Reviewed"
        revision = _revision(fields)
        editing.review(lib, current.id, reviewed, due, revision, signed.name, reason)
    except editing.EditError as exc:
        return _edit(request, signed, current, error=exc, status=422)
    except Conflict:
        error = editing.EditError("next_review", _CHANGED)
        return _edit(request, signed, current, error=error, status=409)
    return _done(request, current.id, "reviewed")


def _status_change(action: str) -> Any:
    change = editing.retire if action == "retire" else editing.restore

    async def endpoint(request: Request, article_id: ArticleId) -> Response:
        signed, fields = await posted(request, "retire")
        lib = library(request)
        current = lib.primary.get_article(article_id)
        try:
            change(lib, current.id, fields.get("status_reason", ""), signed.name)
        except editing.EditError:
            error = editing.EditError("status_reason", _WHY[action])
            return _edit(request, signed, current, error=error, status=422)
        return _done(request, current.id, f"{action}d")

    endpoint.__name__ = f"{action}_article"
    return endpoint


def _done(request: Request, article_id: int, what: str) -> Response:
    """After a change: this worker's index takes it up now, and back to the edit page."""
    site: Site = request.app.state.site
    site.take_up()
    return RedirectResponse(f"/editor/articles/{article_id}?saved={what}", 303)


async def preview(request: Request) -> Response:
    """The answer as saving would keep it, for editor.js's live preview (a fragment)."""
    signed, fields = await posted(request)
    draft = editing.Draft(
        title=fields.get("title", "") or "Preview",
        body=fields.get("body", ""),
        reason="preview",
        body_format="markdown" if fields.get("body_format") == "markdown" else "html",
    )
    try:
        shown = editing.preview(library(request), draft)
    except editing.EditError as exc:
        shown = f"<p>{exc.message}</p>" if signed else ""
    return no_store(HTMLResponse(shown))


# History ----------------------------------------------------------------------------------------


async def history(request: Request, article_id: ArticleId) -> Response:
    signed = need(request)
    store = library(request).primary
    article = store.get_article(article_id)
    revisions = store.revisions(article.id)
    entries = [
        {"revision": revision, "diff": _diff(_text(before), _text(revision.content))}
        for before, revision in zip([{}, *(r.content for r in revisions)], revisions, strict=False)
    ]
    context = {"article": article, "entries": entries[::-1], "notice": ""}
    return _page(request, "editor/history.html", signed, context)


async def restore_revision(
    request: Request, article_id: ArticleId, number: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Response:
    signed, fields = await posted(request, "edit")
    lib = library(request)
    current = lib.primary.get_article(article_id)
    try:
        editing.restore_revision(lib, current.id, number, _revision(fields), signed.name)
    except Conflict:
        raise HTTPException(409, _CHANGED) from None
    except NotFound:
        raise HTTPException(404, f"This article has no version {number}.") from None
    return _done(request, current.id, "restored-version")


# Pieces -----------------------------------------------------------------------------------------

_NOTICES = {
    "saved": "Saved. Readers see the change within a few seconds.",
    "reviewed": "Review recorded.",
    "retired": "Retired: readers no longer see this article. You can restore it at any time.",
    "restored": "Restored: readers can see this article again.",
    "restored-version": "The old version is back, saved as a new version.",
}
_WHY = {
    "retire": "Say why you retire this article: it is kept in its history.",
    "restore": "Say why you restore this article: it is kept in its history.",
}
_ANCHORS = {"topic.name": "topic", "related": "pins", "body_format": "body"}  # field -> input
_CHANGED = "Someone changed this article while you had it open. Reload the page and try again."


def _page(
    request: Request, template: str, signed: SignedIn, context: dict[str, Any], status: int = 200
) -> Response:
    today = date.today()
    names = {
        "signed": signed,
        "csrf_field": CSRF_FIELD,
        "today_iso": today.isoformat(),
        "next_year_iso": (today + timedelta(days=365)).isoformat(),
        "anchors": _ANCHORS,
    }
    return no_store(render(request, template, context | names, status))


def _edit(
    request: Request,
    signed: SignedIn,
    article: Article,
    values: dict[str, str] | None = None,
    *,
    preview: str = "",
    error: editing.EditError | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    lib = library(request)
    markdown = editing.markdown_of(lib, article)
    shown = values or _initial(request, article, markdown)
    context = {
        "article": article,
        "values": shown,
        "preview": preview,
        "error": error,
        "notice": notice,
        "conflict": None,
    }
    return _page(request, "editor/edit.html", signed, context, status)


def _conflict(
    request: Request, signed: SignedIn, yours: Article, values: dict[str, str]
) -> Response:
    """Their version (the article as it now is) beside the editor's, which stays in the form,
    now naming the current revision: saving again replaces theirs knowingly."""
    lib = library(request)
    theirs = lib.primary.get_article(yours.id)
    since = [r for r in lib.primary.revisions(theirs.id) if r.number > _revision(values)]
    their_body = editing.markdown_of(lib, theirs) or theirs.body_html
    mine = [values["title"], *values["body"].splitlines()]
    diff = _diff([theirs.title, *their_body.splitlines()], mine)
    context = {
        "article": theirs,
        "values": values | {"revision": str(theirs.revision)},
        "preview": "",
        "error": None,
        "notice": "",
        "conflict": {"since": since, "diff": diff},
    }
    return _page(request, "editor/edit.html", signed, context, 409)


def _initial(request: Request, article: Article, markdown: str | None) -> dict[str, str]:
    overrides = library(request).primary.related_overrides(article.id)
    slugs = {o.target_id: _slug(request, o.target_id) for o in overrides}
    return {
        "title": article.title,
        "body": markdown if markdown is not None else article.body_html,
        "body_format": "markdown" if markdown is not None else "html",
        "topic": article.topic.name if article.topic else "",
        "source_url": article.source_url or "",
        "licence": article.licence or "",
        "last_reviewed": _iso(article.last_reviewed),
        "next_review": _iso(article.next_review),
        "pins": "\n".join(slugs[o.target_id] for o in overrides if o.action == "pin"),
        "excludes": "\n".join(slugs[o.target_id] for o in overrides if o.action == "exclude"),
        "reason": "",
        "revision": str(article.revision),
    }


def _values(fields: dict[str, str], current: Article, signed: SignedIn) -> dict[str, str]:
    """What the form sent, as the form shows it again (text fields tidied of stray spaces;
    the review dates as they are unless this account may set them)."""
    values = {name: fields.get(name, "").strip() for name in _TEXT_FIELDS}
    values["body"] = fields.get("body", "").replace("\r\n", "\n")
    values["body_format"] = "markdown" if fields.get("body_format") == "markdown" else "html"
    values["revision"] = fields.get("revision", "")
    for name in _DATE_FIELDS:
        kept = _iso(getattr(current, name))
        values[name] = fields.get(name, "").strip() if signed.may("review") else kept
    return values


def _draft(values: dict[str, str], current: Article, signed: SignedIn) -> editing.Draft:
    topic = values["topic"]
    return editing.Draft(
        title=values["title"],
        body=values["body"],
        reason=values["reason"],
        body_format="markdown" if values["body_format"] == "markdown" else "html",
        topic=TopicRecord(topic) if topic else None,
        question_type=current.question_type,
        source_url=values["source_url"] or None,
        licence=values["licence"] or None,
        language=current.language,
        last_reviewed=_date(values, "last_reviewed"),
        next_review=_date(values, "next_review"),
    )


def _date(fields: dict[str, str], name: str) -> date | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise editing.EditError(
            name, "Write the date as year-month-day, e.g. 2027-03-31."
        ) from None


def _revision(fields: dict[str, str]) -> int:
    value = fields.get("revision", "")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise HTTPException(400, "The form is missing which version you edited. Reload the page.")
    return int(value)


def _lines(text: str) -> list[str]:
    """One article a line (its address, slug or number); blank lines skipped."""
    return [
        line.strip().rstrip("/").rsplit("/", 1)[-1] for line in text.splitlines() if line.strip()
    ]


def _slug(request: Request, article_id: int) -> str:
    try:
        return library(request).primary.get_article(article_id).slug
    except NotFound:
        return str(article_id)


def _text(content: dict[str, Any]) -> list[str]:
    """A revision's content as lines to compare: the title, the answer's text, the details."""
    if not content:
        return []
    topic = content.get("topic") or {}
    lines = [content.get("title", ""), *clean.plain_text(content.get("body_html", "")).splitlines()]
    details = {
        "Topic": topic.get("name"),
        "Source address": content.get("source_url"),
        "Licence": content.get("licence"),
        "Last reviewed": content.get("last_reviewed"),
        "Next review": content.get("next_review"),
        "Status": content.get("status"),
    }
    lines += [f"{label}: {value or '(none)'}" for label, value in details.items()]
    if "related" in content:
        lines += [f"Related: {action} article {target}" for action, target in content["related"]]
    return lines


def _diff(before: list[str], after: list[str]) -> list[tuple[str, str]]:
    """The changed lines, each as ("added" | "removed" | "same" | "gap", text)."""
    kinds = {"+": "added", "-": "removed", " ": "same"}
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("gap", "…"))
        else:
            lines.append((kinds[line[0]], line[1:]))
    return lines


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


# Routes -----------------------------------------------------------------------------------------

GET_ROUTES: list[tuple[str, Any, str]] = [
    ("/editor/sign-in", sessions.sign_in_page, "editor_sign_in"),
    ("/editor/", lists, "editor_lists"),
    ("/editor/articles/{article_id}", edit_page, "editor_article"),
    ("/editor/articles/{article_id}/history", history, "editor_history"),
]
POST_ROUTES: list[tuple[str, Any, str]] = [
    ("/editor/sign-in", sessions.sign_in, "editor_sign_in_form"),
    ("/editor/sign-out", sessions.sign_out, "editor_sign_out"),
    ("/editor/articles/{article_id}", save, "editor_save"),
    ("/editor/articles/{article_id}/review", review, "editor_review"),
    ("/editor/articles/{article_id}/retire", _status_change("retire"), "editor_retire"),
    ("/editor/articles/{article_id}/restore", _status_change("restore"), "editor_restore"),
    (
        "/editor/articles/{article_id}/versions/{number}/restore",
        restore_revision,
        "editor_restore_version",
    ),
    ("/editor/preview", preview, "editor_preview"),
]


def routes() -> list[APIRoute]:
    """The workspace's routes, from `GET_ROUTES` and `POST_ROUTES` here and in
    healthqa/web/admin.py (kept out of the OpenAPI document, as the site's pages are)."""
    made = [
        APIRoute(path, endpoint, methods=["POST"], name=name, include_in_schema=False)
        for path, endpoint, name in POST_ROUTES + admin.POST_ROUTES
    ]
    return made + [
        APIRoute(path, endpoint, methods=["GET", "HEAD"], name=name, include_in_schema=False)
        for path, endpoint, name in GET_ROUTES + admin.GET_ROUTES
    ]
