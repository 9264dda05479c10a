"""Machine-readable output: JSON, JSON Lines, CSV and TSV writers.

Every command with ``--format`` hands this module records (plain dicts, in
column order) and a stream; records are written as they come, so an export
of the whole index never sits in memory. The columns of each command are
listed in README.md ("Output formats").
"""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import contextmanager
from typing import IO, Any, Iterable, Iterator, Sequence

FORMATS = ("table", "json", "jsonl", "csv", "tsv")
TABULAR = ("csv", "tsv")
BOM = "\ufeff"
# Separates the items of a list value (copies) in one CSV or TSV cell.
LIST_SEPARATOR = "; "


def cell(value: Any, tsv: bool = False) -> str:
    """A value as one CSV/TSV cell: nothing for null, lists joined, and in TSV
    (which has no quoting) tabs and line breaks turned into spaces."""
    if value is None:
        text = ""
    elif isinstance(value, (list, tuple)):
        text = LIST_SEPARATOR.join(str(item) for item in value)
    else:
        text = str(value)
    if tsv:
        text = text.replace("\r\n", " ").replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return text


def write_records(
    records: Iterable[dict[str, Any]],
    output_format: str,
    columns: Sequence[str],
    stream: IO[str],
    bom: bool = False,
    envelope: dict[str, Any] | None = None,
    key: str = "results",
) -> int:
    """Write ``records`` as ``output_format``; returns how many were written.

    CSV and TSV get a header row of ``columns`` (and a UTF-8 byte-order mark
    first with ``bom``, for spreadsheets that guess the encoding). ``json``
    writes one document: ``envelope``'s fields with the records as a list
    under ``key`` (or just the list without an envelope), streamed.
    """
    count = 0
    if output_format in TABULAR:
        if bom:
            stream.write(BOM)
        if output_format == "tsv":
            stream.write("\t".join(columns) + "\n")
            for record in records:
                stream.write("\t".join(cell(record.get(name), tsv=True) for name in columns) + "\n")
                count += 1
        else:
            writer = csv.writer(stream)  # Excel's dialect: quoted where needed, CRLF rows
            writer.writerow(columns)
            for record in records:
                writer.writerow([cell(record.get(name)) for name in columns])
                count += 1
    elif output_format == "jsonl":
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    elif output_format == "json":
        if envelope is not None:
            head = json.dumps(envelope, ensure_ascii=False)
            stream.write(head[:-1] + (", " if envelope else "") + json.dumps(key) + ": [")
        else:
            stream.write("[")
        for record in records:
            stream.write(("\n  " if count == 0 else ",\n  ") + json.dumps(record, ensure_ascii=False))
            count += 1
        stream.write(("\n" if count else "") + "]" + ("}" if envelope is not None else "") + "\n")
    else:
        raise ValueError(f"format must be one of {', '.join(FORMATS[1:])}")
    return count


@contextmanager
def output_stream(path: str | os.PathLike | None) -> Iterator[IO[str]]:
    """A file to write (UTF-8, newlines untranslated as CSV needs), or stdout.

    A reader that stops early (``| head``) ends the output quietly, not with
    a broken-pipe traceback.
    """
    if path is None:
        try:
            yield sys.stdout
            sys.stdout.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(0) from None
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle
