"""Safe answers: urgent-symptom notices, review dates, the disclaimer and the dose note.

Urgent-symptom rules live in a reviewable data file, `healthqa/data/urgent-rules.yaml`, each with
the public source it follows (docs/safety.md says how editors change them). A rule has a level
in the manner of the NHS -- `emergency` (call the emergency number now), `urgent` (get help
today), `soon` (see a doctor soon) -- and patterns over the words of a question:

    "chest ... pain|tight*"    "chest", then within three words "pain" or a word from "tight"
    "chest ~ @pain"            "chest" and a word of the class `pain`, in either order

(the pattern language is `healthqa.patterns`).

Words are matched after the text is lower-cased, split into words, and misspellings are mended
(those the data lists, and a one-letter slip in a long word of the rules' vocabulary, such as
"bleading" or "unconcious"). A negation cue ("no", "not", "without", "never", "denies", "isn't")
a few words before a symptom, in the same clause, cancels it ("no bleeding", "I'm not bleeding");
"can't breathe" and "no one can stop the bleeding" are symptoms, not negations. A rule may
require a context ("pregnancy", or "headache or vision changes" beside "swelling"), and may be
cancelled by words around the symptom (`unless`: "bleeding gums") or anywhere in the question
(`except_when`: "period"). A marker of the past in the same clause ("in 2015", "as a kid",
"years ago") cancels a symptom too: "I had a stroke in 2015" is history, not an emergency. The
highest level that fires wins; `Urgency.rules` lists them all.

`assess` never raises and takes well under a millisecond for a question: every pattern is
compiled once, when the rules are first used.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from healthqa.articles import Article
from healthqa.patterns import (
    BREAK,
    AnyOf,
    Matcher,
    Negation,
    Past,
    RulesError,
    literal_words,
    matcher,
    mend,
)
from healthqa.questions import analyse
from healthqa.text import SLIP, Speller

LEVELS = ("emergency", "urgent", "soon")
ReviewStatus = Literal["current", "overdue", "unknown"]

DISCLAIMER = (
    "These answers are quoted from our articles and are not a diagnosis or medical advice. If "
    "you are worried about your health, talk to a pharmacist, doctor, nurse or midwife."
)
DOSE_NOTE = "Check with your pharmacist or doctor before taking or changing a medicine."
REVIEW_TIE = 0.02  # scores within 2% of each other count as equal when ordering by review

RULES_FILE = "urgent-rules.yaml"
COUNTRY_FILE = "country-{}.yaml"  # where to turn, per country: the setting `safety_country`
DEFAULT_COUNTRY = "uk"
_RULE_KEYS = {"id", "level", "title", "advice", "patterns", "source"}
_OPTIONAL_KEYS = {"requires", "unless", "except_when", "article_titles", "note", "now"}
_PLACES = ("emergency", "urgent", "crisis", "poison")  # the placeholders a notice may use
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)*|\d+(?:\.\d+)?|[.,;:!?()\n]")
_CLASS = re.compile(r"@([a-z][a-z0-9_]*)")
# "'s" that says "is" rather than whose: "she's bleeding"; any other is dropped ("baby's lips")
_IS = frozenset("he she it that there what who where here how let".split())
_CONTRACTION = re.compile(
    r"\b(can|could|wo|would|does|do|did|is|are|was|were|has|have|had|should|ai)n't\b"
)
_DOSE_QUESTION = re.compile(
    r"\bdos(e|es|age|ing)\b|\d\s*(mg|ml|mcg)\b|\b(mg|ml|mcg|milligrams?)\b|\boverdos|"
    r"\bcan (i|he|she|we|they|you) (take|give|have) (two|2|three|3|another|more|double|extra)\b|"
    r"\bhow (much|many)\b.{0,40}\b(tablets?|pills?|capsules?|spoons?|teaspoons?|puffs?|drops?|"
    r"paracetamol|ibuprofen|aspirin|medicines?|medication|calpol|vitamins?)\b|"
    r"\bmax(imum)? (amount|daily)\b",
    re.I,
)


@dataclass(frozen=True)
class Numbers:
    """Where to turn, which differs by country.

    The setting `safety_country` picks a country file (`healthqa/data/country-uk.yaml`, ...)
    with its numbers; the settings `emergency_number`, `urgent_number` and `crisis_line`, when
    set, override them. `country` also picks the country's words and sources for the notices.
    """

    emergency: str = "999"
    urgent: str = "111"
    crisis: str = "Samaritans, free, on 116 123"
    poison: str = "111"
    country: str = DEFAULT_COUNTRY

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Numbers:
        """The numbers of the settings' country, with any number set explicitly instead."""
        code = str(settings.get("safety_country") or DEFAULT_COUNTRY).strip().lower()
        base = country(code).numbers
        chosen = {
            place: str(settings.get(name) or getattr(base, place))
            for place, name in (
                ("emergency", "emergency_number"),
                ("urgent", "urgent_number"),
                ("crisis", "crisis_line"),
            )
        }
        return replace(base, **chosen)


@dataclass(frozen=True)
class Country:
    """A country's file: its numbers, the words its notices use ("A&E"), its rules' sources."""

    code: str
    name: str
    numbers: Numbers
    words: tuple[tuple[str, str], ...] = ()
    sources: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def say(self, text: str) -> str:
        """`text` in this country's words: "A&E" becomes "the emergency room" in the US."""
        for word, local in self.words:
            text = re.sub(rf"(?<![\w&]){re.escape(word)}(?![\w&])", local, text)
        return text


@dataclass(frozen=True)
class Urgency:
    """A notice that comes before any answer: what to do, and the number to call.

    `rule` is the rule that decided the level; `rules` every rule that fired, highest first.
    `when` says how soon: every emergency and the urgent rules whose source says immediately
    ("call your maternity unit now, day or night") say "now"; other urgent ones "today".
    """

    level: str
    title: str
    advice: str
    call: str | None
    rule: str
    source_url: str
    source: str = ""
    rules: tuple[str, ...] = ()
    when: str = "now"  # "now" (the source says immediately), "today" or "soon"

    @property
    def heading(self) -> str:
        """How soon, in words, before the title: "Emergency: call 999 now"."""
        if self.level == "emergency":
            return f"Emergency: call {self.call} now" if self.call else "Emergency: get help now"
        if self.level == "urgent":
            return f"Urgent: get help {self.when if self.when in ('now', 'today') else 'today'}"
        return "See a doctor soon"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = list(self.rules)
        data["heading"] = self.heading
        return data


# Rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    id: str
    level: str
    title: str
    advice: str
    source: str
    source_url: str
    matcher: Matcher
    now: bool = False
    requires: tuple[AnyOf, ...] = ()
    except_when: tuple[AnyOf, ...] = ()
    article_titles: Matcher = field(default_factory=lambda: Matcher(None))

    def fires(self, text: str, negation: Negation, past: Past | None = None) -> bool:
        return (
            self.matcher.found(text, negation, past)
            and all(need.found(text, negation) for need in self.requires)
            and not any(other.found(text, negation) for other in self.except_when)
        )


@dataclass(frozen=True)
class Rules:
    """The urgent-symptom rules of one file, compiled; `Rules.load()` reads the bundled file."""

    rules: tuple[_Rule, ...]
    negation: Negation
    spellings: Mapping[str, str]
    speller: Speller  # mends a one-letter slip of the rules' long words
    origin: str = RULES_FILE
    past: Past | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Rules:
        """Read and check a rules file; a problem raises `RulesError` naming where it is."""
        if path is None:
            text = resources.files("healthqa").joinpath("data", RULES_FILE).read_text("utf-8")
            return _compile(_parse(text, RULES_FILE), RULES_FILE)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesError(f"{path}: cannot read the rules file: {exc}") from None
        return _compile(_parse(text, str(path)), str(path))

    def assess(self, text: str, numbers: Numbers | None = None) -> Urgency | None:
        """The notice `text` warrants, or None; never raises."""
        try:
            joined = self.normalise(text)
            fired = [r for r in self.rules if r.fires(joined, self.negation, self.past)]
        except Exception:  # a notice must never break an answer; no notice is the fallback
            return None
        return _urgency(fired, numbers or Numbers())

    def assess_title(self, title: str, numbers: Numbers | None = None) -> Urgency | None:
        """For an article's title: the rules whose `article_titles` name its subject."""
        try:
            joined = self.normalise(title)
            fired = [r for r in self.rules if r.article_titles.found(joined, self.negation)]
        except Exception:
            return None
        return _urgency(fired, numbers or Numbers())

    def normalise(self, text: str) -> str:
        """Lower-cased words with misspellings mended, joined by single spaces; a possessive
        "'s" is dropped ("my son's" is "my son"), the "'s" of "she's" kept."""
        if not isinstance(text, str):
            return ""
        folded = unicodedata.normalize("NFKC", text[:20_000]).lower()
        folded = re.sub(r"[\u2018\u2019\u0060\u00b4]", "'", folded)
        folded = re.sub(r"\b(can ?not|can't|cant)\b", "cannot", folded)
        folded = re.sub(r"\bwon't\b", "will not", folded)
        folded = _CONTRACTION.sub(r"\1 not", folded)
        words = []
        for token in _TOKEN.findall(folded):
            if token.endswith("'s") and token[:-2] not in _IS:
                token = token[:-2]  # "my baby's lips", "my toddler's chest"
            mended = BREAK if not token[0].isalnum() else mend(token, self.spellings, self.speller)
            words.append(mended)
        return " " + " ".join(words) + " "


def _urgency(fired: list[_Rule], numbers: Numbers) -> Urgency | None:
    if not fired:
        return None
    fired.sort(key=lambda rule: LEVELS.index(rule.level))  # stable: file order within a level
    top = fired[0]
    place = country(numbers.country)
    call = {"emergency": numbers.emergency, "urgent": numbers.urgent}.get(top.level)
    source, source_url = place.sources.get(top.id, (top.source, top.source_url))
    return Urgency(
        level=top.level,
        title=place.say(top.title),
        advice=place.say(_fill(top.advice, numbers)),
        call=call if call and any(c.isdigit() for c in call) else None,  # a number to dial
        rule=top.id,
        source_url=source_url,
        source=source,
        rules=tuple(rule.id for rule in fired),
        when=_when(top),
    )


def _when(rule: _Rule) -> str:
    if rule.level == "emergency" or rule.now:
        return "now"
    return "today" if rule.level == "urgent" else "soon"


def _fill(advice: str, numbers: Numbers) -> str:
    return advice.format(**{place: getattr(numbers, place) for place in _PLACES})


@cache
def country(code: str = DEFAULT_COUNTRY) -> Country:
    """The country file `healthqa/data/country-<code>.yaml`, read and checked once."""
    data_dir = resources.files("healthqa").joinpath("data")
    known = sorted(
        item.name[len("country-") : -len(".yaml")]
        for item in data_dir.iterdir()
        if item.name.startswith("country-") and item.name.endswith(".yaml")
    )
    if code not in known:
        raise RulesError(
            f"safety_country: no country file for {code!r} (known: {', '.join(known)})"
        )
    origin = COUNTRY_FILE.format(code)
    return _country(_load_yaml(data_dir.joinpath(origin).read_text("utf-8"), origin), code, origin)


def _country(data: dict[str, Any], code: str, origin: str) -> Country:
    numbers = data.get("numbers")
    if not isinstance(numbers, dict) or set(numbers) != set(_PLACES):
        raise RulesError(f"{origin}: numbers: must give {', '.join(_PLACES)}")
    if not all(isinstance(value, str) and value.strip() for value in numbers.values()):
        raise RulesError(f"{origin}: numbers: each must be some text")
    words = data.get("words") or {}
    if not isinstance(words, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in words.items()
    ):
        raise RulesError(f"{origin}: words: must map a word of the notices to this country's")
    raw_sources = data.get("sources") or {}
    if not isinstance(raw_sources, dict):
        raise RulesError(f"{origin}: sources: must map rule ids to a name and url")
    sources = {
        str(rule): _source(value, f"{origin}: sources: {rule}")
        for rule, value in raw_sources.items()
    }
    return Country(
        code=code,
        name=str(data.get("name", code)),
        numbers=Numbers(**numbers, country=code),
        words=tuple(words.items()),
        sources=sources,
    )


# Loading and checking the rules file -----------------------------------------------------------


def _load_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError(f"{origin}: expected a mapping")
    return data


def _parse(text: str, origin: str) -> dict[str, Any]:
    data = _load_yaml(text, origin)
    for key in ("negation", "contexts", "rules"):
        if key not in data:
            raise RulesError(f"{origin}: missing '{key}'")
    return data


def _compile(data: dict[str, Any], origin: str) -> Rules:
    data = _expand_classes(data, origin)
    spellings = _spellings(data.get("spellings") or {}, origin)
    spellings |= {word: word for word in _words(data.get("keep", []), f"{origin}: keep")}
    negation = _negation(data["negation"], origin)
    contexts = _contexts(data["contexts"], origin)
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise RulesError(f"{origin}: 'rules' must be a non-empty list")
    rules, seen, words = [], set(), set(spellings.values())
    for position, raw in enumerate(data["rules"]):
        rule, rule_words = _rule(raw, position, contexts, origin)
        if rule.id in seen:
            raise RulesError(f"{origin}: rule '{rule.id}': id: used twice")
        seen.add(rule.id)
        rules.append(rule)
        words |= rule_words
    for patterns, _ in map(_context_parts, data["contexts"].values()):
        words |= literal_words(patterns)
    speller = Speller(sorted(w for w in words if len(w) >= SLIP.min_length and w.isalpha()), SLIP)
    past = _past(data.get("past"), negation.breaks, origin) if data.get("past") else None
    return Rules(tuple(rules), negation, spellings, speller, origin, past)


