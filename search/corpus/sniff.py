"""Telling a file's format from its first bytes, for files whose name does not."""

from __future__ import annotations

import csv
import json
import re

from search.corpus.encoding import detect
from search.documents import FIELD_ALIASES

# Markup that only an HTML page starts with (after spaces and comments).
_HTML_START = re.compile(r"(?:<!--.*?-->\s*|<\?xml[^>]*>\s*)*<(?:!doctype\s+html|html|head|body|meta|title|link|script|div|p|table|article)\b", re.IGNORECASE | re.DOTALL)
_FIELD_NAMES = frozenset(alias for aliases in FIELD_ALIASES.values() for alias in aliases)
# A header row's column names are short labels, not sentences.
_COLUMN_NAME = re.compile(r"[\w .\-]{1,40}")
# Rows of a table to compare before calling a file one.
_ROWS = 5


def _text(head: bytes) -> str | None:
    """``head`` as text, or ``None`` when it is binary (NUL bytes, controls)."""
    if head.startswith(b"\x1f\x8b"):
        return None
    text = head.decode(detect(head), "replace")
    controls = sum(1 for char in text if char < " " and char not in "\t\r\n\f")
    if "\x00" in text or controls > len(text) // 100 + 1:
        return None
    return text.lstrip("\ufeff")


def _is_json(text: str) -> bool:
    stripped = text.lstrip()
    if stripped.startswith("["):
        return stripped[1:].lstrip()[:1] in ("{", "]", "")
    if not stripped.startswith("{"):
        return False
    first = stripped.split("\n", 1)[0]
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        # A record cut by the end of the sample, or pretty-printed over lines.
        return bool(re.match(r'\{\s*("|$)', stripped))


def _table(text: str) -> str | None:
    """"csv" or "tsv" when ``text`` is a header row and rows of the same width."""
    lines = text.splitlines(keepends=True)
    if len(lines) < 2:
        return None
    for delimiter, kind in (("\t", "tsv"), (",", "csv"), (";", "csv")):
        if delimiter not in lines[0]:
            continue
        try:
            rows = [row for row in csv.reader(lines[: _ROWS + 1], delimiter=delimiter) if row]
        except csv.Error:
            continue
        header = [name.strip().lower() for name in rows[0]]
        if len(header) < 2 or not all(_COLUMN_NAME.fullmatch(name) for name in header):
            continue
        named = any(name in _FIELD_NAMES for name in header)
        # Rows may be cut short (a quoted field spanning lines, the end of
        # the sample), but none may be wider than the header.
        widths_fit = all(len(row) <= len(header) for row in rows[1:])
        same_width = sum(len(row) == len(header) for row in rows[1:])
        if widths_fit and (named and same_width >= 1 or same_width >= 2):
            return kind
    return None


def sniff_format(head: bytes) -> str | None:
    """The format of a file that starts with ``head`` (a few KB will do): a key
    of ``reader.READERS`` ("json", "html", "csv", "tsv", "text"), or ``None``
    when it is empty or not text at all."""
    text = _text(head)
    if text is None or not text.strip():
        return None
    if _is_json(text):
        return "json"
    if _HTML_START.match(text.lstrip()):
        return "html"
    return _table(text) or "text"
