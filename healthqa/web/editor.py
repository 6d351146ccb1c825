"""The editor API: create, update, retire and restore articles, and read their revisions.

The site's app (healthqa/web/app.py) mounts `router` under the API prefix, /api/v1.

Every write needs `Authorization: Bearer <token>` (a token from `healthqa tokens create`) and
is made through `healthqa.editing`, with the token's name as the author. An update sends
`If-Match` with the ETag of the revision it edits. The body of each request is limited to the
`max_request_bytes` setting before it is parsed. Errors are raised as `ApiError` and rendered
as the JSON error envelope `{"error": {"status", "code", "message", "field"}}`.
See docs/editor-api.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from email.message import Message as MimeType
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict
from starlette.types import Message

from healthqa import editing, ingest, tokens
from healthqa.articles import Article, Revision, TopicRecord
from healthqa.library import Library
from healthqa.store import AlreadyExists, Conflict, NotFound, Token
from healthqa.web.errors import ApiError, responses
from healthqa.web.models import EditorArticle
from healthqa.web.site import Site

# Request size and type, checked before anything is parsed ----------------------------------


class LimitedRoute(APIRoute):
    """A route that refuses a body over `max_request_bytes` (413) or one that is not JSON (415)
    before FastAPI reads or parses it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = int(_library(request).settings["max_request_bytes"])
            body = await _read_body(request, limit)
            if body:
                _check_json(request)
            return await handler(Request(request.scope, _replay(body, request)))

        return limited


async def _read_body(request: Request, limit: int) -> bytes:
    too_large = ApiError(413, "payload_too_large", f"the request body is over {limit:,} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _check_json(request: Request) -> None:
    kind = MimeType()
    kind["content-type"] = request.headers.get("content-type", "")
    subtype = kind.get_content_subtype()
    if kind.get_content_maintype() != "application" or not (
        subtype == "json" or subtype.endswith("+json")
    ):
        shown = request.headers.get("content-type") or "none"
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send JSON (Content-Type: application/json), not {shown}",
        )


def _replay(body: bytes, request: Request) -> Callable[[], Awaitable[Message]]:
    """A receive channel that gives the body already read, then listens to the client again."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await request.receive()

    return receive


# Models --------------------------------------------------------------------------------------

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _web_url(value: str) -> str:
    """The importers' check (`ingest.is_web_url`): only http(s) links, never `javascript:`."""
    if not ingest.is_web_url(value):
        raise ValueError("expected an http:// or https:// address")
    return value


WebUrl = Annotated[
    str,
    StringConstraints(max_length=2000),
    AfterValidator(_web_url),
    Field(json_schema_extra={"pattern": ingest.WEB_URL_PATTERN}),
]
# Text that must say something: the server refuses whitespace alone (422), and the schema says
# so. (What is left once cleaning removes invisible characters and unsafe HTML is checked there.)
SOMETHING: JsonDict = {"pattern": r"\S"}
Reason = Annotated[
    str, StringConstraints(min_length=1, max_length=1000), Field(json_schema_extra=SOMETHING)
]


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Short = Field(description="The topic's name, e.g. 'Leg cramps'.")
    synonyms: list[Short] = Field(default_factory=list, max_length=50)


class ArticleIn(BaseModel):
    """An article's content, as an update replaces it (every field; absent optional fields
    become empty)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        description="The question; at most max_title_chars characters.",
        min_length=1,
        json_schema_extra=SOMETHING,
    )
    body: str = Field(
        description="The answer; at most max_body_chars characters.",
        min_length=1,
        json_schema_extra=SOMETHING,
    )
    body_format: Literal["html", "text"] = Field("html", description="How to read `body`.")
    topic: TopicIn | None = None
    question_type: Short | None = Field(None, description="e.g. cause, treatment, symptoms.")
    source_url: WebUrl | None = None
    licence: Short | None = None
    language: str = Field("en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    last_reviewed: date | None = None
    next_review: date | None = None
    reason: Reason = Field(description="Why: kept in the article's revision history.")

    def draft(self) -> editing.Draft:
        """The library's draft of this body: the same fields by name, the topic as a record."""
        topic = TopicRecord(self.topic.name, tuple(self.topic.synonyms)) if self.topic else None
        return editing.Draft(**(dict(self) | {"topic": topic}))


class ArticleCreate(ArticleIn):
    """A new article. `source` and `external_id` identify it for later re-imports."""

    source: Short = editing.DEFAULT_SOURCE
    external_id: Short | None = Field(None, description="Default: a new random id.")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class RevisionOut(BaseModel):
    number: int
    author: str
    reason: str
    created: str
    title: str
    status: str

    @classmethod
    def of(cls, revision: Revision) -> RevisionOut:
        content = revision.content
        return cls(
            number=revision.number,
            author=revision.author,
            reason=revision.reason,
            created=revision.created,
            title=content.get("title", ""),
            status=content.get("status", ""),
        )


