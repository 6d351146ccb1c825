"""Every shape the site shows, declared once: the pages, the JSON API, the editor API and the
command line's `--json` all render these models, and the OpenAPI document is made from them.

A model is made from a record by `Shape.of(record, **extra)`: its fields are read from the
record's attributes by name (an `Article`, a `Topic`, a `Related`...), `extra` gives the ones
the record does not have, and what follows from the fields (an address, whether a review is
overdue, the credit line, an ETag) the model computes itself (`computed_field`). So no view
copies a record field by field, and the page, the JSON and the document cannot disagree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, computed_field

from healthqa.editing import revision_etag
from healthqa.web.urls import article_url, topic_url

# The full names of the sources MedQuAD (and corpora made from it) name by an abbreviation.
SOURCE_NAMES = {
    "CancerGov": "National Cancer Institute",
    "CDC": "Centers for Disease Control and Prevention",
    "GARD": "Genetic and Rare Diseases Information Center",
    "GHR": "Genetics Home Reference",
    "MPlusHealthTopics": "MedlinePlus",
    "MPlusDrugs": "MedlinePlus",
    "MPlusHerbsSupplements": "MedlinePlus",
    "MPlusADAM": "MedlinePlus",
    "NHLBI": "National Heart, Lung, and Blood Institute",
    "NIDDK": "National Institute of Diabetes and Digestive and Kidney Diseases",
    "NIHSeniorHealth": "NIHSeniorHealth",
    "NINDS": "National Institute of Neurological Disorders and Stroke",
}
# Licences whose terms have a known address, found by their name in the licence text.
LICENCES = (
    (r"\bCC BY-SA 4\.0\b", "https://creativecommons.org/licenses/by-sa/4.0/"),
    (r"\bCC BY 4\.0\b", "https://creativecommons.org/licenses/by/4.0/"),
    (r"\bCC0\b", "https://creativecommons.org/publicdomain/zero/1.0/"),
)


def source_name(source: str) -> str:
    """A source's full name ("National Cancer Institute" for MedQuAD's "CancerGov")."""
    return SOURCE_NAMES.get(source, source)


class Shape(BaseModel):
    """A model that can be read from a record's attributes; see the module docstring."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: object, **extra: Any) -> Self:
        """The model of `record`; `extra` gives or overrides fields the record lacks."""
        if not extra:
            return cls.model_validate(record)
        found = {
            name: getattr(record, name)
            for name in cls.model_fields
            if name not in extra and hasattr(record, name)
        }
        return cls.model_validate(found | extra)


class ArticleLink(Shape):
    """Anything that links to an article's page, which its slug names."""

    slug: str

    @computed_field(description="Path of the article's page.")  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return article_url(self.slug)


# Topics -------------------------------------------------------------------------------------


class TopicRef(Shape):
    """A topic as an article names it."""

    id: int
    slug: str
    name: str
    synonyms: list[str] = Field(description='Its "also called" names.')
    category: str | None = Field(description="The kind of topic, as the source says.")

    @computed_field(description="Path of the topic's page.")  # type: ignore[prop-decorator]
    @property
    def url(self) -> str:
        return topic_url(self.slug)


class TopicOut(TopicRef):
    """A topic in a list of topics: with how many articles and questions it has."""

    article_count: int
    question_count: int = Field(
        description="Different questions: articles asking the same question count once."
    )


class TopicArticle(ArticleLink):
    id: int
    title: str
    question_type: str | None


class TopicGroup(Shape):
    question_type: str
    articles: list[TopicArticle]


class TopicPage(Shape):
    topic: TopicOut
    groups: list[TopicGroup]


class TopicList(Shape):
    topics: list[TopicOut]


class LetterGroup(Shape):
    letter: str
    topics: list[TopicOut]


class TopicsIndex(Shape):
    """Topics A to Z (the page): one letter's or all, grouped by first letter."""

    letter: str | None
    letters: list[str]
    groups: list[LetterGroup]
    topics: list[TopicOut]


