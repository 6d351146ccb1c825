import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import make_tar
from test_index_vectors import BrokenEmbedder, CountingEmbedder

from healthqa.cli import main
from healthqa.embedders import Embedder, register, unregister
from healthqa.evaluate import load_beir


def run(*args: str, db: Path | None = None) -> click.testing.Result:
    prefix = ["--db", str(db)] if db else []
    return CliRunner().invoke(main, [*prefix, *args], catch_exceptions=False)


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


@pytest.mark.parametrize("command", all_commands(main))
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example: healthqa" in result.output


# Run in the child: each reading command through the package's root group, then the loaded
# evaluation and training modules (eval and train import them inside the command only).
READING_COMMANDS = """
import sys
from healthqa.cli import main
db, question = sys.argv[1], sys.argv[2]
for args in (["search", question], ["ask", question], ["serve", "--get", "/ask?q=" + question]):
    try:
        main(["--db", db, *args], standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, (args, exc.code)
off = ("healthqa.evaluate", "healthqa.training", "healthqa.tune")
print(sorted(m for m in sys.modules if m.startswith(off)))
"""


def test_reading_and_serving_commands_load_no_evaluation_or_training_code(demo_db: Path) -> None:
    env = os.environ | {
        "HEALTHQA_CONFIG": "/nonexistent/healthqa.toml",
        "HEALTHQA_EMBEDDING_MODEL": "none",
    }
    done = subprocess.run(
        [sys.executable, "-c", READING_COMMANDS, str(demo_db), "leg cramps"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_import_then_stats_list_and_show(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "site.db"
    result = run("import", str(fixtures / "markdown"), str(fixtures / "medquad"), db=db)
    assert result.exit_code == 0, result.output
    assert "5 imported" in result.output
    assert "Skipped 1: no answer text" in result.output
    stats = json.loads(run("stats", "--json", db=db).output)
    assert (stats["articles"], stats["revisions"], stats["topics"]) == (5, 5, 3)
    listed = [
        json.loads(line) for line in run("articles", "list", "--json", db=db).output.splitlines()
    ]
    assert len(listed) == 5 and "body_html" not in listed[0]
    shown = json.loads(run("articles", "show", "what-causes-a-sore-throat", "--json", db=db).output)
    assert shown["title"] == "What causes a sore throat?"
    assert [(link["kind"], link["target_id"] is not None) for link in shown["links"]] == [
        ("next", True),
        ("related", True),
        ("related", False),
    ]
    text = run("articles", "show", "what-causes-a-sore-throat", db=db).output
    assert ">>: How can I soothe a sore throat?" in text


def test_import_exits_non_zero_when_anything_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "corpus.jsonl"
    bad.write_text('{"_id": "a", "title": "A?", "text": "Aye."}\n[1]\n')
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "import", str(bad)])
    assert result.exit_code == 1
    assert "1 imported" in result.output
    assert f"{bad}:2: not an object" in result.output


def test_export_then_import_gives_the_same_articles(fixtures: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    run("import", str(fixtures / "markdown"), str(fixtures / "medquad"), db=first)
    run("articles", "retire", "how-can-i-soothe-a-sore-throat", "--reason", "test", db=first)
    dump = tmp_path / "export.jsonl"
    assert run("export", str(dump), db=first).exit_code == 0
    result = run("import", str(dump), db=second)
    assert result.exit_code == 0, result.output

    def content(db: Path) -> list[dict]:
        rows = [
            json.loads(x)
            for x in run("articles", "list", "--status", "all", "--json", db=db).output.splitlines()
        ]
        keep = (
            "slug",
            "title",
            "source",
            "external_id",
            "status",
            "topic",
            "next_review",
            "content_hash",
        )
        return [{k: row[k] for k in keep} for row in rows]

    assert content(first) == content(second)
    for slug in ("what-causes-a-sore-throat", "what-are-hiccups"):
        a = json.loads(run("articles", "show", slug, "--json", db=first).output)
        b = json.loads(run("articles", "show", slug, "--json", db=second).output)
        assert (a["title"], a["body_html"], a["links"]) == (b["title"], b["body_html"], b["links"])
    again = run("import", str(dump), db=second)
    assert "0 imported, 0 updated, 5 unchanged" in again.output


def test_retire_restore_and_revisions(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    slug = "how-can-i-soothe-a-sore-throat"
    run("import", str(fixtures / "markdown"), db=db)
    retired = run("articles", "retire", slug, "--reason", "old", db=db)
    assert "retired (revision 2)" in retired.output
    restored = run("articles", "restore", slug, "--reason", "ok", db=db)
    assert "published (revision 3)" in restored.output
    history = json.loads(run("articles", "revisions", slug, "--json", db=db).output)
    assert [(r["number"], r["reason"]) for r in history] == [
        (1, f"imported from {fixtures / 'markdown'}"),
        (2, "old"),
        (3, "ok"),
    ]


def test_unknown_article_is_a_clear_error(tmp_path: Path) -> None:
    run("init", db=tmp_path / "x.db")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "articles", "show", "nope"])
    assert result.exit_code == 1
    assert "no article with id or slug 'nope'" in result.output
    assert "Traceback" not in result.output


def test_duplicates_and_topics_list(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    corpus = tmp_path / "corpus.jsonl"
    text = "Cold water, a held breath and patience stop most hiccups within a few minutes at home."
    corpus.write_text(
        json.dumps(
            {"_id": "a", "title": "Stop hiccups?", "text": text, "metadata": {"focus": "Hiccups"}}
        )
        + "\n"
        + json.dumps(
            {"_id": "b", "title": "End hiccups?", "text": text, "metadata": {"focus": "Hiccups"}}
        )
        + "\n"
    )
    run("import", str(corpus), db=db)
    pairs = [json.loads(x) for x in run("duplicates", "--json", db=db).output.splitlines()]
    assert len(pairs) == 1 and pairs[0]["similarity"] >= 0.8
    assert "2  Hiccups" in run("topics", db=db).output


def test_init_with_demo_loads_the_bundled_articles(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = run("init", "--demo", db=db)
    assert result.exit_code == 0, result.output
    stats = json.loads(run("stats", "--json", db=db).output)
    assert 30 <= stats["articles"] <= 60
    assert stats["links"] == stats["links_resolved"]


def test_database_comes_from_the_environment(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHQA_DATABASE_URL", str(tmp_path / "env.db"))
    run("import", str(fixtures / "markdown"))
    assert (tmp_path / "env.db").exists()


def test_every_kind_of_bad_input_is_named_and_the_rest_imported(
    fixtures: Path, tmp_path: Path
) -> None:
    good_xml = (fixtures / "medquad/1_Tiny_QA/0000001_1.xml").read_bytes()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>'
    )
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Document>&x;</Document>"
    )
    archive = make_tar(
        tmp_path / "mixed.tar.gz",
        {
            "mq/good.xml": good_xml,
            "mq/truncated.xml": good_xml[:300],
            "mq/bomb.xml": bomb,
            "mq/xxe.xml": xxe,
            "/abs/evil.xml": good_xml,
            "../up/evil.xml": good_xml,
            "corpus.jsonl": b'{"_id": "a", "title": "A?", "text": "Aye."}\n["not", "object"]\n',
            "pages/untitled.txt": b"\n\n<<: Previous page\n",
        },
    )
    huge = tmp_path / "huge.xml"
    with open(huge, "wb") as out:
        out.truncate(100 * 1024 * 1024)
    db = tmp_path / "x.db"
    result = CliRunner().invoke(
        main, ["--db", str(db), "import", "--json", str(archive), str(huge)]
    )
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["imported"] == 3  # two MedQuAD pairs and the good JSON line
    assert summary["rejected"] == {
        "broken XML": 1,
        "unsafe XML": 2,
        "unsafe archive member": 2,
        "not an object": 1,
        "no title": 1,
        "too large": 1,
    }
    assert any("corpus.jsonl:2" in problem for problem in summary["problems"])
    assert any("truncated.xml" in problem for problem in summary["problems"])
    check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    assert check == "ok"
    assert json.loads(run("stats", "--json", db=db).output)["revisions"] == 3


def test_search_and_reindex(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run("import", str(fixtures / "markdown"), db=db)
    found = run("search", "how do I soothe my throat", db=db).output
    assert found.splitlines()[0].endswith("[how-can-i-soothe-a-sore-throat]")
    rows = [json.loads(x) for x in run("search", "throat", "--json", db=db).output.splitlines()]
    assert len(rows) == 2 and all(row["score"] > 0 for row in rows)
    assert (tmp_path / "x.db.index").is_dir()
    assert "Indexed 2 published articles." in run("reindex", db=db).output
    run("articles", "retire", "how-can-i-soothe-a-sore-throat", "--reason", "x", db=db)
    rows = [json.loads(x) for x in run("search", "soothe", "--json", db=db).output.splitlines()]
    assert rows == []


def test_eval_beir_scores_healthqa_beside_plain_bm25(fixtures: Path, tmp_path: Path) -> None:
    bench = fixtures / "eval" / "tiny-bench"
    run_file, plot = tmp_path / "tiny.run", tmp_path / "tiny.png"
    result = run("eval", "beir", str(bench), "--run", str(run_file), "--plot", str(plot), "--json")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    scores = report["scores"]
    assert set(scores) == {"healthqa", "plain BM25"}
    judged = len(load_beir(bench).queries)
    assert sum(row["questions"] for row in report["reliability"]) == judged
    assert {"MAP@10", "MRR@10", "nDCG@10", "P@5", "succ@1", "avgScore@1"} <= set(scores["healthqa"])
    lines = run_file.read_text().splitlines()
    assert lines and all(len(line.split()) == 6 and line.split()[1] == "Q0" for line in lines)
    assert scores["healthqa"]["succ@1"] > 0  # the fizzy-drinks question finds a good answer


def test_eval_mediqa_commands_score_against_baselines(fixtures: Path, tmp_path: Path) -> None:
    qa_run, rqe_run = tmp_path / "qa.csv", tmp_path / "rqe.csv"
    qa = run("eval", "mediqa-qa", str(fixtures / "eval" / "qa-judged.xml"), "--run", str(qa_run),
             "--json")  # fmt: skip
    scores = json.loads(qa.output)
    assert set(scores) == {"healthqa", "CHiQA order, all correct"}
    assert {"accuracy", "precision", "mrr", "spearman"} <= set(scores["healthqa"])
    assert all(len(line.split(",")) == 3 for line in qa_run.read_text().splitlines())
    rqe = run("eval", "rqe", str(fixtures / "eval" / "rqe-labelled.xml"), "--run", str(rqe_run),
              "--json")  # fmt: skip
    assert set(json.loads(rqe.output)) == {"healthqa", "majority label"}
    unjudged = run("eval", "rqe", str(fixtures / "eval" / "rqe-test-layout.xml"))
    assert "no judgments to score against" in unjudged.output


def test_ask_answers_with_a_cited_passage_or_says_it_cannot(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    run("import", str(fixtures / "markdown"), db=db)
    text = run("ask", "what causes a sore throat?", db=db).output
    assert "1. What causes a sore throat?" in text
    assert "Source: Tiny Clinic" in text and "Last reviewed: 2026-01-10" in text
    data = json.loads(run("ask", "what causes a sore throat?", "--json", db=db).output)
    assert (
        data["no_answer"] is False and data["answers"][0]["title"] == "What causes a sore throat?"
    )
    nothing = run("ask", "how do I replace a gearbox", db=db).output
    assert nothing.startswith("We do not have a good answer to this question.")
    assert "call 999" in nothing


def test_editors_pin_and_exclude_related_articles_across_reimports(
    fixtures: Path, tmp_path: Path
) -> None:
    db = tmp_path / "x.db"
    run("import", str(fixtures / "markdown"), str(fixtures / "medquad"), db=db)
    slug, hiccups = "what-causes-a-sore-throat", "what-are-hiccups"
    run("related", slug, "--pin", hiccups, "--reason", "test", db=db)
    run("related", slug, "--exclude", "how-can-i-soothe-a-sore-throat", db=db)
    run("import", str(fixtures / "markdown"), str(fixtures / "medquad"), db=db)  # again
    data = json.loads(run("related", slug, "--json", db=db).output)
    titles = [item["title"] for item in data["related"]]
    assert titles[0] == "What are Hiccups?"
    assert "How can I soothe a sore throat?" not in titles
    assert data["next"]["title"] == "How can I soothe a sore throat?"  # neighbours stay
    run("related", slug, "--clear", hiccups, db=db)
    data = json.loads(run("related", slug, "--json", db=db).output)
    assert data["related"][0]["reason"] != "picked by an editor"


# Semantic search that never makes anyone wait (issue 15) -------------------------------------


@pytest.fixture
def embedding(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Embedder]]:
    """Semantic search on, with the embedder the test puts in the list, loaded by the library
    under the name "fake" as it loads the real model."""
    chosen: list[Embedder] = [CountingEmbedder()]
    register("fake", lambda threads: chosen[0])
    monkeypatch.setenv("HEALTHQA_EMBEDDING_MODEL", "fake")
    yield chosen
    unregister("fake")


def test_keywords_ranking_loads_no_embedder_in_any_command(
    embedding: list[Embedder], fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(threads: int) -> Embedder:
        raise AssertionError("an embedder was loaded although ranking = keywords")

    register("fake", explode)
    monkeypatch.setenv("HEALTHQA_RANKING", "keywords")
    db = tmp_path / "x.db"
    assert run("import", str(fixtures / "markdown"), db=db).exit_code == 0
    assert run("reindex", db=db).exit_code == 0
    assert "sore-throat" in run("search", "sore throat", db=db).output
    assert run("ask", "what causes a sore throat", db=db).exit_code == 0
    stats = json.loads(run("stats", "--json", db=db).output)
    assert stats["embedding"] is None and stats["ranking"].startswith("keywords only")
    assert run("serve", "--get", "/api/v1/ask?q=sore+throat", db=db).exit_code == 0


def test_a_read_never_embeds_the_collection_and_says_how_far_it_is(
    embedding: list[Embedder], fixtures: Path, tmp_path: Path
) -> None:
    fake = embedding[0]
    assert isinstance(fake, CountingEmbedder)
    db = tmp_path / "x.db"
    imported = run("import", "--no-embed", str(fixtures / "markdown"), db=db)
    assert "Semantic ranking covers 0 of 2 articles; run `healthqa reindex`" in imported.stderr
    found = run("search", "how do I soothe my throat", db=db)
    assert "[how-can-i-soothe-a-sore-throat]" in found.stdout  # by keywords meanwhile
    assert "Semantic ranking covers 0 of 2 articles" in found.stderr
    assert fake.texts == []  # not even the question: there is nothing to compare it with
    assert json.loads(run("stats", "--json", db=db).output)["embedding"]["embedded"] == 0
    reindexed = run("reindex", db=db)
    assert "Embedded 4 texts" in reindexed.stderr and "covers 2 of 2 articles" in reindexed.stderr
    assert len(fake.texts) == 4  # each article's title and lead
    asked = run("ask", "what causes throat pain", db=db)
    assert asked.exit_code == 0 and asked.stderr == ""
    assert fake.texts[4:] == ["what causes throat pain"]  # the question alone: no everyday phrase
    stats = json.loads(run("stats", "--json", db=db).output)
    assert stats["embedding"] == {
        "model": f"{fake.model_id}:title+lead",
        "embedded": 2,
        "articles": 2,
    }
    assert "Nothing new to embed" in run("reindex", db=db).stderr


def test_import_embeds_unless_told_not_to(
    embedding: list[Embedder], fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "x.db"
    monkeypatch.setenv("HEALTHQA_EMBED_ON_IMPORT", "false")
    assert "covers 0 of 2" in run("import", str(fixtures / "markdown"), db=db).stderr
    monkeypatch.delenv("HEALTHQA_EMBED_ON_IMPORT")
    result = run("import", str(fixtures / "markdown"), db=db)  # nothing new, but not embedded
    assert "Embedded 4 texts" in result.stderr and "covers 2 of 2 articles" in result.stderr


def test_an_interrupted_embedding_says_what_it_kept(
    embedding: list[Embedder], fixtures: Path, tmp_path: Path
) -> None:
    embedding[0] = BrokenEmbedder(limit=0)
    db = tmp_path / "x.db"
    result = run("import", str(fixtures / "markdown"), db=db)
    assert result.exit_code == 130
    assert "Embedding stopped: 0 of 2 articles have their vectors (kept)" in result.stderr


READING = [
    ["stats"],
    ["search", "cramps"],
    ["ask", "what helps leg cramps"],
    ["related", "x"],
    ["topics"],
    ["duplicates"],
    ["reindex"],
    ["export", "out.jsonl"],
    ["articles", "list"],
    ["tokens", "list"],
    ["serve", "--get", "/"],
]


@pytest.mark.parametrize("command", READING, ids=lambda c: c[0])
def test_reading_commands_never_create_a_database(
    tmp_path: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # export's file would land here
    db = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["--db", str(db), *command])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: There is no database at {db}. Make one with `healthqa --db {db} import "
        f"FILE...`, or try the demo articles with `healthqa --db {db} init --demo`.\n"
    )
    assert list(tmp_path.iterdir()) == []  # no file, no index folder beside it


def test_a_database_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "x.db"
    made = CliRunner().invoke(main, ["--db", str(missing), "import", str(tmp_path)])
    assert made.exit_code == 1
    assert made.output == (
        f"Error: cannot open the database {missing}: the folder {missing.parent} does not exist\n"
    )
    stats = CliRunner().invoke(main, ["--db", "/nonexistent/x.db", "stats"])
    assert stats.exit_code == 1 and stats.output.startswith("Error: There is no database at")
    text = tmp_path / "notes.txt"
    text.write_text("not a database, just notes\n" * 100)
    wrong = CliRunner().invoke(main, ["--db", str(text), "stats"])
    assert wrong.exit_code == 1
    assert wrong.output == (
        f"Error: cannot open the database {text}: the file is not a healthqa (SQLite) database\n"
    )


def test_writing_commands_create_the_database(tmp_path: Path) -> None:
    assert "Database ready" in run("init", db=tmp_path / "new.db").output
    assert (tmp_path / "new.db").is_file()
    assert run("stats", db=tmp_path / "new.db").exit_code == 0


def test_articles_show_finds_an_article_by_its_slug_from_before_titles_were_tidied(
    fixtures: Path, tmp_path: Path
) -> None:
    db = tmp_path / "tidy.db"
    assert run("import", str(fixtures / "medquad"), db=db).exit_code == 0
    result = run("articles", "show", "what-is-are-hiccups", "--json", db=db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["slug"] == "what-are-hiccups"
    assert "what-is-are-hiccups is now what-are-hiccups" in result.stderr
    assert run("articles", "show", "what-is-are-nothing", db=db).exit_code != 0
