"""Posting blocks as flat arrays: the layout new segments are written in.

Whoosh 3 pickles each block's postings (a tuple of document-number deltas, a
tuple of weights, a tuple of value strings), and unpickling them was most of
the time a query spent reading postings (about 75 µs a block of 128 on the
50,000-document index). Here a block keeps Whoosh's framing (its length, then
its pickled summary, which Whoosh's matcher reads to skip blocks) but stores
its postings as arrays that ``array.frombytes`` or numpy read without making
a Python object a posting:

* the head: document-number deltas (``uint32``; the first one is the block's
  first number), weights (``float32``) and the length of each posting's
  value (``uint32``), one after the other;
* the values themselves, joined (Whoosh's own encoding of positions etc.),

each part zlib-compressed on its own from ``COMPRESS_FROM_POSTINGS`` postings
on, then a fixed trailer (posting count, last document number, the two
parts' stored lengths, whether compressed), so that a reader finds the parts
from the block's end without unpickling the summary. Scoring reads the heads
only; the values of a block are decompressed when a position in it is wanted
(a frequent word's list is a few hundred blocks, a query's candidates a
hundred documents).

A posting list in this layout starts with ``MAGIC`` instead of Whoosh's
``W3Bl``: readers tell the two apart list by list, so an index whose older
segments are in Whoosh's layout reads as before, without a rebuild.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from itertools import accumulate
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3PostingsWriter
from whoosh.system import emptybytes
from whoosh.util.numlists import delta_encode
from whoosh.util.numeric import length_to_byte

# Starts a posting list whose blocks are in this module's layout.
MAGIC = b"SRa2"
# count, last document number, stored (maybe compressed) lengths of the
# arrays and of the values, compressed flag.
TRAILER = struct.Struct("<IIIIB")
# Blocks of fewer postings than this are written uncompressed: zlib makes a
# one-posting block larger, not smaller, and each call costs tens of
# microseconds (most blocks are one word's only posting: 212,000 of 390,000
# in an eval-index segment).
COMPRESS_FROM_POSTINGS = 4
# Whoosh's block length: a big-endian signed int (negative for a list's last block).
_INT = struct.Struct("!i")
_LITTLE = struct.pack("=I", 1) == struct.pack("<I", 1)
# From this many postings on, sums are taken with numpy when it is loaded.
_NUMPY_FROM = 256
_NUMPY_TYPES = {"I": "uint32", "q": "int64"}


def _le(values: array) -> bytes:
    """The array's bytes, little-endian whatever this machine's order."""
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_le(typecode: str, data: bytes) -> array:
    values = array(typecode)
    values.frombytes(data)
    if not _LITTLE:
        values.byteswap()
    return values


def encode_block(ids, weights, values: list[bytes], compression: int) -> bytes:
    """A block's data (what follows its pickled summary): the three arrays,
    then the values, each part compressed at ``compression`` (0: never) when
    the block is large enough, then the trailer."""
    count = len(ids)
    if len(values) < count:  # Whoosh leaves out empty values (formats with none)
        values = [*values, *[emptybytes] * (count - len(values))]
    deltas = array("I", delta_encode(ids)) if count else array("I")
    sizes = array("I", map(len, values))
    head = b"".join((_le(deltas), _le(array("f", weights)), _le(sizes)))
    joined = emptybytes.join(values)
    compressed = bool(compression) and count >= COMPRESS_FROM_POSTINGS
    if compressed:
        head, joined = zlib.compress(head, compression), zlib.compress(joined, compression)
    trailer = TRAILER.pack(count, ids[-1] if count else 0, len(head), len(joined), int(compressed))
    return head + joined + trailer


def split_block(block: bytes, end: int | None = None) -> tuple[int, int, bytes, "Chunk"]:
    """(count, last document number, the three arrays uncompressed, the
    values still as stored) of the block data ending at ``end`` (by default
    the end of ``block``)."""
    end = len(block) if end is None else end
    count, last, head_size, values_size, compressed = TRAILER.unpack_from(block, end - TRAILER.size)
    values_end = end - TRAILER.size
    values_start = values_end - values_size
    head = block[values_start - head_size : values_start]
    return count, last, zlib.decompress(head) if compressed else head, (block, values_start, values_end, compressed)


# A block's values as stored: (the bytes they lie in, start, end, compressed).
Chunk = tuple[bytes, int, int, int]


def chunk_values(chunk: Chunk) -> bytes:
    data, start, end, compressed = chunk
    return zlib.decompress(data[start:end]) if compressed else data[start:end]


def decode_block(block: bytes) -> tuple[array, array, list[bytes]]:
    """(document-number deltas, weights, values) of one block's data."""
    count, _, head, chunk = split_block(block)
    deltas = _from_le("I", head[: 4 * count])
    weights = _from_le("f", head[4 * count : 8 * count])
    sizes = _from_le("I", head[8 * count : 12 * count])
    data = chunk_values(chunk)
    values, start = [], 0
    for size in sizes:
        values.append(data[start : start + size])
        start += size
    return deltas, weights, values


