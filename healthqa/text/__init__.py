"""One analysis of text, which the index, questions, search, safety and the web all call.

`analysis`: words, stop words, stems and index terms.
"""

from healthqa.text.analysis import ENGLISH_STOP, QUESTION_STOP, STOP, stem, terms, words

__all__ = ["ENGLISH_STOP", "QUESTION_STOP", "STOP", "stem", "terms", "words"]