def _expand_classes(data: dict[str, Any], origin: str) -> dict[str, Any]:
    """The file with each "@name" in a pattern replaced by the words of the class `name`.

    `classes` names sets of words that mean one thing ("pain": pain|pains|hurt*|ache...), so a
    pattern says "chest ~ @pain" once instead of listing the words in every rule.
    """
    raw = data.get("classes") or {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise RulesError(f"{origin}: classes: must map names to words (a|b|c)")

    def expand(value: Any, where: str) -> Any:
        if isinstance(value, str):
            return _CLASS.sub(lambda m: word_class(m.group(1), where), value)
        if isinstance(value, list):
            return [expand(item, where) for item in value]
        if isinstance(value, dict):
            return {key: expand(item, f"{where}: {key}") for key, item in value.items()}
        return value

    def word_class(name: str, where: str) -> str:
        if name not in raw:
            raise RulesError(f"{where}: no class named '@{name}'")
        if "@" in raw[name]:
            raise RulesError(f"{origin}: classes: {name}: a class cannot use another")
        return " ".join(raw[name].split()).replace(" ", "")

    keys = ("contexts", "rules", "past")
    return data | {key: expand(data[key], f"{origin}: {key}") for key in keys if key in data}


def _past(raw: Any, breaks: frozenset[str], origin: str) -> Past:
    patterns, unless = _context_parts(raw)
    return Past(matcher(patterns, unless, f"{origin}: past"), breaks)


def _spellings(raw: Any, origin: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise RulesError(f"{origin}: spellings: must map misspelt words to words")
    return {key.lower(): value.lower() for key, value in raw.items()}


def _negation(raw: Any, origin: str) -> Negation:
    where = f"{origin}: negation"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a mapping")
    window = raw.get("window", 4)
    if not isinstance(window, int) or not 1 <= window <= 10:
        raise RulesError(f"{where}: window: must be a whole number from 1 to 10")
    lists = {key: _words(raw.get(key), f"{where}: {key}") for key in ("cues", "not_after_cue")}
    breaks = _words(raw.get("clause_breaks", []), f"{where}: clause_breaks") | {BREAK}
    return Negation(lists["cues"], window, lists["not_after_cue"], breaks)


def _words(raw: Any, where: str) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise RulesError(f"{where}: must be a list of words")
    return frozenset(w.lower() for w in raw)


def _contexts(raw: Any, origin: str) -> dict[str, Matcher]:
    if not isinstance(raw, dict):
        raise RulesError(f"{origin}: contexts: must map names to lists of patterns")
    return {
        str(name): matcher(*_context_parts(value), f"{origin}: contexts: {name}")
        for name, value in raw.items()
    }


def _context_parts(value: Any) -> tuple[Any, Any]:
    """A context's patterns and `unless`: a list of patterns, or {patterns, unless}."""
    if isinstance(value, dict):
        return value.get("patterns"), value.get("unless")
    return value, None


def _rule(
    raw: Any, position: int, contexts: dict[str, Matcher], origin: str
) -> tuple[_Rule, set[str]]:
    if not isinstance(raw, dict):
        raise RulesError(f"{origin}: rules[{position}]: must be a mapping")
    name = raw.get("id")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise RulesError(f"{origin}: rules[{position}]: id: must be lower-case words and hyphens")
    where = f"{origin}: rule '{name}'"
    missing = sorted(_RULE_KEYS - set(raw))
    unknown = sorted(set(raw) - _RULE_KEYS - _OPTIONAL_KEYS)
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        raise RulesError(f"{where}: {problem}")
    if raw["level"] not in LEVELS:
        raise RulesError(f"{where}: level: must be one of {', '.join(LEVELS)}")
    for key in ("title", "advice"):
        _text_field(raw[key], f"{where}: {key}")
    source_name, source_url = _source(raw["source"], f"{where}: source")
    if not isinstance(raw.get("now", False), bool):
        raise RulesError(f"{where}: now: must be true or false")
    rule = _Rule(
        id=name,
        level=raw["level"],
        title=raw["title"].strip(),
        advice=" ".join(raw["advice"].split()),
        source=source_name,
        source_url=source_url,
        matcher=matcher(raw["patterns"], raw.get("unless"), f"{where}: patterns"),
        now=bool(raw.get("now", False)),
        requires=_needs(raw, "requires", contexts, where),
        except_when=_needs(raw, "except_when", contexts, where),
        article_titles=matcher(raw.get("article_titles") or [], None, f"{where}: article_titles"),
    )
    return rule, literal_words(raw["patterns"]) | literal_words(raw.get("article_titles") or [])


def _needs(
    raw: dict[str, Any], key: str, contexts: dict[str, Matcher], where: str
) -> tuple[AnyOf, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise RulesError(f"{where}: {key}: must be a list")
    return tuple(_need(need, contexts, f"{where}: {key}") for need in value)


def _text_field(value: Any, where: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"{where}: must be some text")
    try:
        value.format(**dict.fromkeys(_PLACES, ""))
    except (KeyError, IndexError, ValueError) as exc:
        raise RulesError(f"{where}: unknown placeholder {exc} (use {{emergency}}, ...)") from None


def _source(raw: Any, where: str) -> tuple[str, str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise RulesError(f"{where}: needs a name and a url")
    url = raw.get("url")
    if not isinstance(url, str) or not re.fullmatch(r"https://\S+", url):
        raise RulesError(f"{where}: url: must be a public https:// address")
    return raw["name"], url


def _need(raw: Any, contexts: dict[str, Matcher], where: str) -> AnyOf:
    """A context by name ("pregnancy"), or a list of context names and patterns, one of which
    must match."""
    if isinstance(raw, str):
        if raw not in contexts:
            raise RulesError(f"{where}: no context named '{raw}'")
        return AnyOf((contexts[raw],))
    if not isinstance(raw, list) or not raw:
        raise RulesError(f"{where}: each item must be a context name or a list of patterns")
    named = tuple(contexts[item] for item in raw if isinstance(item, str) and item in contexts)
    patterns = [item for item in raw if not (isinstance(item, str) and item in contexts)]
    return AnyOf(named + ((matcher(patterns, None, where),) if patterns else ()))


# The notice for a question or an article ----------------------------------------------------


@cache
def default_rules() -> Rules:
    """The bundled rules, read and compiled once."""
    return Rules.load()


def assess(text: str, numbers: Numbers | None = None) -> Urgency | None:
    """The urgent-symptom notice a question (or search) warrants, if any; never raises."""
    return default_rules().assess(text, numbers)


def assess_article(article: Article, numbers: Numbers | None = None) -> Urgency | None:
    """The notice an article page carries when its subject is a warning sign.

    Conservative: only the article's title (its question) is read, not its body, which may list
    warning signs in passing, and only the patterns a rule lists under `article_titles` count
    ("bleeding in pregnancy", "pre-eclampsia"): "What are the symptoms of a syndrome with
    seizures?" is about a syndrome, not a seizure happening now.
    """
    return default_rules().assess_title(article.title, numbers)


# Doses, and review dates ------------------------------------------------------------------------


def is_dose_question(question: str) -> bool:
    """Does the question ask how much of a medicine to take ("how many", "dose", "mg")?"""
    if not isinstance(question, str):
        return False
    text = question[:20_000]
    return "medicine use" in analyse(text).types or bool(_DOSE_QUESTION.search(text))


def dose_note(question: str) -> str | None:
    """`DOSE_NOTE` for a question about how much of a medicine to take, else None."""
    return DOSE_NOTE if is_dose_question(question) else None


def review_status(article: Article, today: date | None = None) -> ReviewStatus:
    """ "overdue" past its next review date, "current" before it, "unknown" with none set."""
    if article.next_review is None:
        return "unknown"
    return "overdue" if article.next_review < (today or date.today()) else "current"


T = TypeVar("T")


def demote_overdue(
    items: list[T],
    article: Callable[[T], Article],
    score: Callable[[T], float],
    today: date | None = None,
) -> list[T]:
    """Results in the same order, except that within a run of scores equal to `REVIEW_TIE`,
    articles past their review date go below the others (a stable tie-break)."""
    today = today or date.today()
    ordered: list[T] = []
    run: list[T] = []
    for item in items:
        if run and not _tied(score(run[0]), score(item)):
            ordered += _reviewed_first(run, article, today)
            run = []
        run.append(item)
    return ordered + _reviewed_first(run, article, today)


def _tied(first: float, other: float) -> bool:
    return abs(first - other) <= REVIEW_TIE * max(abs(first), abs(other), 1e-9)


def _reviewed_first(run: list[T], article: Callable[[T], Article], today: date) -> list[T]:
    return sorted(run, key=lambda item: review_status(article(item), today) == "overdue")
