"""One analysis of text, which the index, questions, search, safety and the web all call.

`analysis`: words, stop words, stems and index terms. `spelling`: misspelt words read as the
vocabulary word they slip from, within a tolerance (`STRICT`, `LOOSE`, `SLIP`).
`occurrences`: where searched terms stand in a text, for snippets to mark.
"""

from healthqa.text.analysis import (
    ENGLISH_STOP,
    QUESTION_STOP,
    STOP,
    WRITTEN_WORD,
    stem,
    terms,
    words,
    written_words,
)
from healthqa.text.occurrences import Occurrence, occurrences
from healthqa.text.spelling import LOOSE, SLIP, STRICT, Speller, Tolerance, WrittenWords, closest

__all__ = [
    "ENGLISH_STOP",
    "LOOSE",
    "QUESTION_STOP",
    "SLIP",
    "STOP",
    "STRICT",
    "WRITTEN_WORD",
    "Occurrence",
    "Speller",
    "Tolerance",
    "WrittenWords",
    "closest",
    "occurrences",
    "stem",
    "terms",
    "words",
    "written_words",
]
