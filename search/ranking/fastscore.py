"""Vectorised BM25F scoring for the common query shapes.

Whoosh scores one posting at a time through a tree of Python matcher
objects; a ten-word any-term query over twenty thousand news articles spends
hundreds of milliseconds there. Queries that are ORs and ANDs of plain words
(with thesaurus alternatives) are scored here instead, a posting block at a
time with numpy, with exactly Whoosh's BM25F formula, statistics and
quantised field lengths, so rankings are unchanged. Phrases are scored as
Whoosh scores them (the AND of their words), over the documents where the
words stand in order, found from their decoded positions. Anything else
(prefixes, NOT, ranges, exact-form phrases, …) goes to Whoosh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from math import log

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.util.numeric import _length_byte_cache

from search.ranking.purescore import QueryWalk, Unsupported, length_codes
from search.storage.columns import UNDATED, raw_values
from search.storage.postings import Postings, PostingReader, UnreadablePostings

if TYPE_CHECKING:
    from search.ranking.rerank import Profile

_LENGTHS = np.frombuffer(_length_byte_cache, dtype=np.int32).astype(np.float32)


@dataclass
class Scored:
    """Every matching document's score (0 where it does not match)."""

    scores: np.ndarray
    matched: np.ndarray
    stats: "Statistics"

    def top(self, count: int) -> list[tuple[int, float]]:
        """The ``count`` best (document number, score) pairs, best first; of
        documents tied at the cut, the lowest numbers (as Whoosh's collector
        keeps them; a partition alone would keep any of them)."""
        found = np.flatnonzero(self.matched)
        if found.size > count:
            scores = self.scores[found]
            cut = -np.partition(-scores, count - 1)[count - 1]
            above = found[scores > cut]
            found = np.concatenate([above, found[scores == cut][: count - above.size]])
        order = np.lexsort((found, -self.scores[found]))
        return [(int(d), float(self.scores[d])) for d in found[order]]

    def by_date(self, newest: bool, count: int) -> list[int]:
        """The first ``count`` matching documents by date, undated ones last,
        ties by document number."""
        found = np.flatnonzero(self.matched)
        stored = self.stats.dates()[found]
        undated = stored == UNDATED
        days = np.where(undated, 0, stored).astype(np.int64)
        order = np.lexsort((found, -days if newest else days, undated))[:count]
        return [int(d) for d in found[order]]

    @property
    def total(self) -> int:
        return int(self.matched.sum())


