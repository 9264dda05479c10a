"""Summaries of an index or of a query's matches: statistics and timelines."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh.searching import Searcher

from search.storage.columns import column
from search.storage.term_frequencies import distinct_terms


@dataclass
class Stats:
    """What ``search stats`` shows about an index."""

    documents: int
    sources: list[tuple[str, int]]
    source_count: int
    first_date: dt.date | None
    last_date: dt.date | None
    undated: int
    size_bytes: int
    terms: dict[str, int]
    segments: int
    schema_version: Any
    ambiguity: str
    last_build: str | None
    created: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "sources": dict(self.sources),
            "source_count": self.source_count,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "undated": self.undated,
            "size_bytes": self.size_bytes,
            "terms": self.terms,
            "segments": self.segments,
            "schema_version": self.schema_version,
            "ambiguity": self.ambiguity,
            "last_build": self.last_build,
            "created": self.created,
        }


def _dates(searcher: Searcher, docnums) -> list[dt.date]:
    dated = column(searcher.reader(), "date")
    found = []
    for docnum in docnums:
        value = dated.get(docnum)
        if isinstance(value, dt.datetime) and value.year > 1:
            found.append(value.date())
    return found


def collect_stats(searcher: Searcher, meta: dict[str, Any], size_bytes: int, top: int) -> Stats:
    """Statistics over every live document (columns and lexicons, no stored fields)."""
    reader = searcher.reader()
    docnums = list(reader.all_doc_ids())
    sources = Counter(column(reader, "source")[n] or "(none)" for n in docnums)
    dates = _dates(searcher, docnums)
    return Stats(
        documents=len(docnums),
        sources=sources.most_common(top),
        source_count=len(sources),
        first_date=min(dates, default=None),
        last_date=max(dates, default=None),
        undated=len(docnums) - len(dates),
        size_bytes=size_bytes,
        terms=distinct_terms(reader, ["title", "body", "exact"]),
        segments=len(reader.leaf_readers()),
        schema_version=meta.get("schema_version"),
        ambiguity=meta.get("ambiguity", ""),
        last_build=meta.get("updated"),
        created=meta.get("created"),
    )


@dataclass
class Timeline:
    """How many matching documents each period has."""

    query: str
    by: str
    counts: list[tuple[str, int]] = field(default_factory=list)
    total: int = 0
    undated: int = 0
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "by": self.by,
            "total": self.total,
            "undated": self.undated,
            "counts": dict(self.counts),
        }


def _period(day: dt.date, by: str) -> str:
    return f"{day.year:04d}" if by == "year" else f"{day.year:04d}-{day.month:02d}"


def _periods_between(first: dt.date, last: dt.date, by: str) -> list[str]:
    """Every period from the first to the last, so that gaps show as zeros."""
    periods = []
    year, month = first.year, first.month if by == "month" else 1
    while (year, month) <= (last.year, last.month if by == "month" else 1):
        periods.append(f"{year:04d}" if by == "year" else f"{year:04d}-{month:02d}")
        if by == "year":
            year += 1
        else:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def build_timeline(searcher: Searcher, query, text: str, by: str, date_filter: set[int] | None = None) -> Timeline:
    """Count the documents matching ``query`` (and in ``date_filter``, a set of
    document numbers, if given) per month or year, empty periods included."""
    if by not in ("month", "year"):
        raise ValueError("by must be 'month' or 'year'")
    docnums = list(searcher.docs_for_query(query))
    if date_filter is not None:
        docnums = [n for n in docnums if n in date_filter]
    dates = _dates(searcher, docnums)
    counts = Counter(_period(day, by) for day in dates)
    timeline = Timeline(query=text, by=by, total=len(docnums), undated=len(docnums) - len(dates))
    if dates:
        timeline.counts = [(period, counts.get(period, 0)) for period in _periods_between(min(dates), max(dates), by)]
    return timeline
