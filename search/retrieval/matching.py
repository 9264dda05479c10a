"""The whole set of documents a query matches, for the analyst's commands.

``search query`` ranks and shows a page; ``export``, ``kwic`` and ``terms``
need every matching document instead. They share this: the query is planned
exactly as for a search (operators, phrases, thesaurus, ``date:`` and
``source:`` filters), ``--since``/``--until`` come from the date column, and
the documents are listed in the order asked. There is no fallback to
any-term matching here: a data export must contain what the query says, not
what a lenient reading of it finds (``match="any"`` asks for that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from whoosh.searching import Searcher

from search.query import thesaurus
from search.storage.columns import UNDATED, raw_values
from search.query.planner import QueryPlan, plan_query

ORDERS = ("newest", "oldest", "relevance", "index")


@dataclass
class MatchingSet:
    """A query's plan and the numbers of every document it matches."""

    plan: QueryPlan
    docnums: list[int]
    notices: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.docnums)


def matching_documents(
    searcher: Searcher,
    text: str,
    policy: str,
    *,
    match: str = "all",
    since: dt.date | None = None,
    until: dt.date | None = None,
    synonyms: bool = True,
    order: str = "newest",
    scorer=None,
    postings=None,
) -> MatchingSet:
    """Every live document matching ``text``, in ``order``: ``newest`` or
    ``oldest`` first (undated last), ``relevance`` (BM25F, no re-ranking) or
    ``index`` (document number, the cheapest). ``postings``: the index's
    :class:`search.storage.postings.PostingReader`, which finds the documents
    of a plain word query from its posting lists (Whoosh's matchers
    otherwise: several times slower for an AND of frequent words);
    ``scorer``: its :class:`search.ranking.scorer.Scorer`, which ranks them
    for ``relevance`` (and lends its posting reader)."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}")
    if since and until and since > until:
        raise ValueError("since must not be after until")
    reader = searcher.reader()
    plan = plan_query(text, match, policy, reader, thesaurus.default(policy) if synonyms else None)
    if plan.empty:
        return MatchingSet(plan, [], list(plan.notices))
    dates = raw_values(reader, "date") if (since or until or order in ("newest", "oldest")) else None
    if postings is None and scorer is not None:
        postings = scorer.stats.posting_reader
    docnums = _fast(scorer, postings, plan, order)
    if docnums is None and order == "relevance":
        results = searcher.search(plan.query, limit=None, terms=False)
        docnums = [hit.docnum for hit in results]
    elif docnums is None:
        docnums = sorted(searcher.docs_for_query(plan.query))
    if since or until:
        low, high = _bounds(searcher, since, until)
        docnums = [n for n in docnums if low <= dates[n] <= high]
    if order == "newest":
        docnums.sort(key=lambda n: (dates[n] == UNDATED, -dates[n]))
    elif order == "oldest":
        docnums.sort(key=lambda n: dates[n])
    return MatchingSet(plan, docnums, list(plan.notices))


def _fast(scorer, postings, plan: QueryPlan, order: str) -> list[int] | None:
    """The matching documents through the vectorised scorer (``relevance``)
    or straight from the posting lists (any other order), None if they
    cannot read this query. Only ranking needs scores (and numpy, and the
    field lengths behind them, slow to load in a fresh process); finding
    the documents needs only the posting lists."""
    if order == "relevance":
        if scorer is None:
            return None
        from search.ranking.purescore import Unsupported

        try:
            scored = scorer.score(plan.query)
        except Unsupported:
            return None
        return [docnum for docnum, _ in scored.top(max(scored.total, 1))]
    if postings is None:
        return None
    matched = _matched(postings, plan.query)
    if matched is None:
        return None
    return sorted(matched - _deleted(postings.reader))


def _matched(postings, query) -> set[int] | None:
    """The documents (deleted ones too) a plain word query (terms under AND,
    OR and best-of) matches, or None for any other shape: sets of document
    numbers, pure Python, so that listing a query's documents never waits
    for numpy to load."""
    from whoosh import query as wq

    from search.ranking.bestof import BestOf
    from search.storage.postings import UnreadablePostings

    if type(query) is wq.Term:
        try:
            return set(postings.postings(query.fieldname, query.text).ids)
        except UnreadablePostings:
            return None
    if type(query) in (wq.And, wq.Or, BestOf) and query.subqueries:
        parts = [_matched(postings, part) for part in query.subqueries]
        if any(part is None for part in parts):
            return None
        return set.intersection(*parts) if type(query) is wq.And else set.union(*parts)
    return None


def _deleted(reader) -> set[int]:
    """The deleted documents' numbers, a segment's deletion set at a time."""
    return {offset + docnum for segment, offset in reader.leaf_readers() if segment.has_deletions()
            for docnum in segment.deleted_docs_set}


def _bounds(searcher: Searcher, since: dt.date | None, until: dt.date | None) -> tuple[int, int]:
    """The range of date-column values from ``since`` to ``until`` inclusive."""
    date_field = searcher.schema["date"]
    low = date_field.to_column_value(dt.datetime.combine(since, dt.time.min)) if since else 0
    high = date_field.to_column_value(dt.datetime.combine(until, dt.time.max)) if until else UNDATED - 1
    return low, high


def year_of(searcher: Searcher, docnum: int) -> int | None:
    """The year a document is dated, from the date column (None: undated)."""
    value = raw_values(searcher.reader(), "date")[docnum]
    if value == UNDATED:
        return None
    return searcher.schema["date"].from_column_value(value).year
