"""Significant terms: the lemmas over-represented in a query's documents.

A lemma is *key* for a set of documents when more of them contain it than
its share of the rest of the index predicts. The strength of that is scored
with Dunning's log-likelihood ratio G² (the keyness statistic of corpus
linguistics) over document counts, the 2×2 table

    ┌──────────────┬──────────────────┬──────────────────────┐
    │              │ contain the term │ do not               │
    │ in the set   │ a                │ n − a                │
    │ the rest     │ b                │ (N − n) − b          │
    └──────────────┴──────────────────┴──────────────────────┘

G² = 2 Σ O·ln(O/E), O the four counts, E what each would be were the term
spread evenly (row total × column total / N). Only terms more frequent in
the set than in the rest are kept (G² is large for rare ones too). About
3.84 is significant at p < 0.05, 10.83 at p < 0.001; a topic's own vocabulary
scores in the hundreds.

The set's counts come from each document's body lemmas, kept by the index
beside its postings (:mod:`search.storage.document_lemmas`): a gather and a
count. An index written before those were kept reads its documents' bodies
instead: each distinct word form is lemmatised once (through the index's
lemma table, which holds every form the index has; a form it lacks is no
index word and is left out), each document counted once per lemma. Either
way only runs of two or more letters count (the kept lemmas are the index's
own: a word glued to digits, «Румынию10», is one token there, so no
«Румыния», while the body scan splits it off). The rest of the index comes from the body
field's document frequencies, looked up only for the candidates that can
still reach the top: a term in ``a`` documents of the set scores at most what
it would if no other document had it, so once that bound falls below the
current top N, the search stops.
"""

from __future__ import annotations

import heapq
import itertools
import math
import queue
import re
import threading
from collections import Counter, defaultdict
from itertools import chain
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
from whoosh.searching import Searcher

from search.storage.document_lemmas import SegmentLemmas, segment_lemmas
from search.storage.term_frequencies import DocumentFrequencies
from search.text.analysis import strip_ignorable
from search.text.letters import LETTER_RUNS, letter_runs
from search.retrieval.matching import MatchingSet, year_of
from search.text.morphology import known_lemmas, lemmas
from search.query.planner import STOP_WORDS

STATISTIC = "log-likelihood G² over document counts"
DEFAULT_TOP = 20
MAX_TOP = 1000
# A term in fewer of the set's documents is not reported: one or two
# documents say nothing about a topic's vocabulary.
MIN_DOCUMENTS = 3
# New forms a lookup in the lemma table (a 1,000-document set has some 55,000).
LOOKUP_BATCH = 5000
# Function words beyond the query language's: the pronouns and determiners a
# lemmatised text is full of.
FUNCTION_LEMMAS = STOP_WORDS | frozenset(
    "свой себя сам самый ваш мой твой её ее их который весь этот тот такой каждый иной".split()
)
_IGNORABLE = re.compile("[\u0300\u0301\u00ad\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class KeyTerm:
    term: str
    score: float
    documents: int  # documents of the set that contain it
    index_documents: int  # documents of the whole index that contain it

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "score": round(self.score, 2),
            "docs_in_set": self.documents,
            "docs_in_index": self.index_documents,
        }


@dataclass
class KeyTerms:
    """The top terms of a set of ``documents`` out of ``index_documents``;
    with ``by="year"``, ``years`` holds the top terms of each year's share."""

    query: str
    documents: int
    index_documents: int
    terms: list[KeyTerm] = field(default_factory=list)
    by: str | None = None
    years: list[tuple[int, int, list[KeyTerm]]] = field(default_factory=list)  # (year, documents, terms)
    undated: int = 0
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "query": self.query,
            "statistic": "G2",
            "documents": self.documents,
            "index_documents": self.index_documents,
            "terms": [term.to_json() for term in self.terms],
        }
        if self.by:
            found["by"] = self.by
            found["undated"] = self.undated
            found["years"] = {
                str(year): {"documents": count, "terms": [term.to_json() for term in terms]}
                for year, count, terms in self.years
            }
        return found


def log_likelihood(a: int, n: int, b: int, rest: int) -> float:
    """G² of a term in ``a`` of ``n`` documents of the set and ``b`` of the
    ``rest`` documents outside it."""
    total = n + rest
    with_term = a + b
    observed = ((a, n, with_term), (n - a, n, total - with_term), (b, rest, with_term), (rest - b, rest, total - with_term))
    score = 0.0
    for count, row, column in observed:
        if count > 0:
            score += count * math.log(count * total / (row * column))
    return 2.0 * score


