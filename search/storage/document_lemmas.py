"""Each document's body lemmas, kept beside a segment's postings.

``search terms`` counts, for a set of documents, how many hold each lemma.
Postings answer the opposite question (which documents hold a lemma), so
without help the set's bodies are read back, split and lemmatised: about
60 µs of reading and more of splitting a document, over a second for a
thousand. While a segment's body postings are written the writer sees every
(lemma, document) pair in order; this file keeps them the other way round,
document by document, as numbers into the segment's sorted list of body
lemmas. Counting a set's lemmas is then a gather and a ``numpy.bincount``.

The file (extension ``.dlm``, one per segment, inside its compound file)::

    header       "DLM1", documents D, lemmas L, pairs P, lemma bytes B   (little-endian uint32)
    offsets      D + 1 uint32: document d's pairs are ordinals[offsets[d]:offsets[d + 1]]
    ordinals     P uint32, each document's lemma numbers in ascending order
    lemmas       the L lemmas, UTF-8, "\\n" between them, in term order (B bytes)

It costs four bytes a distinct lemma a document (about 5 % of an index).
Segments written before it existed, or by Whoosh's own pool, have no such
file: :func:`segment_lemmas` answers None and callers read the bodies.
"""

from __future__ import annotations

import struct
from array import array
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# The field whose lemmas are kept (what ``search terms`` counts).
FIELD = "body"
EXTENSION = ".dlm"
_HEADER = struct.Struct("<4sIIII")
_MAGIC = b"DLM1"
_UINT32 = "<u4"  # numpy is imported only where arrays are made: a build that
# writes nothing should not pay for it
# (document, lemma) pairs placed by document at once when a file is written.
CHUNK_PAIRS = 1 << 19


class DocumentLemmasWriter:
    """Collects one field's (term, documents) in term order, as the field
    writer meets them, and writes them out by document."""

    def __init__(self) -> None:
        self._docnums = array("I")
        self._lengths = array("I")
        self._terms: list[bytes] = []
        self._usable = True

    def add_term(self, btext: bytes, docnums: array) -> None:
        """``docnums``: every document holding the term (ascending within a
        call; a term may come in several calls, one per chunk)."""
        if self._terms and self._terms[-1] == btext:
            self._lengths[-1] += len(docnums)
        else:
            if b"\n" in btext:  # cannot be listed: no file for this segment
                self._usable = False
            self._terms.append(btext)
            self._lengths.append(len(docnums))
        self._docnums.extend(docnums)

    def write(self, segment: Any, storage: Any) -> None:
        """Write the segment's file (nothing if a term could not be listed)."""
        if not self._usable:
            return
        offsets, ordinals = self.by_document()
        listed = b"\n".join(self._terms)
        out = segment.create_file(storage, EXTENSION)
        try:
            out.write(_HEADER.pack(_MAGIC, len(offsets) - 1, len(self._terms), len(ordinals), len(listed)))
            out.write(offsets.astype(_UINT32).tobytes())
            out.write(ordinals.astype(_UINT32, copy=False).tobytes())
            out.write(listed)
        finally:
            out.close()

    def by_document(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets, ordinals): each document's term ordinals, ascending,
        ``ordinals[offsets[d]:offsets[d + 1]]``.

        The pairs come in term order; they are placed by document a run of
        terms at a time (about CHUNK_PAIRS pairs), so that sorting needs
        memory for one run, not for a merged segment's tens of millions."""
        import numpy as np

        docnums = np.frombuffer(self._docnums, dtype=np.uint32) if self._docnums else np.zeros(0, np.uint32)
        lengths = np.frombuffer(self._lengths, dtype=np.uint32) if self._lengths else np.zeros(0, np.uint32)
        documents = int(docnums.max()) + 1 if len(docnums) else 0
        offsets = np.zeros(documents + 1, dtype=np.int64)
        np.cumsum(np.bincount(docnums, minlength=documents), out=offsets[1:])
        placed = np.empty(len(docnums), dtype=np.uint32)
        next_slot = offsets[:-1].copy()  # where each document's next ordinal goes
        term_ends = np.cumsum(lengths, dtype=np.int64)
        first_term, start = 0, 0
        while start < len(docnums):
            last_term = max(int(np.searchsorted(term_ends, start + CHUNK_PAIRS, side="right")), first_term + 1)
            stop = int(term_ends[last_term - 1])
            ordinals = np.repeat(np.arange(first_term, last_term, dtype=np.uint32), lengths[first_term:last_term])
            order = np.argsort(docnums[start:stop], kind="stable")  # by document; within one, term order
            owners = docnums[start:stop][order]
            group_starts = np.flatnonzero(np.diff(owners, prepend=np.int64(-1)))  # each document's first pair
            group_sizes = np.diff(group_starts, append=len(owners))
            rank = np.arange(len(owners)) - np.repeat(group_starts, group_sizes)
            placed[next_slot[owners] + rank] = ordinals[order]
            next_slot[owners[group_starts]] += group_sizes
            first_term, start = last_term, stop
        return offsets, placed


