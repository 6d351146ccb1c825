"""Where a site's database is: the database URL, parsed once and passed down as a value.

    DatabaseURL.parse("healthqa.db")                  # a SQLite file (the embedded default)
    DatabaseURL.parse("sqlite:///var/lib/hq.db")      # the same, as a URL
    DatabaseURL.parse(":memory:")                     # SQLite in memory, for tests
    DatabaseURL.parse("postgresql://app@db1/healthqa")

Everything that depends on where the data lives (the store's backend, the index folder, the
embedding lock, the check that a database exists) asks this value, never the text again. The
text keeps any password for connecting; `str()` shows it hidden, for messages and logs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from healthqa.store.base import StoreError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
MEMORY = ":memory:"


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed database URL: which backend, and for SQLite which file (or memory)."""

    text: str = field(repr=False)  # as given, with any password: what the driver connects to
    backend: str  # SQLITE or POSTGRESQL
    path: str = ""  # SQLite: the file, or ":memory:"; PostgreSQL: ""

    @classmethod
    def parse(cls, value: str | DatabaseURL) -> DatabaseURL:
        """The URL `value` names; a `StoreError` in words for one healthqa cannot use."""
        if isinstance(value, DatabaseURL):
            return value
        text = value.strip()
        if not text:
            raise StoreError("the database URL is empty: give a file path or postgresql://...")
        scheme = _SCHEME.match(text)
        if scheme is None:
            return cls(text, SQLITE, text)
        name = scheme.group(1).lower()
        if name in _POSTGRES_SCHEMES:
            return cls(text, POSTGRESQL)
        if name == SQLITE and text.startswith("sqlite:///") and len(text) > len("sqlite:///"):
            return cls(text, SQLITE, text.removeprefix("sqlite:///"))
        raise StoreError(
            f"cannot use the database URL {_hide_password(text)}: healthqa stores its data in "
            "SQLite (a file path, or sqlite:///PATH) or PostgreSQL (postgresql://USER@HOST/DB)"
        )

    @property
    def postgres(self) -> bool:
        return self.backend == POSTGRESQL

    @property
    def memory(self) -> bool:
        return self.backend == SQLITE and self.path == MEMORY

    @property
    def file(self) -> Path | None:
        """The SQLite database file (None in memory or on PostgreSQL)."""
        return Path(self.path) if self.backend == SQLITE and not self.memory else None

    def exists(self) -> bool:
        """Whether the database is there: PostgreSQL and memory always are (the server says
        otherwise when connecting), a SQLite file when the file exists."""
        return self.file.is_file() if self.file is not None else True

    def beside(self, suffix: str) -> Path | None:
        """A path beside the SQLite file (`site.db` + `.index`); None for other databases."""
        return Path(self.path + suffix) if self.file is not None else None

    def digest(self) -> str:
        """A short name for this database, the same on every node that names it alike."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def __str__(self) -> str:
        return _hide_password(self.text) if self.postgres else self.text


def _hide_password(text: str) -> str:
    """The URL with any password (in the user part or `?password=`) replaced by ***."""
    try:
        parts = urlsplit(text)
        netloc = parts.netloc
    except ValueError:
        return text
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "password" for key, _ in query):
        hidden = [(key, "***" if key == "password" else value) for key, value in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(hidden, safe="*")))
    return urlunsplit(parts._replace(netloc=netloc))
