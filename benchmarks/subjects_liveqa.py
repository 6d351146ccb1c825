"""Right subject on the LiveQA training questions that name a topic of the collection.

    .venv/bin/python benchmarks/subjects_liveqa.py --db medquad.db
    .venv/bin/python benchmarks/subjects_liveqa.py --db medquad.db --ranking keywords

The second selection set of docs/quality.md ("Everyday words in both rankings"), built at run
time from `../shared/data/liveqa2017-train` (none of its text is in this repository): each
training question whose annotated focus is the name or an "also called" name of a topic of the
database (compared as `eval subjects` compares names), with those topics as its right subjects.
Prints how many questions the set holds and for how many the first stage's top article is about
one of them. The questions are long messages that mostly name their subject: the set checks
that a change for everyday words does not cost questions that name theirs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from healthqa import config
from healthqa.evaluate.liveqa import load_liveqa
from healthqa.evaluate.subjects import same_subject, subject_key
from healthqa.library import Library, NoDatabase

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "liveqa2017-train"


def subject_set(library: Library, folder: Path = SHARED) -> list[tuple[str, tuple[str, ...]]]:
    """(question, right subject names) for each training question whose focus names a topic."""
    names: dict[str, set[str]] = {}
    for topic in library.store.topics():
        for name in (topic.name, *topic.synonyms):
            names.setdefault(subject_key(name), set()).add(topic.name)
    found = []
    for path in sorted(folder.glob("*.xml")):
        for question in load_liveqa(path):
            topics = set().union(*(names.get(subject_key(f), set()) for f in question.focuses))
            if topics:
                found.append((question.text, tuple(sorted(topics | set(question.focuses)))))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a database with a collection imported")
    parser.add_argument("--ranking", default="", help="keywords, semantic or hybrid")
    args = parser.parse_args()
    if not any(SHARED.glob("*.xml")):
        sys.exit(f"No LiveQA training files in {SHARED}: put ../shared beside the repository.")
    settings = config.load() | ({"ranking": args.ranking} if args.ranking else {})
    library = Library(args.db, settings=settings, create=False)
    try:
        search = library.search
    except (NoDatabase, ValueError) as exc:  # no database; a ranking this site cannot run
        sys.exit(str(exc))
    questions = subject_set(library)
    right = 0
    for text, subjects in questions:
        top = search.candidates(text, 1)
        article = search.store.get_article(top[0].article_id) if top else None
        topic = article.topic if article else None
        right += topic is not None and same_subject((topic.name, *topic.synonyms), subjects)
    print(
        f"{len(questions)} LiveQA training questions name a topic; the {search.ranking} ranking's "
        f"top article is about it for {right} ({right / max(len(questions), 1):.0%})"
    )
    library.close()


if __name__ == "__main__":
    main()
