"""Writing documents into a Whoosh index: incremental, all-or-nothing.

Every call writes through one Whoosh writer and commits once at the end;
Whoosh switches to the new state by renaming its table of contents, so an
interrupted or failed write leaves the index exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from whoosh.index import FileIndex
from whoosh.reading import IndexReader, TermNotFound
from whoosh.writing import SegmentWriter

from search.storage.columns import Column
from search.corpus import Problem, Record
from search.documents import Document, RecordError, document_from_record
from search.indexer.duplicates import DTYPE, NUM_PERM, SIGNATURE_BYTES, DuplicateFinder, IndexedSignatures, signature
from search.indexer.parallel import SubWriterFailed, SupervisedMpWriter, TiedSubWriterTask  # noqa: F401 (SubWriterFailed: API)
from search.indexer.posting_pool import TermPool, use_term_pool
from search.indexer import field_text
from search.storage import lemma_table
from search.indexer import stopping
from search.storage import directory as store

# Memory each Whoosh writer may use for its posting buffer before spilling.
WRITER_LIMIT_MB = 256


@dataclass
class AddReport:
    """What a write did: counts, problems with their locations, and time."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    documents: int = 0
    interrupted: bool = False
    signal: str = ""

    @property
    def skipped(self) -> list[Problem]:
        """Records left out of the index, with the reason for each."""
        return [p for p in self.problems if p.skipped]

    @property
    def warnings(self) -> list[Problem]:
        """Remarks on records that were indexed all the same."""
        return [p for p in self.problems if not p.skipped]

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "duplicates": self.duplicates,
            "skipped": [{"location": p.location, "reason": p.reason} for p in self.skipped],
            "warnings": [{"location": p.location, "reason": p.reason} for p in self.warnings],
            "seconds": round(self.seconds, 3),
            "documents": self.documents,
            "interrupted": self.interrupted,
            "signal": self.signal or None,
        }

    def stopped_by(self, signum: int | None) -> None:
        """Record that a stop signal (Ctrl-C, SIGTERM, SIGHUP) arrived: reading stopped there."""
        if signum is not None:
            self.interrupted = True
            self.signal = stopping.signal_name(signum)


class _IndexingProcess(TiedSubWriterTask):
    """Whoosh's indexing process, writing through a :class:`TermPool` and
    leaving the lemmas it worked out beside the index for its lemma table."""

    def _process_file(self, filename: str, doc_count: int) -> None:
        if not isinstance(self.writer.pool, TermPool):
            use_term_pool(self.writer)
        super()._process_file(filename, doc_count)
        folder = Path(self.storage.folder)
        for policy in lemma_table.POLICIES:
            lemma_table.save_learned(folder, policy, field_text.take_learned(policy))


class _ParallelWriter(SupervisedMpWriter):
    """The multiprocess writer (see :mod:`search.indexer.parallel`) with our indexing processes."""

    task_class = _IndexingProcess


def document_fields(document: Document, origin: str = "") -> dict[str, Any]:
    """The Whoosh fields for one document (near-duplicate fields excepted)."""
    fields: dict[str, Any] = {
        "id": document.id,
        "title": document.title,
        "head": (document.title, document.body),
        "body": document.body,
        "exact": (document.title, document.body),
        "url": document.url,
        "lang": document.lang,
        "content_hash": document.content_hash,
    }
    if document.source:
        fields["source"] = document.source
    if origin:
        fields["origin"] = origin
    if document.date:
        fields["date"] = dt.datetime.combine(document.date, dt.time())
        fields["year"] = str(document.date.year)
    return fields


def _varbytes_lengths(colfile, base: int, size: int, count: int) -> tuple[Any, Any]:
    """The value lengths and offsets of a Whoosh variable-bytes column as
    numpy arrays, each read in one piece (its layout: the values, the
    big-endian lengths, the offsets only past 32,768 documents, type codes last)."""
    import numpy as np

    last = base + size - 1
    code = chr(colfile.get_byte(last))
    if code == "X":  # offsets stored too: their type code, then the lengths'
        code = chr(colfile.get_byte(last - 2))
        offsets_code = chr(colfile.get_byte(last - 1))
        start = last - 2 - count * np.dtype(offsets_code).itemsize
        offsets = np.frombuffer(colfile.get(start, count * np.dtype(offsets_code).itemsize), dtype=np.dtype(offsets_code).newbyteorder(">"))
        last = start
    else:
        offsets = None
    width = np.dtype(code).itemsize
    lengths = np.frombuffer(colfile.get(last - width * count, width * count), dtype=np.dtype(code).newbyteorder(">"))
    lengths = lengths.astype(np.int64)
    if offsets is None:
        offsets = np.cumsum(lengths) - lengths
    return lengths, offsets.astype(np.int64)


