"""Vectorised BM25F scoring for the common query shapes.

Whoosh scores one posting at a time through a tree of Python matcher
objects; a ten-word any-term query over twenty thousand news articles spends
hundreds of milliseconds there. Queries that are ORs and ANDs of plain words
(with thesaurus alternatives) are scored here instead, a posting block at a
time with numpy, with exactly Whoosh's BM25F formula, statistics and
quantised field lengths, so rankings are unchanged. Anything else (phrases,
prefixes, NOT, ranges, …) goes to Whoosh.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from math import log
from typing import Iterator

import numpy as np
from whoosh import query as wq
from whoosh.matching import FilterMatcher
from whoosh.searching import Searcher
from whoosh.util.numeric import _length_byte_cache

from search.bestof import BestOf

_LENGTHS = np.frombuffer(_length_byte_cache, dtype=np.int32).astype(np.float32)
_COUNT_SIZE = 4  # the position count that starts a Positions value
# How many terms' decoded postings a reader keeps.
POSTINGS_KEPT = 64


class Unsupported(Exception):
    """The query has a shape this module does not score; use Whoosh."""


@dataclass
class Scored:
    """Every matching document's score (0 where it does not match)."""

    scores: np.ndarray
    matched: np.ndarray

    def top(self, count: int) -> list[tuple[int, float]]:
        """The ``count`` best (document number, score) pairs, best first."""
        found = np.flatnonzero(self.matched)
        if found.size > count:
            best = np.argpartition(-self.scores[found], count - 1)[:count]
            found = found[best]
        order = np.lexsort((found, -self.scores[found]))
        return [(int(d), float(self.scores[d])) for d in found[order]]

    @property
    def total(self) -> int:
        return int(self.matched.sum())


class Statistics:
    """Per-reader data the scorer needs: live documents and field lengths."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        if self.reader.has_deletions():
            deleted = [n for n in range(self.size) if self.reader.is_deleted(n)]
            self.live[deleted] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._postings: dict[tuple[str, str], Postings] = {}

    def lengths(self, field: str) -> np.ndarray:
        """Every document's (quantised) length of ``field``, as Whoosh scores it."""
        found = self._lengths.get(field)
        if found is None:
            codes = np.zeros(self.size, dtype=np.int64)
            for segment, offset in self.reader.leaf_readers():
                count = segment.doc_count_all()
                column = segment._perdoc._cached_reader(f"_{field}_len", _lengths_column())
                if column is not None:
                    codes[offset : offset + count] = [column[n] for n in range(count)]
            # Whoosh reads a missing length (byte 0) as 1.
            found = self._lengths[field] = np.where(codes == 0, 1.0, _LENGTHS[codes]).astype(np.float32)
        return found

    def postings(self, field: str, text: str) -> "Postings":
        """A term's postings: document numbers, weights and encoded positions.

        The last few are kept: scoring and proximity re-ranking read the
        same terms one after the other.
        """
        key = (field, text)
        found = self._postings.get(key)
        if found is None:
            found = self._postings[key] = self._read_postings(field, text)
            if len(self._postings) > POSTINGS_KEPT:
                del self._postings[next(iter(self._postings))]
        return found

    def _read_postings(self, field: str, text: str) -> "Postings":
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        values: list = []
        btext = text.encode("utf-8")
        for segment, offset in self.reader.leaf_readers():
            if (field, btext) not in segment:
                continue
            for block_ids, block_weights, block_values in _blocks(segment.postings(field, btext)):
                ids.append(block_ids + offset)
                weights.append(block_weights)
                values.extend(block_values)
        if not ids:
            return Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), [])
        return Postings(np.concatenate(ids), np.concatenate(weights), values)


def _lengths_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


