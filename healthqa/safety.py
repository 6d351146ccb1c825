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
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

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

    @classmethod
    def load(cls, path: Path) -> Country:
        """Read and check a country file (`country-<code>.yaml`); a problem raises `RulesError`
        naming where it is. `country(code)` reads the bundled ones."""
        code = path.stem.removeprefix("country-")
        return _country(_read(path, "the country file"), code, str(path))

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
            origin = RULES_FILE
        else:
            text, origin = _read(path, "the rules file"), str(path)
        return _compile(_checked(_RulesShape, _load_yaml(text, origin), origin), origin)

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
    return _country(data_dir.joinpath(origin).read_text("utf-8"), code, origin)


def _country(text: str, code: str, origin: str) -> Country:
    shape = _checked(_CountryShape, _load_yaml(text, origin), origin)
    return Country(
        code=code,
        name=shape.name or code,
        numbers=Numbers(**shape.numbers.model_dump(), country=code),
        words=tuple(shape.words.items()),
        sources={rule: (source.name, source.url) for rule, source in shape.sources.items()},
    )


# The shapes of the rules file and the country files ----------------------------------------------
#
# pydantic models, strict (a number is not text, one word is not a list of words); each field
# says in plain words what it expects (`_expect`), and the first failure becomes one `RulesError`
# naming the file and the place (`_problem`). What a shape cannot say -- a class or context that
# does not exist, an id used twice, a pattern that cannot be read -- is checked as the rules are
# compiled (`_compile`), with places written the same way.


