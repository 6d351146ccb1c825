"""The Store interface: what every backend (SQLite now, PostgreSQL next) must do.

The database is the only source of truth: articles, topics, sources, revisions, links, the
near-duplicate list and a change log with one increasing sequence number per change. Every write
is one transaction; a batch either lands whole or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from healthqa.articles import Article, CleanArticle, Revision, Topic


class StoreError(Exception):
    """A request the store cannot carry out, in words a person can act on."""


class StoreFull(StoreError):
    """The database has no room for a write (disk full, or its size limit): nothing of the
    write was kept, and reads go on."""


class StoreUnavailable(StoreError):
    """The database cannot be reached now (its server stopped, the network failed): what was
    being written was not kept. The next call connects again."""


class NotFound(StoreError):
    """No article, topic or revision by that id or slug."""


class Conflict(StoreError):
    """The article changed since the revision the caller edited."""


class LastAdmin(StoreError):
    """A change that would leave no admin who can sign in (disabling or demoting the last)."""

    def __init__(self) -> None:
        super().__init__(
            "That would leave the site with no admin who can sign in, so nothing was changed. "
            "Make another account an admin first."
        )


class AlreadyExists(StoreError):
    """A record with that identity is there already (an article's source and external id, or
    the name of a token in use)."""


@dataclass
class BatchResult:
    """What one batch did to the store; the import summary adds these up."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    article_ids: list[int] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.article_ids.extend(other.article_ids)


@dataclass(frozen=True)
class Change:
    """One entry of the change log: article `article_id` was created, updated, retired..."""

    seq: int
    article_id: int
    kind: str
    at: str


@dataclass(frozen=True)
class Duplicate:
    """Two articles whose text is nearly the same, with the share of MinHash slots they agree on."""

    a: int
    a_title: str
    b: int
    b_title: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": {"id": self.a, "title": self.a_title},
            "b": {"id": self.b, "title": self.b_title},
            "similarity": self.similarity,
        }


@dataclass(frozen=True)
class ArticleFilter:
    """Which articles a listing shows."""

    topic: str | None = None  # topic slug
    source: str | None = None
    status: str | None = "published"  # None lists every status
    review: str | None = None  # "overdue": next review date passed; "current": not overdue
    due_by: str | None = None  # an ISO date: only articles whose next review is due by then
    order: str = "id"  # one of ARTICLE_ORDERS: id, next_review (soonest first), updated (newest)


REVIEW_STATES = ("overdue", "current")
ARTICLE_ORDERS = {
    "id": "a.id",
    "next_review": "a.next_review, a.id",
    "updated": "a.updated DESC, a.id DESC",
}
RELATED_ACTIONS = ("pin", "exclude")
ROLES = ("editor", "reviewer", "admin")


@dataclass(frozen=True)
class RelatedOverride:
    """An editor's choice about one article's related list: always show `target_id`, or never."""

    article_id: int
    target_id: int
    action: str  # one of RELATED_ACTIONS
    author: str
    reason: str
    created: str


@dataclass(frozen=True)
class StoredVectors:
    """One embedding model's vectors: article ids, the hash of each embedded text, the raw
    float32 bytes of each vector, and the last change-log number they reflect."""

    article_ids: list[int]
    text_hashes: list[str]
    vectors: list[bytes]
    last_seq: int


@dataclass(frozen=True)
class ArticleSummary:
    """An article without its body: enough to order a topic and link to each article."""

    id: int
    slug: str
    title: str
    question_type: str | None
    source: str = ""
    teaser: str = ""


