"""BM25F in pure Python, for queries with few postings.

A fresh ``search query`` process would spend 50–100 ms importing numpy for
the vectorised scorer (:mod:`search.ranking.fastscore`): more than scoring a
typed query's few thousand postings one at a time takes. This scorer gives
the same scores, bit for bit. BM25F's length part depends on a document only
through its quantised length (one byte), so it is worked out once for each
of the 256 length codes, repeating numpy's float32 steps; each posting then
costs the same few float64 operations numpy does.

Scores are kept sparsely: a dictionary holds every document some posting
under the query reaches (with the partial sums numpy's dense arrays hold),
a set the documents that match.
"""

from __future__ import annotations

import heapq
import struct
import threading
from bisect import bisect_left
from math import log
from typing import TYPE_CHECKING, NamedTuple

from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.util.numeric import _length_byte_cache

from search.ranking.bestof import BestOf
from search.storage.columns import UNDATED, raw_values
from search.storage.postings import PostingReader, UnreadablePostings, phrase_documents

if TYPE_CHECKING:
    from search.ranking.rerank import Profile

_FLOAT32 = struct.Struct("f")


def _f32(value: float) -> float:
    """``value`` rounded to float32, as numpy's float32 arithmetic leaves it."""
    return _FLOAT32.unpack(_FLOAT32.pack(value))[0]


# Each length byte's length as float32; byte 0 (never written) reads as 1, as in Whoosh.
_LENGTHS = [1.0] + [_f32(float(length)) for length in _length_byte_cache[1:]]


class Unsupported(Exception):
    """The query has a shape neither scorer scores; use Whoosh's matchers."""


class Unhandled(Unsupported):
    """The query has a shape this module does not score (the vectorised scorer may)."""


class DateBounds(NamedTuple):
    """Documents whose date column value lies in ``low``..``high`` (inclusive)."""

    low: int
    high: int


def length_bytes(column, count: int) -> bytes:
    """A segment's field-length bytes in one read, ``count`` of them: the
    column holds a byte a document; those past its end (never written) are 0.
    Reading them one ``column[n]`` at a time took 0.6 s for 18,744 documents."""
    stored = min(count, column._count)
    found = column._dbfile.get(column._basepos, stored) if stored else b""
    return bytes(found) + bytes(count - stored)


def length_codes(reader, field: str) -> bytes:
    """Every document's quantised length byte of ``field``, by document
    number, a segment's in one read (0 for a segment without the column)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    parts = []
    for segment, _ in reader.leaf_readers():
        count = segment.doc_count_all()
        column = segment._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        parts.append(length_bytes(column, count) if column is not None else bytes(count))
    return b"".join(parts)


class Statistics:
    """What scoring needs of a searcher, read once without numpy: deleted
    documents, field-length codes, dates and the posting lists."""

    def __init__(self, searcher: Searcher, posting_reader: PostingReader | None = None):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.size = self.reader.doc_count_all()
        self.deleted: set[int] = set()
        for segment, offset in self.reader.leaf_readers():
            if segment.has_deletions():
                self.deleted.update(offset + n for n in segment.deleted_docs_set)
        self.posting_reader = posting_reader or PostingReader(self.reader)
        self._codes: dict[str, bytes] = {}

    def length_codes(self, field: str) -> bytes:
        """Every document's quantised length byte of ``field``, by document number."""
        found = self._codes.get(field)
        if found is None:
            found = self._codes[field] = length_codes(self.reader, field)
        return found

    def dates(self) -> list[int]:
        """Every document's date as the sortable column stores it (``UNDATED`` where none)."""
        return raw_values(self.reader, "date")

    def postings(self, field: str, text: str):
        return self.posting_reader.postings(field, text)


class Scored:
    """The matching documents and their scores."""

    def __init__(self, scores: dict[int, float], stats: Statistics):
        self.scores = scores
        self.stats = stats

    def top(self, count: int) -> list[tuple[int, float]]:
        """The ``count`` best (document number, score) pairs, best first, ties by number."""
        best = heapq.nsmallest(count, ((-score, docnum) for docnum, score in self.scores.items()))
        return [(docnum, -negative) for negative, docnum in best]

    def by_date(self, newest: bool, count: int) -> list[int]:
        """The first ``count`` matching documents by date, undated ones last, ties by number."""
        dates = self.stats.dates()

        def key(docnum: int) -> tuple[bool, int, int]:
            stored = dates[docnum]
            return stored == UNDATED, -stored if newest else stored, docnum

        return heapq.nsmallest(count, self.scores, key=key)

    @property
    def total(self) -> int:
        return len(self.scores)


