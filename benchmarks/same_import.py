"""Check that two versions of the code import a collection identically.

    # import with each version of the code (PYTHONPATH picks it), then compare the two files
    PYTHONPATH=OLD .venv/bin/python benchmarks/same_import.py import old.db
    PYTHONPATH=NEW .venv/bin/python benchmarks/same_import.py import new.db
    .venv/bin/python benchmarks/same_import.py compare old.db new.db

`import` imports the collection (MedQuAD's archive by default) into a new SQLite file with
the import's 2 worker processes; `compare` reads every article of both (by source and id)
and lists the fields that differ: content hash, title, source title, body (HTML and text),
teaser, signature, slug, topic (name, synonyms, category), plus the near-duplicate list and
the import's summary (counts, skips, problems, formats; kept in DB.summary.json); then every
other row the import wrote, each article named by source and id: revisions (number, author,
reason, content), the change log in order, links, slug aliases and topics.
Timestamps are left out. Exit status 1 when anything differs. A check for speed work, whose
promise is the same articles, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "medquad.tar.gz"
ARTICLE = """
    SELECT s.name, a.external_id, a.slug, a.title, a.source_title, a.title_key, a.body_html,
           a.body_text, a.teaser, a.content_hash, a.signature, a.source_url, a.licence,
           a.language, a.question_type, a.meta, a.status, t.name, t.synonyms, t.category
    FROM articles a JOIN sources s ON s.id = a.source_id LEFT JOIN topics t ON t.id = a.topic_id
"""
FIELDS = ARTICLE.split("FROM")[0].replace("SELECT", "").replace("\n", " ").split(",")
NEAR = """
    SELECT x.external_id, y.external_id, n.similarity FROM near_duplicates n
    JOIN articles x ON x.id = n.a JOIN articles y ON y.id = n.b
"""
_KEY = (  # an article as source/external id
    "(SELECT s.name || '/' || a.external_id FROM articles a "
    "JOIN sources s ON s.id = a.source_id WHERE a.id = {})"
)
TABLES = {  # every other row an import writes, without ids or times, in a fixed order
    "revisions": f"SELECT {_KEY.format('r.article_id')}, r.number, r.author, r.reason, r.content "
    "FROM revisions r ORDER BY 1, 2",
    "changes": f"SELECT {_KEY.format('c.article_id')}, c.kind FROM changes c ORDER BY c.seq",
    "links": f"SELECT {_KEY.format('l.article_id')}, l.kind, l.position, l.title, l.title_key, "
    f"l.teaser, {_KEY.format('l.target_id')} FROM links l ORDER BY 1, 2, 3",
    "slug_aliases": f"SELECT slug, {_KEY.format('article_id')} FROM slug_aliases ORDER BY 1",
    "topics": "SELECT slug, name, name_key, synonyms, category FROM topics ORDER BY 1",
}


def run_import(db: str, path: str) -> None:
    from healthqa.imports import import_paths
    from healthqa.store import open_store

    if Path(db).exists():
        sys.exit(f"{db} exists: name a new file")
    store = open_store(db)
    try:
        summary = import_paths(store, [path])
    finally:
        store.close()
    print(f"{db}: {summary.imported:,} imported in {summary.seconds:.1f} s")
    report = summary.to_dict()
    del report["seconds"]
    Path(db + ".summary.json").write_text(json.dumps(report, indent=1, sort_keys=True))


def rows(db: str) -> tuple[dict[tuple[str, str], tuple[object, ...]], set[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        articles = {(row[0], row[1]): row for row in connection.execute(ARTICLE)}
        near = set(connection.execute(NEAR))
    return articles, near


def other_rows(db: str) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        return {name: list(connection.execute(sql)) for name, sql in TABLES.items()}


def compare(old_db: str, new_db: str) -> int:
    old, old_near = rows(old_db)
    new, new_near = rows(new_db)
    differences = 0
    for key in sorted(old.keys() | new.keys()):
        if key not in old or key not in new:
            print(f"{key}: only in {old_db if key in old else new_db}")
            differences += 1
            continue
        for name, a, b in zip(FIELDS, old[key], new[key], strict=True):
            if a != b:
                print(f"{key}: {name.strip()} differs: {a!r:.100} / {b!r:.100}")
                differences += 1
    summaries = [Path(db + ".summary.json") for db in (old_db, new_db)]  # what each import said
    if not all(summary.exists() for summary in summaries):
        print("a summary is missing: import each file with this script")
        differences += 1
    elif summaries[0].read_text() != summaries[1].read_text():
        print("the import summaries (counts, skips, problems, formats) differ")
        differences += 1
    if old_near != new_near:
        print(f"near-duplicates differ: {len(old_near ^ new_near)} pairs in one list only")
        differences += 1
    old_rows, new_rows = other_rows(old_db), other_rows(new_db)
    for table, rows_a in old_rows.items():
        rows_b = new_rows[table]
        if rows_a != rows_b:
            print(f"{table} differ: {len(rows_a):,} and {len(rows_b):,} rows")
            differences += 1
        else:
            print(f"{table}: {len(rows_a):,} rows the same")
    print(f"{len(old):,} and {len(new):,} articles compared; {differences} differences")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    to_import = commands.add_parser("import", help="import the collection into a new file")
    to_import.add_argument("db")
    to_import.add_argument("--path", default=str(DEFAULT))
    to_compare = commands.add_parser("compare", help="compare the articles of two files")
    to_compare.add_argument("old")
    to_compare.add_argument("new")
    args = parser.parse_args()
    if args.command == "import":
        run_import(args.db, args.path)
    else:
        sys.exit(compare(args.old, args.new))


if __name__ == "__main__":
    main()
