"""Hostile rules files and country files: each is refused with one line naming the file, the
place in it and what was expected, in plain words (the shapes are pydantic models in
healthqa/safety.py; their errors are put in our words, never pydantic's)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthqa.safety import Country, Rules, RulesError, country

RULES = """
negation: {cues: ["no", not], not_after_cue: [one], window: 4}
classes: {pain: "pain|hurt*"}
contexts: {pregnancy: [pregnant]}
past: ["years ago"]
rules:
  - id: chest
    level: emergency
    patterns: ["chest ~ @pain"]
    source: {name: Somewhere, url: "https://example.org/"}
    title: Chest pain
    advice: Call {emergency}.
  - id: itch
    title: Itching
    advice: Call {urgent}.
    level: urgent
    requires: [pregnancy]
    patterns: [itchy]
    source: {name: Elsewhere, url: "https://example.org/"}
"""

JARGON = re.compile(r"Input should|Field required|Extra inputs|validation error|Value error")


def load(tmp_path: Path, text: str) -> str:
    """The one-line error loading `text` gives, without the file's folder."""
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as error:
        Rules.load(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    assert not JARGON.search(message)
    return message.replace(str(tmp_path) + "/", "")


def test_the_base_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES, encoding="utf-8")
    rules = Rules.load(path)
    assert [rule.id for rule in rules.rules] == ["chest", "itch"]
    found = rules.assess("my chest hurts")
    assert found is not None and found.rule == "chest"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # wrong types
        (
            ("level: emergency", "level: 3"),
            "rules[0], rule 'chest': level: must be one of emergency, urgent, soon (got 3)",
        ),
        (
            ("title: Itching", "title: 42"),
            "rules[1], rule 'itch': title: must be some text (got 42)",
        ),
        (
            ("patterns: [itchy]", "patterns: itchy"),
            "rules[1], rule 'itch': patterns: must be a list of patterns (got 'itchy')",
        ),
        (
            ("level: urgent", "level: urgent\n    now: maybe"),
            "rules[1], rule 'itch': now: must be true or false (got 'maybe')",
        ),
        (
            ('cues: ["no", not]', "cues: no"),  # YAML reads a bare no as false
            "negation: cues: must be a list of words (got false)",
        ),
        (
            ("requires: [pregnancy]", "requires: pregnancy"),
            "rules[1], rule 'itch': requires: must be a list (got 'pregnancy')",
        ),
        (
            ("requires: [pregnancy]", "requires: [3]"),
            "rules[1], rule 'itch': requires[0]: must be a context name or a list of patterns"
            " (got 3)",
        ),
        (
            (
                '{name: Somewhere, url: "https://example.org/"}',
                "Somewhere",
            ),
            "rules[0], rule 'chest': source: needs a name and a url (got 'Somewhere')",
        ),
        (("rules:\n", "rules: []\nx:\n"), "rules: must be a non-empty list"),
        (
            ("contexts: {pregnancy: [pregnant]}", "contexts: [pregnant]"),
            "contexts: must map names to lists of patterns",
        ),
        (("  - id: chest\n", "  - 3\n  - id: chest\n"), "rules[0]: must be a mapping"),
        ((RULES, "- a list"), "must be a mapping"),
        # missing keys
        (("    title: Itching\n", ""), "rules[1], rule 'itch': missing title"),
        (
            ("    title: Itching\n    advice: Call {urgent}.\n", ""),
            "rules[1], rule 'itch': missing title, advice",
        ),
        (("  - id: chest\n    level", "  - level"), "rules[0]: missing id"),
        (("rules:", "rulez:"), "missing 'rules'"),
        (('cues: ["no", not], ', ""), "negation: missing cues"),
        (
            (
                '{name: Somewhere, url: "https://example.org/"}',
                '{url: "https://a.b/"}',
            ),
            "rules[0], rule 'chest': source: missing name",
        ),
        # unknown keys
        (
            ("    patterns: [itchy]", "    colour: red\n    patterns: [itchy]"),
            "rules[1], rule 'itch': unknown colour (known: id, level, title, advice, patterns,"
            " source, requires, unless, except_when, article_titles, note, now)",
        ),
        # a bad level, a bad window
        (
            ("level: urgent", "level: later"),
            "rules[1], rule 'itch': level: must be one of emergency, urgent, soon (got 'later')",
        ),
        (
            ("window: 4", "window: 11"),
            "negation: window: must be a whole number from 1 to 10 (got 11)",
        ),
        (
            ("window: 4", "window: 0"),
            "negation: window: must be a whole number from 1 to 10 (got 0)",
        ),
        (
            ("window: 4", "window: true"),
            "negation: window: must be a whole number from 1 to 10 (got true)",
        ),
        # what follows from the whole file
        (("@pain", "@ache"), "rules[0], rule 'chest': patterns[0]: no class named '@ache'"),
        (('"pain|hurt*"', '"@pain|hurt*"'), "classes: pain: a class cannot use another"),
        (
            ("requires: [pregnancy]", "requires: [twins]"),
            "rules[1], rule 'itch': requires[0]: no context named 'twins'",
        ),
        (("id: itch", "id: chest"), "rules[1], rule 'chest': id: used twice (first at rules[0])"),
        (
            ("id: itch", "id: Itch Rule"),
            "rules[1], rule 'Itch Rule': id: must be lower-case words and hyphens"
            " (got 'Itch Rule')",
        ),
        (
            ("Call {urgent}.", "Call {police}."),
            "rules[1], rule 'itch': advice: unknown placeholder 'police' (use {emergency}, ...)",
        ),
        (
            (
                'Somewhere, url: "https://example.org/"}',
                'Somewhere, url: "http://example.org/"}',
            ),
            "rules[0], rule 'chest': source: url: must be a public https:// address"
            " (got 'http://example.org/')",
        ),
        (("patterns: [itchy]", "patterns: ['it*']"), "'it*': a word beginning needs 3 letters"),
        # more than one problem: the first, and how many more
        (
            ("level: urgent", "level: later\n    now: maybe"),
            "rules[1], rule 'itch': level: must be one of emergency, urgent, soon (got 'later');"
            " and 1 more problem",
        ),
    ],
)
def test_a_hostile_rules_file_gives_one_line_naming_file_and_place(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = RULES.replace(*change)
    assert text != RULES
    found = load(tmp_path, text)
    assert found.startswith("rules.yaml: ") and found.endswith(message), found


def test_empty_optional_keys_are_empty_and_an_empty_past_is_none(tmp_path: Path) -> None:
    text = RULES.replace('past: ["years ago"]', "past: []\nspellings:\nclasses_unused:")
    text = text.replace("requires: [pregnancy]", "requires:\n    unless:\n    except_when:")
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace("@pain", "pain"), encoding="utf-8")
    rules = Rules.load(path)
    assert rules.past is None and rules.rules[1].requires == ()
    assert rules.assess("itchy") is not None


