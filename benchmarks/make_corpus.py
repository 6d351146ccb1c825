"""A larger corpus made from MedQuAD: a seeded recombination, with vectors, never committed.

    python benchmarks/make_corpus.py 100000 ~/.cache/healthqa-dev/scale/corpus-100000.jsonl \
        --vectors-from ~/.cache/healthqa-dev/medquad.db

Reads the liveqa-med-dev corpus (../shared/bench, 17,942 MedQuAD question-answer articles in
the BEIR layout) at run time and writes SIZE articles as BEIR JSON Lines, which
`healthqa import` reads: the 17,942 real articles first, as they are, then generated ones.

A generated article takes, all drawn from one seeded random stream (same seed, same file):

- a topic B: the topic of a real article P drawn at random (so big topics stay big);
- a title: the question of a real article A of another topic, with A's focus replaced by B's
  ("What are the symptoms of {B} ?"), sometimes followed by a population ("in children");
  a title already made (or a real one) is drawn again, after ten tries with a second topic
  ("in people who also have {C}"), so lists do not collapse more than on real data;
- a body: a run of 3 to 8 consecutive sentences of P, then 2 to 6 sentences each taken from a
  real article of yet another topic. No two articles share most of their sentences, so the
  import's near-duplicate detection (MinHash, Jaccard 0.8) finds about what it finds on the
  real articles alone (`tests/test_make_corpus.py` checks it on a tiny corpus);
- metadata: B's focus and synonyms (the topic), A's question type, no URL.

Vectors (`--vectors-from` a database whose articles came from the same MedQuAD and hold
stored title and lead vectors): embedding a million texts would take days here, so a generated
article gets the real title and lead vectors of its source P plus Gaussian noise (standard
deviation `--noise` per dimension, 0.025: a cosine of about 0.9 with P's), normalised; a real
article gets its own vectors unchanged. They are written beside the corpus as OUT.vectors.npy
(float16, one row per line of the corpus, title then lead, zeros where there is none) and
OUT.vectors.json (the model keys); `bench_scale.py` stores them under those keys with the hash
of each imported article's text, as `healthqa reindex` would have.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from healthqa.articles import title_key

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"
SOURCE = "Generated from MedQuAD (healthqa scale benchmark)"
POPULATIONS = (
    "",
    "",
    "",
    " in children",
    " in adults",
    " in older adults",
    " during pregnancy",
    " in women",
    " in men",
    " in teenagers",
    " in babies",
)
DIMENSION = 384
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"])")


@dataclass(frozen=True)
class Source:
    """A real article as the generator uses it."""

    id: str
    row: int  # its line in the corpus, from 0
    focus: str
    synonyms: tuple[str, ...]
    qtype: str
    template: str | None  # the title with its focus as "{}", when the title names it
    sentences: tuple[str, ...]


def sentences(text: str) -> tuple[str, ...]:
    """The text's sentences (a plain split at ., ! or ? before a capital letter)."""
    return tuple(s.strip() for s in _SENTENCE_END.split(text) if s.strip())


def template(title: str, focus: str) -> str | None:
    """`title` with `focus` (any letter case) as "{}", or None when the title lacks it."""
    found = title.lower().find(focus.lower()) if focus else -1
    if found < 0:
        return None
    rest = title[:found] + "\0" + title[found + len(focus) :]
    return rest.replace("{", "(").replace("}", ")").replace("\0", "{}")


