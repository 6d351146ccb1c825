"""Training: building retrieval-shaped training sets and fitting the re-ranker's retrieval
model. Only `healthqa train` imports this package; serving never does."""

from healthqa.training.dataset import Examples, Query, build_queries, examples, near_duplicates
from healthqa.training.retrieval import Fitted, fit_retrieval

__all__ = [
    "Examples",
    "Fitted",
    "Query",
    "build_queries",
    "examples",
    "fit_retrieval",
    "near_duplicates",
]