class Known:
    """What the index holds already, read as a build needs it: a document's
    content hash by its id (one term lookup), origin files (for ``prune``)
    and the near-duplicate signatures (one read a segment), so that a build
    of a few documents does not read something for every indexed one."""

    def __init__(self, reader: IndexReader):
        self._reader = reader
        self._empty = reader.doc_count() == 0
        self._columns: dict[str, Column] = {}

    def _column(self, name: str) -> Column:
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = Column(self._reader, name)
        return found

    def hash_of(self, doc_id: str) -> str | None:
        """The content hash of the indexed document ``doc_id``, or ``None``."""
        if self._empty:
            return None
        try:
            docnum = self._reader.first_id("id", doc_id)
        except TermNotFound:
            return None
        return self._column("content_hash")[docnum]

    def origins(self) -> dict[str, str]:
        """The file each indexed document came from, by id."""
        if self._empty:
            return {}
        ids, origins = self._column("id"), self._column("origin")
        return {ids[n]: origins[n] for n in self._reader.all_doc_ids()}

    def signatures(self) -> IndexedSignatures:
        """Every live document's near-duplicate signature, as one matrix."""
        import numpy as np

        docnums: list[np.ndarray] = []
        rows: list[np.ndarray] = []
        for segment, offset in [] if self._empty else self._reader.leaf_readers():
            numbers, matrix = _segment_signatures(segment)
            docnums.append(numbers + offset)
            rows.append(matrix)
        return IndexedSignatures(
            np.concatenate(docnums) if docnums else np.zeros(0, dtype=np.int64),
            np.concatenate(rows) if rows else np.zeros((0, NUM_PERM), dtype=DTYPE),
            lambda docnum: self._column("id")[docnum],
            lambda docnum: self._column("dup_group")[docnum],
        )


def _segment_signatures(segment) -> tuple[Any, Any]:
    """(document numbers, signature matrix) of one segment's live documents
    that have a signature, from its ``minhash`` column read in one piece."""
    import numpy as np

    count = segment.doc_count_all()
    perdoc = getattr(segment, "_perdoc", None)  # an empty index's reader has none
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, NUM_PERM), dtype=DTYPE))
    if count == 0 or perdoc is None or not perdoc.has_column("minhash"):
        return empty
    colfile, base, size = perdoc._get_column_file("minhash")  # a file of its own, closed here
    try:
        lengths, offsets = _varbytes_lengths(colfile, base, size, count)
        signed = lengths == SIGNATURE_BYTES
        live = signed.copy()
        if segment.has_deletions():
            live[list(segment.deleted_docs_set)] = False
        numbers = np.flatnonzero(live)
        if not numbers.size:
            return empty
        end = int(offsets[numbers[-1]]) + SIGNATURE_BYTES
        data = np.frombuffer(colfile.get(base, end), dtype=np.uint8)
    finally:
        colfile.close()
    if np.all(signed | (lengths == 0)):
        # Every value is a signature or empty: the data is the signatures one
        # after the other, a matrix as it stands (no gather of every byte).
        stored = np.flatnonzero(signed)
        stored = stored[stored <= numbers[-1]]
        matrix = data[: stored.size * SIGNATURE_BYTES].view(DTYPE).reshape(stored.size, NUM_PERM)
        return numbers.astype(np.int64), matrix[live[stored]]
    picked = data[offsets[numbers][:, None] + np.arange(SIGNATURE_BYTES)]
    return numbers.astype(np.int64), picked.view(DTYPE).reshape(len(numbers), NUM_PERM)


def _as_record(item: Any, number: int) -> Record | Problem:
    if isinstance(item, (Record, Problem)):
        return item
    location = f"document #{number}"
    try:
        document = item if isinstance(item, Document) else document_from_record(item)
    except RecordError as error:
        return Problem(location, str(error))
    return Record(location, document)


