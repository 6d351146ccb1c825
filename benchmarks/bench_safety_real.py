"""How many real consumer questions the urgent-symptom rules flag: the false-alarm measurement.

    .venv/bin/python benchmarks/bench_safety_real.py              # both sets, counts only
    .venv/bin/python benchmarks/bench_safety_real.py --show       # also each flagged question
    .venv/bin/python benchmarks/bench_safety_real.py --set train  # only the LiveQA training set

Two sets of real questions people sent to the U.S. National Library of Medicine, read from
`../shared` at run time (none of their text is in this repository):

- `train`: the 421 questions of the TREC 2017 LiveQA medical training files
  (`../shared/data/liveqa2017-train/*.xml`, subject and message). The rules may be tuned on these.
- `dev`: the 52 questions of the benchmark `../shared/bench/liveqa-med-dev/queries.jsonl`.
  Measurement only: never change a rule because of one of its questions.

Neither set is labelled for urgency, so the script prints the share flagged `emergency` or
`urgent` (the false-alarm ceiling) and, with `--show`, each flagged question for a person to read;
docs/safety.md records how many a clinician would not flag.
"""

from __future__ import annotations

import argparse
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from healthqa.safety import LEVELS, assess

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRAIN = SHARED / "data" / "liveqa2017-train"
DEV = SHARED / "bench" / "liveqa-med-dev" / "queries.jsonl"


def train_questions(folder: Path = TRAIN) -> list[tuple[str, str]]:
    """(id, subject and message) of every question in the LiveQA training files."""
    rows = []
    for path in sorted(folder.glob("*.xml")):
        for number, question in enumerate(ET.parse(path).getroot().iter("NLM-QUESTION")):
            qid = question.get("questionid") or question.get("qid") or str(number)
            parts = [question.findtext(tag) or "" for tag in ("SUBJECT", "MESSAGE")]
            text = ". ".join(part.strip() for part in parts if part.strip())
            rows.append((f"{path.stem[-1]}:{qid}", text))
    return rows


def dev_questions(path: Path = DEV) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8") as lines:
        return [
            (str(row["_id"]), str(row.get("text", "")))
            for row in map(json.loads, filter(str.strip, lines))
        ]


def report(name: str, questions: list[tuple[str, str]], show: bool) -> None:
    levels: Counter[str] = Counter()
    for qid, text in questions:
        found = assess(text)
        levels[found.level if found else "none"] += 1
        if found and found.level != "soon":
            print(f"{qid:<12} {found.level:<10} {', '.join(found.rules)}")
            if show:
                print(f"             {' '.join(text.split())[:1200]}")
    total = len(questions)
    alarms = levels["emergency"] + levels["urgent"]
    print(f"{name}: {total} questions")
    for level in (*LEVELS, "none"):
        print(f"  {level:<10} {levels[level]:>4}  {levels[level] / total:6.1%}")
    print(f"  flagged emergency or urgent: {alarms} of {total} ({alarms / total:.1%})\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=["train", "dev", "both"], default="both")
    parser.add_argument("--show", action="store_true", help="print each flagged question")
    args = parser.parse_args()
    if args.set in ("train", "both"):
        report("liveqa2017-train", train_questions(), args.show)
    if args.set in ("dev", "both"):
        report("liveqa-med-dev", dev_questions(), args.show)


if __name__ == "__main__":
    main()