def decode_list(raw: bytes, offset: int = 0) -> tuple[array, array, array, array, list[Chunk]]:
    """A whole posting list in this layout (``raw`` starts with ``MAGIC``):
    its document numbers plus ``offset``, weights, value sizes, where each
    block starts (a posting index) and each block's values as stored, to be
    decompressed only if asked for (:func:`chunk_values`): scoring needs no
    values, and re-ranking the positions of a few candidates only.

    The deltas of all blocks are summed in one pass: each block's first
    number is turned into a delta from the previous block's last."""
    deltas, weights, sizes, chunks = array("I"), array("f"), array("I"), []
    starts, lasts = array("q"), []
    position, last_block = len(MAGIC), False
    while not last_block and position < len(raw):
        (size,) = _INT.unpack_from(raw, position)
        last_block = size < 0
        end = position + _INT.size + abs(size)
        count, last, head, chunk = split_block(raw, end)
        starts.append(len(deltas))
        lasts.append(last)
        deltas.frombytes(head[: 4 * count])
        weights.frombytes(head[4 * count : 8 * count])
        sizes.frombytes(head[8 * count : 12 * count])
        chunks.append(chunk)
        position = end
    if not _LITTLE:
        for values_array in (deltas, weights, sizes):
            values_array.byteswap()
    return _document_numbers(deltas, starts, lasts, offset), weights, sizes, starts, chunks


def _document_numbers(deltas: array, starts: array, lasts: list[int], offset: int) -> array:
    numpy = sys.modules.get("numpy")
    if numpy is None or len(deltas) < _NUMPY_FROM:
        ids = array("q", deltas)
        for start, previous in zip(starts[1:], lasts):
            ids[start] -= previous
        if ids:
            ids[0] += offset
        return array("q", accumulate(ids))
    # The same sums with numpy, where a process has it already (a large
    # index's scorer): a frequent word has tens of thousands of postings.
    steps = numpy.frombuffer(deltas, dtype=numpy.uint32).astype(numpy.int64)
    steps[numpy.frombuffer(starts, dtype=numpy.int64)[1:]] -= numpy.array(lasts[:-1], dtype=numpy.int64)
    steps[0] += offset
    ids = array("q")
    ids.frombytes(numpy.cumsum(steps).tobytes())
    return ids


def running_sum(sizes: array) -> array:
    """0, then the running sum of ``sizes`` (where each posting's value
    starts in the joined values), with numpy where the process has it."""
    numpy = sys.modules.get("numpy")
    if numpy is None or len(sizes) < _NUMPY_FROM:
        return array("q", accumulate(sizes, initial=0))
    sums = numpy.zeros(len(sizes) + 1, dtype=numpy.int64)
    numpy.cumsum(numpy.frombuffer(sizes, dtype=_NUMPY_TYPES[sizes.typecode]), out=sums[1:])
    found = array("q")
    found.frombytes(sums.tobytes())
    return found


class ArrayPostingsWriter(W3PostingsWriter):
    """Whoosh 3's postings writer, writing each block's postings as arrays
    (see the module's docstring). Vector postings (byte ids) keep Whoosh's
    layout: they are not ours to read."""

    def _write_block(self, last=False):
        if self._byteids:
            return self._write_pickled_block(last)
        if not self._blockcount:
            self._postfile.write(MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        data = encode_block(ids, self._weights, self._values, self._compression)
        # The summary Whoosh's matcher reads to skip blocks, as Whoosh writes it.
        summary = dumps(
            (len(ids), ids[-1], self._maxweight, int(len(ids) >= COMPRESS_FROM_POSTINGS and self._compression > 0),
             length_to_byte(self._minlength), length_to_byte(self._maxlength)),
            2,
        )
        size = len(summary) + len(data)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(summary)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()

    def _write_pickled_block(self, last):
        """Whoosh's own block, zlib only from ``COMPRESS_FROM_POSTINGS`` postings."""
        level = self._compression
        if len(self._ids) < COMPRESS_FROM_POSTINGS:
            self._compression = 0
        try:
            super()._write_block(last)
        finally:
            self._compression = level


class ArrayLeafMatcher(W3LeafMatcher):
    """Whoosh 3's matcher over a posting list of either layout: blocks in
    this module's layout are turned into the tuple Whoosh's unpickling gives,
    so everything else (skipping, quality, values) is Whoosh's own."""

    def _read_header(self):
        postfile = self._postfile
        postfile.seek(self._startoffset)
        magic = postfile.read(4)
        if magic not in (MAGIC, WHOOSH3_HEADER_MAGIC):
            raise Exception("Block tag error %r" % magic)
        self._arrays = magic == MAGIC
        self._baseoffset = postfile.tell()

    def _read_data(self):
        if not self._arrays:
            return super()._read_data()
        block = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        deltas, weights, values = decode_block(block)
        fixedsize = self._fixedsize
        if fixedsize is None or fixedsize < 0:
            stored_values = tuple(values)
        elif fixedsize == 0:
            stored_values = None
        else:
            stored_values = emptybytes.join(values)
        self._data = (tuple(deltas), weights, stored_values)