def significant_terms(
    searcher: Searcher,
    found: MatchingSet,
    policy: str,
    top: int = DEFAULT_TOP,
    by: str | None = None,
    lookup: Callable[[list[str]], dict[str, str]] | None = None,
) -> KeyTerms:
    """The ``top`` key terms of ``found`` against the rest of the index, and
    with ``by="year"`` those of each year's documents too. ``lookup`` gives
    the stored lemmas of many forms at once (the lemma table's
    :meth:`~search.storage.lemma_table.LemmaTable.lemma_strings`); forms it lacks,
    or all without it, are lemmatised here."""
    if not 1 <= top <= MAX_TOP:
        raise ValueError(f"top must be from 1 to {MAX_TOP}")
    if by not in (None, "year"):
        raise ValueError("by must be None or 'year'")
    reader = searcher.reader()
    index_documents = searcher.doc_count()
    excluded = FUNCTION_LEMMAS | found.plan.terms.lemmas | found.plan.terms.forms | {""}
    years = [year_of(searcher, docnum) for docnum in found.docnums] if by == "year" else []
    undated = years.count(None)
    year_sizes: Counter[int] = Counter(year for year in years if year is not None)
    overall, per_year = _set_counts(searcher, found.docnums, years, policy, lookup)
    frequencies: dict[str, int] = {}
    document_frequency = DocumentFrequencies(reader, "body")

    def in_index(term: str) -> int:
        if term not in frequencies:
            frequencies[term] = document_frequency(term)
        return frequencies[term]

    result = KeyTerms(found.plan.text, len(found.docnums), index_documents, by=by, undated=undated,
                      notices=list(found.notices))
    result.terms = _top_terms(overall, len(found.docnums), index_documents, excluded, top, in_index)
    if by == "year":
        result.years = [
            (year, year_sizes[year], _top_terms(per_year[year], year_sizes[year], index_documents, excluded, top, in_index))
            for year in sorted(per_year)
        ]
    return result


def _top_terms(counts: dict[str, int], n: int, total: int, excluded, top: int, in_index) -> list[KeyTerm]:
    """The ``top`` terms by G², looking up index frequencies only while a
    candidate can still beat the current top (see the module's docstring)."""
    rest = total - n
    if n == 0 or rest <= 0:
        return []
    best: list[tuple[float, str, KeyTerm]] = []  # a min-heap of the top so far
    candidates = sorted(  # most documents first, ties by term
        (-count, term) for term, count in counts.items() if count >= MIN_DOCUMENTS and term not in excluded
    )
    for minus_a, term in candidates:
        a = -minus_a
        if len(best) >= top and log_likelihood(a, n, 0, rest) <= best[0][0]:
            break
        b = max(0, in_index(term) - a)
        if a * rest <= b * n:  # not over-represented in the set
            continue
        score = log_likelihood(a, n, b, rest)
        entry = (score, term, KeyTerm(term, score, a, a + b))
        if len(best) < top:
            heapq.heappush(best, entry)
        elif entry[:2] > best[0][:2]:
            heapq.heapreplace(best, entry)
    return [entry[2] for entry in sorted(best, key=lambda e: (-e[0], e[1]))]


def _counts(lemma_names: list[str], lemmas_by_doc: Iterable[set[int]]) -> dict[str, int]:
    """How many of the documents have each lemma (``lemmas_by_doc``: each
    document's lemmas, as numbers in ``lemma_names``). Only lemmas in at least
    MIN_DOCUMENTS (fewer are never reported)."""
    counts = Counter(chain.from_iterable(lemmas_by_doc))
    return {lemma_names[number]: count for number, count in counts.items() if count >= MIN_DOCUMENTS}


def _set_counts(
    searcher: Searcher, docnums: list[int], years: list[int | None], policy: str, lookup
) -> tuple[dict[str, int], dict[int, dict[str, int]]]:
    """How many of the documents hold each lemma (MIN_DOCUMENTS or more), and
    with ``years`` (each document's) the same for each year's documents: from
    the index's kept document lemmas, or from the bodies where it has none."""
    kept = _kept_lemmas(searcher.reader())
    if kept is not None:
        try:
            docnums_by_year: defaultdict[int, list[int]] = defaultdict(list)
            for year, docnum in zip(years, docnums):
                if year is not None:
                    docnums_by_year[year].append(docnum)
            return _kept_counts(kept, docnums), {
                year: _kept_counts(kept, in_year) for year, in_year in docnums_by_year.items()
            }
        except ValueError:  # a damaged file: count from the bodies instead
            pass
        finally:
            for segment, _ in kept:
                segment.close()
    lemma_names, lemmas_by_doc = _document_lemmas(searcher, docnums, policy, lookup)
    by_year: defaultdict[int, list[set[int]]] = defaultdict(list)
    for year, document_lemmas in zip(years, lemmas_by_doc):
        if year is not None:
            by_year[year].append(document_lemmas)
    return _counts(lemma_names, lemmas_by_doc), {year: _counts(lemma_names, sets) for year, sets in by_year.items()}


def _kept_lemmas(reader) -> list[tuple[SegmentLemmas, int]] | None:
    """Every segment's kept document lemmas with its first docnum, or None
    when a segment has none (an older index): then the bodies are read."""
    kept = []
    for segment, base in reader.leaf_readers():
        found = segment_lemmas(segment)
        if found is None:
            for opened, _ in kept:
                opened.close()
            return None
        kept.append((found, base))
    return kept