def _vanished(origin: str) -> bool:
    return bool(origin) and "://" not in origin and not os.path.exists(origin)


def write_documents(
    ix: FileIndex,
    items: Iterable[Document | Mapping[str, Any] | Record | Problem],
    *,
    procs: int = 1,
    on_progress: Callable[[int, str], None] | None = None,
    prune: bool = False,
    keep_partial: bool = False,
) -> AddReport:
    """Add or replace documents, skipping unchanged ones, in one atomic commit.

    ``items`` may mix documents, plain dicts, located records and problems
    reported by a reader; problems and unusable records are collected in the
    report. ``on_progress(count, phase)`` is called with the number of items
    handled, in phase ``reading``, and once more in phase ``committing`` before
    the (possibly long) final merge and commit. ``prune`` also deletes the
    documents whose source file no longer exists. On Ctrl-C, SIGTERM or
    SIGHUP, with ``keep_partial`` the documents read so far are committed and
    the report says ``interrupted`` (and which ``signal``); without it nothing
    is written and :class:`search.indexer.stopping.Interrupted` (a
    ``KeyboardInterrupt``) is raised.
    """
    started = time.perf_counter()
    report = AddReport()
    number = 0
    reader = ix.reader()
    try:
        return _write(ix, reader, items, procs, on_progress, prune, keep_partial, report, started)
    finally:
        reader.close()


def _write(ix, reader, items, procs, on_progress, prune, keep_partial, report, started) -> AddReport:
    number = 0
    known = Known(reader)
    finder = DuplicateFinder(indexed=known.signatures)
    seen: dict[str, str] = {}
    if procs > 1:
        writer: SegmentWriter = _ParallelWriter(ix, procs, limitmb=WRITER_LIMIT_MB, codec=store.codec())
    else:
        writer = ix.writer(limitmb=WRITER_LIMIT_MB, codec=store.codec(), _lk=False)  # ours is the lock
    use_term_pool(writer)
    with stopping.deferred() as stop:
        try:
            for number, item in enumerate(items, 1):
                record = _as_record(item, number)
                if isinstance(record, Problem):
                    report.problems.append(record)
                else:
                    _write_one(writer, record, known, finder, seen, report)
                if on_progress:
                    on_progress(number, "reading")
                if stop.requested:
                    break
            if stop.requested and not keep_partial:
                raise stop.interrupted()
            report.stopped_by(stop.signum)
            if prune and not report.interrupted:
                for doc_id, origin in known.origins().items():
                    if doc_id not in seen and _vanished(origin):
                        writer.delete_by_term("id", doc_id)
                        report.removed += 1
            if on_progress:
                on_progress(number, "committing")
            if report.added or report.updated or report.removed:
                writer.commit()
            else:  # nothing to write: no commit, so no merge of small segments either
                writer.cancel()
        except BaseException:
            _cancel(writer)
            raise
        report.stopped_by(stop.signum)  # a stop during the commit: it was let finish
    report.documents = ix.doc_count()
    report.seconds = time.perf_counter() - started
    return report


def _cancel(writer: SegmentWriter) -> None:
    """Discard the writer's work; a failure to close its files (a full disk)
    is no news, and the index's leftovers are removed after the failure."""
    try:
        writer.cancel()
    except Exception:
        pass


def _write_one(
    writer: SegmentWriter,
    record: Record,
    known: Known,
    finder: DuplicateFinder,
    seen: dict[str, str],
    report: AddReport,
) -> None:
    document = record.document
    first = seen.get(document.id)
    if first is not None:
        report.problems.append(
            Problem(record.location, f"duplicate id {document.id!r} (first at {first}); kept the first")
        )
        return
    seen[document.id] = record.location
    old_hash = known.hash_of(document.id)
    if old_hash == document.content_hash:
        report.unchanged += 1
        return
    if old_hash is not None:
        writer.delete_by_term("id", document.id)
        finder.forget(document.id)
        report.updated += 1
    else:
        report.added += 1
    fields = document_fields(document, record.origin)
    fields["minhash"] = signature(document.body)
    fields["dup_group"] = finder.assign(document.id, fields["minhash"])
    if fields["dup_group"] != document.id:
        report.duplicates += 1
    writer.add_document(**fields)