class Statistics:
    """Per-reader data the scorer needs: live documents and field lengths."""

    def __init__(self, searcher: Searcher, posting_reader: PostingReader | None = None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for segment, offset in self.reader.leaf_readers():  # each segment's deletion set, not a call a document
            if segment.has_deletions():
                self.live[[offset + n for n in segment.deleted_docs_set]] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None
        self.posting_reader = posting_reader or PostingReader(self.reader)

    def lengths(self, field: str) -> np.ndarray:
        """Every document's (quantised) length of ``field``, as Whoosh scores it."""
        found = self._lengths.get(field)
        if found is None:
            codes = np.frombuffer(length_codes(self.reader, field), dtype=np.uint8)
            # Whoosh reads a missing length (byte 0) as 1.
            found = self._lengths[field] = np.where(codes == 0, 1.0, _LENGTHS[codes]).astype(np.float32)
        return found

    def dates(self) -> np.ndarray:
        """Every document's date as the sortable column stores it (``UNDATED`` where none)."""
        if self._dates is None:
            self._dates = np.array(raw_values(self.reader, "date"), dtype=np.uint64)
        return self._dates

    def postings(self, field: str, text: str) -> Postings:
        return self.posting_reader.postings(field, text)


def _combine_arrays(parts: list[tuple[np.ndarray, np.ndarray]], best: bool, every: bool) -> tuple[np.ndarray, np.ndarray]:
    """The parts' scores summed (or their maximum, ``best``) and their matches
    joined (all of them, ``every``, or any), into the first part's arrays
    (each part is a fresh pair): in place, one part after another, as
    ``np.sum(..., axis=0)`` adds them, bit for bit, without copying every part
    into one matrix first (4x faster for 20 parts of 48,000 documents)."""
    scores, matched = parts[0]
    for part_scores, part_matched in parts[1:]:
        if best:
            np.maximum(scores, part_scores, out=scores)
        else:
            scores += part_scores
        if every:
            matched &= part_matched
        else:
            matched |= part_matched
    if every:  # as Whoosh's matchers score an AND: nothing where a part is missing
        scores = np.where(matched, scores, 0.0)
    return scores, matched


class Scorer(QueryWalk):
    """Scores supported queries against one searcher with Whoosh's BM25F."""

    def __init__(self, stats: Statistics, weights: "Profile | None" = None):
        super().__init__()
        self.stats = stats
        self.weights = weights  # the default for score(); None: long queries' (ranking.PROFILES)

    def dated(self, low: int, high: int) -> np.ndarray:
        """A mask of the documents whose date column value lies in ``low``..``high``
        (inclusive; an undated document's value, ``UNDATED``, lies above any range)."""
        dates = self.stats.dates()
        return (dates >= low) & (dates <= high)

    def score(
        self, query: wq.Query, mask: np.ndarray | None = None, weights: "Profile | None" = None, deadline=None
    ) -> Scored:
        """Score ``query`` with ``weights``' BM25F constants (as Whoosh's
        ``ranking.ProfileBM25F`` would), over the documents in ``mask``; with a
        ``deadline`` (:class:`search.limits.Deadline`), an any-word query stops
        adding words once it has passed (then ``cut_short`` is set): the words
        scored so far rank the documents."""
        from search.ranking.rerank import PROFILES

        self.deadline, self.cut_short = deadline, False
        scores, matched = self._score(query, weights or self.weights or PROFILES["long"])
        matched &= self.stats.live
        if mask is not None:
            matched &= mask
        return Scored(self._only(scores, matched), matched, self.stats)

    def _other(self, query: wq.Query):
        if type(query) is wq.DateRange and query.fieldname == "date":
            return self._dates(query)
        raise Unsupported(type(query).__name__)

    _combine = staticmethod(_combine_arrays)

    @staticmethod
    def _boosted(scores: np.ndarray, boost: float) -> np.ndarray:
        return scores * boost

    @staticmethod
    def _any(matched: np.ndarray) -> bool:
        return bool(matched.any())

    def _within(self, matched: np.ndarray, found: set[int]) -> np.ndarray:
        in_phrase = np.zeros(self.stats.size, dtype=bool)
        in_phrase[np.fromiter(found, dtype=np.int64, count=len(found))] = True
        return matched & in_phrase

    @staticmethod
    def _only(scores: np.ndarray, matched: np.ndarray) -> np.ndarray:
        return np.where(matched, scores, 0.0)

    def _dates(self, query: wq.DateRange) -> tuple[np.ndarray, np.ndarray]:
        """A ``date:`` range, from the date column: Whoosh walks hundreds of
        numeric terms for it. Scored as Whoosh does, a constant ``boost``."""
        low = 0 if query.start is None else query.start + int(query.startexcl)
        high = UNDATED - 1 if query.end is None else query.end - int(query.endexcl)
        matched = self.dated(low, high)
        return np.where(matched, float(query.boost), 0.0), matched

    def _term(self, term: wq.Term, weights: "Profile", within=None) -> tuple[np.ndarray, np.ndarray]:
        stats = self.stats
        scores = np.zeros(stats.size, dtype=np.float64)
        matched = np.zeros(stats.size, dtype=bool)
        try:
            postings = stats.postings(term.fieldname, term.text)
        except UnreadablePostings as error:
            raise Unsupported(str(error)) from None
        ids = np.frombuffer(postings.ids, dtype=np.int64)
        frequencies = np.frombuffer(postings.weights, dtype=np.float32)
        if ids.size:
            # Whoosh's document frequency counts deleted documents too: the postings' length.
            idf = log(stats.size / (ids.size + 1)) + 1
            avg = stats.searcher.avg_field_length(term.fieldname) or 1
            head = term.fieldname == "head"
            B = weights.head_B if head else weights.B
            K1 = weights.K1
            lengths = stats.lengths(term.fieldname)[ids]
            tf = frequencies.astype(np.float64)
            scale = term.boost * (weights.head_weight if head else 1.0)
            scores[ids] = idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * lengths / avg)) * scale
            matched[ids] = True
        return scores, matched