class ThreadOwn:
    """An attribute each thread sees its own value of: one scorer serves every
    thread searching an index, each with its own deadline. The owner makes
    ``_per_thread`` (a ``threading.local``) in ``__init__``."""

    def __init__(self, default):
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, owner, kind=None):
        return self if owner is None else getattr(owner._per_thread, self.name, self.default)

    def __set__(self, owner, value) -> None:
        setattr(owner._per_thread, self.name, value)


class QueryWalk:
    """How both scorers walk a query: terms, and ANDs, ORs and best-ofs of
    them, and phrases. Subclasses hold the scores (a dictionary here, arrays
    in :mod:`search.ranking.fastscore`) and say what else they score."""

    unsupported: type[Unsupported] = Unsupported
    deadline = ThreadOwn(None)
    cut_short = ThreadOwn(False)

    def __init__(self):
        self._per_thread = threading.local()

    def _score(self, query: wq.Query, weights: "Profile", within: set[int] | None = None):
        """(scores, matches) of ``query``; with ``within``, only those of its
        documents matter (the caller keeps no other): a scorer may leave the
        rest out."""
        if type(query) is wq.Term:
            return self._term(query, weights, within)
        if type(query) in (wq.Or, wq.And, BestOf) and query.subqueries:
            if type(query) is wq.And:
                parts = self._all_of(query.subqueries, weights, within)
            else:
                parts = []
                for part in query.subqueries:
                    if parts and type(query) is wq.Or and self.deadline is not None and self.deadline.expired():
                        self.cut_short = True
                        break
                    parts.append(self._score(part, weights, within))
            scores, matched = self._combine(parts, best=type(query) is BestOf, every=type(query) is wq.And)
            return (self._boosted(scores, query.boost) if query.boost != 1.0 else scores), matched
        if type(query) is wq.Phrase:
            return self._phrase(query, weights, within)
        return self._other(query)

    def _all_of(self, queries: list[wq.Query], weights: "Profile", within: set[int] | None):
        """The parts of an AND, each scored (in order)."""
        return [self._score(part, weights, within) for part in queries]

    def _phrase(self, phrase: wq.Phrase, weights: "Profile", within: set[int] | None = None):
        """A phrase, as Whoosh's ``Phrase`` scores it: the sum of its words'
        scores, in the documents where they follow each other within ``slop``."""
        field, words = phrase.fieldname, [w for w in phrase.words if w is not None]
        schema = self.stats.searcher.schema
        if not words or field not in schema or not schema[field].format.supports("positions"):
            raise self.unsupported(f"phrase in {field}")
        parts = [self._term(wq.Term(field, word), weights, within) for word in words]
        scores, matched = self._combine(parts, best=False, every=True)
        if len(words) > 1 and self._any(matched):
            try:
                found = phrase_documents(self.stats.posting_reader, field, words, phrase.slop)
            except UnreadablePostings as error:
                raise self.unsupported(str(error)) from None
            matched = self._within(matched, found)
        if phrase.boost != 1.0:
            scores = self._boosted(scores, phrase.boost)
        return self._only(scores, matched), matched

    def _other(self, query: wq.Query):
        raise self.unsupported(type(query).__name__)


