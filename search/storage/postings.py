"""Reading a term's postings a block at a time, without Whoosh's per-posting matchers.

Whoosh stores postings in blocks (document-number deltas, weights, encoded
positions); reading whole blocks and decoding only what is needed is far
faster than stepping a matcher posting by posting. Used by the proximity
re-ranker and, as arrays, by the vectorised scorer. Pure Python: searching a
small index never has to import numpy.
"""

from __future__ import annotations

import pickle
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate
from typing import Iterator, Sequence

from whoosh.matching import FilterMatcher
from whoosh.reading import IndexReader
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import _INT_SIZE, unpack_int

from search.storage import posting_blocks

# The position count that starts a Whoosh Positions value.
_COUNT_SIZE = 4
# How many decoded postings a reader keeps (about 37 bytes each measured on
# the eval index, so ~55 MB at most): scoring and re-ranking read the same terms one after the other,
# and the frequent words of a language recur from query to query, where
# decoding their long posting lists is most of an any-term query's time.
POSTINGS_BUDGET = 1_500_000


class UnreadablePostings(Exception):
    """The postings are not in the Whoosh 3 block format this module reads."""


@dataclass(frozen=True)
class Postings:
    """One term's postings in document order, with each posting's encoded
    positions in ``values``."""

    ids: array
    weights: array
    values: "Values"

    def positions(self, docnums: list[int]) -> dict[int, list[int]]:
        """Token positions of the term in each of ``docnums`` that has it."""
        found = {}
        ids, value = self.ids, self.values.get
        for docnum in docnums:
            place = bisect_left(ids, docnum)
            if place < len(ids) and ids[place] == docnum:
                found[docnum] = decode_positions(value(place))
        return found


class Values:
    """The encoded values of a term's postings, in parts: the value of
    posting ``i`` lies at ``offsets[i]:offsets[i + 1]`` of all parts joined.
    A part is either its bytes or a block's values still compressed
    (:mod:`search.storage.posting_blocks`), decompressed when first read
    (scoring reads no values; re-ranking, those of a few candidates).
    Threads may share one: a part decompressed twice is the same bytes."""

    def __init__(self, starts: array, parts: list, offsets: array):
        self.starts = starts  # the posting each part starts with
        self.parts = parts
        self.offsets = offsets

    def get(self, place: int) -> bytes:
        part_index = bisect_right(self.starts, place) - 1
        part = self.parts[part_index]
        if not isinstance(part, bytes):
            part = self.parts[part_index] = posting_blocks.chunk_values(part)
        base = self.offsets[self.starts[part_index]]
        return part[self.offsets[place] - base : self.offsets[place + 1] - base]


def decode_positions(value: bytes) -> list[int]:
    """Whoosh's Positions value: a count, then pickled position deltas."""
    return list(accumulate(pickle.loads(value[_COUNT_SIZE:] + b".")))


def phrase_documents(postings: "PostingReader", field: str, words: Sequence[str], slop: int) -> set[int]:
    """Documents with ``words`` in ``field`` in this order, each 1 to ``slop``
    positions after the one before, as Whoosh's ``Phrase`` matches them (deleted
    documents included: callers mask them)."""
    lists = [postings.postings(field, word) for word in words]
    if not lists or any(not len(found.ids) for found in lists):
        return set()
    by_size = sorted(lists, key=lambda found: len(found.ids))
    candidates = set(by_size[0].ids)
    for found in by_size[1:]:
        candidates.intersection_update(found.ids)
    ordered = sorted(candidates)
    positions = [found.positions(ordered) for found in lists]
    return {docnum for docnum in ordered if in_order([each[docnum] for each in positions], slop)}


def in_order(positions: Sequence[Sequence[int]], slop: int) -> bool:
    """Whether one position can be taken from each list, in turn, each 1 to
    ``slop`` after the one before (how Whoosh's ``Phrase`` matches)."""
    ends = positions[0] if positions else []
    for later in positions[1:]:
        if slop <= _REACH_SET_SLOP:  # the places 1 to slop after an end, as a set
            reach = {end + step for end in ends for step in range(1, slop + 1)}
            ends = [p for p in later if p in reach]
        else:
            ends = [p for p in later if any(1 <= p - end <= slop for end in ends)]
        if not ends:
            return False
    return bool(ends)


# Up to this slop, in_order looks positions up in a set of reachable places
# (a phrase's usual slop is 1) instead of comparing every pair.
_REACH_SET_SLOP = 4