@dataclass(frozen=True)
class FeedbackCount:
    """What readers said of one article's page: how many found it helpful, how many did
    not, and how many left a comment."""

    article_id: int
    slug: str
    title: str
    yes: int
    no: int
    comments: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Feedback:
    """One reader's answer to "Was this page helpful?", with their comment if any."""

    article_id: int
    helpful: bool
    comment: str
    created: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Token:
    """An editor's API token as stored: its name and dates, and the SHA-256 of the secret,
    never the secret itself. `expires`, `revoked` and `last_used` are ISO times (UTC)."""

    id: int
    name: str
    token_hash: str
    created: str
    expires: str
    revoked: str | None = None
    last_used: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for listings; the hash is left out."""
        return {
            "id": self.id,
            "name": self.name,
            "created": self.created,
            "expires": self.expires,
            "revoked": self.revoked,
            "last_used": self.last_used,
        }


@dataclass(frozen=True)
class Account:
    """A person who signs in to the editors' workspace: a name, a role (one of `ROLES`) and
    the argon2id hash of their password, never the password. `disabled` is when an admin
    turned the account off (None while it works)."""

    id: int
    name: str
    role: str
    password_hash: str
    created: str
    disabled: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for listings; the hash is left out."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "created": self.created,
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the SHA-256 of the random id its cookie holds (never the id), whose
    it is, when it ends, and the secret its forms' CSRF tokens are checked against."""

    id_hash: str
    account_id: int
    created: str
    expires: str
    csrf_secret: str


class ChangeListener(ABC):
    """Wakes a process when any process, on any node, commits a change to the change log."""

    @abstractmethod
    def wait(self, timeout: float) -> int | None:
        """Wait at most `timeout` seconds for changes: the newest change number announced, or
        None when none was. A lost connection is a `StoreError`; the next call reconnects."""

    @abstractmethod
    def close(self) -> None: ...