class RevisionList(BaseModel):
    article_id: int
    revisions: list[RevisionOut]


# Dependencies --------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False, description="An editor's token, from `healthqa tokens create`."
)


def _library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def editor_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Token:
    """The token of the editor making this request; 401 without a valid one."""
    challenge = {"WWW-Authenticate": 'Bearer realm="healthqa"'}
    if credentials is None:
        message = "this needs an editor's token: Authorization: Bearer <token>"
        raise ApiError(401, "unauthorized", message, headers=challenge)
    try:
        return tokens.verify(_library(request).primary, credentials.credentials)
    except tokens.TokenError as exc:
        challenge["WWW-Authenticate"] += ', error="invalid_token"'
        raise ApiError(401, "unauthorized", str(exc), headers=challenge) from None


Editor = Annotated[Token, Depends(editor_token)]


def _answer(response: Response, article: Article) -> EditorArticle:
    answer = EditorArticle.of(article)
    response.headers["ETag"] = answer.etag
    return answer


def _write(request: Request, action: Callable[[Library], Article]) -> Article:
    """Make a change with the library, turning its errors into the API's; this worker's
    index takes the change up before the answer goes (the editor's next search finds it)."""
    site: Site = request.app.state.site
    try:
        article = action(site.library)
    except editing.EditError as exc:
        raise ApiError(422, "invalid_field", exc.message, field=exc.field) from None
    except editing.PreconditionRequired as exc:
        raise ApiError(428, "precondition_required", str(exc)) from None
    except Conflict as exc:
        raise ApiError(412, "precondition_failed", str(exc)) from None
    except AlreadyExists as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    site.take_up()
    return article


# Routes --------------------------------------------------------------------------------------

router = APIRouter(route_class=LimitedRoute, tags=["editor"])
_WRITE_ERRORS = (400, 401, 408, 413, 415, 422, 429, 507)


@router.post(
    "/articles",
    status_code=201,
    response_model=EditorArticle,
    responses=responses(*_WRITE_ERRORS, 409),
    summary="Create an article",
)
def create_article(
    payload: ArticleCreate, request: Request, response: Response, editor: Editor
) -> EditorArticle:
    """Create an article (revision 1). Answers 201 with its Location and ETag."""
    draft = payload.draft()  # with its source and external id
    article = _write(request, lambda library: editing.create(library, draft, editor.name))
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{article.id}"
    return _answer(response, article)


@router.put(
    "/articles/{key}",
    response_model=EditorArticle,
    responses=responses(*_WRITE_ERRORS, 404, 412, 428),
    summary="Replace an article's content",
)
def update_article(
    key: str,
    payload: ArticleIn,
    request: Request,
    response: Response,
    editor: Editor,
    if_match: Annotated[
        str | None, Header(description="The ETag of the revision you edit.")
    ] = None,
) -> EditorArticle:
    """Replace the content of the article with this id or slug, as a new revision.

    `If-Match` must carry the ETag of the article's current revision: 428 without it, 412 when
    someone changed the article since (fetch it again and redo the edit).
    """
    draft = payload.draft()
    article = _write(
        request, lambda library: editing.update(library, key, draft, if_match, editor.name)
    )
    return _answer(response, article)


def _status_route(name: str, change: Callable[[Library, str, str, str], Article]) -> None:
    def endpoint(
        key: str, payload: StatusChange, request: Request, response: Response, editor: Editor
    ) -> EditorArticle:
        article = _write(request, lambda library: change(library, key, payload.reason, editor.name))
        return _answer(response, article)

    router.add_api_route(
        f"/articles/{{key}}/{name}",
        endpoint,
        methods=["POST"],
        response_model=EditorArticle,
        responses=responses(*_WRITE_ERRORS, 404),
        summary=f"{name.capitalize()} an article",
        description=change.__doc__,
        name=f"{name}_article",
    )


_status_route("retire", editing.retire)
_status_route("restore", editing.restore)


@router.get(
    "/articles/{key}/revisions",
    response_model=RevisionList,
    responses=responses(404, 422),
    summary="An article's revisions",
)
def article_revisions(key: str, request: Request) -> RevisionList:
    """Every revision of the article with this id or slug, oldest first: who, when, why.

    A retired article's revisions are 404 to readers, as the article is; an editor's token
    (`Authorization: Bearer <token>`) shows them, so that it can be restored knowingly.
    """
    store = _library(request).primary
    try:
        history = store.revisions(key)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    if history and store.get_article(history[0].article_id).status != "published":
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(404, "not_found", f"no article with id or slug {key!r}")
        editor_token(
            request, HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
        )
    article_id = history[0].article_id if history else 0
    return RevisionList(article_id=article_id, revisions=[RevisionOut.of(r) for r in history])
