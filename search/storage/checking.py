"""Verifying an index on disk: version, schema, and every segment readable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search.storage import directory as store
from search.errors import SearchError
from search.storage.schema import SCHEMA_VERSION, build_schema


@dataclass
class CheckReport:
    """What ``search check`` found; ``ok`` when ``problems`` is empty."""

    path: str
    documents: int = 0
    deleted: int = 0
    segments: int = 0
    schema_version: Any = None
    generation: str | None = None
    size_bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "path": self.path,
            "documents": self.documents,
            "deleted": self.deleted,
            "segments": self.segments,
            "schema_version": self.schema_version,
            "generation": self.generation,
            "size_bytes": self.size_bytes,
            "problems": self.problems,
        }


def check_index(path: str | os.PathLike) -> CheckReport:
    """Open the index at ``path`` and read every segment's documents, terms
    and columns; each failure becomes a plain-language problem."""
    path = Path(path)
    report = CheckReport(str(path))
    try:
        meta = store.read_meta(path)
    except SearchError as error:
        report.problems.append(str(error))
        return report
    report.schema_version = meta.get("schema_version")
    report.generation = meta.get("generation")
    try:
        whoosh_index = store.open_generation(path, meta)
    except SearchError as error:
        report.problems.append(str(error))
        return report
    expected = set(build_schema().names())
    found = set(whoosh_index.schema.names())
    if found != expected:
        report.problems.append(
            f"the schema's fields differ from version {SCHEMA_VERSION}'s "
            f"(missing {sorted(expected - found)}, extra {sorted(found - expected)}); {store.REBUILD_HINT}"
        )
    try:
        segments = whoosh_index._segments()
    except Exception as error:  # an unreadable table of contents
        report.problems.append(f"the table of contents cannot be read ({error}); {store.REBUILD_HINT}")
        return report
    report.segments = len(segments)
    for segment in segments:
        problem = _check_segment(whoosh_index, segment)
        if problem:
            report.problems.append(problem)
    report.documents = sum(segment.doc_count() for segment in segments)
    report.deleted = sum(segment.doc_count_all() for segment in segments) - report.documents
    recorded = meta.get("documents")
    # A count recorded for an earlier commit than the index's latest is stale
    # (its build was killed right after committing), not a sign of damage.
    current_commit = meta.get("toc_generation") in (None, whoosh_index.latest_generation())
    if recorded is not None and recorded != report.documents and current_commit:
        report.problems.append(
            f"the index holds {report.documents} documents but its last build recorded {recorded}"
        )
    report.size_bytes = sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return report


def _check_segment(whoosh_index, segment) -> str | None:
    from whoosh.reading import SegmentReader

    name = segment.segment_id()
    try:
        reader = SegmentReader(whoosh_index.storage, whoosh_index.schema, segment)
        try:
            for docnum in range(reader.doc_count_all()):
                if not reader.is_deleted(docnum):
                    reader.stored_fields(docnum)
            for fieldname in reader.indexed_field_names():
                for _ in reader.lexicon(fieldname):
                    pass
            for fieldname in whoosh_index.schema.names():
                if reader.has_column(fieldname):
                    # Raw values: what is stored must be readable; a date column's
                    # placeholder for "no date" does not convert to a date.
                    column = reader.column_reader(fieldname, translate=False)
                    for docnum in range(reader.doc_count_all()):
                        column[docnum]
            lemmas_problem = _check_document_lemmas(reader)
        finally:
            reader.close()
        if lemmas_problem:
            return f"segment {name}: {lemmas_problem}; {store.REBUILD_HINT}"
    except Exception as error:  # a damaged file can fail in any way
        return f"segment {name} is damaged ({type(error).__name__}: {error}); {store.REBUILD_HINT}"
    return None


def _check_document_lemmas(reader) -> str | None:
    """A problem with the segment's kept document lemmas, if it has them
    (see :mod:`search.storage.document_lemmas`)."""
    from search.storage.document_lemmas import EXTENSION, FIELD, segment_lemmas

    if not reader.storage().file_exists(reader.segment().make_filename(EXTENSION)):
        return None
    kept = segment_lemmas(reader)
    if kept is None:
        return "its document lemmas do not hold together (search terms reads the bodies instead)"
    try:
        if kept.lemmas() != [term.decode("utf-8") for term in reader.lexicon(FIELD)]:
            return "its document lemmas list other words than its body field holds"
    finally:
        kept.close()
    return None