class SegmentLemmas:
    """One segment's ``.dlm`` file, read on demand."""

    def __init__(self, file: Any, length: int):
        self._file = file
        if length < _HEADER.size:
            raise ValueError("a truncated document-lemmas file")
        magic, self.documents, self.lemma_count, self._pairs, listed = _HEADER.unpack(file.get(0, _HEADER.size))
        if magic != _MAGIC:
            raise ValueError("not a document-lemmas file")
        self._offsets_at = _HEADER.size
        self._ordinals_at = self._offsets_at + 4 * (self.documents + 1)
        self._lemmas_at = self._ordinals_at + 4 * self._pairs
        if self._lemmas_at + listed != length:
            raise ValueError("a document-lemmas file of the wrong length")
        self._length = length
        self._offsets: np.ndarray | None = None
        self._lemmas: list[str] | None = None

    def close(self) -> None:
        self._file.close()

    def offsets(self) -> np.ndarray:
        import numpy as np

        if self._offsets is None:
            raw = self._file.get(self._offsets_at, 4 * (self.documents + 1))
            self._offsets = np.frombuffer(raw, dtype=_UINT32).astype(np.int64)
        return self._offsets

    def lemmas(self) -> list[str]:
        """The segment's body lemmas by ordinal."""
        if self._lemmas is None:
            raw = self._file.get(self._lemmas_at, self._length - self._lemmas_at)
            self._lemmas = raw.decode("utf-8").split("\n") if self.lemma_count else []
        return self._lemmas

    def ordinals(self, docnums: np.ndarray) -> np.ndarray:
        """The lemma ordinals of these (segment-local) documents, all together."""
        import numpy as np

        docnums = docnums[docnums < self.documents]
        if not len(docnums):
            return np.zeros(0, dtype=np.int64)
        offsets = self.offsets()
        starts, ends = offsets[docnums], offsets[docnums + 1]
        if len(docnums) * 8 >= self.documents:  # a large share: one read of everything
            every = np.frombuffer(self._file.get(self._ordinals_at, 4 * self._pairs), dtype=_UINT32)
            return np.concatenate([every[start:end] for start, end in zip(starts.tolist(), ends.tolist())])
        pieces = [
            self._file.get(self._ordinals_at + 4 * start, 4 * (end - start))
            for start, end in zip(starts.tolist(), ends.tolist())
            if end > start
        ]
        return np.frombuffer(b"".join(pieces), dtype=_UINT32)

    def check(self) -> None:
        """Raise ValueError unless the offsets and the lemma list agree with the header."""
        import numpy as np

        offsets = self.offsets()
        if offsets[0] != 0 or offsets[-1] != self._pairs or np.any(np.diff(offsets) < 0):
            raise ValueError("document-lemmas offsets out of order")
        if len(self.lemmas()) != self.lemma_count:
            raise ValueError("document-lemmas list of the wrong length")

    def counts(self, docnums: np.ndarray) -> dict[str, int]:
        """How many of these documents hold each lemma (lemmas they all lack
        left out); ValueError if the file numbers a lemma it does not list."""
        import numpy as np

        tally = np.bincount(self.ordinals(docnums), minlength=self.lemma_count)
        if len(tally) > self.lemma_count:
            raise ValueError("a document-lemmas ordinal out of range")
        present = np.flatnonzero(tally)
        names = self.lemmas()
        return dict(zip(map(names.__getitem__, present.tolist()), tally[present].tolist()))


def segment_lemmas(segment_reader: Any) -> SegmentLemmas | None:
    """The ``.dlm`` file of a Whoosh segment reader, or None if it has none
    or it does not hold together (then the bodies are read instead)."""
    storage = getattr(segment_reader, "_storage", None)
    segment = getattr(segment_reader, "_segment", None)
    if storage is None or segment is None:
        return None
    name = segment.make_filename(EXTENSION)
    file = None
    try:
        if not storage.file_exists(name):
            return None
        file = storage.open_file(name)
        found = SegmentLemmas(file, storage.file_length(name))
        found.check()
        return found
    except (OSError, ValueError, UnicodeDecodeError, struct.error):
        if file is not None:
            file.close()
        return None