# Articles -----------------------------------------------------------------------------------


class ArticleSummary(ArticleLink):
    """An article without its body: enough for a list of results."""

    id: int
    title: str
    teaser: str
    topic: TopicRef | None
    question_type: str | None
    source: str
    source_url: str | None
    last_reviewed: date | None
    next_review: date | None

    @computed_field(description="The next review date has passed.")  # type: ignore[prop-decorator]
    @property
    def review_overdue(self) -> bool:  # as healthqa.safety.review_status says "overdue"
        return self.next_review is not None and self.next_review < date.today()


class SourceSite(Shape):
    name: str = Field(description="The source's web site, as its host name.")
    url: str


class Attribution(Shape):
    """Who wrote the answer, where it was published and under which licence."""

    source: str = Field(description="The source's full name.")
    source_url: str | None = Field(description="The page the answer was taken from.")
    site: SourceSite | None
    licence: str | None = Field(description="The licence, as the source states it.")
    licence_url: str | None = Field(description="The licence's terms, when recognised.")

    @classmethod
    def credit(cls, source: str, source_url: str | None, licence: str | None) -> Attribution:
        """The source's full name, its page and site, the licence and (for a licence we
        recognise) the address of its terms."""
        site = None
        try:
            parts = urlsplit(source_url or "")
            host = parts.hostname
        except ValueError:  # a link stored before the importers checked it ("http://a]b")
            host = None
        if host and parts.scheme in ("http", "https"):
            site = SourceSite(
                name=host.removeprefix("www."), url=f"{parts.scheme}://{parts.netloc}/"
            )
        terms = (url for pattern, url in LICENCES if licence and re.search(pattern, licence))
        return cls(
            source=source_name(source),
            source_url=source_url,
            site=site,
            licence=licence,
            licence_url=next(terms, None),
        )


class ArticleFull(ArticleSummary):
    """An article as a reader sees it, with its answer and its credit line."""

    body_html: str = Field(description="The answer, as sanitised HTML.")
    source_title: str | None = Field(description="The title as the source wrote it.")
    licence: str | None
    language: str
    updated: str
    revision: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attribution(self) -> Attribution:
        return Attribution.credit(self.source, self.source_url, self.licence)


class EditorArticle(ArticleFull):
    """An article as the editor API answers with it: everything an edit can change, its
    identity for re-imports, its status and the ETag to send back as If-Match."""

    body_text: str
    external_id: str
    status: Literal["published", "retired"]
    created: str

    @computed_field(  # type: ignore[prop-decorator]
        description="The ETag of this revision: send it as If-Match to update."
    )
    @property
    def etag(self) -> str:
        return revision_etag(self.id, self.revision)


class RelatedItem(ArticleLink):
    article_id: int
    title: str
    teaser: str
    reason: str = Field(description="Why it is suggested, in plain words.")
    score: float

    @computed_field  # type: ignore[prop-decorator]
    @property
    def id(self) -> int:
        return self.article_id


class SameQuestion(ArticleLink):
    id: int
    title: str
    source: str = Field(description="The source's full name.")
    teaser: str = Field(description="The answer's first words: one source may answer twice.")
    part: str | None = Field(description='"2 of 5" when the source answers more than once.')


class Urgency(Shape):
    level: Literal["emergency", "urgent", "soon"]
    title: str
    advice: str
    call: str | None
    rule: str
    source_url: str | None
    source: str | None = Field(description="The guidance the notice follows, by name.")
    when: Literal["now", "today", "soon"] = Field(description="How soon to get help.")
    heading: str = Field(description='How soon, in words: "Urgent: get help today".')
    rules: list[str] = Field(description="Every rule that fired, the deciding one first.")


class ArticlePage(Shape):
    article: ArticleFull
    description: str = Field(description="The answer's first sentence, for a summary.")
    urgency: Urgency | None
    previous: RelatedItem | None
    next: RelatedItem | None
    related: list[RelatedItem]
    also: list[SameQuestion] = Field(
        description="Other articles asking the same question; lists show the question once."
    )
    canonical: str = Field(description="The page's address, from the site_url setting.")


