"""The word patterns of the urgent-symptom rules (`healthqa.safety`), compiled and matched.

A pattern is words in order over a question's words joined by single spaces:

    "chest ... pain|tight*"    "chest", then within three words "pain" or a word from "tight"
    "chest ~ pain"             both halves, in either order, up to three words apart
    "#", "#year"               any number; a year of someone's history (1930 to 2049)
    "all_over"                 the words "all over"

A `Matcher` finds a pattern's matches that no `unless` pattern overlaps; a `Negation` cue a few
words before a match in the same clause cancels it ("no bleeding"), and so may a `Past` marker
("in 2015"). `mend` reads a misspelt word as the rules' word it slips from ("siezure"), with
the speller of `healthqa.text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from healthqa.text import Speller

_GAP = 3  # words a "..." in a pattern may skip
_STEM_MIN = 3  # shortest word beginning a pattern may use ("hurt*"; not "hu*")
BREAK = "."  # the token that stands for punctuation: a clause boundary
_PAST_WINDOW = 6  # words between a symptom and a marker of the past ("in 2015") in its clause
_OPTION = r"(?:[a-z0-9'_]+(?:\.\d+)?\*?|#|#year)"
_ELEMENT = re.compile(rf"^{_OPTION}(?:\|{_OPTION})*$")
GAP_TOKEN = re.compile(r"(\.\.\.|~)(\d?)")  # "..." in order; "~" either order
_YEAR = r"(?:19[3-9]\d|20[0-4]\d)"  # "#year": a year of someone's history, 1930 to 2049


class RulesError(ValueError):
    """The rules file is not usable; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class Matcher:
    """Compiled patterns, with the local context that cancels a match (`unless`)."""

    pattern: re.Pattern[str] | None
    unless: re.Pattern[str] | None = None
    quick: Quick | None = None  # the words a match needs: a quick test before the regex

    def found(self, text: str, negation: Negation, past: Past | None = None) -> bool:
        """Is there a match in `text` (tokens joined by spaces) that nothing cancels?

        With `past`, a marker of the past in the match's clause cancels it ("in 2015").
        """
        return any(
            not negation.negates(text, start) and not (past and past.dates(text, start, end))
            for start, end in self.spans(text)
        )

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """The matches in `text` that no `unless` pattern overlaps, first to last."""
        if self.pattern is None or (self.quick and not self.quick.possible(text)):
            return
        blocked = [m.span() for m in self.unless.finditer(text)] if self.unless else []
        position = 0
        while match := self.pattern.search(text, position):
            start, end = match.span()
            if not any(start < b_end and b_start < end for b_start, b_end in blocked):
                yield start, end
            position = start + 1  # a cancelled match may hide a shorter one inside it


@dataclass(frozen=True)
class Quick:
    """A quick test: a pattern can match only if each of its elements has a word in the text.

    An element is the set of keys it matches: its words, "bleed*" for a word beginning, "#" for
    a number, and a phrase's first word ("all_over": "all"); `keys_in` gives a text's keys.
    """

    patterns: tuple[tuple[frozenset[str], ...], ...]
    # One element's keys from every pattern, together: no match without one of them, so one
    # set operation turns most texts away before the loop over patterns (None: a pattern
    # needs no key).
    gate: frozenset[str] | None = None

    def possible(self, text: str) -> bool:
        present = keys_in(text)
        if self.gate is not None and self.gate.isdisjoint(present):
            return False
        return any(all(not keys.isdisjoint(present) for keys in p) for p in self.patterns)


@lru_cache(maxsize=16)
def keys_in(text: str) -> frozenset[str]:
    """The words of `text`, "#" if it has a number, and each word's beginnings as "bleed*"."""
    words = set(text.split())
    keys = set(words)
    for word in words:
        if word[0].isdigit():
            keys.add("#")
        keys.update(word[:end] + "*" for end in range(_STEM_MIN, len(word) + 1))
    return frozenset(keys)


@dataclass(frozen=True)
class AnyOf:
    """Satisfied when any of its matchers finds an uncancelled match."""

    matchers: tuple[Matcher, ...]

    def found(self, text: str, negation: Negation) -> bool:
        return any(matcher.found(text, negation) for matcher in self.matchers)


@dataclass(frozen=True)
class Negation:
    cues: frozenset[str]
    window: int
    not_after_cue: frozenset[str]
    breaks: frozenset[str]

    def negates(self, text: str, start: int) -> bool:
        """Does a negation cue in the same clause, a few words before `start`, cancel it?"""
        before = text[max(0, start - 40 * self.window) : start].split()[-self.window :]
        for position in range(len(before) - 1, -1, -1):
            word = before[position]
            if word in self.breaks:
                return False
            if word in self.cues:
                return not self.not_after_cue.intersection(before[position + 1 :])
        return False


@dataclass(frozen=True)
class Past:
    """Markers of the past ("in 2015", "years ago", "as a kid"): a symptom in the same clause,
    a few words away, is history ("I had a stroke in 2015"), not something happening now."""

    markers: Matcher
    breaks: frozenset[str]
    window: int = _PAST_WINDOW

    def dates(self, text: str, start: int, end: int) -> bool:
        """Is the match at `start`:`end` in a clause with a marker of the past near it?"""
        for m_start, m_end in self.markers.spans(text):
            between = text[min(end, m_end) : max(start, m_start)].split()
            if len(between) <= self.window and self.breaks.isdisjoint(between):
                return True
        return False