LEAVES: list[Any] = [None, True, 7, 2.5, "", "x", "@nothing", [], [3], ["a"], {}, {"a": 1}]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed file, as the keys and indexes that lead to it."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return found
    for key, value in items:
        found += paths(value, (*prefix, key))
    return found


BASE = yaml.safe_load(RULES)
PLACES = paths(BASE)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(PLACES), st.sampled_from([*LEAVES, "delete"]))
def test_any_broken_value_is_refused_in_plain_words(
    tmp_path: Path, place: tuple[Any, ...], value: Any
) -> None:
    data = yaml.safe_load(RULES)
    parent = data
    for step in place[:-1]:
        parent = parent[step]
    if value == "delete":
        del parent[place[-1]]
    else:
        parent[place[-1]] = value
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    try:
        Rules.load(path)
    except RulesError as error:
        message = str(error)
        assert "\n" not in message and message.startswith(f"{path}: ")
        assert not JARGON.search(message), message


US = (Path(__file__).parents[1] / "healthqa" / "data" / "country-us.yaml").read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('  poison: "Poison Control on 1-800-222-1222"\n', ""), "numbers: missing poison"),
        (
            ("  poison:", "  fire: x\n  poison:"),
            "numbers: unknown fire (known: emergency, urgent, crisis, poison)",
        ),
        (('emergency: "911"', "emergency: 911"), "numbers: emergency: must be some text (got 911)"),
        (
            ("numbers:", "numbers: 911\nx:"),
            "numbers: must give emergency, urgent, crisis, poison (got 911)",
        ),
        (
            ("words:\n", "words: [a]\nx:\n"),
            "words: must map a word of the notices to this country's",
        ),
        (
            ("  suicidal-thoughts:\n", "  suicidal-thoughts: 988\n  x:\n"),
            "sources: suicidal-thoughts: needs a name and a url (got 988)",
        ),
        (
            ("url: https://988lifeline.org/\n  mental", "url: 988lifeline.org\n  mental"),
            "sources: suicidal-thoughts: url: must be a public https:// address"
            " (got '988lifeline.org')",
        ),
    ],
)
def test_a_hostile_country_file_gives_one_line_naming_file_and_place(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "country-us.yaml"
    text = US.replace(*change)
    assert text != US
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError) as error:
        Country.load(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_country_file_loads_as_the_bundled_one(tmp_path: Path) -> None:
    path = tmp_path / "country-us.yaml"
    path.write_text(US, encoding="utf-8")
    assert Country.load(path) == country("us")
