"""What a search returns: hits, a page of them, facet counts."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterator

from search.retrieval.snippets import Highlighter, Snippet


@dataclass(frozen=True)
class Copy:
    """Another publication of a hit's release (a near-duplicate), collapsed into it."""

    id: str
    source: str


@dataclass(frozen=True)
class Hit:
    """One search result.

    ``snippet`` and ``title_highlights`` are worked out on first access:
    scripts that read only ids and scores pay nothing for them (finding the
    matched words of a hundred hits costs more than the search).
    """

    rank: int
    id: str
    title: str
    date: dt.date | None
    source: str
    url: str
    score: float | None  # None when sorted by date
    copies: tuple[Copy, ...] = ()
    highlighter: Highlighter | None = field(default=None, repr=False, compare=False)

    @cached_property
    def snippet(self) -> Snippet:
        """Passages of the body with the matched words' spans (empty without highlighting)."""
        return self.highlighter.snippet() if self.highlighter else Snippet("")

    @cached_property
    def title_highlights(self) -> tuple[tuple[int, int], ...]:
        """Spans of the matched words in ``title``."""
        return self.highlighter.title_highlights() if self.highlighter else ()

    def to_json(self, snippets: bool = True) -> dict[str, Any]:
        """The stable JSON shape of a hit (see README, "JSON output");
        ``snippets=False`` leaves out ``snippet`` and ``highlights``."""
        shape: dict[str, Any] = {
            "rank": self.rank,
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source or None,
            "url": self.url or None,
            "score": None if self.score is None else round(self.score, 4),
        }
        if snippets:
            shape["snippet"] = self.snippet.text
            shape["highlights"] = [list(span) for span in self.snippet.highlights]
        shape["title_highlights"] = [list(span) for span in self.title_highlights]
        shape["copies"] = [{"id": copy.id, "source": copy.source or None} for copy in self.copies]
        return shape


@dataclass(frozen=True)
class DocumentView:
    """A whole document, with the spans of a query's matches in title and body."""

    id: str
    title: str
    body: str
    date: dt.date | None
    source: str
    url: str
    lang: str
    title_highlights: tuple[tuple[int, int], ...] = ()
    body_highlights: tuple[tuple[int, int], ...] = ()
    copies: tuple[Copy, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source or None,
            "url": self.url or None,
            "lang": self.lang or None,
            "body": self.body,
            "title_highlights": [list(span) for span in self.title_highlights],
            "body_highlights": [list(span) for span in self.body_highlights],
            "copies": [{"id": copy.id, "source": copy.source or None} for copy in self.copies],
        }


@dataclass(frozen=True)
class Facets:
    """How many matching documents each source and each year has."""

    sources: dict[str, int]
    years: dict[str, int]

    def to_json(self) -> dict[str, dict[str, int]]:
        return {"source": self.sources, "year": self.years}


@dataclass
class SearchResults:
    """A page of hits, the total number of matching documents, and notices.

    ``match`` is the matching actually used: ``any`` when an all-terms query
    matched nothing and fell back to any-term ranking (a notice says so).
    ``suggestion`` is a corrected query when some words are unknown to the
    index; ``explanation`` shows how the query was understood. ``total`` is
    counted when first asked for (counting every match of a long any-term
    query costs more than finding the best ones). ``partial`` is true when
    the search ran out of time (see ``timeout`` in :meth:`Index.search`):
    the hits are the best found by then, and a notice says so. ``snippets``
    is false when the search was asked not to highlight (the hits' snippets
    are empty).
    """

    query: str
    count: int | Callable[[], int]
    page: int
    limit: int
    match: str
    hits: list[Hit] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    suggestion: str | None = None
    facets: Facets | None = None
    explanation: str = ""
    partial: bool = False
    snippets: bool = True

    @property
    def total(self) -> int:
        """How many documents match (near-duplicates counted separately)."""
        if callable(self.count):
            self.count = self.count()
        return self.count

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit))

    def to_json(self) -> dict[str, Any]:
        """The page as one JSON document: ``search query --format json`` and
        ``search serve``'s ``format=json`` (``partial``: the time budget ran out)."""
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "limit": self.limit,
            "match": self.match,
            "notices": list(self.notices),
            "suggestion": self.suggestion,
            "hits": [hit.to_json(snippets=self.snippets) for hit in self.hits],
            "facets": self.facets.to_json() if self.facets is not None else None,
            "partial": self.partial,
        }

    def json_lines(self) -> list[str]:
        """The JSON Lines of ``search query --json``: one object per hit; with
        facets, a last ``{"total": N, "facets": {...}}``; when the search ran
        out of time, that last line (with or without facets) has ``"partial": true``."""
        lines = [json.dumps(hit.to_json(snippets=self.snippets), ensure_ascii=False) for hit in self.hits]
        summary: dict = {}
        if self.facets is not None:
            summary = {"total": self.total, "facets": self.facets.to_json()}
        if self.partial:
            summary = {"total": self.total, **summary, "partial": True}
        if summary:
            lines.append(json.dumps(summary, ensure_ascii=False))
        return lines

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)