def mend(token: str, spellings: Mapping[str, str], speller: Speller) -> str:
    """The word a token stands for: a listed misspelling's correction, or the rules' word it
    slips from by one letter (`speller`, of tolerance `text.SLIP`), or the token itself."""
    if token in spellings:
        return spellings[token]
    return speller.correct(token) or token


def matcher(patterns: Any, unless: Any, where: str) -> Matcher:
    compiled = _alternation(patterns, where, allow_empty=where.endswith("article_titles"))
    unless_compiled = _alternation(unless or [], where.replace("patterns", "unless"), True)
    return Matcher(compiled, unless_compiled, _quick(patterns) if compiled else None)


def _quick(patterns: list[str]) -> Quick:
    """For each pattern, the keys each of its elements needs (the "..." gaps need none), and
    the gate: from each pattern, the element whose shortest key is longest (a longer word is
    a rarer one)."""
    needs = tuple(
        tuple(
            frozenset(_key(option) for option in element.split("|"))
            for element in p.lower().split()
            if not GAP_TOKEN.fullmatch(element)
        )
        for p in patterns
    )
    if not all(needs):
        return Quick(needs)
    rarest = (max(p, key=lambda keys: min(len(key.rstrip("*")) for key in keys)) for p in needs)
    return Quick(needs, frozenset().union(*rarest))


def _key(option: str) -> str:
    """The key a text needs for an option: its first word, "#" for any number."""
    return "#" if option == "#year" else option.split("_")[0]


def _alternation(patterns: Any, where: str, allow_empty: bool = False) -> re.Pattern[str] | None:
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise RulesError(f"{where}: must be a list of patterns")
    if not patterns:
        if allow_empty:
            return None
        raise RulesError(f"{where}: needs at least one pattern")
    parts = [_pattern_regex(p, f"{where}[{n}]") for n, p in enumerate(patterns)]
    return re.compile("|".join(f"(?:{part})" for part in parts))


def _pattern_regex(pattern: str, where: str) -> str:
    """One pattern as a regular expression over words joined by single spaces.

    A "~" splits it in two halves that may come in either order, up to three words apart
    ("~5": five): "chest ~ pain" matches "chest pain" and "pain spreading from his chest".
    """
    elements = pattern.lower().split()
    either = [n for n, element in enumerate(elements) if element.startswith("~")]
    if len(either) > 1:
        raise RulesError(f"{where}: {pattern!r}: one '~' at most")
    if either:
        n = either[0]
        first, second = " ".join(elements[:n]), " ".join(elements[n + 1 :])
        gap, halves = _gap(elements[n], pattern, where), []
        for one, other in ((first, second), (second, first)):
            halves.append(_sequence_regex(one, pattern, where) + gap)
            halves[-1] += " " + _sequence_regex(other, pattern, where)
        return rf"(?<= )(?:{halves[0]}|{halves[1]})(?= )"
    return rf"(?<= ){_sequence_regex(pattern, pattern, where)}(?= )"


def _gap(element: str, pattern: str, where: str) -> str:
    found = GAP_TOKEN.fullmatch(element)
    if not found:
        raise RulesError(f"{where}: {pattern!r}: cannot read {element!r}")
    return rf"(?: [^ .]+){{0,{int(found.group(2) or _GAP)}}}"


def _sequence_regex(sequence: str, pattern: str, where: str) -> str:
    """Words and "..." gaps, in order, as a regular expression (no lookarounds)."""
    elements = sequence.split()
    if not elements or GAP_TOKEN.fullmatch(elements[0]) or GAP_TOKEN.fullmatch(elements[-1]):
        raise RulesError(f"{where}: {pattern!r}: must start and end with a word")
    regex = ""
    for element in elements:
        if element.startswith("..."):
            regex += _gap(element, pattern, where)
        elif any(o.endswith("*") and len(o) <= _STEM_MIN for o in element.split("|")):
            raise RulesError(f"{where}: {pattern!r}: {element!r}: a word beginning needs 3 letters")
        elif _ELEMENT.match(element):
            regex += (" " if regex else "") + _element_regex(element)
        else:
            raise RulesError(f"{where}: {pattern!r}: cannot read {element!r}")
    return regex


def _element_regex(element: str) -> str:
    options = []
    for option in element.split("|"):
        if option == "#":
            options.append(r"\d+(?:\.\d+)?")
        elif option == "#year":
            options.append(_YEAR)
        elif option.endswith("*"):
            options.append(re.escape(option[:-1]) + r"[a-z']*")
        else:
            options.append(re.escape(option))
        options[-1] = options[-1].replace("_", " ")  # "all_over": the words "all over"
    return "(?:" + "|".join(options) + ")"


def literal_words(patterns: Iterable[Any]) -> set[str]:
    words: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, str):
            for element in pattern.lower().split():
                words |= {
                    w for option in element.split("|") for w in option.split("_") if w.isalpha()
                }
    return words
