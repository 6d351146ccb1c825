"""What the SQLite and PostgreSQL stores share: the schema's queries, and one threading model.

Both backends run the same SQL, written in the subset both databases speak; the migrations fill
in each dialect's few differing words. A backend says how to connect, how to start a write
transaction and what its errors mean (`SQLStore`'s underscored hooks); everything else is here.

Threads. A web server calls one store from many threads. Each thread has a connection of its
own, opened on its first call (`_PerThread`), so a thread's read never runs inside another
thread's write transaction, and never sees what that transaction has not committed. An
in-memory SQLite database lives and dies with its one connection, so there the threads share
it and every read and write holds the store's lock for its length (tests use one thread).
Writes take the database's write lock first thing (`_begin`): SQLite's `BEGIN IMMEDIATE`,
PostgreSQL's advisory lock. So writers from any thread, process or node take turns, and the
change log's numbers commit in order.
"""

from __future__ import annotations

import contextlib
import functools
import json
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, replace
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar

from healthqa.articles import (
    STATUSES,
    Article,
    CleanArticle,
    Link,
    Revision,
    Topic,
    TopicRecord,
    slugify,
    title_key,
    topic_key,
)
from healthqa.store.accounts import AccountRows, insert_row
from healthqa.store.base import (
    ARTICLE_ORDERS,
    RELATED_ACTIONS,
    REVIEW_STATES,
    AlreadyExists,
    ArticleFilter,
    ArticleSummary,
    BatchResult,
    Change,
    Conflict,
    Duplicate,
    Feedback,
    FeedbackCount,
    NotFound,
    RelatedOverride,
    Store,
    StoredVectors,
    StoreError,
    StoreUnavailable,
    Token,
)
from healthqa.store.migrations import MIGRATIONS, TABLES, statements
from healthqa.store.url import DatabaseURL

_CHUNK = 500  # SQLite allows 32,766 parameters; stay far below.

_ARTICLE_COLUMNS = """
    a.id, a.slug, s.name AS source, a.external_id, a.title, a.source_title, a.body_html,
    a.body_text, a.teaser, a.source_url, a.licence, a.language, a.question_type, a.created,
    a.updated,
    a.last_reviewed, a.next_review, a.status, a.revision, a.content_hash, a.meta,
    t.id AS topic_id, t.slug AS topic_slug, t.name AS topic_name,
    t.synonyms AS topic_synonyms, t.category AS topic_category
"""
_ARTICLE_FROM = """
    FROM articles a JOIN sources s ON s.id = a.source_id LEFT JOIN topics t ON t.id = a.topic_id
"""


class Connection(Protocol):
    """The part of a DB-API connection the store uses (sqlite3's, or postgres.py's wrapper)."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...

    def close(self) -> None: ...


C = TypeVar("C", bound=Connection)
T = TypeVar("T")


class _PerThread(Generic[C]):
    """A connection for each thread that asks, opened on its first call; `close` closes all."""

    def __init__(self, connect: Callable[[], C]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._opened: list[C] = []
        self._lock = threading.Lock()

    def get(self) -> C:
        """This thread's connection; a new one in place of one its server dropped."""
        connection: C | None = getattr(self._local, "connection", None)
        if connection is not None and getattr(connection, "broken", False):
            self._drop(connection)
            self._local.connection = connection = None
        if connection is None:
            connection = self._connect()
            with self._lock:
                self._opened.append(connection)
            self._local.connection = connection
        return connection

    def _drop(self, connection: C) -> None:
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        with contextlib.suppress(Exception):
            connection.close()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for connection in opened:
            with contextlib.suppress(Exception):  # closing is best effort, and idempotent
                connection.close()


