"""JSON Lines (one object per line) and JSON arrays of objects.

UTF-8 is read as it is; files in another encoding (Windows-1251, KOI8-R)
are recognised from their first 64 KB (see :mod:`search.corpus.encoding`).
"""

from __future__ import annotations

import json
from typing import IO, Iterator

from search.corpus.encoding import DecodeError, TextLines, decode, undecodable
from search.corpus.model import Origin, Problem, Record, convert

# Python's JSON parser recurses once per level of nesting; no release needs
# more than a few levels.
NESTED_TOO_DEEPLY = "JSON nested too deeply to read (thousands of levels of [ or {); skipped"


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
    lines = TextLines(stream)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        location = origin.at(number)
        reason = undecodable(line, lines.encoding)
        if reason:
            yield Problem(location, reason)
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Problem(location, f"broken JSON: {_message(error)} at column {error.colno}")
            continue
        except RecursionError:
            yield Problem(location, NESTED_TOO_DEEPLY)
            continue
        yield from convert(record, location, origin)


def _read_array(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    try:
        records = json.loads(decode(stream.read()))
    except DecodeError as error:
        yield Problem(origin.display, str(error))
        return
    except json.JSONDecodeError as error:
        yield Problem(origin.display, f"broken JSON: {_message(error)} at line {error.lineno} column {error.colno}")
        return
    except RecursionError:
        yield Problem(origin.display, NESTED_TOO_DEEPLY)
        return
    if not isinstance(records, list):
        yield Problem(origin.display, "expected a JSON array of objects")
        return
    for number, record in enumerate(records, 1):
        yield from convert(record, f"{origin.display}[{number}]", origin)