def _kept_counts(kept: list[tuple[SegmentLemmas, int]], docnums: list[int]) -> dict[str, int]:
    """How many of the documents hold each lemma, from the kept lemmas: the
    words the body scan would count (runs of two or more letters: no
    numbers, no hyphenated compounds, whose parts are lemmas of their own),
    in at least MIN_DOCUMENTS documents."""
    wanted = np.asarray(docnums, dtype=np.int64)
    total: Counter[str] = Counter()
    for segment, base in kept:
        local = wanted[(wanted >= base) & (wanted < base + segment.documents)] - base
        if len(local):
            total.update(segment.counts(local))
    return {
        lemma: count for lemma, count in total.items() if count >= MIN_DOCUMENTS and LETTER_RUNS.fullmatch(lemma)
    }


def _document_lemmas(
    searcher: Searcher, docnums: list[int], policy: str, lookup: Callable[[list[str]], dict[str, str]] | None
) -> tuple[list[str], list[set[int]]]:
    """The lemmas of the documents' bodies (numbers and one-letter words left
    out): the lemmas, then for each document the set of its lemmas' positions
    in that list.

    Each body's distinct forms are numbered as soon as it is split, while its
    words are fresh in memory. The lemma table is asked about new forms a
    batch at a time on a thread of its own while the next bodies are split
    (SQLite lets go of the interpreter while it searches); without a table,
    the forms of all documents are lemmatised together at the end. Then every
    document's form numbers become lemma numbers through a list: no string
    is looked up twice.
    """
    form_number: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # a new form gets the next number
    number = form_number.__getitem__
    forms_by_doc: list[list[int]] = []
    table = _BackgroundLookups(lookup) if lookup is not None else None
    try:
        sent = 0  # forms handed to the table so far
        for docnum in docnums:
            body = searcher.stored_fields(docnum).get("body", "")
            if _IGNORABLE.search(body):
                body = strip_ignorable(body)
            forms_by_doc.append(list(map(number, set(letter_runs(body.lower().replace("ё", "е"))))))
            if table is not None and len(form_number) - sent >= LOOKUP_BATCH:
                table.send(list(itertools.islice(form_number, sent, None)))
                sent = len(form_number)
        form_list = list(form_number)  # by number
        if table is not None:
            table.send(form_list[sent:])
            # The table holds every word form of the index: a form it lacks is
            # no index word (this scan splits words at digits, the index does
            # not: «2019года»), so it counts for no lemma ("", dropped later).
            lemma_of = table.found()
            joined = list(map(lemma_of.get, form_list, itertools.repeat("")))
        else:
            lemma_of = {form: " ".join(found) for form, found in known_lemmas(form_list, policy).items()}
            joined = [lemma_of[form] if form in lemma_of else " ".join(lemmas(form, policy)) for form in form_list]
    finally:
        if table is not None:
            table.stop()
    # A form's lemmas as stored, joined by spaces: under «top» that is the
    # lemma itself; a form with several («all») stands for each of them.
    distinct = list(dict.fromkeys(joined))
    if not any(" " in name for name in distinct):  # one lemma a form
        lemma_number = dict(zip(distinct, itertools.count()))
        lemma_of_form = list(map(lemma_number.__getitem__, joined))
        return distinct, [set(map(lemma_of_form.__getitem__, forms)) for forms in forms_by_doc]
    lemma_names = list(dict.fromkeys(chain.from_iterable(name.split(" ") for name in distinct)))
    lemma_number = dict(zip(lemma_names, itertools.count()))
    lemmas_of_form = [tuple(map(lemma_number.__getitem__, name.split(" "))) for name in joined]
    return lemma_names, [
        set(chain.from_iterable(map(lemmas_of_form.__getitem__, forms))) for forms in forms_by_doc
    ]


class _BackgroundLookups:
    """Batches of forms looked up one after another on a thread of their own,
    the answers merged; an error of a lookup is raised by :meth:`found`."""

    def __init__(self, lookup: Callable[[list[str]], dict[str, str]]):
        self._lookup = lookup
        self._batches: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._found: dict[str, str] = {}
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="lemma-lookups", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (batch := self._batches.get()) is not None:
            if self._error is None and batch:
                try:
                    self._found.update(self._lookup(batch))
                except BaseException as error:  # handed to the caller by found()
                    self._error = error

    def send(self, forms: list[str]) -> None:
        self._batches.put(forms)

    def stop(self) -> None:
        """Wait for the batches sent so far; the thread ends."""
        if self._thread.is_alive():
            self._batches.put(None)
            self._thread.join()

    def found(self) -> dict[str, str]:
        """The lemmas of every form sent (those the table has)."""
        self.stop()
        if self._error is not None:
            raise self._error
        return self._found
