"""The layers of docs/architecture.md, read from the code: every import points down.

Each module of healthqa has a layer; a module may import modules of its own layer or below,
never above, and on the top floor the side-by-side parts keep to themselves: the web serves
readers and never imports the command line, evaluation or training. Imports made only for type
checking (under `if TYPE_CHECKING:`) load nothing and are left out. Read with `ast`, so nothing
is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "healthqa"

# Bottom to top, as docs/architecture.md draws them. A prefix ending in "." covers a package.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (title, tuple(members.split()))
    for title, members in (
        ("records and text", "config articles text text. patterns"),
        (
            "storage, input and models",
            "store store. ingest ingest. clean bodies embedders bert index.vocabulary",
        ),
        (
            "derived indexes",
            "index.lexical index.sync index.vectors index.approximate index.quantized index.locks"
            " imports tokens accounts questions",
        ),
        ("ranking and safety", "search safety entailment recommend"),
        ("answers", "answers rerank"),
        ("the library", "library editing ."),  # ".": the package's own __init__, a facade
        (
            "on top, side by side",
            "web web. cli cli. evaluate evaluate. tune training training. __main__",
        ),
    )
]
# On the top floor, who may not import whom: serving never reaches evaluation or training.
APART = {
    "web": ("cli", "evaluate", "tune", "training", "__main__"),
    "evaluate": ("web", "cli", "__main__"),
    "training": ("web", "cli", "__main__"),
    "tune": ("web", "cli", "__main__"),
}
# Known breaches, each to be mended and then struck off (the test fails when one is mended and
# still listed). None today.
KNOWN: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(name: str) -> int:
    best = None
    for number, (_, members) in enumerate(LAYERS):
        for member in members:
            covers = name == member.strip(".") or (
                len(member) > 1 and member.endswith(".") and name.startswith(member)
            )
            if covers and (best is None or len(member) > best[1]):
                best = (number, len(member))
    assert best is not None, f"healthqa.{name} has no layer in docs/architecture.md"
    return best[0]


def imports(path: Path) -> set[str]:
    """The healthqa modules `path` imports when it runs (as names relative to the package),
    at the top or inside functions; a name from the package's own __init__ counts as ""."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                name = _relative(f"{node.module}.{alias.name}")
                found.add(name if name in MODULES else _relative(node.module))
        elif isinstance(node, ast.Import):
            found |= {_relative(alias.name) for alias in node.names}
    return {name for name in found if name in MODULES}


def _relative(name: str) -> str:
    return name.removeprefix("healthqa").removeprefix(".")


MODULES = {module_name(path) for path in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=module_name)
def test_imports_point_down(path: Path) -> None:
    name = module_name(path)
    found = imports(path) - {name}
    known = {other for other in found if (name, other) in KNOWN}
    assert known == {other for (module, other) in KNOWN if module == name}, "KNOWN is stale"
    upward = sorted(
        f"healthqa.{other} ({LAYERS[layer(other)][0]})"
        for other in found - known
        if layer(other) > layer(name)
    )
    assert not upward, f"healthqa.{name} ({LAYERS[layer(name)][0]}) imports {upward}"
    top = name.split(".")[0]
    banned = [other for other in imports(path) if other.split(".")[0] in APART.get(top, ())]
    assert not banned, f"healthqa.{name} must not import {banned}"


def test_every_layer_names_real_modules() -> None:
    for title, members in LAYERS:
        for member in members:
            assert any(
                name == member.strip(".") or name.startswith(member)
                for name in MODULES | {"training"}
            ), f"{title}: {member} names no module"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The contract can fail: an import from the store up to the web is one it reports."""
    bad = tmp_path / "sqlite.py"
    bad.write_text("def f():\n    from healthqa.web import views\n    from healthqa import cli\n")
    assert imports(bad) == {"web.views", "cli"}
    assert layer("web.views") > layer("store.sqlite") and layer("cli") > layer("store")


def test_the_package_says_it_is_typed() -> None:
    """PEP 561: a py.typed marker beside the code, shipped with it, so that a program using
    healthqa as a library gets its type hints checked."""
    import tomllib

    assert (PACKAGE / "py.typed").is_file()
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["healthqa"]