def read_sources(path: Path) -> list[Source]:
    """Every article of a BEIR corpus that has a topic (focus) and at least one sentence."""
    found: list[Source] = []
    with path.open(encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            record = json.loads(line)
            meta = record.get("metadata") or {}
            focus = str(meta.get("focus") or "").strip()
            split = sentences(record["text"])
            if focus and split:
                synonyms = tuple(s for s in meta.get("synonyms") or [] if isinstance(s, str))
                qtype = str(meta.get("qtype") or "")
                found.append(
                    Source(
                        record["_id"],
                        row,
                        focus,
                        synonyms,
                        qtype,
                        template(record["title"], focus),
                        split,
                    )
                )
    return found


class Generator:
    """Generated articles from `sources`, the same ones for the same `seed`."""

    def __init__(
        self,
        sources: Sequence[Source],
        seed: int,
        primaries: Sequence[int],
        taken: Iterable[str] = (),
    ) -> None:
        self.sources = sources
        self.random = random.Random(seed)
        self.seed = seed
        self.primaries = list(primaries)  # indexes of sources that may be a body's P
        self.templates = [i for i, s in enumerate(sources) if s.template]
        self.titles = {title_key(title) for title in taken}  # real titles are taken too

    def article(self, number: int) -> tuple[dict[str, object], int]:
        """The `number`-th generated article (call in order) and the corpus row of its P."""
        pick = self.random
        p = self.sources[pick.choice(self.primaries)]
        title, qtype = self._title(p.focus)
        start = pick.randrange(len(p.sentences))
        body = list(p.sentences[start : start + pick.randint(3, 8)])
        for _ in range(pick.randint(2, 6)):
            other = self._other_topic(p.focus)
            body.append(pick.choice(other.sentences))
        record = {
            "_id": f"gen{self.seed}-{number}",
            "title": title,
            "text": " ".join(body),
            "metadata": {
                "source": SOURCE,
                "focus": p.focus,
                "synonyms": list(p.synonyms),
                "qtype": qtype,
            },
        }
        return record, p.row

    def _title(self, focus: str) -> tuple[str, str]:
        """A question about `focus` not made before, in the words of another topic's title."""
        for attempt in range(50):
            a = self._other_topic(focus, self.templates)
            assert a.template is not None
            population = (
                self.random.choice(POPULATIONS)
                if attempt < 10
                else f" in people who also have {self._other_topic(focus).focus}"
            )
            title = a.template.format(focus).rstrip(" ?") + population + "?"
            if (key := title_key(title)) not in self.titles:
                self.titles.add(key)
                return title, a.qtype
        raise RuntimeError(f"no new title for {focus!r} after 50 tries")

    def _other_topic(self, focus: str, among: Sequence[int] | None = None) -> Source:
        while True:
            found = self.sources[self.random.choice(among or range(len(self.sources)))]
            if found.focus != focus:
                return found


def real_vectors(db: Path, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The stored title and lead vectors of the articles `ids` (external ids) in `db`, opened
    read-only: an array (len(ids), 2, 384), whether each has both, and the two model keys."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        keys = [_model_key(connection, part) for part in ("title", "lead")]
        rows = {external: n for n, external in enumerate(ids)}
        vectors = np.zeros((len(ids), 2, DIMENSION), dtype=np.float32)
        seen = np.zeros((len(ids), 2), dtype=bool)
        for column, key in enumerate(keys):
            query = (
                "SELECT a.external_id, v.vector FROM article_vectors v "
                "JOIN articles a ON a.id = v.article_id WHERE v.model = ?"
            )
            for external, blob in connection.execute(query, (key,)):
                if (row := rows.get(external)) is not None:
                    vectors[row, column] = np.frombuffer(blob, dtype=np.float32)
                    seen[row, column] = True
    finally:
        connection.close()
    return vectors, seen.all(axis=1), keys


def _model_key(connection: sqlite3.Connection, part: str) -> str:
    found = connection.execute(
        "SELECT model FROM article_vectors WHERE model LIKE ? GROUP BY model "
        "ORDER BY count(*) DESC LIMIT 1",
        (f"%:{part}",),
    ).fetchone()
    if found is None:
        raise SystemExit(f"the database holds no {part} vectors")
    return str(found[0])


def noisy(vectors: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """`vectors` (..., 384) plus Gaussian noise, each normalised to length 1."""
    moved = vectors + rng.normal(0.0, noise, vectors.shape).astype(np.float32)
    return moved / np.linalg.norm(moved, axis=-1, keepdims=True)


def corpus_ids(corpus: Path) -> list[str]:
    with corpus.open(encoding="utf-8") as lines:
        return [json.loads(line)["_id"] for line in lines]


def generate(
    corpus: Path, size: int, seed: int = 21, usable: np.ndarray | None = None
) -> Iterator[tuple[dict[str, object], int]]:
    """The real articles, then generated ones up to `size` articles in all, each with the
    corpus row whose vectors it takes (its own; its source P's). Only rows `usable` (those
    with vectors, when given) are drawn as P."""
    sources = read_sources(corpus)
    titles: list[str] = []
    with corpus.open(encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            if len(titles) >= size:
                return
            record = json.loads(line)
            titles.append(record["title"])
            yield record, row
    count = len(titles)
    primaries = [n for n, s in enumerate(sources) if usable is None or usable[s.row]]
    generator = Generator(sources, seed, primaries, titles)
    for number in range(size - count):
        yield generator.article(number)


def write(args: argparse.Namespace) -> None:
    corpus = Path(args.folder) / "corpus.jsonl"
    out = Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    ids = corpus_ids(corpus)
    vectors = usable = None
    if args.vectors_from:
        vectors, usable, keys = real_vectors(Path(args.vectors_from).expanduser(), ids)
        print(f"real vectors: {int(usable.sum()):,} of {len(ids):,} articles", flush=True)
        rows = np.lib.format.open_memmap(
            str(out) + ".vectors.npy", "w+", np.float16, (args.size, 2, DIMENSION)
        )
        rng = np.random.default_rng(args.seed)
    with out.open("w", encoding="utf-8") as lines:
        for n, (record, row) in enumerate(generate(corpus, args.size, args.seed, usable)):
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
            if vectors is not None and usable is not None and usable[row]:
                real = n < len(ids)
                found = vectors[row] if real else noisy(vectors[row], args.noise, rng)
                rows[n] = found.astype(np.float16)
            if n and n % 100_000 == 0:
                print(f"{n:,} articles written", flush=True)
    if vectors is not None:
        rows.flush()
        Path(str(out) + ".vectors.json").write_text(
            json.dumps({"models": keys, "noise": args.noise, "seed": args.seed})
        )
    print(f"{args.size:,} articles in {out}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int, help="articles in all, the real ones included")
    parser.add_argument("out", help="the JSON Lines file to write")
    parser.add_argument("--folder", default=str(DEFAULT), help="the BEIR corpus to recombine")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--vectors-from", help="a database with the sources' stored vectors")
    parser.add_argument("--noise", type=float, default=0.025)
    write(parser.parse_args())


if __name__ == "__main__":
    main()