class Scorer(QueryWalk):
    """Scores plain word queries against one searcher with Whoosh's BM25F,
    as :class:`search.ranking.fastscore.Scorer` does, without numpy."""

    unsupported = Unhandled

    def __init__(self, stats: Statistics):
        super().__init__()
        self.stats = stats
        self._length_parts: dict[tuple, list[float]] = {}

    def score(
        self,
        query: wq.Query,
        bounds: DateBounds | None = None,
        weights: "Profile | None" = None,
        deadline=None,
    ) -> Scored:
        """Score ``query`` with ``weights``' BM25F constants over the documents
        dated within ``bounds``; with a ``deadline``, an any-word query stops
        adding words once it has passed (then ``cut_short`` is set)."""
        from search.ranking.rerank import PROFILES

        self.deadline, self.cut_short = deadline, False
        scores, matched = self._score(query, weights or PROFILES["long"])
        matched -= self.stats.deleted
        if bounds is not None:
            dates = self.stats.dates()
            matched = {docnum for docnum in matched if bounds.low <= dates[docnum] <= bounds.high}
        return Scored(self._only(scores, matched), self.stats)

    def _all_of(self, queries: list[wq.Query], weights: "Profile", within: set[int] | None):
        """The parts of an AND, the one of fewest postings scored first and
        each next one only over the documents all before it match: «санкции
        России» reads 66,000 postings, and its AND keeps 600 documents. The
        parts stay in their order, so sums are made as numpy makes them."""
        counts = [posting_count(self.stats, part, _UNLIMITED) or 0 for part in queries]
        parts: list = [({}, set()) for _ in queries]
        for index in sorted(range(len(queries)), key=counts.__getitem__):
            parts[index] = self._score(queries[index], weights, within)
            within = parts[index][1]
            if not within:
                break
        return parts

    def _term(
        self, term: wq.Term, weights: "Profile", within: set[int] | None = None
    ) -> tuple[dict[int, float], set[int]]:
        stats = self.stats
        try:
            postings = stats.postings(term.fieldname, term.text)
        except UnreadablePostings as error:
            raise Unhandled(str(error)) from None
        ids = postings.ids
        if not len(ids):
            return {}, set()
        # Whoosh's document frequency counts deleted documents too: the postings' length.
        idf = log(stats.size / (len(ids) + 1)) + 1
        head = term.fieldname == "head"
        K1 = weights.K1
        parts = self._parts(term.fieldname, weights.head_B if head else weights.B, K1)
        codes = stats.length_codes(term.fieldname)
        scale = term.boost * (weights.head_weight if head else 1.0)
        gain = K1 + 1
        scores = {
            docnum: idf * (tf * gain) / (tf + parts[codes[docnum]]) * scale
            for docnum, tf in _postings_within(ids, postings.weights, within)
        }
        return scores, set(scores)

    def _parts(self, field: str, B: float, K1: float) -> list[float]:
        """``K1 * ((1 - B) + B * length / avg)`` for each length code, in
        float32 step by step as numpy computes it over a float32 length array
        (Python floats meeting a float32 array are taken as float32)."""
        avg = self.stats.searcher.avg_field_length(field) or 1
        key = (field, B, K1, avg)
        found = self._length_parts.get(key)
        if found is None:
            b, one_minus_b, k1, mean = _f32(B), _f32(1 - B), _f32(K1), _f32(avg)
            found = self._length_parts[key] = [
                _f32(k1 * _f32(one_minus_b + _f32(_f32(b * length) / mean))) for length in _LENGTHS
            ]
        return found

    @staticmethod
    def _combine(parts: list[tuple[dict[int, float], set[int]]], best: bool, every: bool):
        """The parts' scores summed (or their maximum, ``best``), a document
        missing from a part counting 0 there as in a dense array; their matches
        joined (all of them, ``every``, or any), into the first part's (each
        part is fresh). Parts are added in order, so each sum is the one numpy
        makes. Of all of them (``every``), as Whoosh's matchers score an AND,
        only the documents holding every part have a score (and each part
        scores each of them)."""
        if every:
            matched = set.intersection(*(part_matched for _, part_matched in parts))
            first, *others = [part_scores for part_scores, _ in parts]
            scores = {}
            for docnum in matched:
                total = first[docnum]
                for part_scores in others:
                    total += part_scores[docnum]
                scores[docnum] = total
            return scores, matched
        scores, matched = parts[0]
        for part_scores, part_matched in parts[1:]:
            if best:
                for docnum, score in part_scores.items():
                    scores[docnum] = max(scores.get(docnum, 0.0), score)
            else:
                for docnum, score in part_scores.items():
                    scores[docnum] = scores.get(docnum, 0.0) + score
            matched |= part_matched
        return scores, matched

    @staticmethod
    def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
        return {docnum: score * boost for docnum, score in scores.items()}

    @staticmethod
    def _any(matched: set[int]) -> bool:
        return bool(matched)

    @staticmethod
    def _within(matched: set[int], found: set[int]) -> set[int]:
        return matched & found

    @staticmethod
    def _only(scores: dict[int, float], matched: set[int]) -> dict[int, float]:
        return {docnum: scores[docnum] for docnum in matched}


_UNLIMITED = 1 << 62


def _postings_within(ids, weights, within: set[int] | None):
    """(document, weight) of the postings, only of documents in ``within`` if
    given: those looked up in the list when they are few, else the list
    walked and filtered."""
    if within is None:
        return zip(ids, weights)
    if len(within) * 16 < len(ids):
        found = []
        for docnum in within:
            place = bisect_left(ids, docnum)
            if place < len(ids) and ids[place] == docnum:
                found.append((docnum, weights[place]))
        return found
    return [(docnum, tf) for docnum, tf in zip(ids, weights) if docnum in within]


def posting_count(stats: Statistics, query: wq.Query, limit: int) -> int | None:
    """How many postings scoring ``query`` here would visit, if at most
    ``limit``; None for more (counting stops there: lists past it are not
    read), for a shape this module does not score, or a list it cannot read."""
    if type(query) is wq.Term:
        terms = [(query.fieldname, query.text)]
    elif type(query) is wq.Phrase:
        terms = [(query.fieldname, word) for word in query.words if word is not None]
    elif type(query) in (wq.Or, wq.And, BestOf) and query.subqueries:
        total = 0
        for part in query.subqueries:
            count = posting_count(stats, part, limit - total)
            if count is None:
                return None
            total += count
        return total
    else:
        return None
    total = 0
    try:
        for field, text in terms:
            total += len(stats.postings(field, text).ids)
            if total > limit:
                return None
    except UnreadablePostings:
        return None
    return total