def _expect(message: str, deep: bool = True) -> WrapValidator:
    """Report any failure of the value as `message`; with `deep=False`, only a failure of the
    value's own shape (not a mapping, too short), leaving its fields to say what is wrong."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if deep or any(_own(error["loc"]) for error in exc.errors()):
                raise PydanticCustomError("expected", "{expected}", {"expected": message}) from None
            raise

    return WrapValidator(check)


def _own(loc: tuple[int | str, ...]) -> bool:
    return not loc or loc[-1] == "[key]"  # the value itself, or one of its keys


def _or_empty(empty: Callable[[], Any]) -> BeforeValidator:
    """A key left empty (`requires:`) as an empty list or mapping."""
    return BeforeValidator(lambda value: empty() if value is None else value)


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


def _placeholders(value: str) -> str:
    try:
        value.format(**dict.fromkeys(_PLACES, ""))
    except (KeyError, IndexError, ValueError) as exc:
        problem = f"unknown placeholder {exc} (use {{emergency}}, ...)"
        raise PydanticCustomError("placeholder", "{problem}", {"problem": problem}) from None
    return value


_Text = Annotated[StrictStr, AfterValidator(_nonblank), _expect("must be some text")]
_Notice = Annotated[_Text, AfterValidator(_placeholders)]  # "{emergency}" becomes the number
_Name = Annotated[StrictStr, _expect("must be text")]
_Words = Annotated[
    list[Annotated[StrictStr, AfterValidator(_nonblank)]], _expect("must be a list of words")
]
_Patterns = Annotated[list[StrictStr], _expect("must be a list of patterns")]
_SomePatterns = Annotated[_Patterns, _or_empty(list)]
_WordMap = dict[StrictStr, StrictStr]
_Id = Annotated[
    StrictStr,
    StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$"),
    _expect("must be lower-case words and hyphens"),
]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True)  # a key it does not name is ignored


class _SourceShape(_Shape):
    name: _Name
    url: Annotated[
        StrictStr,
        StringConstraints(pattern=r"^https://\S+$"),
        _expect("must be a public https:// address"),
    ]


_Source = Annotated[_SourceShape, _expect("needs a name and a url", deep=False)]


class _ContextShape(_Shape):
    patterns: _Patterns
    unless: _SomePatterns = []


# A context (and `past`): a list of patterns, or {patterns, unless}.
_Context = Annotated[
    list[StrictStr] | _ContextShape, _expect("must be a list of patterns, or patterns and unless")
]
# An item of `requires` or `except_when`: a context's name, or a list of patterns.
_Need = Annotated[
    StrictStr | Annotated[list[StrictStr], Field(min_length=1)],
    _expect("must be a context name or a list of patterns"),
]
_Needs = Annotated[list[_Need], _expect("must be a list", deep=False), _or_empty(list)]


class _NegationShape(_Shape):
    cues: _Words
    window: Annotated[
        StrictInt, Field(ge=1, le=10), _expect("must be a whole number from 1 to 10")
    ] = 4
    not_after_cue: _Words
    clause_breaks: _Words = []


class _RuleShape(_Shape):
    model_config = ConfigDict(strict=True, extra="forbid")

    id: _Id
    level: Annotated[
        Literal["emergency", "urgent", "soon"], _expect(f"must be one of {', '.join(LEVELS)}")
    ]
    title: _Notice
    advice: _Notice
    patterns: _Patterns
    source: _Source
    requires: _Needs = []
    unless: _SomePatterns = []
    except_when: _Needs = []
    article_titles: _SomePatterns = []
    note: _Name | None = None
    now: Annotated[StrictBool, _expect("must be true or false")] = False


class _RulesShape(_Shape):
    negation: Annotated[_NegationShape, _expect("must be a mapping", deep=False)]
    spellings: Annotated[
        _WordMap, _expect("must map misspelt words to words"), _or_empty(dict)
    ] = {}
    keep: _Words = []
    classes: Annotated[_WordMap, _expect("must map names to words (a|b|c)"), _or_empty(dict)] = {}
    past: _Context | None = None
    contexts: Annotated[
        dict[StrictStr, _Context], _expect("must map names to lists of patterns", deep=False)
    ]
    rules: Annotated[
        list[_RuleShape], Field(min_length=1), _expect("must be a non-empty list", deep=False)
    ]


class _NumbersShape(_Shape):
    model_config = ConfigDict(strict=True, extra="forbid")

    emergency: _Text
    urgent: _Text
    crisis: _Text
    poison: _Text


class _CountryShape(_Shape):
    name: _Name | None = None
    numbers: Annotated[_NumbersShape, _expect(f"must give {', '.join(_PLACES)}", deep=False)]
    words: Annotated[
        _WordMap, _expect("must map a word of the notices to this country's"), _or_empty(dict)
    ] = {}
    sources: Annotated[
        dict[StrictStr, _Source],
        _expect("must map rule ids to a name and url", deep=False),
        _or_empty(dict),
    ] = {}


# Where an unknown key is an error: each rule, and a country's numbers.
_CLOSED: dict[str, type[_Shape]] = {"rules": _RuleShape, "numbers": _NumbersShape}
_S = TypeVar("_S", bound=_Shape)


def _checked(shape: type[_S], data: Any, origin: str) -> _S:
    """`data` read as `shape`, or one `RulesError` naming the file, the place and what is wrong."""
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        raise RulesError(_problem(exc.errors(include_url=False), data, origin)) from None


def _problem(errors: list[ErrorDetails], data: Any, origin: str) -> str:
    """The first error as "<file>: <place>: <what was expected>" (the keys missing from one
    mapping, or unknown to it, together), and how many problems more there are."""
    first = errors[0]
    if first["type"] in ("missing", "extra_forbidden"):
        loc = first["loc"][:-1]
        same = [e for e in errors if e["type"] == first["type"] and e["loc"][:-1] == loc]
        what = _keys(first["type"], [str(e["loc"][-1]) for e in same], loc)
    else:
        loc, same, what = first["loc"], [first], _expected(first)
    place, more = _place(loc, data), len(errors) - len(same)
    problems = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"{origin}: {place}{': ' if place else ''}{what}{problems}"


def _keys(kind: str, keys: list[str], loc: tuple[int | str, ...]) -> str:
    """ "missing title, advice"; "unknown colour (known: id, level, ...)"."""
    if kind == "missing":
        return "missing " + ", ".join(keys if loc else (f"'{key}'" for key in keys))
    closed = _CLOSED.get(str(loc[0])) if loc else None
    return f"unknown {', '.join(keys)}" + (
        f" (known: {', '.join(closed.model_fields)})" if closed else ""
    )


def _expected(error: ErrorDetails) -> str:
    """What a field expects, in its own words, and what it was given when that is short."""
    if error["type"] not in ("expected", "placeholder"):
        return _PLAIN.get(error["type"], "cannot be read")
    given = error["input"]
    if error["type"] == "placeholder" or not isinstance(given, str | int | float | None):
        return error["msg"]
    got = _YAML_WORDS.get(given, repr(given)) if isinstance(given, bool | None) else repr(given)
    return error["msg"] + (f" (got {got})" if len(got) <= 40 else "")


_YAML_WORDS = {None: "nothing", True: "true", False: "false"}  # YAML reads "no" as false
_PLAIN = {"model_type": "must be a mapping"}  # the file itself; every field says its own


def _place(loc: tuple[int | str, ...], data: Any) -> str:
    """Where `loc` is in words: "negation: window", "rules[3], rule 'cord-prolapse': level"."""
    parts: list[str] = []
    for step in loc:
        if isinstance(step, int) and parts:
            parts[-1] += f"[{step}]"
        else:
            parts.append(str(step))
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            data = None
        if len(parts) == 1 and loc[0] == "rules" and isinstance(step, int):
            name = data.get("id") if isinstance(data, dict) else None
            parts[0] = _rule_place(step, name) if isinstance(name, str) else parts[0]
    return ": ".join(parts)


def _rule_place(position: int, name: str) -> str:
    return f"rules[{position}], rule '{name}'"


# Loading and checking the rules file -----------------------------------------------------------


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read {what}: {exc}") from None


def _load_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulesError(f"{origin}: not valid YAML: {exc}") from None


_Expand = Callable[[list[str], str], list[str]]


def _compile(shape: _RulesShape, origin: str) -> Rules:
    expand = _classes(shape.classes, origin)
    spellings = {key.lower(): value.lower() for key, value in shape.spellings.items()}
    spellings |= {word: word for word in _lower(shape.keep)}
    given = shape.negation
    breaks = _lower(given.clause_breaks) | {BREAK}
    negation = Negation(_lower(given.cues), given.window, _lower(given.not_after_cue), breaks)
    parts = {
        name: _context_parts(value, expand, f"{origin}: contexts: {name}")
        for name, value in shape.contexts.items()
    }
    contexts = {
        name: matcher(patterns, unless, f"{origin}: contexts: {name}")
        for name, (patterns, unless) in parts.items()
    }
    rules: list[_Rule] = []
    first: dict[str, int] = {}
    words = set(spellings.values())
    for position, raw in enumerate(shape.rules):
        where = f"{origin}: {_rule_place(position, raw.id)}"
        if raw.id in first:
            raise RulesError(f"{where}: id: used twice (first at rules[{first[raw.id]}])")
        first[raw.id] = position
        rule, rule_words = _rule(raw, where, contexts, expand)
        rules.append(rule)
        words |= rule_words
    for patterns, _ in parts.values():
        words |= literal_words(patterns)
    speller = Speller(sorted(w for w in words if len(w) >= SLIP.min_length and w.isalpha()), SLIP)
    past = None
    if shape.past:  # an empty list is no markers
        patterns, unless = _context_parts(shape.past, expand, f"{origin}: past")
        past = Past(matcher(patterns, unless, f"{origin}: past"), negation.breaks)
    return Rules(tuple(rules), negation, spellings, speller, origin, past)


def _lower(words: list[str]) -> frozenset[str]:
    return frozenset(word.lower() for word in words)


def _classes(classes: Mapping[str, str], origin: str) -> _Expand:
    """A function giving patterns with each "@name" replaced by the words of the class `name`.

    `classes` names sets of words that mean one thing ("pain": pain|pains|hurt*|ache...), so a
    pattern says "chest ~ @pain" once instead of listing the words in every rule.
    """

    def word_class(found: re.Match[str], where: str) -> str:
        name = found.group(1)
        if name not in classes:
            raise RulesError(f"{where}: no class named '@{name}'")
        if "@" in classes[name]:
            raise RulesError(f"{origin}: classes: {name}: a class cannot use another")
        return "".join(classes[name].split())

    def expand(patterns: list[str], where: str) -> list[str]:
        return [
            _CLASS.sub(partial(word_class, where=f"{where}[{n}]"), pattern)
            for n, pattern in enumerate(patterns)
        ]

    return expand


def _context_parts(
    value: list[str] | _ContextShape, expand: _Expand, where: str
) -> tuple[list[str], list[str]]:
    """A context's patterns and `unless`, its classes expanded."""
    if isinstance(value, _ContextShape):
        patterns, unless = value.patterns, value.unless
        return expand(patterns, f"{where}: patterns"), expand(unless, f"{where}: unless")
    return expand(value, where), []


