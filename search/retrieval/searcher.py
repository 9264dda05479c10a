"""Running a query: plan, search, re-rank, page, highlight, suggest, count facets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh import query as wq
from whoosh import sorting
from whoosh.collectors import TimeLimit, WrappingCollector
from whoosh.searching import Searcher

from search.query import expansion
from search.ranking import rerank as ranking
from search.query import thesaurus
from search.storage.columns import UNDATED, column, raw_values
from search.limits import DEFAULT_TIMEOUT, MAX_WORD_LENGTH, Deadline
from search.storage.postings import PostingReader, UnreadablePostings, phrase_documents
from search.query.planner import STOP_WORDS, MatchTerms, QueryPlan, plan_query
from search.text.words import normal_form
from search.retrieval.results import Copy, DocumentView, Facets, Hit, SearchResults
from search.retrieval.snippets import Highlighter, Matcher, highlight_all

if TYPE_CHECKING:
    from search.retrieval.overview import Timeline

SORT_ORDERS = ("relevance", "newest", "oldest", "date")
MATCH_MODES = ("all", "any")
# With collapsing, fetch this many times the hits shown, so that pages stay
# full after near-duplicates fold into their best-placed copy.
COLLAPSE_HEADROOM = 2
# How many distinctive words of a document define "documents like it".
KEY_TERMS = 12
# Spelling suggestions: only for queries of at most this many words.
SUGGEST_MAX_WORDS = 4
FALLBACK_NOTICE = "No document contains all the words; showing documents with any of them."
PARTIAL_NOTICE = "The search ran out of time ({seconds:g} s); these are the best results found so far."


@dataclass(frozen=True)
class SearchOptions:
    """Everything about a search but the query text (see :meth:`Index.search`)."""

    limit: int = 10
    page: int = 1
    sort: str = "relevance"
    match: str = "all"
    since: dt.date | None = None
    until: dt.date | None = None
    snippets: bool = True
    recent: bool = False
    facets: bool = False
    synonyms: bool = True
    collapse: bool = True
    # Seconds the search may take before returning what it found so far
    # (marked partial); None for no limit.
    timeout: float | None = DEFAULT_TIMEOUT

    def check(self) -> None:
        if self.limit < 1 or self.page < 1:
            raise ValueError("limit and page must be at least 1")
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if self.sort not in SORT_ORDERS:
            raise ValueError(f"sort must be one of {', '.join(SORT_ORDERS)}")
        if self.match not in MATCH_MODES:
            raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}")
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")


def _date_bounds(searcher: Searcher, options: SearchOptions) -> tuple[int, int] | None:
    """``--since``/``--until`` as an inclusive range of values of the date
    column (where an undated document's value lies above every range)."""
    if not (options.since or options.until):
        return None
    field = searcher.schema["date"]
    low = field.to_column_value(dt.datetime.combine(options.since, dt.time.min)) if options.since else 0
    high = field.to_column_value(dt.datetime.combine(options.until, dt.time.max)) if options.until else UNDATED - 1
    return low, high


def _dated_within(searcher: Searcher, bounds: tuple[int, int]) -> set[int]:
    """The documents whose date lies within ``bounds``, read from the date
    column: Whoosh's own DateRange walks hundreds of numeric terms (over half
    a second on 20,000 documents), the column takes a millisecond or two."""
    low, high = bounds
    return {n for n, value in enumerate(raw_values(searcher.reader(), "date")) if low <= value <= high}


class _Run:
    """One execution of a plan: the candidates, re-ranked for relevance.

    Ranked by relevance without facets, plain word queries are scored by
    :mod:`search.ranking.scorer` (the same scores as Whoosh's, several times
    faster); everything else by Whoosh. ``count()`` gives the number of matches.
    """

    def __init__(
        self, searcher: Searcher, plan: QueryPlan, options: SearchOptions, scorer=None, deadline: Deadline | None = None
    ):
        self.deadline = deadline or Deadline(None)
        self.partial = False
        wanted = options.limit * options.page
        if options.collapse:
            wanted *= COLLAPSE_HEADROOM
        self.results = None
        bounds = _date_bounds(searcher, options)
        postings = scorer.stats.posting_reader if scorer is not None else PostingReader(searcher.reader())
        # Short topic queries and long ones are ranked with different constants.
        self.weights = ranking.profile(plan.text)
        ranked = self._fast(plan, options, scorer, bounds, max(wanted, ranking.RERANK_DEPTH))
        if ranked is None:
            ranked = self._whoosh(searcher, plan, options, bounds, wanted, postings)
        self.empty = not ranked
        if self.deadline.expired():
            # Out of time: the first-pass order stands, without re-ranking.
            self.partial = True
        elif options.sort == "relevance" and ranked:
            depth = ranking.RERANK_DEPTH
            head = ranking.rerank(searcher, postings, ranked[:depth], plan.concepts, options.recent, self.weights)
            ranked = head + ranked[depth:]
        self.ranked: list[tuple[int, float | None, list[int]]] = (
            _collapse(searcher, ranked) if options.collapse and ranked else [(d, s, []) for d, s in ranked]
        )

    def _fast(self, plan, options, scorer, bounds, depth) -> list[tuple[int, float | None]] | None:
        if scorer is None or options.facets:
            return None
        from search.ranking.purescore import Unsupported

        try:
            scored = scorer.score(
                plan.query, scorer.dated(*bounds) if bounds else None, weights=self.weights, deadline=self.deadline
            )
        except Unsupported:
            return None
        self.partial = scorer.cut_short
        self.count = lambda: scored.total
        if options.sort == "relevance":
            return scored.top(depth)
        return [(docnum, None) for docnum in scored.by_date(options.sort != "oldest", depth)]

    def _whoosh(self, searcher, plan, options, bounds, wanted, postings) -> list[tuple[int, float | None]]:
        date_filter = _dated_within(searcher, bounds) if bounds else None
        arguments: dict[str, Any] = {"terms": False, "filter": date_filter}
        if options.sort == "relevance":
            arguments["limit"] = max(wanted, ranking.RERANK_DEPTH)
        else:
            newest = options.sort != "oldest"
            arguments.update(limit=wanted, sortedby=_NEWEST_FIRST if newest else sorting.FieldFacet("date"))
        if options.facets:
            arguments.update(
                groupedby={"source": sorting.FieldFacet("source"), "year": sorting.FieldFacet("year")},
                maptype=sorting.Count,
            )
        # Whoosh reads an empty filter as no filter: nothing dated in range, nothing found.
        query = wq.NullQuery if date_filter is not None and not date_filter else plan.query
        if options.sort == "relevance" and getattr(searcher.weighting, "profile", None) != self.weights:
            # This query's BM25F constants: a searcher over the same reader, which it leaves open.
            searcher = Searcher(searcher.reader(), weighting=ranking.weighting(self.weights), closereader=False)
        self.results = self._timed(searcher, query, arguments)
        # Counted now, not when asked: counting reads the index, which the
        # caller may have closed by then. Out of time, only what was collected
        # is counted (counting all would run the whole query again).
        if self.partial:
            self.count = self.results.scored_length()
        else:
            self.count = count_matches(searcher, self.results, date_filter is not None, postings)
        # Sorted by date, Whoosh's "score" is the sort key: no relevance score then.
        by_relevance = options.sort == "relevance"
        return [(hit.docnum, (hit.score or 0.0) if by_relevance else None) for hit in self.results]


    def _timed(self, searcher: Searcher, query: wq.Query, arguments: dict[str, Any]):
        """Whoosh's search, stopped when the time budget runs out (the hits
        collected by then are kept)."""
        if self.deadline.end is None:
            return searcher.search(query, **arguments)
        arguments = dict(arguments)
        allow = arguments.pop("filter", None)
        collector = _BudgetCollector(searcher.collector(**arguments), self.deadline, allow)
        try:
            searcher.search_with_collector(query, collector)
        except TimeLimit:
            self.partial = True
        return collector.results()


class _BudgetCollector(WrappingCollector):
    """Collects until the deadline passes, then stops with ``TimeLimit``;
    only the documents in ``allow`` (global numbers), when given.

    Unlike Whoosh's TimeLimitCollector it needs no timer thread or alarm
    signal (which only the main thread may use): it reads the deadline's
    clock between matches, and before starting on another index segment
    (setting up the matchers of a segment may itself take a while). It
    filters itself: Whoosh's FilterCollector, wrapped or wrapping, would
    either skip the filter or the clock.
    """

    CHECK_EVERY = 64

    def __init__(self, child, deadline: Deadline, allow: set[int] | None = None):
        super().__init__(child)
        self.deadline = deadline
        self.allow = allow

    def set_subsearcher(self, subsearcher, offset) -> None:
        if offset and self.deadline.expired():
            raise TimeLimit
        super().set_subsearcher(subsearcher, offset)

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self.allow, self.offset
        for number, docnum in enumerate(child.matches()):
            if allow is None or offset + docnum in allow:
                child.collect(docnum)
            if number % self.CHECK_EVERY == 0 and self.deadline.expired():
                raise TimeLimit

    def all_ids(self):
        allow = self.allow
        return (docnum for docnum in self.child.all_ids() if allow is None or docnum in allow)

    def count(self) -> int:
        return self.child.count() if self.allow is None else sum(1 for _ in self.all_ids())

    def results(self):
        found = self.child.results()
        found.collector = self  # counting all matches goes through the filter
        return found


def _newest_first_key(stored: int) -> tuple[bool, int]:
    """Sort key of a stored date, newest first; undated documents last (Whoosh
    stores "no date" as the largest value, so a plain reverse sort puts them first)."""
    return stored == UNDATED, -stored


_NEWEST_FIRST = sorting.TranslateFacet(_newest_first_key, sorting.FieldFacet("date"))


def count_matches(
    searcher: Searcher, results, filtered: bool, postings: PostingReader | None = None
) -> int:
    """Every document the search matched. An unfiltered plain any-term query
    (an OR of words) is counted as the union of its words' posting lists,
    three times faster than running Whoosh's matchers over all of them; a
    phrase (in one field or several) from its words' decoded postings, where
    Whoosh would run the phrase a second time."""
    if results.has_exact_length() or filtered:
        return len(results)
    reader = searcher.reader()
    found: set[int] = set()
    if _is_plain_disjunction(results.q):
        for term in results.q.iter_all_terms():
            if term in reader:
                found.update(reader.postings(*term).all_ids())
    else:
        phrases = _phrases(results.q)
        if not phrases or postings is None:
            return len(results)
        if not all(searcher.schema[phrase.fieldname].format.supports("positions") for phrase in phrases):
            return len(results)  # an exact-form phrase on an index without their positions
        try:
            for phrase in phrases:
                found |= phrase_documents(postings, phrase.fieldname, phrase.words, phrase.slop)
        except UnreadablePostings:
            return len(results)
    return sum(1 for docnum in found if not reader.is_deleted(docnum))


def _phrases(query: wq.Query) -> list[wq.Phrase] | None:
    """The phrases of a query that is one phrase or an OR of phrases, else None."""
    if isinstance(query, wq.Phrase):
        return [query]
    if type(query) is wq.Or and all(isinstance(q, wq.Phrase) for q in query.subqueries):
        return list(query.subqueries)
    return None


def _is_plain_disjunction(query: wq.Query) -> bool:
    if isinstance(query, wq.Term) and not isinstance(query, wq.FuzzyTerm):
        return True
    return type(query) is wq.Or and all(_is_plain_disjunction(q) for q in query.subqueries)


def _collapse(searcher: Searcher, ranked: list[tuple[int, float | None]]) -> list[tuple[int, float | None, list[int]]]:
    """Keep the best-placed document of each near-duplicate group; the others
    become its copies."""
    groups = column(searcher.reader(), "dup_group")
    kept: list[tuple[int, float | None, list[int]]] = []
    by_group: dict[str, list[int]] = {}
    for docnum, score in ranked:
        group = groups[docnum]
        if group and group in by_group:
            by_group[group].append(docnum)
            continue
        copies: list[int] = []
        if group:
            by_group[group] = copies
        kept.append((docnum, score, copies))
    return kept


def run_search(
    searcher: Searcher, text: str, options: SearchOptions, policy: str, scorer=None, forms_by_lemma=None
) -> SearchResults:
    """Search ``text`` with ``options`` on an open searcher (``scorer``: a
    :class:`search.ranking.scorer.Scorer` for it, if the caller keeps one;
    ``forms_by_lemma``: the index's forms of given lemmas, for snippets, see
    :class:`search.retrieval.snippets.Matcher`)."""
    options.check()
    deadline = Deadline(options.timeout)
    reader = searcher.reader()
    synonyms = thesaurus.default(policy) if options.synonyms else None
    plan = plan_query(text, options.match, policy, reader, synonyms, deadline)
    run = _Run(searcher, plan, options, scorer, deadline)
    match = options.match
    if run.empty and match == "all" and not deadline.expired():
        fallback = plan_query(text, "any", policy, reader, synonyms, deadline)
        if repr(fallback.query) != repr(plan.query):
            fallback_run = _Run(searcher, fallback, options, scorer, deadline)
            if not fallback_run.empty:
                plan, run, match = fallback, fallback_run, "any"
                plan.notices.append(FALLBACK_NOTICE)
    first = (options.page - 1) * options.limit
    page = run.ranked[first : first + options.limit]
    matcher = Matcher(plan.terms, forms_by_lemma)
    hits = [
        _hit(searcher, rank, docnum, score, matcher if options.snippets else None, copies)
        for rank, (docnum, score, copies) in enumerate(page, first + 1)
    ]
    partial = plan.partial or run.partial or deadline.ran_out
    notices = list(plan.notices)
    if partial:
        notices.append(PARTIAL_NOTICE.format(seconds=options.timeout))
    return SearchResults(
        query=text,
        count=run.count,
        page=options.page,
        limit=options.limit,
        match=match,
        hits=hits,
        notices=notices,
        suggestion=None if deadline.expired() else suggest(searcher, text, plan, deadline),
        facets=_facets(run.results) if options.facets and run.results is not None else None,
        explanation=str(plan.query),
        partial=partial,
        snippets=options.snippets,
    )


def _hit(
    searcher: Searcher,
    rank: int,
    docnum: int,
    score: float | None,
    matcher: Matcher | None,
    copies: list[int] = (),
) -> Hit:
    fields = searcher.stored_fields(docnum)
    title = fields.get("title", "")
    date = fields.get("date")
    return Hit(
        rank=rank,
        id=fields["id"],
        title=title,
        date=date.date() if date else None,
        source=fields.get("source", ""),
        url=fields.get("url", ""),
        score=score,
        copies=tuple(_copy(searcher, n) for n in copies),
        highlighter=Highlighter(title, fields.get("body", ""), matcher) if matcher else None,
    )


def document_view(
    searcher: Searcher, docnum: int, text: str | None, policy: str, synonyms: bool, forms_by_lemma=None
) -> DocumentView:
    """A stored document with the matches of ``text`` (if any) marked in full
    (``forms_by_lemma`` as for :func:`run_search`)."""
    fields = searcher.stored_fields(docnum)
    title, body = fields.get("title", ""), fields.get("body", "")
    date = fields.get("date")
    spans: tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = ((), ())
    if text:
        plan = plan_query(text, "any", policy, searcher.reader(), thesaurus.default(policy) if synonyms else None)
        matcher = Matcher(plan.terms, forms_by_lemma)
        spans = (highlight_all(title, matcher).highlights, highlight_all(body, matcher).highlights)
    group = fields.get("dup_group") or fields["id"]
    copies = tuple(
        _copy(searcher, n) for n in searcher.document_numbers(dup_group=group) if n != docnum
    ) if group else ()
    return DocumentView(
        id=fields["id"],
        title=title,
        body=body,
        date=date.date() if date else None,
        source=fields.get("source", ""),
        url=fields.get("url", ""),
        lang=fields.get("lang", ""),
        title_highlights=spans[0],
        body_highlights=spans[1],
        copies=copies,
    )


def query_timeline(
    searcher: Searcher, text: str, by: str, options: SearchOptions, policy: str, synonyms: bool
) -> Timeline:
    """Matches of ``text`` per period (see :func:`search.retrieval.overview.build_timeline`)."""
    from search.retrieval.overview import build_timeline

    plan = plan_query(text, options.match, policy, searcher.reader(), thesaurus.default(policy) if synonyms else None)
    bounds = _date_bounds(searcher, options)
    timeline = build_timeline(searcher, plan.query, text, by, _dated_within(searcher, bounds) if bounds else None)
    timeline.notices = list(plan.notices)
    return timeline


def _copy(searcher: Searcher, docnum: int) -> Copy:
    reader = searcher.reader()
    return Copy(column(reader, "id")[docnum], column(reader, "source")[docnum] or "")


def _facets(results) -> Facets:
    def counts(name: str) -> dict[str, int]:
        groups = results.groups(name)
        pairs = [(str(key), count) for key, count in groups.items() if key not in (None, "")]
        return dict(sorted(pairs, key=lambda pair: (-pair[1], pair[0])))

    years = counts("year")
    return Facets(sources=counts("source"), years=dict(sorted(years.items())))


def _closest_word(searcher: Searcher, form: str, deadline: Deadline | None = None) -> str | None:
    """The indexed surface form nearest to ``form``: one pass over the words
    sharing its first letter (a swap of two letters, «Ташкнет», counting as
    one edit), the nearest winning, then the most frequent."""
    maxdist = 2 if len(form) > 5 else 1
    reader = searcher.reader()
    found = expansion.close_words(reader, "exact", form, maxdist, 1, deadline, limit=expansion.MAX_EXPANSIONS)
    candidates = [(expansion.distance(form, word), rank, word) for rank, word in enumerate(found.words) if word != form]
    return min(candidates)[2] if candidates else None


def suggest(searcher: Searcher, text: str, plan: QueryPlan, deadline: Deadline | None = None) -> str | None:
    """The query with unknown words replaced by the closest indexed words.

    A word is unknown when none of its lemmas occurs in the index. Long
    queries (a pasted headline) get no suggestion: a name the index lacks is
    no typo there, and looking costs time.
    """
    if len(plan.words) > SUGGEST_MAX_WORDS:
        return None
    reader = searcher.reader()
    replacements: dict[str, str] = {}
    for word, lemmas in plan.words:
        form = normal_form(word)
        if form in STOP_WORDS or len(form) < 4 or len(form) > MAX_WORD_LENGTH or form.isdigit():
            continue
        if deadline is not None and deadline.expired():
            break
        if any(reader.doc_frequency(field, lemma) for lemma in lemmas for field in ("body", "head")):
            continue
        correction = _closest_word(searcher, form, deadline)
        if correction:
            replacements[word] = correction
    if not replacements:
        return None
    suggestion = text
    for word, correction in replacements.items():
        suggestion = suggestion.replace(word, correction, 1)
    return suggestion


def find_similar(searcher: Searcher, docnum: int, limit: int, policy: str, forms_by_lemma=None) -> SearchResults:
    """Documents sharing the most distinctive words of document ``docnum``
    (``forms_by_lemma`` as for :func:`run_search`).

    Uses Whoosh's key-term extraction (Bo1 model) over the stored body, then
    an any-term search for those terms, the document itself excluded.
    """
    fields = searcher.stored_fields(docnum)
    text = f"{fields.get('title', '')}\n{fields.get('body', '')}"
    candidates = searcher.key_terms_from_text("body", text, numterms=KEY_TERMS * 3)
    key_terms = [(w, s) for w, s in candidates if w not in STOP_WORDS and not w.isdigit()][:KEY_TERMS]
    query = wq.Or([wq.Term(field, word, boost=weight) for word, weight in key_terms for field in ("head", "body")])
    results = searcher.search(query, limit=limit, mask={docnum}, terms=False)
    matcher = Matcher(MatchTerms(policy, frozenset(word for word, _ in key_terms)), forms_by_lemma)
    hits = [_hit(searcher, rank, hit.docnum, hit.score or 0.0, matcher) for rank, hit in enumerate(results, 1)]
    return SearchResults(
        query=f"similar:{fields['id']}",
        count=len(hits),
        page=1,
        limit=limit,
        match="any",
        hits=hits,
        explanation="key terms: " + ", ".join(word for word, _ in key_terms),
    )