@dataclass(frozen=True)
class Postings:
    """One term's postings in document order; ``values`` hold the encoded positions."""

    ids: np.ndarray
    weights: np.ndarray
    values: list

    def positions(self, docnums: np.ndarray) -> dict[int, np.ndarray]:
        """Token positions of the term in each of ``docnums`` (sorted) that has it."""
        if not self.ids.size:
            return {}
        places = np.searchsorted(self.ids, docnums)
        places[places >= self.ids.size] = 0
        found = {}
        for docnum, place in zip(docnums.tolist(), places.tolist()):
            if self.ids[place] == docnum:
                found[docnum] = _decode_positions(self.values[place])
        return found


def _decode_positions(value: bytes) -> np.ndarray:
    """Whoosh's Positions value: a count, then pickled position deltas."""
    return np.cumsum(pickle.loads(value[_COUNT_SIZE:] + b"."))


def _blocks(matcher) -> Iterator[tuple[np.ndarray, np.ndarray, tuple]]:
    """(ids, weights, values) of each posting block of a Whoosh 3 leaf matcher.

    A segment with deletions wraps its postings in a filter; the scorer
    masks deleted documents itself, so the filter is looked through.
    """
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not hasattr(matcher, "_blocklength"):
        raise Unsupported(f"postings of type {type(matcher).__name__}")
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        deltas, weights, values = matcher._data
        count = matcher._blocklength
        ids = np.cumsum(np.asarray(deltas, dtype=np.int64))
        if weights is None:
            block_weights = np.ones(count, dtype=np.float32)
        elif isinstance(weights, float):
            block_weights = np.full(count, weights, dtype=np.float32)
        else:
            block_weights = np.asarray(weights, dtype=np.float32)
        yield ids, block_weights, values or ()
        matcher._next_block()


class Scorer:
    """Scores supported queries against one searcher with Whoosh's BM25F."""

    def __init__(self, stats: Statistics, B: float, K1: float, field_B: dict[str, float]):
        self.stats = stats
        self.K1 = K1
        self.B = B
        self.field_B = field_B

    def mask(self, query: wq.Query) -> np.ndarray:
        """The documents matching a filter query (run by Whoosh), as a mask."""
        found = np.zeros(self.stats.size, dtype=bool)
        found[list(self.stats.searcher.docs_for_query(query))] = True
        return found

    def score(self, query: wq.Query, mask: np.ndarray | None = None) -> Scored:
        scores, matched = self._score(query)
        matched &= self.stats.live
        if mask is not None:
            matched &= mask
        return Scored(np.where(matched, scores, 0.0), matched)

    def _score(self, query: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        if type(query) is wq.Term:
            return self._term(query)
        if type(query) in (wq.Or, wq.And, BestOf) and query.subqueries:
            parts = [self._score(q) for q in query.subqueries]
            if type(query) is BestOf:
                scores = np.maximum.reduce([s for s, _ in parts])
            else:
                scores = np.sum([s for s, _ in parts], axis=0)
            combine = np.logical_and if type(query) is wq.And else np.logical_or
            matched = combine.reduce([m for _, m in parts])
            if query.boost != 1.0:
                scores = scores * query.boost
            return scores, matched
        raise Unsupported(type(query).__name__)

    def _term(self, term: wq.Term) -> tuple[np.ndarray, np.ndarray]:
        stats = self.stats
        scores = np.zeros(stats.size, dtype=np.float64)
        matched = np.zeros(stats.size, dtype=bool)
        postings = stats.postings(term.fieldname, term.text)
        ids, weights = postings.ids, postings.weights
        if ids.size:
            reader = stats.reader
            idf = log(stats.size / (reader.doc_frequency(term.fieldname, term.text) + 1)) + 1
            avg = stats.searcher.avg_field_length(term.fieldname) or 1
            B = self.field_B.get(term.fieldname, self.B)
            lengths = stats.lengths(term.fieldname)[ids]
            tf = weights.astype(np.float64)
            scores[ids] = idf * (tf * (self.K1 + 1)) / (tf + self.K1 * ((1 - B) + B * lengths / avg)) * term.boost
            matched[ids] = True
        return scores, matched