def _rule(
    raw: _RuleShape, where: str, contexts: dict[str, Matcher], expand: _Expand
) -> tuple[_Rule, set[str]]:
    patterns = expand(raw.patterns, f"{where}: patterns")
    titles = expand(raw.article_titles, f"{where}: article_titles")
    rule = _Rule(
        id=raw.id,
        level=raw.level,
        title=raw.title.strip(),
        advice=" ".join(raw.advice.split()),
        source=raw.source.name,
        source_url=raw.source.url,
        matcher=matcher(patterns, expand(raw.unless, f"{where}: unless"), f"{where}: patterns"),
        now=raw.now,
        requires=_needs(raw.requires, contexts, expand, f"{where}: requires"),
        except_when=_needs(raw.except_when, contexts, expand, f"{where}: except_when"),
        article_titles=matcher(titles, None, f"{where}: article_titles"),
    )
    return rule, literal_words(patterns) | literal_words(titles)


def _needs(
    raw: list[str | list[str]], contexts: dict[str, Matcher], expand: _Expand, where: str
) -> tuple[AnyOf, ...]:
    """Each item a context by name ("pregnancy"), or a list of context names and patterns, one
    of which must match."""
    needs = []
    for n, need in enumerate(raw):
        if isinstance(need, str):
            if need not in contexts:
                raise RulesError(f"{where}[{n}]: no context named '{need}'")
            needs.append(AnyOf((contexts[need],)))
            continue
        named = tuple(contexts[item] for item in need if item in contexts)
        patterns = expand([item for item in need if item not in contexts], f"{where}[{n}]")
        found = (matcher(patterns, None, f"{where}[{n}]"),) if patterns else ()
        needs.append(AnyOf(named + found))
    return tuple(needs)


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
