"""Every document a query matches, whole, one at a time.

An export streams: the matching document numbers are listed first (a few
bytes each), then each document's stored fields are read, handed out and
dropped, so memory stays the same whatever the size of the set.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from whoosh.searching import Searcher

from search.storage.columns import column
from search.retrieval.matching import MatchingSet

# The columns of an exported document, in order (README: "Output formats").
EXPORT_COLUMNS = ("id", "title", "date", "source", "url", "body", "copies")


@dataclass(frozen=True)
class ExportedDocument:
    """One matching document as stored, with the ids of its republished copies."""

    id: str
    title: str
    date: dt.date | None
    source: str
    url: str
    body: str
    copies: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source or None,
            "url": self.url or None,
            "body": self.body,
            "copies": list(self.copies),
        }


def export_documents(searcher: Searcher, found: MatchingSet) -> Iterator[ExportedDocument]:
    """The documents of ``found`` in its order; ``copies`` names the other
    members of each one's near-duplicate group (all are exported too)."""
    groups = column(searcher.reader(), "dup_group")
    ids = column(searcher.reader(), "id")
    for docnum in found.docnums:
        fields = searcher.stored_fields(docnum)
        group = groups[docnum]
        copies: tuple[str, ...] = ()
        if group:
            copies = tuple(ids[n] for n in searcher.document_numbers(dup_group=group) if n != docnum)
        date = fields.get("date")
        yield ExportedDocument(
            id=fields["id"],
            title=fields.get("title", ""),
            date=date.date() if date else None,
            source=fields.get("source", ""),
            url=fields.get("url", ""),
            body=fields.get("body", ""),
            copies=copies,
        )


class Export:
    """What :meth:`search.Index.export` returns: ``len()`` documents, read
    one at a time when iterated (the index must stay open meanwhile).

    The searcher the set was found on stays open while the export exists,
    even if another thread commits meanwhile (``release`` gives it back when
    the export is dropped), so it can be read, and read again, safely."""

    def __init__(self, index, searcher: Searcher, found: MatchingSet, release: Callable[[Searcher], None] | None = None):
        self._index = index
        self._searcher = searcher
        self.found = found
        self.notices = list(found.notices)
        self._release = weakref.finalize(self, release, searcher) if release is not None else None

    def __len__(self) -> int:
        return len(self.found)

    def __iter__(self) -> Iterator[ExportedDocument]:
        with self._index._reading():
            yield from export_documents(self._searcher, self.found)
