"""JSON Lines (one object per line) and JSON arrays of objects."""

from __future__ import annotations

import json
from typing import IO, Iterator

from search.corpus.model import Origin, Problem, Record, convert


def read_json(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    """JSON Lines, or a whole-file JSON array when the file starts with ``[``."""
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"[":
        yield from _read_array(stream, origin)
    else:
        yield from _read_lines(stream, origin)


def _message(error: json.JSONDecodeError) -> str:
    return error.msg.removesuffix(" at")


def _read_lines(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    for number, line in enumerate(stream, 1):
        location = origin.at(number)
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Problem(location, f"not valid UTF-8 (byte 0x{line[error.start]:02x} at column {error.start + 1})")
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            yield Problem(location, f"broken JSON: {_message(error)} at column {error.colno}")
            continue
        yield from convert(record, location, origin)


def _read_array(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    try:
        records = json.loads(stream.read().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        yield Problem(origin.display, f"not valid UTF-8 (at byte {error.start})")
        return
    except json.JSONDecodeError as error:
        yield Problem(origin.display, f"broken JSON: {_message(error)} at line {error.lineno} column {error.colno}")
        return
    if not isinstance(records, list):
        yield Problem(origin.display, "expected a JSON array of objects")
        return
    for number, record in enumerate(records, 1):
        yield from convert(record, f"{origin.display}[{number}]", origin)
