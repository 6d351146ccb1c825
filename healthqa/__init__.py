"""healthqa: a consumer-health question-answering knowledge base and web site.

The public API, for code that uses healthqa as a library:

    from healthqa import open_store, import_paths
    store = open_store("site.db")
    summary = import_paths(store, ["../shared/data/medquad.tar.gz"])
    article = store.get_article("what-causes-leg-cramps-in-late-pregnancy")
"""

from healthqa.articles import Article, ArticleRecord, Link, Revision, Topic, TopicRecord
from healthqa.imports import ImportSummary, import_paths
from healthqa.store import ArticleFilter, NotFound, Store, StoreError, open_store

__all__ = [
    "Article",
    "ArticleFilter",
    "ArticleRecord",
    "ImportSummary",
    "Link",
    "NotFound",
    "Revision",
    "Store",
    "StoreError",
    "Topic",
    "TopicRecord",
    "import_paths",
    "open_store",
]
