"""CSV and TSV files whose header row names the columns.

Columns are matched to document fields by name, ignoring case and
surrounding spaces, with the same aliases as JSON keys (``doc_id``, ``text``,
``datetime`` …), so that published corpora such as the mid.ru releases
(``doc_id, text, date, datetime, title, url``) index without options.
"""

from __future__ import annotations

import csv
from collections import deque
from typing import IO, Iterator

from search.corpus.encoding import TextLines, undecodable
from search.corpus.model import Origin, Problem, Record, convert
from search.text.dates import parse_date
from search.documents import FIELD_ALIASES

# Delimiters a header row may use; which one is decided from the header.
_DELIMITERS = ",;\t|"
# csv refuses fields over 128 KB by default; a press release with its
# annexes can be longer. The limit is process-wide, so it is only ever raised
# (to the largest value every platform's C long holds).
_FIELD_LIMIT = 2**31 - 1
_BODY_COLUMNS = ", ".join(FIELD_ALIASES["body"])
# How R (readr), pandas and databases write a missing value; read as empty,
# so that a missing date is not reported as unreadable.
_MISSING = frozenset({"NA", "N/A", "NaN", "NULL", "<NA>"})


def read_csv(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    """Comma-separated values (or semicolons, as spreadsheet exports often have)."""
    yield from _read(stream, origin, ",")


def read_tsv(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    """Tab-separated values."""
    yield from _read(stream, origin, "\t")


def _delimiter(head: str, default: str) -> str:
    """The delimiter of a file starting with ``head``: the only candidate in
    its header line, else the csv module's guess from the first lines."""
    header = head.split("\n", 1)[0]
    present = {d: header.count(d) for d in _DELIMITERS if d in header}
    if len(present) <= 1:
        return next(iter(present), default)
    sample = head[: head.rfind("\n", 0, 16384) + 1] or head
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(present)).delimiter
    except csv.Error:
        return default if default in present else max(present, key=present.get)


def _prefer_readable_date(record: dict[str, str]) -> None:
    """Use the first date column that parses: the mid.ru corpora have both
    ``date`` and ``datetime``, and either may be missing."""
    values = [record.get(name) for name in FIELD_ALIASES["date"]]
    readable = next((v for v in values if v and parse_date(v)), None)
    if readable:
        record["date"] = readable


class _Lines:
    """The lines fed to the csv reader, remembering those of the current row
    and able to take lines back (to read again the rows an open quote swallowed)."""

    def __init__(self, lines: Iterator[str]):
        self._lines = iter(lines)
        self._back: deque[tuple[int, str]] = deque()
        self.number = 0
        self.row: list[tuple[int, str]] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if self._back:
            self.number, line = self._back.popleft()
        else:
            line = next(self._lines)
            self.number += 1
        self.row.append((self.number, line))
        return line

    def start_row(self) -> None:
        self.row = []

    def take_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(lines))


def _quote_left_open(row_lines: list[tuple[int, str]]) -> bool:
    """Whether a row read over several lines holds an odd number of quote
    characters: well-formed fields open and close their quotes (and double
    those inside), so an odd count means a quote left open that swallowed
    the lines after it."""
    return len(row_lines) > 1 and sum(line.count('"') for _, line in row_lines) % 2 == 1


def _read(stream: IO[bytes], origin: Origin, default: str) -> Iterator[Record | Problem]:
    text_lines = TextLines(stream)
    lines = _Lines(iter(text_lines))
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))
    rows = csv.reader(lines, delimiter=_delimiter(text_lines.head, default))
    names: list[str] | None = None
    while True:
        lines.start_row()
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            yield Problem(origin.at(lines.row[0][0] if lines.row else lines.number), f"unreadable row: {error}")
            continue
        first = lines.row[0][0] if lines.row else lines.number
        location = origin.at(first)
        if _quote_left_open(lines.row):
            last = lines.row[-1][0]
            yield Problem(
                location,
                f"a quote opened on line {first} is not closed where its field ends; lines {first}-{last} "
                "would read as one field, so this row is skipped and the lines after it are read again",
            )
            lines.take_back(lines.row[1:])
            continue
        if not any(cell.strip() for cell in row):
            continue
        if names is None:
            names = [cell.strip().lstrip("\ufeff") for cell in row]
            if not _has_body_column(names, origin):
                yield Problem(location, f"no text column in the header ({', '.join(names)}); expected one of {_BODY_COLUMNS}")
                return
            continue
        yield from _record(row, names, location, text_lines.encoding, origin)


def _has_body_column(names: list[str], origin: Origin) -> bool:
    lowered = {name.lower() for name in names}
    return "body" in origin.options.fields or any(alias in lowered for alias in FIELD_ALIASES["body"])


def _record(row: list[str], names: list[str], location: str, encoding: str, origin: Origin) -> Iterator[Record | Problem]:
    extra = row[len(names):]
    if any(cell.strip() for cell in extra):
        yield Problem(location, f"{len(row)} fields where the header has {len(names)} (a delimiter or quote out of place?)")
        return
    record: dict[str, str] = {}
    for name, value in zip(names, row + [""] * (len(names) - len(row))):
        reason = undecodable(value, encoding, field=name)
        if reason:
            yield Problem(location, reason)
            return
        if value.strip() in _MISSING:
            value = ""
        record[name] = value
        record.setdefault(name.lower(), value)
    _prefer_readable_date(record)
    yield from convert(record, location, origin)
