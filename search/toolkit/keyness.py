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

The set's counts come from reading its documents' bodies: each distinct
word form is lemmatised once (through the index's lemma table, which holds
every form the index has; a form it lacks is no index word and is left
out), each document counted once per lemma. The rest of the index comes from the body
field's document frequencies, looked up only for the candidates that can
still reach the top: a term in ``a`` documents of the set scores at most what
it would if no other document had it, so once that bound falls below the
current top N, the search stops.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import Counter, defaultdict
from itertools import chain
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from whoosh.searching import Searcher

from search.text.analysis import strip_ignorable
from search.retrieval.matching import MatchingSet, year_of
from search.text.morphology import known_lemmas, lemmas
from search.query.planner import STOP_WORDS

STATISTIC = "log-likelihood G² over document counts"
DEFAULT_TOP = 20
MAX_TOP = 1000
# A term in fewer of the set's documents is not reported: one or two
# documents say nothing about a topic's vocabulary.
MIN_DOCUMENTS = 3
# Function words beyond the query language's: the pronouns and determiners a
# lemmatised text is full of.
FUNCTION_LEMMAS = STOP_WORDS | frozenset(
    "свой себя сам самый ваш мой твой её ее их который весь этот тот такой каждый иной".split()
)
_LETTERS = re.compile(r"[^\W\d_]{2,}")
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
    lemma_names, doc_positions, lemma_ids = _document_lemmas(searcher, found.docnums, policy, lookup)
    overall = _counts(lemma_names, lemma_ids)
    per_year: dict[int, dict[str, int]] = {}
    year_sizes: Counter[int] = Counter()
    undated = 0
    if by == "year":
        years = [year_of(searcher, docnum) for docnum in found.docnums]
        undated = years.count(None)
        year_sizes.update(year for year in years if year is not None)
        year_of_pair = np.array([-1 if year is None else year for year in years], dtype=np.int64)[doc_positions]
        per_year = {year: _counts(lemma_names, lemma_ids[year_of_pair == year]) for year in year_sizes}
    frequencies: dict[str, int] = {}

    def in_index(term: str) -> int:
        if term not in frequencies:
            frequencies[term] = reader.doc_frequency("body", term)
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


def _counts(lemma_names: list[str], lemma_ids: np.ndarray) -> dict[str, int]:
    """How many (document, lemma) pairs each lemma of ``lemma_ids`` has: its
    document count, the pairs being distinct. Only lemmas with at least
    MIN_DOCUMENTS (fewer are never reported)."""
    counts = np.bincount(lemma_ids, minlength=len(lemma_names))
    present = np.flatnonzero(counts >= MIN_DOCUMENTS)
    return dict(zip([lemma_names[i] for i in present.tolist()], counts[present].tolist()))


def _document_lemmas(
    searcher: Searcher, docnums: list[int], policy: str, lookup: Callable[[list[str]], dict[str, str]] | None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct (document, lemma) pairs of the documents' bodies (numbers
    and one-letter words left out): the lemmas, then two parallel arrays of
    positions in ``docnums`` and in that list.

    The forms of all documents are lemmatised together: one lookup in the
    lemma table for the lot, pymorphy3 only for forms the table lacks. Words
    become numbers as they are read, and the pairs are made distinct by
    sorting one integer array: for the ~500,000 words of a 1,000-document set
    that costs about half what a set of lemma strings a document and a
    Counter over them did.
    """
    form_number: defaultdict[str, int] = defaultdict(itertools.count().__next__)  # a new form gets the next number
    words_by_doc: list[list[str]] = []
    for docnum in docnums:
        body = searcher.stored_fields(docnum).get("body", "")
        if _IGNORABLE.search(body):
            body = strip_ignorable(body)
        words_by_doc.append(_LETTERS.findall(body.lower().replace("ё", "е")))
    pair_forms = np.fromiter(map(form_number.__getitem__, chain.from_iterable(words_by_doc)), dtype=np.int64,
                             count=sum(map(len, words_by_doc)))
    pair_docs = np.repeat(np.arange(len(docnums), dtype=np.int64), list(map(len, words_by_doc)))
    form_list = list(form_number)  # by number
    if lookup is not None:
        # The table holds every word form of the index: a form it lacks is
        # no index word (this scan splits words at digits, the index does
        # not: «2019года»), so it counts for no lemma ("", dropped later).
        lemma_of = lookup(form_list)
        joined = list(map(lemma_of.get, form_list, itertools.repeat("")))
    else:
        lemma_of = {form: " ".join(found) for form, found in known_lemmas(form_list, policy).items()}
        joined = [lemma_of[form] if form in lemma_of else " ".join(lemmas(form, policy)) for form in form_list]
    # Number each form's lemmas as stored (joined by spaces): under «top» that
    # is the lemma itself; a form with several is split below.
    lemma_names = list(dict.fromkeys(joined))
    lemma_number = dict(zip(lemma_names, itertools.count()))
    pair_lemmas = np.fromiter(map(lemma_number.__getitem__, joined), dtype=np.int64, count=len(joined))[pair_forms]
    if any(" " in name for name in lemma_names):
        lemma_names, pair_docs, pair_lemmas = _one_lemma_a_pair(lemma_names, pair_docs, pair_lemmas)
    # A document counts once per lemma, however many times its words have it.
    keys = np.sort(pair_docs * max(1, len(lemma_names)) + pair_lemmas)
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    doc_positions, lemma_ids = np.divmod(keys, max(1, len(lemma_names)))
    return lemma_names, doc_positions, lemma_ids


def _one_lemma_a_pair(
    joined_names: list[str], pair_docs: np.ndarray, pair_joined: np.ndarray
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(document, lemma) pairs from pairs whose lemmas are joined by spaces
    (the «all» policy): each pair repeated once for each of its lemmas."""
    split = [name.split(" ") for name in joined_names]
    names = list(chain.from_iterable(split))
    lemma_names = list(dict.fromkeys(names))
    lemma_number = dict(zip(lemma_names, itertools.count()))
    # The lemmas of joined name i are flat[first[i] : first[i] + width[i]].
    flat = np.fromiter(map(lemma_number.__getitem__, names), dtype=np.int64, count=len(names))
    width = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    first = np.cumsum(width) - width
    widths = width[pair_joined]
    nth_lemma = np.arange(int(widths.sum())) - np.repeat(np.cumsum(widths) - widths, widths)
    return lemma_names, np.repeat(pair_docs, widths), flat[np.repeat(first[pair_joined], widths) + nth_lemma]
