"""Postings of a segment being written, grouped by term as they arrive.

Whoosh's writer puts every posting into a flat pool that it sorts, pickles to
run files one posting at a time, reads back one at a time and merges on a
heap: over a third of a build's time. Documents are added in docnum order,
so a term's postings arrive already sorted: grouping them by term as they
come leaves only the terms to sort, and runs spilled to disk hold whole
terms. Segment files come out byte for byte as Whoosh writes them
(``tests/test_posting_pool.py``); only the way there differs.
"""

from __future__ import annotations

import heapq
import marshal
import os
from array import array
from itertools import count
from typing import Any, Iterator

from whoosh.codec.whoosh3 import W3FieldWriter

from search.storage import document_lemmas
from search.storage.document_lemmas import DocumentLemmasWriter

# Bytes a new term costs in memory beyond its postings (arrays, key, dict slot),
# and a posting beyond its value bytes; measured with tracemalloc (about 590
# bytes for a new ten-byte term with one posting, 30 for a posting of 13 bytes).
_TERM_BYTES = 550
_POSTING_BYTES = 17
_run_names = count()


class _Term:
    """One term's postings: docnums, weights and value bytes laid end to end."""

    __slots__ = ("docnums", "weights", "ends", "values")

    def __init__(self) -> None:
        self.docnums = array("I")
        self.weights = array("d")
        self.ends = array("I")
        self.values = bytearray()


# (fieldname, btext, docnums, weights, ends, values) of one term in one run.
Chunk = tuple[str, bytes, array, array, array, bytes]


class TermPool:
    """Drop-in for Whoosh's posting pool (``add``, ``iter_postings``,
    ``fieldnames``, ``cleanup``), spilling whole terms to sorted runs when its
    postings pass ``limitmb``. Weights are kept as floats (as every field of
    ours gives them; Whoosh's spelling postings, weight 1, would come out 1.0)."""

    def __init__(self, tempstore: Any, segment: Any, limitmb: int = 128, **kwargs: Any):
        self.tempstore = tempstore
        self.segment = segment
        self.limit = limitmb * 1024 * 1024
        self.fieldnames: set[str] = set()
        self._terms: dict[tuple[str, bytes], _Term] = {}
        self._size = 0
        self._runs: list[str] = []
        self._in_order = True

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, btext, docnum, weight, value = item
        if docnum < 0:  # Whoosh's marker for spelling words, which it skips too
            return
        key = (fieldname, btext)
        term = self._terms.get(key)
        if term is None:
            term = self._terms[key] = _Term()
            self.fieldnames.add(fieldname)
            self._size += _TERM_BYTES + len(btext)
        elif docnum <= term.docnums[-1]:
            self._in_order = False
        term.docnums.append(docnum)
        term.weights.append(weight)
        if value:
            term.values += value
            self._size += len(value)
        term.ends.append(len(term.values))
        self._size += _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def _spill(self) -> None:
        """Write the pool's terms, sorted, to a run file and start afresh."""
        # Indexing processes share the temporary folder: the name carries the process.
        name = f"terms-{os.getpid()}-{next(_run_names)}.run"
        run = self.tempstore.create_file(name)
        try:
            for chunk in self._sorted_chunks():
                fieldname, btext, docnums, weights, ends, values = chunk
                run.write(marshal.dumps((fieldname, btext, docnums.tobytes(), weights.tobytes(), ends.tobytes(), values)))
        finally:
            run.close()
        self._runs.append(name)
        self._terms = {}
        self._size = 0

    def _sorted_chunks(self) -> Iterator[Chunk]:
        """The pool's terms in order, each let go once handed out (the segment's
        term index grows meanwhile)."""
        for key in sorted(self._terms):
            term = self._terms.pop(key)
            yield key[0], key[1], term.docnums, term.weights, term.ends, bytes(term.values)

    def _read_run(self, name: str) -> Iterator[Chunk]:
        with self.tempstore.open_file(name).raw_file() as run:
            while True:
                try:
                    fieldname, btext, docnums, weights, ends, values = marshal.load(run)
                except EOFError:
                    break
                yield (
                    fieldname, btext, array("I", docnums), array("d", weights), array("I", ends), values,
                )
        self.tempstore.delete_file(name)

    def iter_terms(self) -> Iterator[tuple[str, bytes, list[Chunk]]]:
        """(fieldname, btext, chunks) for every term in order; a term's chunks
        hold its postings in docnum order, one chunk per run that has it."""
        sources = [self._read_run(name) for name in self._runs] + [self._sorted_chunks()]
        self._runs = []
        merged = heapq.merge(*sources, key=lambda chunk: (chunk[0], chunk[1]))
        current: tuple[str, bytes] | None = None
        chunks: list[Chunk] = []
        for chunk in merged:
            key = (chunk[0], chunk[1])
            if key != current:
                if chunks:
                    yield current[0], current[1], self._ordered(chunks)
                current, chunks = key, []
            chunks.append(chunk)
        if chunks:
            yield current[0], current[1], self._ordered(chunks)

    def _ordered(self, chunks: list[Chunk]) -> list[Chunk]:
        """Chunks in docnum order; only a pool fed out of order needs sorting
        (within a chunk ``add`` notices it, across runs the chunk ends show it)."""
        if self._in_order and all(later[2][0] > earlier[2][-1] for earlier, later in zip(chunks, chunks[1:])):
            return chunks
        postings = sorted(posting for chunk in chunks for posting in _postings(chunk))
        fieldname, btext = chunks[0][0], chunks[0][1]
        docnums, weights, ends, values = array("I"), array("d"), array("I"), bytearray()
        for docnum, weight, value in postings:
            docnums.append(docnum)
            weights.append(weight)
            values += value
            ends.append(len(values))
        return [(fieldname, btext, docnums, weights, ends, bytes(values))]

    def iter_postings(self) -> "GroupedPostings":
        return GroupedPostings(self)

    def cleanup(self) -> None:
        for name in self._runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self._runs = []
        self._terms = {}


