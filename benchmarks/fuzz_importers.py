"""Fuzz every importer for a while under a memory cap (issue 19; docs/reliability.md).

    python benchmarks/fuzz_importers.py --minutes 10 --memory-mb 1024

Runs tests/test_ingest_fuzz.py again and again, each run with new random examples
(HEALTHQA_FUZZ_EXAMPLES per test), in a child process whose address space is capped with
resource.setrlimit(RLIMIT_AS) (a memory blow-up fails as MemoryError) and which is killed if a
run outlives its share of time (a hang). Prints one line per run and a summary; exits 1 on any
failure, hang or blow-up.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cap(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--examples", type=int, default=200, help="per test, per run")
    parser.add_argument("--hang-seconds", type=float, default=600.0, help="a run longer: hung")
    args = parser.parse_args()
    env = {**os.environ, "HEALTHQA_FUZZ_EXAMPLES": str(args.examples)}
    env.pop("CI", None)  # not derandomised: each run explores new examples
    command = [sys.executable, "-m", "pytest", "tests/test_ingest_fuzz.py", "-q", "-p"]
    command += ["no:cacheprovider", "-x"]
    end = time.monotonic() + args.minutes * 60
    runs = failures = 0
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=args.hang_seconds,
                preexec_fn=lambda: cap(args.memory_mb),
            )
            ok, tail = done.returncode == 0, done.stdout.strip().splitlines()[-1:]
            if not ok:
                print(done.stdout[-4000:], done.stderr[-2000:], sep="\n")
        except subprocess.TimeoutExpired:
            ok, tail = False, [f"HUNG: over {args.hang_seconds:.0f} s"]
        runs += 1
        failures += not ok
        print(
            f"run {runs}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s: "
            f"{' '.join(tail)}",
            flush=True,
        )
    examples = runs * args.examples * 7
    print(
        f"{runs} runs, about {examples:,} examples, {failures} failed "
        f"(cap {args.memory_mb} MB address space)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
