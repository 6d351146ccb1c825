"""The scale benchmark's figures as tables and plots in docs/performance.md.

    python benchmarks/scale_report.py                 # reads ~/.cache/healthqa-dev/scale

Reads every results-SIZE.json that bench_scale.py wrote, writes the tables between the
`<!-- scale:begin -->` and `<!-- scale:end -->` lines of docs/performance.md, and plots
latency and throughput against corpus size into docs/images/scale-*.png (log-log axes, so a
step whose cost grows linearly is a line of slope 1 at most).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent / "docs"
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
LATENCY = (
    "raw engine (tantivy alone)",
    "search (keywords)",
    "search page view",
    "ask (keywords)",
    "ask (hybrid)",
    "ask (re-ranked)",
    "embed a new question",
    "vector search (exact)",
    "vector search (index)",
    "related articles",
)
HTTP = ("article page", "search page", "search API", "ask page", "datasette search")


def read(work: Path) -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in work.glob("results-*.json")]
    return sorted((r for r in found if "http" in r), key=lambda r: r["size"])


def tables(results: list[dict[str, Any]]) -> str:
    sizes = [r["size"] for r in results]
    head = "| | " + " | ".join(f"{s:,}" for s in sizes) + " |\n|---|" + "---|" * len(sizes)
    lines = [
        "In-process latency, p50 / p99 ms (52 questions x 5 rounds; related: 200 articles):",
        "",
        head,
    ]
    for name in LATENCY:
        cells = [_cell(r["latency ms"].get(name)) for r in results]
        if any(c != "-" for c in cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    recall = [r["latency ms"]["recall@10 of the vector index"]["p50"] for r in results]
    lines.append(
        "| recall@10 of the vector index against exact | "
        + " | ".join(f"{x:.3f}" for x in recall)
        + " |"
    )
    ratio = [
        r["latency ms"]["search (keywords)"]["p50"]
        / r["latency ms"]["raw engine (tantivy alone)"]["p50"]
        for r in results
    ]
    lines.append("| search p50 / raw engine p50 | " + " | ".join(f"{x:.2f}" for x in ratio) + " |")
    lines += [
        "",
        "HTTP over loopback, requests a second / p50 ms / p99 ms (wrk 2 threads, 16 "
        "connections, 10 s; healthqa 2 workers, Datasette one process):",
        "",
        head,
    ]
    for name in HTTP:
        cells = [_http(r["http"].get(name)) for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratio = [
        r["http"]["search API"]["rps"] / d if (d := r["http"]["datasette search"]["rps"]) else None
        for r in results
    ]
    lines.append(
        "| search API / Datasette, requests a second | "
        + " | ".join(f"{x:,.0f}x" if x else "-" for x in ratio)
        + " |"
    )
    lines += ["", "Building and size:", "", head]
    rows = {
        "import, articles a second (embedding off)": lambda r: f"{r['import']['per_second']:,}",
        "import, seconds": lambda r: f"{r['import']['seconds']:,.0f}",
        "near-duplicate pairs found": lambda r: f"{r['import']['near_duplicates']:,}",
        "tantivy index build, s": lambda r: f"{r['lexical index build s']:,.1f}",
        "vector index open/build, s": lambda r: _vectors(r["vector index build s"]),
        "serving RSS per worker, MB": lambda r: " / ".join(
            f"{m:,.0f}" for m in sorted(r["http"]["rss_mb"])[-2:]
        ),
        "database on disk, MB": lambda r: f"{r['disk MB']['database']:,.0f}",
        "index folder on disk, MB": lambda r: f"{r['disk MB']['index folder']:,.0f}",
        "Datasette's database, MB": lambda r: f"{r['disk MB']['datasette database']:,.0f}",
    }
    for name, cell in rows.items():
        lines.append(f"| {name} | " + " | ".join(cell(r) for r in results) + " |")
    loads = [f"{min(r['load'].values()):.1f}-{max(r['load'].values()):.1f}" for r in results]
    lines.append("| load average during the run (1 min) | " + " | ".join(loads) + " |")
    return "\n".join(lines) + "\n"


def _cell(row: dict[str, float] | None) -> str:
    return "-" if row is None else f"{row['p50']:.2f} / {row['p99']:.1f}"


def _http(row: dict[str, float] | None) -> str:
    if row is not None and not row["rps"]:
        return "none answered within the run"
    return "-" if row is None else f"{row['rps']:,.0f} / {row['p50']:.1f} / {row['p99']:.0f}"


def _vectors(row: dict[str, Any]) -> str:
    return f"{row['seconds']:,.1f} ({'approximate' if row['approximate'] else 'exact'})"


def plots(results: list[dict[str, Any]], images: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in results]
    made = []
    for name, series, label in (
        (
            "scale-latency.png",
            {n: [r["latency ms"].get(n, {}).get("p50") for r in results] for n in LATENCY},
            "p50 latency, ms",
        ),
        (
            "scale-throughput.png",
            {n: [r["http"][n]["rps"] for r in results] for n in HTTP},
            "requests a second (wrk, loopback)",
        ),
    ):
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for line, values in series.items():
            if all(v is not None for v in values):
                axes.plot(sizes, values, marker="o", label=line)
        if name == "scale-latency.png":  # what linear growth from the first size looks like
            start = min(v[0] for v in series.values() if v[0] is not None)
            axes.plot(
                sizes,
                [start * size / sizes[0] for size in sizes],
                "k--",
                alpha=0.4,
                label="grows as the collection (slope 1)",
            )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("articles in the collection")
        axes.set_ylabel(label)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(images / name, dpi=110)
        plt.close(figure)
        made.append(name)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", default="~/.cache/healthqa-dev/scale")
    args = parser.parse_args()
    results = read(Path(args.work).expanduser())
    if not results:
        raise SystemExit("no results yet: run benchmarks/bench_scale.py first")
    made = plots(results, DOCS / "images")
    text = tables(results) + "\n" + "\n".join(f"![{name}](images/{name})" for name in made) + "\n"
    page = DOCS / "performance.md"
    current = page.read_text()
    if BEGIN not in current:
        raise SystemExit(f"docs/performance.md has no {BEGIN} line to write after")
    before, rest = current.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    page.write_text(f"{before}{BEGIN}\n{text}{END}{after}")
    print(f"wrote {len(results)} sizes into {page}")


if __name__ == "__main__":
    main()