class PostingReader:
    """Postings of one index reader, the most recently used kept decoded up to
    ``budget`` postings in all. Threads may share one: the kept lists are
    looked up and evicted under a lock, lists are read and decoded outside it."""

    def __init__(self, reader: IndexReader, budget: int = POSTINGS_BUDGET):
        self.reader = reader
        self.budget = budget
        self._kept: dict[tuple[str, str], Postings] = {}
        self._size = 0
        self._lock = threading.Lock()

    def postings(self, field: str, text: str) -> Postings:
        key = (field, text)
        with self._lock:
            found = self._kept.pop(key, None)
            if found is not None:
                self._kept[key] = found  # most recent last
                return found
        found = self._read(field, text)
        with self._lock:
            if key in self._kept:  # another thread read it meanwhile
                self._size -= len(self._kept.pop(key).ids)
            self._kept[key] = found
            self._size += len(found.ids)
            while self._size > self.budget and len(self._kept) > 1:
                oldest = next(iter(self._kept))
                self._size -= len(self._kept.pop(oldest).ids)
        return found

    def _read(self, field: str, text: str) -> Postings:
        ids, weights, sizes = array("q"), array("f"), array("I")
        starts, parts = array("q"), []
        btext = text.encode("utf-8")
        for segment, offset in self.reader.leaf_readers():
            if (field, btext) not in segment:
                continue
            raw = _posting_list(segment, field, btext)
            if raw is not None and raw[: len(posting_blocks.MAGIC)] == posting_blocks.MAGIC:
                part_ids, part_weights, part_sizes, part_starts, chunks = posting_blocks.decode_list(raw, offset)
                starts.extend(start + len(ids) for start in part_starts)
                parts.extend(chunks)
                ids.extend(part_ids)
                weights.extend(part_weights)
                sizes.extend(part_sizes)
                continue
            first, values = len(ids), []
            blocks = _blocks(segment.postings(field, btext)) if raw is None else _pickled_blocks(raw, field, btext)
            for deltas, block_weights, block_values in blocks:
                if deltas:  # a block's first "delta" is its first document number
                    ids.extend(accumulate((deltas[0] + offset, *deltas[1:])))
                weights.extend(block_weights)
                sizes.extend(map(len, block_values))
                if len(block_values) < len(block_weights):  # a format without values (Existence)
                    sizes.extend(array("I", [0]) * (len(block_weights) - len(block_values)))
                values.extend(block_values)
            starts.append(first)
            parts.append(b"".join(values))
        return Postings(ids, weights, Values(starts, parts, posting_blocks.running_sum(sizes)))


def _posting_list(segment, field: str, btext: bytes) -> bytes | None:
    """A term's whole posting list in one segment, in one read (its extent is
    in the term's entry), where stepping through it block by block costs two
    reads a block, each a system call (a frequent word has a hundred blocks).
    ``None`` for postings inlined in the term's entry or segments of other
    formats (those go through Whoosh's matcher)."""
    postfile = getattr(getattr(segment, "_terms", None), "_postfile", None)
    info = segment.term_info(field, btext)
    if postfile is None or info.is_inlined():
        return None
    start, length = info.extent()
    if isinstance(length, tuple):  # Whoosh 3 reads it back as a 1-tuple
        length = length[0]
    return postfile.get(start, length)


def _pickled_blocks(raw: bytes, field: str, btext: bytes) -> Iterator[tuple[Sequence[int], array, tuple]]:
    """(document-number deltas, weights, values) of each block of a posting
    list in Whoosh 3's own layout (pickled blocks)."""
    if raw[: len(WHOOSH3_HEADER_MAGIC)] != WHOOSH3_HEADER_MAGIC:
        raise UnreadablePostings(f"{field}:{btext!r}")
    position = len(WHOOSH3_HEADER_MAGIC)
    last = False
    while not last and position < len(raw):
        size = unpack_int(raw[position : position + _INT_SIZE])[0]
        last = size < 0
        position += _INT_SIZE
        yield _decode_block(raw[position : position + abs(size)])
        position += abs(size)


def _blocks(matcher) -> Iterator[tuple[Sequence[int], array, tuple]]:
    """(document-number deltas, weights, values) of each posting block of a Whoosh 3 leaf matcher.

    The matcher positions us on the first block; later blocks are read here,
    each with two reads (its length, then the whole block) where Whoosh's own
    block step unpickles the block header straight from the file, a couple of
    dozen small reads per block. A segment with deletions wraps its postings
    in a filter; callers mask deleted documents themselves, so the filter is
    looked through.
    """
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if not hasattr(matcher, "_blocklength"):
        raise UnreadablePostings(type(matcher).__name__)
    if not matcher.is_active():
        return
    postfile = matcher._postfile
    if matcher._data is None:
        matcher._read_data()
    yield _block_arrays(matcher._data, matcher._blocklength)
    if getattr(matcher, "_arrays", False):  # blocks as arrays: the matcher turns them into Whoosh's tuples
        while not matcher._lastblock:
            matcher._next_block()
            matcher._read_data()
            yield _block_arrays(matcher._data, matcher._blocklength)
        return
    position, last = matcher._nextoffset, matcher._lastblock
    while not last:
        length = postfile.get_int(position)
        last = length < 0
        length = abs(length)
        yield _decode_block(postfile.get(position + _INT_SIZE, length))
        position += _INT_SIZE + length


def _decode_block(block: bytes) -> tuple[Sequence[int], array, tuple]:
    """A block as stored (its pickled header, then its data, compressed or not)."""
    header = BytesIO(block)
    count, _, _, compression, _, _ = pickle.load(header)
    data = block[header.tell() :]
    if compression:
        data = zlib.decompress(data)
    return _block_arrays(pickle.loads(data), count)


def _block_arrays(data: tuple, count: int) -> tuple[Sequence[int], array, tuple]:
    deltas, weights, values = data
    if weights is None:
        block_weights = array("f", [1.0]) * count
    elif isinstance(weights, float):
        block_weights = array("f", [weights]) * count
    else:
        block_weights = array("f", weights)
    if isinstance(values, bytes):  # a fixed-size format (frequencies): one string for the block
        size = len(values) // count if count else 0
        values = tuple(values[start : start + size] for start in range(0, len(values), size)) if size else ()
    return deltas, block_weights, values or ()