class RelatedList(Shape):
    article_id: int
    previous: RelatedItem | None = Field(description="The article before it in its topic.")
    next: RelatedItem | None = Field(description="The article after it in its topic.")
    related: list[RelatedItem]


class ArticleList(Shape):
    page: int
    per_page: int
    total: int
    articles: list[ArticleSummary]


# Search and suggestions ---------------------------------------------------------------------


class SearchResult(ArticleSummary):
    score: float
    snippet_html: str = Field(description="HTML-escaped text; searched words in <mark>.")


class SearchPage(Shape):
    query: str
    page: int
    per_page: int
    total: int = Field(
        description="How many questions match well: each question once, scoring at least half "
        "the best, looking at most 100 deep."
    )
    pages: int
    results: list[SearchResult]
    did_you_mean: str | None
    previous_page: int | None
    next_page: int | None
    urgency: Urgency | None
    corrected: str | None = Field(
        description="The words as searched, when a misspelt word was corrected."
    )
    more: bool = Field(
        description="More match as well as these: the search looked 100 deep and all matched."
    )


class Suggestion(Shape):
    text: str
    kind: Literal["topic", "article"]
    url: str


class Suggestions(Shape):
    query: str
    suggestions: list[Suggestion] = Field(description="Topics first, then article titles.")


# Answers ------------------------------------------------------------------------------------


class Passage(Shape):
    text: str
    items: list[str] = Field(description="A quoted list, item by item.")


class AnswerCard(ArticleLink):
    article_id: int
    title: str
    topic: str | None
    source: str
    source_url: str | None
    last_reviewed: str | None
    next_review: str | None
    review: Literal["current", "overdue", "unknown"]
    review_overdue: bool
    passages: list[Passage]
    confidence: float = Field(ge=0, le=1)
    confidence_label: Literal["Good match", "Possible match"] = Field(
        description="The confidence in plain words. Weaker matches are never listed."
    )


class AskPage(Shape):
    """An answer to a question: the shape of `healthqa.answers.AskResult.to_dict`, typed."""

    question: str
    urgency: Urgency | None
    no_answer: bool
    answers: list[AnswerCard]
    disclaimer: str
    dose_note: str | None = Field(description="For a question about how much medicine to take.")
    advice: str | None = Field(description="When there is no good answer: what to do instead.")


# The site as a whole --------------------------------------------------------------------------


class Embedding(Shape):
    """How far embedding for semantic ranking is: articles with every text embedded."""

    model: str
    embedded: int
    articles: int
    complete: bool


class Stats(Shape):
    articles: int
    topics: int
    sources: int
    revisions: int
    review_overdue: int
    last_change: int
    by_source: dict[str, int]
    embedding: Embedding | None = Field(
        default=None, description="None when semantic ranking is off (keywords only)."
    )


class Featured(ArticleLink):
    """A question on the home page, with its topic's name."""

    id: int
    title: str
    topic: str


class Home(Shape):
    letters: list[str]
    featured: list[Featured]


class TextPage(Shape):
    """A page of the publisher's own words: About, the editorial policy."""

    title: str
    paragraphs: list[str]


class SitemapEntry(Shape):
    url: str
    lastmod: date | None = Field(description="The content's review date, never its import's.")


class Sitemap(Shape):
    pages: list[SitemapEntry]


# Readers' feedback, for editors ---------------------------------------------------------------


class FeedbackCount(Shape):
    article_id: int
    slug: str
    title: str
    yes: int = Field(description="Readers who found the page helpful.")
    no: int = Field(description="Readers who did not.")
    comments: int


class FeedbackItem(Shape):
    article_id: int
    helpful: bool
    comment: str
    created: str = Field(description="ISO time, UTC.")


class FeedbackReport(Shape):
    articles: list[FeedbackCount] = Field(description="Least helpful first.")
    comments: list[FeedbackItem] = Field(description="The latest, newest first.")
