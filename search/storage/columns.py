"""Reading per-document column values across all segments of an index.

Whoosh's multi-segment column reader skips segments that have no column file
for a field (when none of their documents had a value) and then numbers the
documents of later segments wrongly; this reader asks each segment itself,
and a segment without the column answers with the field's default.
"""

from __future__ import annotations

import struct
import weakref
from array import array
from bisect import bisect_right
from itertools import accumulate
from typing import Any

from whoosh.columns import CompressedBytesColumn, PickleColumn, VarBytesColumn
from whoosh.reading import IndexReader


_OPEN: "weakref.WeakKeyDictionary[IndexReader, dict[str, Column]]" = weakref.WeakKeyDictionary()
# What Whoosh stores in a sortable date column for a document without a date.
UNDATED = 2**64 - 1

_RAW: "weakref.WeakKeyDictionary[IndexReader, dict[str, list]]" = weakref.WeakKeyDictionary()


def column(reader: IndexReader, fieldname: str) -> "Column":
    """The column of ``fieldname``, opened once per reader (opening one reads
    its whole offset table)."""
    columns = _OPEN.setdefault(reader, {})
    found = columns.get(fieldname)
    if found is None:
        found = columns[fieldname] = Column(reader, fieldname)
    return found


def raw_values(reader: IndexReader, fieldname: str) -> list:
    """Every document's value of a column as stored (untranslated: a date is
    Whoosh's integer), in document-number order; read once per reader."""
    values = _RAW.setdefault(reader, {})
    found = values.get(fieldname)
    if found is None:
        found = values[fieldname] = [
            value for segment, _ in reader.leaf_readers() for value in segment.column_reader(fieldname, translate=False)
        ]
    return found


class Column:
    """``column[docnum]``: the value of one column field for a document."""

    def __init__(self, reader: IndexReader, fieldname: str):
        leaves = reader.leaf_readers()
        self._offsets = [offset for _, offset in leaves]
        stored_as = reader.schema[fieldname].column_type
        quicker = _QuickVarBytesColumn() if type(stored_as) is VarBytesColumn else None
        self._readers = [segment.column_reader(fieldname, column=quicker) for segment, _ in leaves]

    def __getitem__(self, docnum: int) -> Any:
        part = bisect_right(self._offsets, docnum) - 1
        return self._readers[part][docnum - self._offsets[part]]

    def get(self, docnum: int, default: Any = None) -> Any:
        """The value, or ``default`` where the document has none: a date
        column's placeholder for "no date" does not convert to a date."""
        try:
            return self[docnum]
        except (OverflowError, ValueError):
            return default


class _SummedOffsets:
    """Whoosh's variable-bytes column reader (the ``id``, ``source`` and
    ``dup_group`` columns; every stored field goes through one too), opened
    the same way but for the value offsets, which Whoosh sums from the
    lengths in a Python loop each time a segment's column is opened (3.8 ms
    for 24,000 documents; here 1.1 ms, summed by ``itertools.accumulate``).
    A query opens several such columns a segment."""

    def _read_offsets_and_lengths(self) -> None:
        last = self._basepos + self._length - 1
        lengths_code = chr(self._dbfile.get_byte(last))
        if lengths_code == "X":  # offsets stored beside the lengths: nothing to sum
            super()._read_offsets_and_lengths()
            return
        start = last - struct.calcsize(lengths_code) * self._doccount
        self._lengths = self._dbfile.get_array(start, lengths_code, self._doccount)
        self._offsets = array("L", accumulate(self._lengths, initial=0))
        self._offsets.pop()


class _QuickVarBytesColumn(VarBytesColumn):
    class Reader(_SummedOffsets, VarBytesColumn.Reader):
        pass


class _QuickCompressedBytesColumn(CompressedBytesColumn):
    class Reader(_SummedOffsets, CompressedBytesColumn.Reader):
        pass


# How Whoosh 3 stores a document's stored fields (its STORED_COLUMN), read
# with the offsets summed quickly.
STORED_FIELDS_COLUMN = PickleColumn(_QuickCompressedBytesColumn())
