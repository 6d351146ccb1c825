"""Text to index terms: the one analysis that articles and questions both go through.

Casefold, fold accents, split on anything not a letter or digit, drop stop words, stem with the
Snowball English stemmer (PyStemmer). Two stop lists: ordinary English function words, and the
phrasing of consumer questions ("hello", "please", "I would like to know") that says nothing
about the subject. Question-type words ("causes", "treatment") are kept: question analysis
uses them, and articles titled "What causes X ?" should match them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Bump when `terms` changes what it returns: indexes built by another version are rebuilt.
VERSION = 2

_WORD = re.compile(r"[^\W\d_]+|\d+")  # runs of letters (any script), runs of digits
WRITTEN_WORD = re.compile(r"[^\W\d_]+")  # a word as a reader writes it: a run of letters

ENGLISH_STOP = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves
    s t ll d m re ve""".split()
)

QUESTION_STOP = frozenset(
    """hello hi hey dear sir madam thanks thank please help question questions ask asking wondering
    wonder know knowing like want wanted would could tell let get got getting also anyone someone
    something anything really much many lot lots thing things way ok okay yes im ive id dont doesnt
    cant wont didnt isnt arent say said read heard hear find found look looking regarding concerning
    info information answer answers reply need needs currently recently since ago every""".split()
)

STOP = ENGLISH_STOP | QUESTION_STOP

_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """The lower-case, accent-free words of `text`, stop words included."""
    folded = text.casefold()
    if not folded.isascii():  # ASCII has no accents to fold: most text skips this
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(folded)


def written_words(text: str) -> list[str]:
    """The lower-case words of `text` as written, accents kept, numbers left out: what a
    reader can be shown ("Calvé", not "calve")."""
    return WRITTEN_WORD.findall(text.casefold())


def terms(text: str, stop: frozenset[str] = STOP) -> list[str]:
    """Index terms: `words` less stop words, stemmed. Same input, same terms, everywhere."""
    return [stem(word) for word in words(text) if word not in stop and len(word) < 40]


# Words whose stems are remembered per process. MedQuAD's 16,423 articles use 27,919 distinct
# words beyond the stop words, and 20,000 remembered give 98.5% hits on them (98.6% with all);
# the bound is what a worker's memory grows by under endless new words (about 5 MB here).
STEMS_REMEMBERED = 32_768


@lru_cache(maxsize=STEMS_REMEMBERED)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))
