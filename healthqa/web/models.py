"""The shapes of the JSON API's responses, so that the OpenAPI document is exact.

Each model mirrors a view's dict (healthqa.web.views); FastAPI checks every response against
its model, and schemathesis checks the running API against the document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TopicRef(BaseModel):
    name: str
    slug: str
    url: str = Field(description="Path of the topic's page.")
    category: str | None = Field(None, description="The kind of topic, as the source says.")


class ArticleSummary(BaseModel):
    id: int
    slug: str
    url: str = Field(description="Path of the article's page.")
    title: str
    teaser: str
    topic: TopicRef | None
    question_type: str | None
    source: str
    source_url: str | None
    last_reviewed: str | None = Field(description="ISO date.")
    next_review: str | None = Field(description="ISO date.")
    review_overdue: bool = Field(description="The next review date has passed.")


class SourceSite(BaseModel):
    name: str = Field(description="The source's web site, as its host name.")
    url: str


class Attribution(BaseModel):
    source: str = Field(description="The source's full name.")
    source_url: str | None = Field(description="The page the answer was taken from.")
    site: SourceSite | None
    licence: str | None = Field(description="The licence, as the source states it.")
    licence_url: str | None = Field(description="The licence's terms, when recognised.")


class ArticleFull(ArticleSummary):
    body_html: str = Field(description="The answer, as sanitised HTML.")
    source_title: str | None = Field(description="The title as the source wrote it.")
    licence: str | None
    attribution: Attribution
    language: str
    updated: str
    revision: int


class RelatedItem(BaseModel):
    id: int
    article_id: int
    slug: str
    url: str
    title: str
    teaser: str
    reason: str = Field(description="Why it is suggested, in plain words.")
    score: float


class Urgency(BaseModel):
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


class SameQuestion(BaseModel):
    id: int
    slug: str
    url: str
    title: str
    source: str = Field(description="The source's full name.")
    teaser: str = Field(description="The answer's first words: one source may answer twice.")
    part: str | None = Field(description='"2 of 5" when the source answers more than once.')


class ArticlePage(BaseModel):
    article: ArticleFull
    description: str = Field(description="The answer's first sentence, for a summary.")
    urgency: Urgency | None
    previous: RelatedItem | None
    next: RelatedItem | None
    related: list[RelatedItem]
    also: list[SameQuestion] = Field(
        description="Other articles asking the same question; lists show the question once."
    )
    canonical: str


class RelatedList(BaseModel):
    article_id: int
    related: list[RelatedItem]


class ArticleList(BaseModel):
    page: int
    per_page: int
    total: int
    articles: list[ArticleSummary]


class TopicOut(BaseModel):
    id: int
    slug: str
    url: str
    name: str
    synonyms: list[str] = Field(description='Its "also called" names.')
    category: str | None
    article_count: int
    question_count: int = Field(
        description="Different questions: articles asking the same question count once."
    )


class TopicList(BaseModel):
    topics: list[TopicOut]


class TopicArticle(BaseModel):
    id: int
    slug: str
    url: str
    title: str
    question_type: str | None


class TopicGroup(BaseModel):
    question_type: str
    articles: list[TopicArticle]


class TopicPage(BaseModel):
    topic: TopicOut
    groups: list[TopicGroup]


class SearchResult(ArticleSummary):
    score: float
    snippet_html: str = Field(description="HTML-escaped text; searched words in <mark>.")


class SearchPage(BaseModel):
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


class Suggestion(BaseModel):
    text: str
    kind: Literal["topic", "article"]
    url: str


class Suggestions(BaseModel):
    query: str
    suggestions: list[Suggestion] = Field(description="Topics first, then article titles.")


class Passage(BaseModel):
    text: str
    items: list[str] = Field(description="A quoted list, item by item.")


class AnswerCard(BaseModel):
    article_id: int
    slug: str
    url: str
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


class AskPage(BaseModel):
    question: str
    urgency: Urgency | None
    no_answer: bool
    answers: list[AnswerCard]
    disclaimer: str
    dose_note: str | None = Field(description="For a question about how much medicine to take.")
    advice: str | None = Field(description="When there is no good answer: what to do instead.")


class Stats(BaseModel):
    articles: int
    topics: int
    sources: int
    revisions: int
    review_overdue: int
    last_change: int
    by_source: dict[str, int]
