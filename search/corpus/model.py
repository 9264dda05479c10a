"""What corpus readers produce: located records and problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple

from search.documents import Document, RecordError, document_from_record


class Problem(NamedTuple):
    """Something wrong with one record or file.

    ``skipped`` is true when the record was left out of the index and false
    for a warning about a record that was still indexed.
    """

    location: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class Record(NamedTuple):
    """A document, where it was read (``file:line``, for reports) and the
    file it came from (``origin``, so that ``--prune`` can tell when it vanished)."""

    location: str
    document: Document
    origin: str = ""


@dataclass(frozen=True)
class ReadOptions:
    """How to read records. ``fields`` maps a document field to the column or
    key that holds it in this corpus (``{"body": "колонка"}``), overriding the
    usual aliases."""

    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Origin:
    """A file (or archive member) being read.

    ``display`` names it in reports; ``name`` is its path below the source
    the user gave, which becomes the id of a one-document file (stable
    across machines); ``origin`` is the file on disk (or the URL) it lives in.
    """

    display: str
    name: str
    origin: str
    options: ReadOptions = ReadOptions()

    def at(self, line: int | str) -> str:
        """A location within the file, for reports."""
        return f"{self.display}:{line}"


def convert(record: Any, location: str, origin: Origin) -> Iterable[Record | Problem]:
    """A parsed record as a :class:`Record`, with warnings, or the reason it is unusable."""
    warnings: list[str] = []
    if origin.options.fields and isinstance(record, Mapping):
        record = {**record, **{name: record.get(column) for name, column in origin.options.fields.items()}}
    try:
        document = document_from_record(record, warn=warnings.append)
    except RecordError as error:
        return [Problem(location, str(error))]
    return [Problem(location, w, skipped=False) for w in warnings] + [Record(location, document, origin.origin)]