class Store(ABC):
    """One backend's storage of healthqa's records; see the module docstring."""

    url: str

    @abstractmethod
    def close(self) -> None: ...

    # Writes -------------------------------------------------------------------------------

    @abstractmethod
    def save_batch(self, articles: Sequence[CleanArticle], author: str, reason: str) -> BatchResult:
        """Insert new articles and update changed ones, in one transaction.

        An article is matched by (source, external_id). Unchanged content (same content hash)
        writes nothing; a change writes a new revision and a change-log entry.
        """

    @abstractmethod
    def resolve_links(self) -> int:
        """Point unresolved links at the article (of any status) whose title they name.

        Returns how many were resolved. Pages decide whether to show a retired target.
        """

    @abstractmethod
    def replace_near_duplicates(self, pairs: Sequence[tuple[int, int, float]]) -> None:
        """Replace the near-duplicate list with `pairs` of (article id, article id, similarity)."""

    @abstractmethod
    def set_related_override(
        self, article_id: int, target_id: int, action: str, author: str, reason: str
    ) -> RelatedOverride:
        """Pin `target_id` to `article_id`'s related list, or exclude it from the list.

        Setting it again replaces the earlier choice (and moves a pin to the end of the pins).
        Overrides name article ids, so they outlast re-imports of either article. Each change
        is a revision of the article, with an entry in the change log (see
        `replace_related_overrides`).
        """

    @abstractmethod
    def clear_related_override(
        self, article_id: int, target_id: int, author: str = "cli", reason: str = ""
    ) -> bool:
        """Forget the editor's choice about this pair (a revision); whether there was one."""

    @abstractmethod
    def replace_related_overrides(
        self,
        article_id: int,
        overrides: Sequence[tuple[int, str]],
        expected_revision: int | None,
        author: str,
        reason: str,
    ) -> Article:
        """Make `overrides` ((target id, "pin" or "exclude"), pins in order) the article's whole
        list of choices, in one transaction: one new revision recording them (its content's
        `related`) and one change-log entry, so every node and cache sees them at once. The
        same list writes nothing. `expected_revision` (None: any) is checked as an update's is:
        `Conflict` when the article has moved on."""

    @abstractmethod
    def set_status(self, key: int | str, status: str, author: str, reason: str) -> Article:
        """Retire or restore an article; either way it is a new revision and can be undone."""

    @abstractmethod
    def create_article(self, article: CleanArticle, author: str, reason: str) -> Article:
        """Insert one new article (revision 1) in one transaction, with its change-log entry.

        `AlreadyExists` when an article of that source already has that external id.
        """

    @abstractmethod
    def update_article(
        self,
        key: int | str,
        article: CleanArticle,
        expected_revision: int,
        author: str,
        reason: str,
    ) -> Article:
        """Replace the content of one article, if it is still at `expected_revision`.

        The comparison happens inside the write transaction, so of two edits of the same
        revision exactly one lands and the other gets `Conflict`. Source, external id, slug and
        status stay as they are; content equal to the stored content writes nothing.
        """

    # Tokens -------------------------------------------------------------------------------

    @abstractmethod
    def add_token(self, name: str, token_hash: str, created: str, expires: str) -> Token:
        """Record a new token; `AlreadyExists` while a token not revoked has that name."""

    @abstractmethod
    def token_by_hash(self, token_hash: str) -> Token | None:
        """The token with this hash (whatever its state), else None."""

    @abstractmethod
    def tokens(self) -> list[Token]:
        """Every token, revoked ones too, oldest first."""

    @abstractmethod
    def revoke_token(self, key: int | str, when: str) -> Token:
        """Revoke the token with this id, or the token in use with this name; `NotFound`
        otherwise. Revoking a revoked token (by id) changes nothing."""

    @abstractmethod
    def touch_token(self, token_id: int, when: str) -> None:
        """Record that the token was just used."""

    # Accounts and sessions (the editors' workspace) ------------------------------------------

    @abstractmethod
    def add_account(self, name: str, role: str, password_hash: str, created: str) -> Account:
        """Record a new account; `AlreadyExists` when the name is taken (in any letter case)."""

    @abstractmethod
    def account(self, key: int | str) -> Account:
        """The account with this id, or this name in any letter case; else `NotFound`."""

    @abstractmethod
    def accounts(self) -> list[Account]:
        """Every account, disabled ones too, oldest first."""

    @abstractmethod
    def set_account(
        self,
        key: int | str,
        role: str | None = None,
        disabled: str | None = None,
        *,
        enabled: bool = False,
        password_hash: str | None = None,
    ) -> Account:
        """Change an account's role, disable it from the time `disabled`, turn it back on
        (`enabled`), or give it a new password hash; disabling and a new password end its
        sessions. `NotFound` for no such account; `LastAdmin`, and nothing changed, when the
        site's last working admin would be disabled or lose the role."""

    @abstractmethod
    def add_session(self, session: Session) -> None:
        """Record a new signed-in session."""

    @abstractmethod
    def session(self, id_hash: str) -> tuple[Session, Account] | None:
        """The session with this hash and its account (whatever their state), else None."""

    @abstractmethod
    def end_session(self, id_hash: str) -> None:
        """Forget a session (signing out); forgetting an unknown one does nothing."""

    @abstractmethod
    def end_sessions(self, before: str) -> int:
        """Forget every session that expired before `before` (an ISO time); how many."""

    # Reads --------------------------------------------------------------------------------

    @abstractmethod
    def get_article(self, key: int | str) -> Article:
        """The article with this id or slug (any status), with its links; else `NotFound`."""

    @abstractmethod
    def get_articles(self, ids: Sequence[int]) -> list[Article]:
        """The articles with these ids (any status), with their links, in the order given;
        an id with no article is left out. One read, however many: a result list's
        articles cost one query instead of one each."""

    @abstractmethod
    def slug_alias(self, slug: str) -> str | None:
        """The current slug of the article `slug` named before its title was tidied, if any."""

    @abstractmethod
    def list_articles(
        self, where: ArticleFilter | None = None, limit: int = 50, offset: int = 0
    ) -> list[Article]: ...

    @abstractmethod
    def count_articles(self, where: ArticleFilter | None = None) -> int: ...

    @abstractmethod
    def iter_articles(self, where: ArticleFilter | None = None) -> Iterator[Article]:
        """Every matching article in id order, streamed (for export and re-indexing)."""

    @abstractmethod
    def related_overrides(self, article_id: int) -> list[RelatedOverride]:
        """The editors' pins and exclusions for one article, in the order they were set."""

    @abstractmethod
    def topic_articles(self, topic_id: int) -> list[ArticleSummary]:
        """The published articles of one topic, without bodies, in id order."""

    @abstractmethod
    def question_counts(self) -> dict[int, int]:
        """Topic id -> how many different questions (`title_key`s) its published articles ask."""

    @abstractmethod
    def titles(self) -> list[ArticleSummary]:
        """Every published article without its body, in id order (for suggestions)."""

    @abstractmethod
    def same_question(self, article_id: int) -> list[ArticleSummary]:
        """The other published articles asking the same question (the same `title_key`), in
        id order, with their sources: MedQuAD's sources overlap."""

    @abstractmethod
    def topics(self) -> list[Topic]:
        """Every topic with its count of published articles, by name."""

    @abstractmethod
    def revisions(self, key: int | str) -> list[Revision]:
        """Every revision of one article, oldest first."""

    @abstractmethod
    def signatures(self) -> tuple[list[int], list[bytes]]:
        """The ids and MinHash signatures of every published article."""

    @abstractmethod
    def near_duplicates(self, limit: int = 100, offset: int = 0) -> list[Duplicate]: ...

    @abstractmethod
    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Change-log entries after `seq`, oldest first (what an index replays)."""

    @abstractmethod
    def last_change(self) -> int:
        """The newest change-log number (0 for none): one cheap look, as often as wanted."""

    def listener(self) -> ChangeListener | None:
        """Something to wait on for other processes' changes, where the backend announces
        them (PostgreSQL); None where it does not, and a follower looks at `last_change` now
        and then instead (SQLite)."""
        return None

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counts for `healthqa stats`: articles, topics, revisions and more."""

    # Readers' feedback -----------------------------------------------------------------------

    @abstractmethod
    def add_feedback(self, article_id: int, helpful: bool, comment: str, created: str) -> None:
        """Keep one reader's "Was this page helpful?" answer."""

    @abstractmethod
    def feedback_counts(self, article_id: int | None = None) -> list[FeedbackCount]:
        """Counts per article (one article, or every article with feedback, least helpful
        first)."""

    @abstractmethod
    def feedback(self, article_id: int | None = None, limit: int = 100) -> list[Feedback]:
        """The latest answers, newest first (those with a comment only when `article_id` is
        None)."""

    @abstractmethod
    def identity(self) -> str:
        """Which database this is: a random id made when it was created, and made anew in
        each backup copy, so that an index derived from one database is never taken for
        another's (a restored backup's, or a folder copied from elsewhere)."""

    def backup(self, dest: str) -> None:
        """Write a consistent copy of the database to the file `dest` while others write on
        (a backend that cannot says how else to do it)."""
        raise StoreError("this database cannot be backed up by healthqa: use its own tools")

    # Vectors (derived data, kept beside the articles) -----------------------------------------

    @abstractmethod
    def stored_vectors(self, model: str, article_ids: Sequence[int] | None = None) -> StoredVectors:
        """Every vector `model` has stored, in article id order (none: empty lists, seq 0);
        only those of `article_ids` when given."""

    @abstractmethod
    def vector_hashes(self, model: str, after: int = 0, limit: int = 20_000) -> StoredVectors:
        """The ids and text hashes of `model`'s vectors (`vectors` empty) for the articles
        above `after`, at most `limit`: what a reader keeps, read a chunk at a time."""

    @abstractmethod
    def count_embedded(self, models: Sequence[str]) -> int:
        """How many published articles have a stored vector under every one of `models`."""

    @abstractmethod
    def vector_count(self, model: str) -> tuple[int, int]:
        """How many vectors `model` has stored, and its last change number (0, 0 for none):
        a look at whether there is anything new to read, without reading it."""

    @abstractmethod
    def save_vectors(
        self,
        model: str,
        rows: Sequence[tuple[int, str, bytes]],
        removed: Sequence[int],
        last_seq: int,
    ) -> None:
        """In one transaction: store (article id, text hash, vector) rows, forget the vectors of
        `removed` articles, and record that `model` has applied the change log up to `last_seq`."""
