"""Every importer fuzzed (issue 19): mangled and random input never crashes or hangs an import.

Each example writes one file (or an archive holding it) and imports it into an in-memory store
through `import_paths`, the whole importer: detection, parsing, checks, cleaning, storing. An
import may reject what it reads (that is a Problem in its summary); it must not raise. CI runs
a few examples per format; benchmarks/fuzz_importers.py runs them for minutes under a 1 GB
memory cap (docs/reliability.md).
"""

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.imports import ImportSummary, import_paths
from healthqa.ingest import Limits
from healthqa.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = int(os.environ.get("HEALTHQA_FUZZ_EXAMPLES", "15"))
LIMITS = Limits(200_000, 50_000, 500, 100_000)  # small, so that the limits are met too


def seeds() -> dict[str, tuple[str, bytes]]:
    """A valid file of each format: (file name, content)."""
    beir = {"_id": "d1", "title": "What is a yawn?", "text": "A deep breath in.", "metadata": {}}
    exported = [
        {"healthqa_export": 1, "exported": "2026-01-01T00:00:00Z"},
        {"title": "What is a yawn?", "body_html": "<p>A deep breath in.</p>", "source": "T"},
    ]
    return {
        "markdown": ("a.md", (FIXTURES / "markdown" / "sore-throat.md").read_bytes()),
        "medquad": ("a.xml", (FIXTURES / "medquad" / "1_Tiny_QA" / "0000002.xml").read_bytes()),
        "page-text": ("a.txt", (FIXTURES / "pages" / "why-do-hiccups-happen.txt").read_bytes()),
        "page-html": ("a.html", (FIXTURES / "pages" / "why-do-hiccups-happen.html").read_bytes()),
        "beir": ("a.jsonl", (json.dumps(beir) + "\n").encode() * 3),
        "healthqa": ("a.jsonl", b"".join(json.dumps(r).encode() + b"\n" for r in exported)),
    }


SEEDS = seeds()


@st.composite
def mangled(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few slices cut, repeated or replaced by random bytes, or cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        end = draw(st.integers(at, min(len(data), at + 64)))
        edit = draw(st.sampled_from(["cut", "repeat", "replace", "insert"]))
        if edit == "cut":
            del data[at:end]
        elif edit == "repeat":
            data[at:at] = data[at:end] * draw(st.integers(1, 50))
        else:
            noise = draw(st.binary(max_size=64) | st.text(max_size=32).map(str.encode))
            data[at : end if edit == "replace" else at] = noise
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def inputs(fmt: str) -> st.SearchStrategy[bytes]:
    return mangled(SEEDS[fmt][1]) | st.binary(max_size=2000)


def run(path: Path, fmt: str | None) -> ImportSummary:
    store = open_store(":memory:")
    try:
        return import_paths(store, [str(path)], format=fmt, limits=LIMITS, workers=0)
    finally:
        store.close()


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # the long run's watchdog catches hangs; time varies on a shared machine
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_a_mangled_file_never_crashes_its_importer(
    fmt: str, data: st.DataObject, tmp_path: Path
) -> None:
    name, _ = SEEDS[fmt]
    content = data.draw(inputs(fmt))
    path = tmp_path / name
    path.write_bytes(content)
    for chosen in (fmt, None):  # as named, and as detected
        summary = run(path, chosen)
        assert summary.imported + len(summary.rejected) + summary.unchanged >= 0


@FUZZ
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    data=st.data(),
    kind=st.sampled_from(["tar.gz", "zip"]),
)
def test_a_mangled_archive_never_crashes_the_import(
    fmt: str, data: st.DataObject, kind: str, tmp_path: Path
) -> None:
    name, _ = SEEDS[fmt]
    content = data.draw(inputs(fmt))
    packed = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"folder/{name}", content)
    else:
        with tarfile.open(fileobj=packed, mode="w:gz") as archive:
            member = tarfile.TarInfo(f"folder/{name}")
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    raw = packed.getvalue()
    if data.draw(st.booleans()):  # and the archive itself damaged
        raw = data.draw(mangled(raw))
    path = tmp_path / f"input.{kind}"
    path.write_bytes(raw)
    run(path, None)