def _postings(chunk: Chunk) -> Iterator[tuple[int, float, bytes]]:
    """(docnum, weight, value bytes) of each posting in a chunk."""
    _, _, docnums, weights, ends, values = chunk
    start = 0
    for docnum, weight, end in zip(docnums, weights, ends):
        yield docnum, weight, values[start:end]
        start = end


class GroupedPostings:
    """A pool's postings: flat ``(fieldname, btext, docnum, weight, value)``
    tuples when iterated (what Whoosh expects), or term by term through
    :meth:`terms` (what :class:`GroupedFieldWriter` uses)."""

    def __init__(self, pool: TermPool):
        self._pool = pool

    def terms(self) -> Iterator[tuple[str, bytes, list[Chunk]]]:
        return self._pool.iter_terms()

    def __iter__(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        for fieldname, btext, chunks in self.terms():
            for chunk in chunks:
                for docnum, weight, value in _postings(chunk):
                    yield fieldname, btext, docnum, weight, value


class GroupedFieldWriter(W3FieldWriter):
    """Whoosh 3's field writer, fed a term at a time from a :class:`TermPool`,
    with each field's document lengths read once instead of once a posting.
    For the engine's lemmatised body field it also writes each document's
    lemmas (:mod:`search.storage.document_lemmas`)."""

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        if not isinstance(items, GroupedPostings):
            super().add_postings(schema, lengths, items)
            return
        current = None
        field_lengths: list[int] = []
        by_document = DocumentLemmasWriter() if _keeps_document_lemmas(schema) else None
        for fieldname, btext, chunks in items.terms():
            if fieldname != current:
                if current is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field_lengths = _field_lengths(lengths, fieldname, schema[fieldname].scorable)
                current = fieldname
            self.start_term(btext)
            for chunk in chunks:
                _add_chunk(self._postwriter, chunk, field_lengths)
                if by_document is not None and fieldname == document_lemmas.FIELD:
                    by_document.add_term(btext, chunk[2])
            self.finish_term()
        if current is not None:
            self.finish_field()
        if by_document is not None:
            by_document.write(self._segment, self._storage)


def _keeps_document_lemmas(schema: Any) -> bool:
    """Whether the schema's body field is the engine's lemmatised one."""
    field = schema[document_lemmas.FIELD] if document_lemmas.FIELD in schema else None
    return bool(getattr(field, "lemmatised", False))


def _add_chunk(writer: Any, chunk: Chunk, field_lengths: list[int]) -> None:
    """Add a chunk's postings to Whoosh 3's postings writer a block's worth at a
    time: the blocks and statistics its ``add_posting`` builds one posting at
    a time (a block is written when full and another posting follows)."""
    _, _, docnums, weights, ends, values = chunk
    limit, count, start = writer._blocklimit, len(docnums), 0
    while start < count:
        if len(writer._ids) >= limit:
            writer._write_block()
        stop = min(count, start + limit - len(writer._ids))
        ids, block_weights = docnums[start:stop], weights[start:stop]
        writer._ids.extend(ids)
        writer._weights.fromlist(block_weights.tolist())
        heaviest = max(block_weights)
        if heaviest > writer._maxweight:
            writer._maxweight = heaviest
        offsets = [ends[start - 1] if start else 0, *ends[start:stop]]
        writer._values.extend(filter(None, map(values.__getitem__, map(slice, offsets, offsets[1:]))))
        present = list(filter(None, map(field_lengths.__getitem__, ids))) if field_lengths else None
        if present:
            shortest, longest = min(present), max(present)
            if writer._minlength is None or shortest < writer._minlength:
                writer._minlength = shortest
            if longest > writer._maxlength:
                writer._maxlength = longest
        start = stop


def _field_lengths(lengths: Any, fieldname: str, scorable: bool) -> list[int]:
    """Every document's length in ``fieldname``, as Whoosh reads it per posting
    (none without per-document lengths, or for a field that is not scorable:
    Whoosh records lengths only for scorable fields)."""
    if lengths is None or not scorable:
        return []
    return [lengths.doc_field_length(docnum, fieldname) or 0 for docnum in range(lengths.doc_count_all())]


def use_term_pool(writer: Any) -> None:
    """Give a fresh Whoosh segment writer a :class:`TermPool` (Whoosh creates
    its own pool unconditionally, so it is swapped before any posting).

    Not for an MpWriter that merges its processes' pools into one segment
    (``multisegment=False``): that reads Whoosh's own run files.
    """
    if getattr(writer, "multisegment", True) is False:
        raise ValueError("a merging MpWriter needs Whoosh's own posting pool")
    stock = writer.pool
    writer.pool = TermPool(stock.tempstore, stock.segment, limitmb=stock.limit // (1024 * 1024))
    stock.cleanup()