class SQLStore(AccountRows, Store):
    """A store on a SQL database; see the module docstring. Subclasses set the hooks."""

    DIALECT: str
    _INTEGRITY_ERROR: type[Exception]

    def __init__(
        self, url: str | DatabaseURL, shared: bool = False, replica: DatabaseURL | None = None
    ) -> None:
        """Open the first connection (failing now if the database cannot be reached) and run
        the migrations. `shared`: every thread uses that one connection, under the lock.
        `replica`: a copy of the database that reads go to (writes, and the reads inside
        them, go to `url`)."""
        self.database = DatabaseURL.parse(url)
        self.replica = replica
        self.url = str(self.database)
        self._lock = threading.RLock()
        self._shared = shared
        self._connections: _PerThread[Connection] = _PerThread(lambda: self._connect(self.database))
        self._readers = self._connections
        if replica is not None:
            self._readers = _PerThread(lambda: self._connect(replica))
        self._connections.get()
        self.migrate()

    # Hooks of each backend ------------------------------------------------------------------

    def _connect(self, database: DatabaseURL) -> Connection:
        """A new connection to `database` (the store's, or its replica), set up; `StoreError`
        in words when it cannot be opened."""
        raise NotImplementedError

    def _begin(self, db: Connection) -> None:
        """Start a write transaction on `db` holding the database's write lock."""
        raise NotImplementedError

    def _failure(self, exc: BaseException) -> StoreError | None:
        """The `StoreError` a failed write means to callers (a full disk...), else None."""
        return None

    def _new_ids(self, db: Connection, count: int) -> list[int]:
        """`count` ids for new articles, taken inside the write transaction (which holds the
        write lock, so no other writer takes the same)."""
        top = int(db.execute("SELECT COALESCE(MAX(id), 0) FROM articles").fetchone()[0])
        return list(range(top + 1, top + 1 + count))

    # Connections ----------------------------------------------------------------------------

    @property
    def _conn(self) -> Connection:
        """This thread's connection."""
        return self._connections.get()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """This thread's connection for a few reads (the one, under the lock, when shared)."""
        with self._lock if self._shared else contextlib.nullcontext():
            yield self._readers.get()

    def _reading(self, read: Callable[[Connection], T]) -> T:
        """`read(connection)`, and once more on a new connection when the server had dropped
        this thread's (restarted, failed over): a read can be repeated."""
        try:
            with self._read() as db:
                return read(db)
        except StoreUnavailable:
            with self._read() as db:
                return read(db)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row a read returns."""
        return self._reading(lambda db: list(db.execute(sql, params).fetchall()))

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row a read returns, or None."""
        return self._reading(lambda db: db.execute(sql, params).fetchone())

    def close(self) -> None:
        self._connections.close()
        self._readers.close()

    # Schema -------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Run the migrations this database has not run yet; returns their numbers."""
        with self._write() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
            )
            done = {row[0] for row in db.execute("SELECT number FROM schema_migrations")}
            ran = []
            for migration in MIGRATIONS:
                if migration.number in done:
                    continue
                for statement in statements(migration, self.DIALECT):
                    db.execute(statement)
                if migration.run is not None:
                    migration.run(db)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (migration.number, migration.name, _now()),
                )
                ran.append(migration.number)
        return ran

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction on this thread's connection: all of it or, on any error,
        none of it."""
        with self._lock if self._shared else contextlib.nullcontext():
            db = self._connections.get()
            try:
                self._begin(db)
            except StoreUnavailable:  # dropped while idle: nothing was sent, so again
                db = self._connections.get()
                self._begin(db)
            try:
                yield db
            except self._INTEGRITY_ERROR as exc:
                _rollback(db)
                raise StoreError(f"the database refused the change: {exc}") from exc
            except BaseException as exc:
                self._undo(db, exc)
                raise
            try:
                db.execute("COMMIT")
            except Exception as exc:
                self._undo(db, exc)
                raise

    def _undo(self, db: Connection, exc: BaseException) -> None:
        """Roll back after `exc`, raising what it means to callers when it means something."""
        _rollback(db)
        if (failure := self._failure(exc)) is not None:
            raise failure from exc

    def identity(self) -> str:
        return str(self._one("SELECT id FROM database_identity")[0])

    # Whole tables, for moving a site between databases (store/transfer.py) ------------------

    def table_counts(self) -> dict[str, int]:
        """Rows in each table the store keeps (not its migrations or identity)."""
        return {table: int(self._one(f"SELECT COUNT(*) FROM {table}")[0]) for table, _ in TABLES}

    def dump_table(
        self, table: str, order: str, size: int = 2000
    ) -> Iterator[tuple[list[str], list[Any]]]:
        """Every row of `table` ordered by `order`, `size` rows at a time, with the column
        names. `table` and `order` come from transfer.TABLES, never from a user."""
        with self._read() as db:
            cursor = db.execute(f"SELECT * FROM {table} ORDER BY {order}")
            columns = [column[0] for column in cursor.description]
            while rows := cursor.fetchmany(size):
                yield columns, rows

    def load_tables(self, chunks: Iterable[tuple[str, Sequence[str], list[Any]]]) -> None:
        """Insert each chunk's rows (table, columns, rows) as they are, ids included, in one
        write transaction."""
        with self._write() as db:
            for table, columns, rows in chunks:
                marks = ", ".join("?" * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) {self._OVERRIDING}"
                db.executemany(f"{sql} VALUES ({marks})", [tuple(row) for row in rows])
            self._loaded(db)

    _OVERRIDING = ""  # words an INSERT needs to give identity columns their values

    def _loaded(self, db: Connection) -> None:
        """After rows came in with their ids: bring id generators in step (SQLite's are)."""

    # Writes -------------------------------------------------------------------------------

    def save_batch(self, articles: Sequence[CleanArticle], author: str, reason: str) -> BatchResult:
        result = BatchResult()
        with self._write() as db:
            sources = {name: _source_id(db, name) for name in {a.source for a in articles}}
            existing = _existing(db, articles, sources)
            new = [a for a in articles if (sources[a.source], a.external_id) not in existing]
            writer = _BatchWriter(db, author, reason, self._new_ids(db, len(new)))
            slugs = {id(a): _slug_bases(a) for a in new}  # each slugified once
            writer.slugs.load([base for base, _ in slugs.values()])
            writer.load_topics([a.topic for a in articles if a.topic is not None])
            writer.aliases.load([slugs[id(a)][1] for a in new if a.source_title])
            for article in articles:
                key = (sources[article.source], article.external_id)
                found = existing.get(key)
                if found is None:
                    article_id = writer.insert(article, key[0], slugs[id(article)])
                    existing[key] = (article_id, article.content_hash, 1, article.status)
                    result.imported += 1
                elif found[1] == article.content_hash:
                    article_id = found[0]
                    result.unchanged += 1
                else:
                    article_id, number, status = found[0], found[2] + 1, found[3]
                    writer.update(article_id, article, number, status, by_source=True)
                    existing[key] = (article_id, article.content_hash, number, status)
                    result.updated += 1
                result.article_ids.append(article_id)
            writer.flush()
        return result

    def resolve_links(self) -> int:
        with self._write() as db:
            return int(db.execute(_RESOLVE_LINKS).rowcount)

    def replace_near_duplicates(self, pairs: Sequence[tuple[int, int, float]]) -> None:
        with self._write() as db:
            db.execute("DELETE FROM near_duplicates")
            db.executemany("INSERT INTO near_duplicates VALUES (?, ?, ?)", pairs)

    def set_related_override(
        self, article_id: int, target_id: int, action: str, author: str, reason: str
    ) -> RelatedOverride:
        if action not in RELATED_ACTIONS:
            raise StoreError(f"action must be 'pin' or 'exclude', not {action!r}")
        with self._write() as db:
            # A choice made again is a new choice, last in pin order.
            kept = [(o.target_id, o.action) for o in _overrides(db, article_id)]
            wanted = [pair for pair in kept if pair[0] != target_id] + [(target_id, action)]
            self._replace_related(db, article_id, wanted, None, author, reason)
            return _overrides(db, article_id)[-1]

    def clear_related_override(
        self, article_id: int, target_id: int, author: str = "cli", reason: str = ""
    ) -> bool:
        with self._write() as db:
            kept = [(o.target_id, o.action) for o in _overrides(db, article_id)]
            wanted = [pair for pair in kept if pair[0] != target_id]
            if wanted == kept:
                return False
            self._replace_related(db, article_id, wanted, None, author, reason or "cleared")
            return True

    def replace_related_overrides(
        self,
        article_id: int,
        overrides: Sequence[tuple[int, str]],
        expected_revision: int | None,
        author: str,
        reason: str,
    ) -> Article:
        with self._write() as db:
            self._replace_related(db, article_id, overrides, expected_revision, author, reason)
        return self.get_article(article_id)

    def _replace_related(
        self,
        db: Connection,
        article_id: int,
        overrides: Sequence[tuple[int, str]],
        expected_revision: int | None,
        author: str,
        reason: str,
    ) -> None:
        """See `replace_related_overrides`; inside the caller's write transaction."""
        article = self._get(db, article_id)
        _check_expected(article, expected_revision)
        wanted = _checked_overrides(db, article.id, overrides)
        before = {(o.target_id, o.action): o for o in _overrides(db, article.id)}
        if wanted == list(before):
            return
        now = _now()
        fresh = RelatedOverride(article.id, 0, "", author, reason, now)
        rows = [  # a choice kept as it was keeps who made it, why and when
            (article.id, target, action, *astuple(before.get((target, action), fresh))[3:])
            for target, action in wanted
        ]
        db.execute("DELETE FROM related_overrides WHERE article_id = ?", (article.id,))
        db.executemany(
            "INSERT INTO related_overrides (article_id, target_id, action, author, reason, "
            "created, position) VALUES (?, ?, ?, ?, ?, ?, "
            "(SELECT COALESCE(MAX(position), 0) + 1 FROM related_overrides))",
            rows,
        )
        number = article.revision + 1
        content = _revision_content(article) | {"related": [[a, t] for t, a in wanted]}
        db.execute(
            "UPDATE articles SET revision = ?, updated = ? WHERE id = ?", (number, now, article.id)
        )
        _add_revision(db, article.id, number, author, reason, now, content)
        _log(db, article.id, "related", now)

    def set_status(self, key: int | str, status: str, author: str, reason: str) -> Article:
        if status not in STATUSES:
            raise StoreError(f"status must be 'published' or 'retired', not {status!r}")
        with self._write() as db:
            article = self._get(db, key)
            if article.status != status:
                content = _revision_content(article) | {"status": status}
                number = article.revision + 1
                now = _now()
                db.execute(
                    "UPDATE articles SET status = ?, revision = ?, updated = ? WHERE id = ?",
                    (status, number, now, article.id),
                )
                _add_revision(db, article.id, number, author, reason, now, content)
                _log(db, article.id, "retired" if status == "retired" else "restored", now)
        return self.get_article(article.id)

    def create_article(self, article: CleanArticle, author: str, reason: str) -> Article:
        with self._write() as db:
            source_id = _source_id(db, article.source)
            taken = db.execute(
                "SELECT id FROM articles WHERE source_id = ? AND external_id = ?",
                (source_id, article.external_id),
            ).fetchone()
            if taken is not None:
                raise AlreadyExists(
                    f"article {taken[0]} of source {article.source!r} already has external id "
                    f"{article.external_id!r}"
                )
            writer = _BatchWriter(db, author, reason, self._new_ids(db, 1))
            article_id = writer.insert(article, source_id)
            writer.flush()
            db.execute(_RESOLVE_LINKS)
        return self.get_article(article_id)

    def update_article(
        self,
        key: int | str,
        article: CleanArticle,
        expected_revision: int,
        author: str,
        reason: str,
    ) -> Article:
        with self._write() as db:  # BEGIN IMMEDIATE: no other writer between read and write
            current = self._get(db, key)
            _check_expected(current, expected_revision)
            if current.content_hash != article.content_hash:
                writer = _BatchWriter(db, author, reason, [])
                writer.update(
                    current.id, article, current.revision + 1, current.status, by_source=False
                )
                writer.flush()
                db.execute(_RESOLVE_LINKS)
        return self.get_article(current.id)

    # Tokens -------------------------------------------------------------------------------

    def add_token(self, name: str, token_hash: str, created: str, expires: str) -> Token:
        with self._write() as db:
            if _active_token(db, name) is not None:
                raise AlreadyExists(f"a token named {name!r} exists; revoke it or pick a name")
            values = {"name": name, "token_hash": token_hash, "created": created}
            token_id = insert_row(db, "tokens", values | {"expires": expires})
        return Token(token_id, name, token_hash, created, expires)

    def token_by_hash(self, token_hash: str) -> Token | None:
        row = self._one(f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?", (token_hash,))
        return Token(*row) if row else None

    def tokens(self) -> list[Token]:
        rows = self._rows(f"SELECT {_TOKEN_COLUMNS} FROM tokens ORDER BY id")
        return [Token(*row) for row in rows]

    def revoke_token(self, key: int | str, when: str) -> Token:
        with self._write() as db:
            column, value = _key(key)
            if column == "id":
                row = (
                    db.execute(
                        f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE id = ?", (value,)
                    ).fetchone()
                    if _storable(value)
                    else None
                )
            else:
                row = _active_token(db, str(key))
            if row is None:
                raise NotFound(f"no token in use with id or name {key!r}")
            token = Token(*row)
            if token.revoked is None:
                db.execute("UPDATE tokens SET revoked = ? WHERE id = ?", (when, token.id))
                token = replace(token, revoked=when)
        return token

    def touch_token(self, token_id: int, when: str) -> None:
        with self._write() as db:
            db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (when, token_id))

    # Reads --------------------------------------------------------------------------------

    def get_article(self, key: int | str) -> Article:
        return self._reading(lambda db: self._get(db, key))

    def _get(self, db: Connection, key: int | str) -> Article:
        column, value = _key(key)
        row = (
            db.execute(
                f"SELECT {_ARTICLE_COLUMNS} {_ARTICLE_FROM} WHERE a.{column} = ?", (value,)
            ).fetchone()
            if column == "slug" or _storable(value)
            else None
        )
        if row is None:
            raise NotFound(f"no article with id or slug {key!r}")
        article = _article(row)
        article.links = self._links(db, article.id)
        return article

    def get_articles(self, ids: Sequence[int]) -> list[Article]:
        wanted = [i for i in dict.fromkeys(ids) if _storable(i)]
        if not wanted:
            return []
        marks = ",".join("?" * len(wanted))
        rows = self._rows(
            f"SELECT {_ARTICLE_COLUMNS} {_ARTICLE_FROM} WHERE a.id IN ({marks})", wanted
        )
        links = self._links_of(wanted)
        found = {row["id"]: _article(row) for row in rows}
        for article_id, article in found.items():
            article.links = links.get(article_id, [])
        return [found[i] for i in ids if i in found]

    def slug_alias(self, slug: str) -> str | None:
        row = self._one(
            "SELECT a.slug FROM slug_aliases x JOIN articles a ON a.id = x.article_id "
            "WHERE x.slug = ?",
            (slug,),
        )
        return str(row[0]) if row else None

    def _links(self, db: Connection, article_id: int) -> list[Link]:
        rows = db.execute(
            "SELECT kind, title, teaser, target_id FROM links WHERE article_id = ? "
            "ORDER BY position",
            (article_id,),
        )
        return [Link(r["kind"], r["title"], r["teaser"], r["target_id"]) for r in rows]

    def list_articles(
        self, where: ArticleFilter | None = None, limit: int = 50, offset: int = 0
    ) -> list[Article]:
        where = where or ArticleFilter()
        sql, params = build_article_query(where)
        order = ARTICLE_ORDERS[where.order]
        rows = self._rows(f"{sql} ORDER BY {order} LIMIT ? OFFSET ?", (*params, limit, offset))
        return [_article(row) for row in rows]

    def count_articles(self, where: ArticleFilter | None = None) -> int:
        sql, params = build_article_query(where or ArticleFilter(), count=True)
        return int(self._one(sql, params)[0])

    def iter_articles(self, where: ArticleFilter | None = None) -> Iterator[Article]:
        sql, params = build_article_query(where or ArticleFilter())
        last = 0
        while True:
            rows = self._rows(f"{sql} AND a.id > ? ORDER BY a.id LIMIT ?", (*params, last, _CHUNK))
            if not rows:
                return
            links = self._links_of([row["id"] for row in rows])  # a read of its own
            for row in rows:
                article = _article(row)
                article.links = links.get(article.id, [])
                yield article
            last = rows[-1]["id"]

    def _links_of(self, ids: list[int]) -> dict[int, list[Link]]:
        marks = ",".join("?" * len(ids))
        rows = self._rows(
            "SELECT article_id, kind, title, teaser, target_id FROM links "
            f"WHERE article_id IN ({marks}) ORDER BY article_id, position",
            ids,
        )
        found: dict[int, list[Link]] = {}
        for r in rows:
            found.setdefault(r[0], []).append(Link(r[1], r[2], r[3], r[4]))
        return found

    def related_overrides(self, article_id: int) -> list[RelatedOverride]:
        return self._reading(lambda db: _overrides(db, article_id))

    def topic_articles(self, topic_id: int) -> list[ArticleSummary]:
        rows = self._rows(
            "SELECT id, slug, title, question_type FROM articles "
            "WHERE topic_id = ? AND status = 'published' ORDER BY id",
            (topic_id,),
        )
        return [ArticleSummary(*row) for row in rows]

    def question_counts(self) -> dict[int, int]:
        rows = self._rows(
            "SELECT topic_id, COUNT(DISTINCT title_key) FROM articles "
            "WHERE status = 'published' AND topic_id IS NOT NULL GROUP BY topic_id"
        )
        return {int(row[0]): int(row[1]) for row in rows}

    def titles(self) -> list[ArticleSummary]:
        rows = self._rows(
            "SELECT id, slug, title, question_type FROM articles WHERE status = 'published' "
            "ORDER BY id"
        )
        return [ArticleSummary(*row) for row in rows]

    def same_question(self, article_id: int) -> list[ArticleSummary]:
        rows = self._rows(
            "SELECT a.id, a.slug, a.title, a.question_type, s.name, a.teaser FROM articles a "
            "JOIN articles me ON me.title_key = a.title_key "
            "JOIN sources s ON s.id = a.source_id "
            "WHERE me.id = ? AND a.id <> me.id AND a.status = 'published' ORDER BY a.id",
            (article_id,),
        )
        return [ArticleSummary(*row) for row in rows]

    def topics(self) -> list[Topic]:
        rows = self._rows(
            """SELECT t.id, t.slug, t.name, t.synonyms, t.category,
                      COUNT(a.id) AS article_count
               FROM topics t LEFT JOIN articles a
                 ON a.topic_id = t.id AND a.status = 'published'
               GROUP BY t.id ORDER BY LOWER(t.name), t.id"""
        )
        return [Topic(r[0], r[1], r[2], json.loads(r[3]), r[4], article_count=r[5]) for r in rows]

    def revisions(self, key: int | str) -> list[Revision]:
        article = self.get_article(key)
        rows = self._rows(
            "SELECT number, author, reason, created, content FROM revisions "
            "WHERE article_id = ? ORDER BY number",
            (article.id,),
        )
        return [Revision(article.id, r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def signatures(self) -> tuple[list[int], list[bytes]]:
        rows = self._rows(
            "SELECT id, signature FROM articles "
            "WHERE status = 'published' AND signature IS NOT NULL ORDER BY id"
        )
        return [r[0] for r in rows], [bytes(r[1]) for r in rows]

    def near_duplicates(self, limit: int = 100, offset: int = 0) -> list[Duplicate]:
        rows = self._rows(
            """SELECT d.a, x.title, d.b, y.title, d.similarity FROM near_duplicates d
               JOIN articles x ON x.id = d.a JOIN articles y ON y.id = d.b
               ORDER BY d.similarity DESC, d.a, d.b LIMIT ? OFFSET ?""",
            (limit, offset),
        )
        return [Duplicate(*row) for row in rows]

    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        rows = self._rows(
            "SELECT seq, article_id, kind, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )
        return [Change(*row) for row in rows]

    def last_change(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(seq), 0) FROM changes")[0])

    def stats(self) -> dict[str, Any]:
        today = date.today().isoformat()
        one = self._one(
            """SELECT
                 (SELECT COUNT(*) FROM articles WHERE status = 'published'),
                 (SELECT COUNT(*) FROM articles WHERE status = 'retired'),
                 (SELECT COUNT(*) FROM topics),
                 (SELECT COUNT(*) FROM sources),
                 (SELECT COUNT(*) FROM revisions),
                 (SELECT COUNT(*) FROM links),
                 (SELECT COUNT(*) FROM links WHERE target_id IS NOT NULL),
                 (SELECT COUNT(*) FROM near_duplicates),
                 (SELECT COUNT(*) FROM articles
                    WHERE status = 'published' AND next_review IS NOT NULL AND next_review < ?),
                 (SELECT COALESCE(MAX(seq), 0) FROM changes)""",
            (today,),
        )
        keys = (
            "articles", "retired", "topics", "sources", "revisions", "links", "links_resolved",
            "near_duplicates", "review_overdue", "last_change",
        )  # fmt: skip
        counts: dict[str, Any] = dict(zip(keys, one, strict=True))
        counts["by_source"] = {
            name: n
            for name, n in self._rows(
                "SELECT s.name, COUNT(a.id) FROM sources s JOIN articles a ON a.source_id = s.id "
                "WHERE a.status = 'published' GROUP BY s.id ORDER BY COUNT(a.id) DESC, s.name"
            )
        }
        counts["database"] = self.url
        return counts

    # Readers' feedback -----------------------------------------------------------------------

    def add_feedback(self, article_id: int, helpful: bool, comment: str, created: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO feedback (article_id, helpful, comment, created) VALUES (?, ?, ?, ?)",
                (article_id, 1 if helpful else 0, comment, created),
            )

    def feedback_counts(self, article_id: int | None = None) -> list[FeedbackCount]:
        sql, params = build_feedback_counts_query(article_id)
        return [FeedbackCount(*row) for row in self._rows(sql, params)]

    def feedback(self, article_id: int | None = None, limit: int = 100) -> list[Feedback]:
        where, params = (
            ("article_id = ?", [article_id]) if article_id is not None else ("comment <> ''", [])
        )
        rows = self._rows(
            f"SELECT article_id, helpful, comment, created FROM feedback WHERE {where} "
            "ORDER BY created DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [Feedback(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    # Vectors ------------------------------------------------------------------------------

    def stored_vectors(self, model: str, article_ids: Sequence[int] | None = None) -> StoredVectors:
        sql = "SELECT article_id, text_hash, vector FROM article_vectors WHERE model = ?"
        if article_ids is None:
            rows = self._rows(f"{sql} ORDER BY article_id", (model,))
        else:
            wanted = sorted(set(article_ids))
            rows = []
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"{sql} AND article_id IN ({marks}) ORDER BY article_id"
                rows += self._rows(query, (model, *chunk))
        found = self._one("SELECT last_seq FROM vector_state WHERE model = ?", (model,))
        vectors = [bytes(r[2]) for r in rows]
        return StoredVectors(
            [r[0] for r in rows], [r[1] for r in rows], vectors, found[0] if found else 0
        )

    def vector_hashes(self, model: str, after: int = 0, limit: int = 20_000) -> StoredVectors:
        rows = self._rows(
            "SELECT article_id, text_hash FROM article_vectors WHERE model = ? AND article_id > ? "
            "ORDER BY article_id LIMIT ?",
            (model, after, limit),
        )
        found = self._one("SELECT last_seq FROM vector_state WHERE model = ?", (model,))
        return StoredVectors(
            [r[0] for r in rows], [r[1] for r in rows], [], found[0] if found else 0
        )

    def count_embedded(self, models: Sequence[str]) -> int:
        each = " AND ".join(
            ["EXISTS (SELECT 1 FROM article_vectors v WHERE v.model = ? AND v.article_id = a.id)"]
            * len(models)
        )
        where = f" AND {each}" if models else ""
        sql = f"SELECT COUNT(*) FROM articles a WHERE a.status = 'published'{where}"
        return int(self._one(sql, tuple(models))[0])

    def vector_count(self, model: str) -> tuple[int, int]:
        count = self._one("SELECT COUNT(*) FROM article_vectors WHERE model = ?", (model,))
        found = self._one("SELECT last_seq FROM vector_state WHERE model = ?", (model,))
        return int(count[0]), int(found[0]) if found else 0

    def save_vectors(
        self,
        model: str,
        rows: Sequence[tuple[int, str, bytes]],
        removed: Sequence[int],
        last_seq: int,
    ) -> None:
        with self._write() as db:
            db.executemany(  # an upsert both SQLite and PostgreSQL speak
                "INSERT INTO article_vectors (article_id, model, text_hash, vector) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (model, article_id) DO UPDATE SET "
                "text_hash = excluded.text_hash, vector = excluded.vector",
                [(article_id, model, text_hash, vector) for article_id, text_hash, vector in rows],
            )
            db.executemany(
                "DELETE FROM article_vectors WHERE model = ? AND article_id = ?",
                [(model, article_id) for article_id in removed],
            )
            db.execute(
                "INSERT INTO vector_state (model, last_seq) VALUES (?, ?) "
                "ON CONFLICT (model) DO UPDATE SET last_seq = excluded.last_seq",
                (model, last_seq),
            )


class _BatchWriter:
    """Writes one batch's new and changed articles, collecting rows to insert many at a time.

    New articles get ids reserved for the batch (`ids`) and slugs found free in a few queries
    for the whole batch (`_Slugs`), so that no row waits for the one before it: on PostgreSQL
    a round trip per statement was most of an import's time (decision 10), and psycopg's
    `executemany` sends a batch's rows in one pipeline."""

    def __init__(self, db: Connection, author: str, reason: str, ids: list[int]) -> None:
        self.db = db
        self.author = author
        self.reason = reason
        self.now = _now()
        self.ids = iter(ids)
        self.slugs = _Slugs(db, "articles")
        self.aliases = _Slugs(db, "slug_aliases")
        self.topics: dict[str, tuple[int, str, list[str], str | None]] = {}
        self.merged: dict[str, TopicRecord] = {}  # by key: the topic last merged into its row
        self.articles: list[dict[str, Any]] = []
        self.alias_rows: list[tuple[Any, ...]] = []
        self.revisions: list[tuple[Any, ...]] = []
        self.changes: list[tuple[Any, ...]] = []
        self.links: list[tuple[Any, ...]] = []

    def insert(
        self, article: CleanArticle, source_id: int, slugs: tuple[str, str] | None = None
    ) -> int:
        """A new article. `slugs`, when the caller has them: its slug before any suffix, and
        the one its source's own title gives (see `_alias`)."""
        base, old = slugs or _slug_bases(article)
        article_id = next(self.ids)
        values = _content_columns(article) | {
            "id": article_id,
            "topic_id": self.topic_id(article.topic),
            "slug": self.slugs.free(base),
            "source_title": article.source_title or article.title,
            "source_id": source_id,
            "external_id": article.external_id,
            "source_hash": article.content_hash,
            "created": self.now,
            "updated": self.now,
            "revision": 1,
        }
        self.articles.append(values)
        self._alias(article_id, base, old)
        self._record(article_id, 1, article, "created")
        return article_id

    def _alias(self, article_id: int, base: str, old: str) -> None:
        """Keep the slug the source's own title gives (`old`), when tidying changed it: the
        address an import before tidying gave the article (with the suffix `_Slugs` gave then)."""
        if old != base:
            self.alias_rows.append((self.aliases.free(old), article_id))

    def update(
        self, article_id: int, article: CleanArticle, number: int, status: str, by_source: bool
    ) -> None:
        """A new revision of a known article. An editor's retirement outlasts source updates.

        `by_source`: the source sent this version (an import), not an editor.
        """
        self._insert_articles()  # it may be one of this batch's new articles
        if status == "retired":
            article = replace(article, status="retired")
        values = _content_columns(article) | {
            "topic_id": self.topic_id(article.topic),
            "updated": self.now,
            "revision": number,
        }
        if by_source:
            values["source_hash"] = article.content_hash
            values["source_title"] = article.source_title or article.title
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", (*values.values(), article_id)
        )
        self.db.execute("DELETE FROM links WHERE article_id = ?", (article_id,))
        self._record(article_id, number, article, "updated")

    def _record(self, article_id: int, number: int, article: CleanArticle, kind: str) -> None:
        content = _json_text(_revision_content(article))
        self.revisions.append((article_id, number, self.author, self.reason, self.now, content))
        self.changes.append((article_id, kind, self.now))
        self.links += [
            (article_id, link.kind, position, link.title, title_key(link.title), link.teaser)
            for position, link in enumerate(article.links)
        ]

    def load_topics(self, topics: Sequence[TopicRecord]) -> None:
        """Find the batch's topics in a few queries and create the new ones a few hundred to a
        statement, as `_topic_row` would one by one (a round trip per topic was most of a
        PostgreSQL import's time): a topic with its slug, else the first with its key."""
        wanted: dict[str, TopicRecord] = {}
        for topic in topics:
            wanted.setdefault(_topic_key(topic.name), topic)
        by_slug, by_key = _topic_rows(self.db, [t.slug for t in wanted.values()], list(wanted))
        new: dict[str, TopicRecord] = {}  # by slug: a slug names one topic
        for key, topic in wanted.items():
            row = by_slug.get(topic.slug) or by_key.get(key)
            if row is not None:  # synonyms decoded only for the row chosen
                self.topics[key] = (row[0], row[1], json.loads(row[2]), row[3])
            else:
                new.setdefault(topic.slug, topic)
        made = _insert_topics(self.db, list(new.values()))
        for key, topic in wanted.items():
            if key not in self.topics:
                self.topics[key] = made[topic.slug]

    def topic_id(self, topic: TopicRecord | None) -> int | None:
        """The topic's id, created or given new synonyms as needed (cached for the batch)."""
        if topic is None:
            return None
        key = _topic_key(topic.name)  # "Tumors" and "tumor" are one topic
        if self.merged.get(key) == topic:  # merging it again would change nothing
            return self.topics[key][0]
        cached = self.topics.get(key)
        if cached is None:
            cached = _topic_row(self.db, topic, key)
        topic_id, name, synonyms, category = cached
        known = {n.casefold() for n in [name, *synonyms]}
        merged = list(synonyms)
        for other in (topic.name, *topic.synonyms):  # its other names: "also called"
            if other.casefold() not in known:
                known.add(other.casefold())
                merged.append(other)
        if merged != synonyms or (topic.category and not category):
            category = category or topic.category
            self.db.execute(
                "UPDATE topics SET synonyms = ?, category = ? WHERE id = ?",
                (json.dumps(merged), category, topic_id),
            )
        self.topics[key] = (topic_id, name, merged, category)
        self.merged[key] = topic
        return topic_id

    def _insert_articles(self) -> None:
        if self.articles:
            names = list(self.articles[0])
            row = operator.itemgetter(*names)
            self.db.executemany(
                f"INSERT INTO articles ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [row(values) for values in self.articles],
            )
            self.articles = []
        self.db.executemany(
            "INSERT INTO slug_aliases (slug, article_id) VALUES (?, ?)", self.alias_rows
        )
        self.alias_rows = []

    def flush(self) -> None:
        self._insert_articles()
        self.db.executemany(
            "INSERT INTO revisions (article_id, number, author, reason, created, content) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.revisions,
        )
        self.db.executemany(
            "INSERT INTO changes (article_id, kind, at) VALUES (?, ?, ?)", self.changes
        )
        self.db.executemany(
            "INSERT INTO links (article_id, kind, position, title, title_key, teaser) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.links,
        )


_RESOLVE_LINKS = """
    UPDATE links SET target_id = (
        SELECT MIN(a.id) FROM articles a WHERE a.title_key = links.title_key)
    WHERE target_id IS NULL AND EXISTS (
        SELECT 1 FROM articles a WHERE a.title_key = links.title_key)
"""  # A link names its target whatever the target's status; pages hide retired ones.

_TOKEN_COLUMNS = "id, name, token_hash, created, expires, revoked, last_used"


def _check_expected(article: Article, expected_revision: int | None) -> None:
    if expected_revision is not None and article.revision != expected_revision:
        raise Conflict(
            f"article {article.id} is at revision {article.revision}, not "
            f"{expected_revision}: someone changed it since you read it"
        )


def _overrides(db: Connection, article_id: int) -> list[RelatedOverride]:
    rows = db.execute(
        "SELECT article_id, target_id, action, author, reason, created "
        "FROM related_overrides WHERE article_id = ? ORDER BY position",
        (article_id,),
    )
    return [RelatedOverride(*row) for row in rows]


def _checked_overrides(
    db: Connection, article_id: int, overrides: Sequence[tuple[int, str]]
) -> list[tuple[int, str]]:
    """`overrides` with each target once (the last choice), each checked: a known action, an
    article that exists and is not the article itself."""
    wanted: dict[int, str] = {}
    for target_id, action in overrides:
        if action not in RELATED_ACTIONS:
            raise StoreError(f"action must be 'pin' or 'exclude', not {action!r}")
        if target_id == article_id:
            raise StoreError("an article cannot be related to itself")
        found = (
            _storable(target_id)
            and db.execute("SELECT 1 FROM articles WHERE id = ?", (target_id,)).fetchone()
        )
        if not found:
            raise NotFound(f"no article with id {target_id!r}")
        wanted.pop(target_id, None)
        wanted[target_id] = action
    return list(wanted.items())


def _active_token(db: Connection, name: str) -> Any:
    row: Any = db.execute(
        f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE name = ? AND revoked IS NULL", (name,)
    ).fetchone()
    return row


def _topic_row(
    db: Connection, topic: TopicRecord, key: str
) -> tuple[int, str, list[str], str | None]:
    """The topic with this slug or key (id, name, synonyms, category), created if none."""
    row = db.execute(
        "SELECT id, name, synonyms, category FROM topics WHERE slug = ? OR name_key = ? "
        "ORDER BY CASE WHEN slug = ? THEN 0 ELSE 1 END, id LIMIT 1",
        (topic.slug, key, topic.slug),
    ).fetchone()
    if row is not None:
        return int(row[0]), row[1], json.loads(row[2]), row[3]
    cursor = db.execute(
        "INSERT INTO topics (slug, name, name_key, synonyms, category) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        (topic.slug, topic.name, key, json.dumps(list(topic.synonyms)), topic.category),
    )
    return int(cursor.fetchone()[0]), topic.name, list(topic.synonyms), topic.category


_TopicRow = tuple[int, str, list[str], str | None]  # id, name, synonyms, category
_RawTopicRow = tuple[int, str, str, str | None]  # the same, the synonyms still JSON


def _topic_rows(
    db: Connection, slugs: Sequence[str], keys: Sequence[str]
) -> tuple[dict[str, _RawTopicRow], dict[str, _RawTopicRow]]:
    """The topics with these slugs, and the first (lowest id) with each of these keys."""
    by_slug: dict[str, _RawTopicRow] = {}
    by_key: dict[str, _RawTopicRow] = {}
    for column, values, found in (("slug", slugs, by_slug), ("name_key", keys, by_key)):
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            rows = db.execute(
                f"SELECT {column}, id, name, synonyms, category FROM topics "
                f"WHERE {column} IN ({','.join('?' * len(chunk))}) ORDER BY id",
                chunk,
            )
            for value, *row in rows:
                found.setdefault(value, (int(row[0]), row[1], row[2], row[3]))
    return by_slug, by_key


def _insert_topics(db: Connection, topics: Sequence[TopicRecord]) -> dict[str, _TopicRow]:
    """New topics, a few hundred to a statement; by slug."""
    made: dict[str, _TopicRow] = {}
    for start in range(0, len(topics), _CHUNK // 5):
        chunk = topics[start : start + _CHUNK // 5]
        rows = [
            (t.slug, t.name, _topic_key(t.name), json.dumps(list(t.synonyms)), t.category)
            for t in chunk
        ]
        cursor = db.execute(
            "INSERT INTO topics (slug, name, name_key, synonyms, category) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
            + " RETURNING id, slug",
            [value for row in rows for value in row],
        )
        ids = {slug: int(topic_id) for topic_id, slug in cursor.fetchall()}
        for topic in chunk:
            made[topic.slug] = (ids[topic.slug], topic.name, list(topic.synonyms), topic.category)
    return made


def _source_id(db: Connection, name: str) -> int:
    db.execute("INSERT INTO sources (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
    return int(db.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])


def _existing(
    db: Connection, articles: Sequence[CleanArticle], sources: dict[str, int]
) -> dict[tuple[int, str], tuple[int, str, int, str]]:
    """(source id, external id) -> (id, source's hash, revision, status) of known articles."""
    found: dict[tuple[int, str], tuple[int, str, int, str]] = {}
    wanted: dict[int, list[str]] = {}
    for article in articles:
        wanted.setdefault(sources[article.source], []).append(article.external_id)
    for source_id, ids in wanted.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                # What the source last sent decides "unchanged": an editor's later edit is not
                # undone by importing the same source file again.
                "SELECT id, external_id, COALESCE(source_hash, content_hash), revision, status "
                "FROM articles "
                f"WHERE source_id = ? AND external_id IN ({marks})",
                (source_id, *chunk),
            )
            for row in rows:
                found[(source_id, row[1])] = (row[0], row[2], row[3], row[4])
    return found


def build_article_query(where: ArticleFilter, count: bool = False) -> tuple[str, list[Any]]:
    """The SELECT (or COUNT) for a listing, and its parameters; the caller adds order and paging."""
    clauses, params = ["1 = 1"], []
    if where.status:
        clauses.append("a.status = ?")
        params.append(where.status)
    if where.topic:
        clauses.append("t.slug = ?")
        params.append(where.topic)
    if where.source:
        clauses.append("s.name = ?")
        params.append(where.source)
    if where.review in REVIEW_STATES:
        overdue = "a.next_review IS NOT NULL AND a.next_review < ?"
        clauses.append(overdue if where.review == "overdue" else f"NOT ({overdue})")
        params.append(date.today().isoformat())
    if where.due_by:
        clauses.append("a.next_review IS NOT NULL AND a.next_review <= ?")
        params.append(where.due_by)
    columns = "COUNT(*)" if count else _ARTICLE_COLUMNS
    return f"SELECT {columns} {_ARTICLE_FROM} WHERE {' AND '.join(clauses)}", params


def build_feedback_counts_query(article_id: int | None) -> tuple[str, list[Any]]:
    """Yes, no and comment counts per article; the least helpful (most "no" answers) first."""
    where, params = ("WHERE f.article_id = ?", [article_id]) if article_id is not None else ("", [])
    sql = f"""SELECT a.id, a.slug, a.title,
                 SUM(CASE WHEN f.helpful = 1 THEN 1 ELSE 0 END),
                 SUM(CASE WHEN f.helpful = 0 THEN 1 ELSE 0 END),
                 SUM(CASE WHEN f.comment <> '' THEN 1 ELSE 0 END)
              FROM feedback f JOIN articles a ON a.id = f.article_id {where}
              GROUP BY a.id, a.slug, a.title
              ORDER BY 5 DESC, 4, a.id"""
    return sql, params


def _content_columns(article: CleanArticle) -> dict[str, Any]:
    return {
        "title": article.title,
        "title_key": title_key(article.title),
        "body_html": article.body_html,
        "body_text": article.body_text,
        "teaser": article.teaser,
        "source_url": article.source_url,
        "licence": article.licence,
        "language": article.language,
        "question_type": article.question_type,
        "last_reviewed": _iso(article.last_reviewed),
        "next_review": _iso(article.next_review),
        "status": article.status,
        "content_hash": article.content_hash,
        "signature": article.signature,
        "meta": _json_sorted(article.meta),
    }


def _revision_content(article: CleanArticle | Article) -> dict[str, Any]:
    """What a revision records: every field an editor or a source can change."""
    topic = article.topic
    return {
        "title": article.title,
        "body_html": article.body_html,
        "source_url": article.source_url,
        "licence": article.licence,
        "language": article.language,
        "topic": {"name": topic.name, "synonyms": list(topic.synonyms), "category": topic.category}
        if topic
        else None,
        "question_type": article.question_type,
        "last_reviewed": _iso(article.last_reviewed),
        "next_review": _iso(article.next_review),
        "status": article.status,
        "meta": article.meta,
        "links": [[link.kind, link.title, link.teaser] for link in article.links],
    }


def _add_revision(
    db: Connection,
    article_id: int,
    number: int,
    author: str,
    reason: str,
    now: str,
    content: dict[str, Any],
) -> None:
    db.execute(
        "INSERT INTO revisions (article_id, number, author, reason, created, content) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (article_id, number, author, reason, now, _json_text(content)),
    )


def _log(db: Connection, article_id: int, kind: str, now: str) -> None:
    sql = "INSERT INTO changes (article_id, kind, at) VALUES (?, ?, ?)"
    db.execute(sql, (article_id, kind, now))


# json.dumps(value, sort_keys=True) without making an encoder each call.
_json_sorted = json.JSONEncoder(sort_keys=True).encode
_json_ascii = json.JSONEncoder().encode
_json_unicode = json.JSONEncoder(ensure_ascii=False).encode


def _json_text(value: Any) -> str:
    """json.dumps(value, ensure_ascii=False), the same text, sooner for ASCII text (nearly
    all): the C encoder writes ASCII faster when it may escape the rest, and where nothing
    needed escaping as \\uXXXX the two outputs are the same."""
    text: str = _json_ascii(value)
    return text if "\\u" not in text else _json_unicode(value)


_topic_key = functools.lru_cache(maxsize=4096)(topic_key)  # a MedQuAD topic has 5 articles


def _base_slug(article: CleanArticle) -> str:
    return article.slug or slugify(article.title)


def _slug_bases(article: CleanArticle) -> tuple[str, str]:
    """The article's slug before any suffix, and the one its source's own title gives."""
    base = _base_slug(article)
    return base, slugify(article.source_title) if article.source_title else base


class _Slugs:
    """Free slugs in `table` for one write: `base`, or `base-2`, `base-3`... whichever is not
    taken yet, by the database or earlier in the write. `load` asks once for many bases;
    only a base that is taken costs a query of its own (for its numbered slugs)."""

    def __init__(self, db: Connection, table: str) -> None:
        self.db = db
        self.table = table
        self.checked: set[str] = set()  # bases asked about
        self.ranged: set[str] = set()  # bases whose numbered slugs were asked about too
        self.taken: set[str] = set()

    def load(self, bases: Sequence[str]) -> None:
        unknown = sorted(set(bases) - self.checked)
        for start in range(0, len(unknown), _CHUNK):
            chunk = unknown[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT slug FROM {self.table} WHERE slug IN ({marks})"
            self.taken.update(row[0] for row in self.db.execute(sql, chunk))
        self.checked.update(unknown)

    def free(self, base: str) -> str:
        if base not in self.checked:
            self.load([base])
        slug = base
        if base in self.taken:
            self._load_numbered(base)
            number = 2
            while f"{base}-{number}" in self.taken:
                number += 1
            slug = f"{base}-{number}"
        self.taken.add(slug)
        return slug

    def _load_numbered(self, base: str) -> None:
        if base not in self.ranged:
            rows = self.db.execute(  # every slug starting `base-` ("." follows "-")
                f"SELECT slug FROM {self.table} WHERE slug >= ? AND slug < ?",
                (f"{base}-", f"{base}."),
            )
            self.taken.update(row[0] for row in rows)
            self.ranged.add(base)


def _article(row: Any) -> Article:
    topic = None
    if row["topic_id"] is not None:
        topic = Topic(
            row["topic_id"],
            row["topic_slug"],
            row["topic_name"],
            json.loads(row["topic_synonyms"]),
            row["topic_category"],
        )
    return Article(
        id=row["id"],
        slug=row["slug"],
        source=row["source"],
        external_id=row["external_id"],
        title=row["title"],
        body_html=row["body_html"],
        body_text=row["body_text"],
        teaser=row["teaser"],
        source_url=row["source_url"],
        licence=row["licence"],
        language=row["language"],
        topic=topic,
        question_type=row["question_type"],
        created=row["created"],
        updated=row["updated"],
        last_reviewed=_date(row["last_reviewed"]),
        next_review=_date(row["next_review"]),
        status=row["status"],
        revision=row["revision"],
        content_hash=row["content_hash"],
        meta=json.loads(row["meta"]),
        source_title=row["source_title"],
    )


def _key(key: int | str) -> tuple[str, int | str]:
    """Which column a lookup key names: an id (all ASCII digits) or a slug.

    "²" and "①" are digits to `str.isdigit` but not to `int`: they are slugs (and not found).
    """
    if isinstance(key, int) or (key.isascii() and key.isdigit()):
        return "id", int(key)
    return "slug", key


_MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL store


def _storable(value: int | str) -> bool:
    """An id the database can be asked about; a larger one names nothing (and would overflow)."""
    return isinstance(value, int) and 0 <= value <= _MAX_ID


def _rollback(db: Connection) -> None:
    """Undo the transaction, if the error left one (SQLite ends some itself on a full disk)."""
    if db.in_transaction:
        db.execute("ROLLBACK")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
