"""How often the urgent-symptom rules flag the questions of a benchmark, and how fast they run.

    .venv/bin/python benchmarks/bench_safety.py                 # liveqa-med-dev
    .venv/bin/python benchmarks/bench_safety.py --show          # also print each flagged question
    .venv/bin/python benchmarks/bench_safety.py --articles      # also article pages with a notice

Reads `queries.jsonl` of a BEIR folder at run time (its text is never copied into the
repository), assesses every question with `healthqa.safety.assess`, and prints how many were
flagged at each level, the share flagged `emergency` or `urgent` (the false-alarm ceiling that
docs/safety.md reports), the rule behind each flag, and the time per question. Whether a flag
was justified is a reader's judgement: `--show` prints each flagged question so that a person
can read it. `--articles` counts the corpus articles whose page would carry a notice
(`assess_article`, by title), by rule.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from bench_import import machine

from healthqa.safety import LEVELS, assess, default_rules

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "liveqa-med-dev"


def read_questions(folder: Path) -> list[tuple[str, str]]:
    rows = []
    with open(folder / "queries.jsonl", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                rows.append((str(row["_id"]), str(row.get("text", ""))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--show", action="store_true", help="print each flagged question")
    parser.add_argument("--articles", action="store_true", help="count article pages flagged")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    questions = read_questions(Path(args.folder))
    started = time.perf_counter()
    default_rules()
    load_ms = (time.perf_counter() - started) * 1000
    levels: Counter[str] = Counter()
    for qid, text in questions:
        found = assess(text)
        levels[found.level if found else "none"] += 1
        if found:
            print(f"{qid:<8} {found.level:<10} {', '.join(found.rules)}")
            if args.show:
                print(f"         {text}")
    times = []
    for _ in range(args.rounds):
        for _, text in questions:
            start = time.perf_counter()
            assess(text)
            times.append(time.perf_counter() - start)
    total = len(questions)
    alarms = levels["emergency"] + levels["urgent"]
    print(f"\n{Path(args.folder).name}: {total} questions; machine: {machine()}")
    for level in (*LEVELS, "none"):
        print(f"  {level:<10} {levels[level]:>4}  {levels[level] / total:6.1%}")
    print(f"flagged emergency or urgent: {alarms} of {total} ({alarms / total:.1%})")
    ordered = sorted(times)
    print(
        f"assess: median {statistics.median(times) * 1000:.3f} ms, "
        f"p99 {ordered[int(0.99 * len(ordered))] * 1000:.3f} ms "
        f"({args.rounds} rounds); rules compiled once in {load_ms:.0f} ms"
    )
    if args.articles:
        count_articles(Path(args.folder) / "corpus.jsonl")


def count_articles(corpus: Path) -> None:
    """Article pages that would carry a notice, by level and rule (their titles are read)."""
    rules = default_rules()
    flagged: Counter[tuple[str, str]] = Counter()
    total = 0
    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                total += 1
                found = rules.assess_title(str(json.loads(line).get("title", "")))
                if found:
                    flagged[found.level, found.rule] += 1
    print(f"\narticle pages with a notice: {sum(flagged.values())} of {total:,}")
    for (level, rule), count in flagged.most_common():
        print(f"  {count:>5}  {level:<10} {rule}")


if __name__ == "__main__":
    main()
