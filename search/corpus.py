"""Reading corpus files into documents, reporting bad records instead of failing.

Sources are files or directories (walked recursively). Supported inputs:
JSON Lines (``.jsonl``, ``.ndjson``, ``.json`` holding one object per line or
an array), plain text (``.txt``: the first non-empty line is the title), and
any of these compressed with gzip (``.gz``).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator, NamedTuple, Sequence

from search.documents import Document, RecordError, document_from_record
from search.errors import SourceError

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
TEXT_SUFFIXES = {".txt"}
SUPPORTED = ", ".join(sorted(JSONL_SUFFIXES | TEXT_SUFFIXES)) + " (optionally .gz)"
# Documentation that often sits beside corpus files; skipped without comment.
_DOCUMENTATION = re.compile(r"^(readme|license|licence|changelog|sources)\b|\.(md|rst)$", re.IGNORECASE)


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
    """A document and where it came from (``file:line``), for reports."""

    location: str
    document: Document


@dataclass(frozen=True)
class CorpusFile:
    """A file to read; ``name`` is its path below the source given, which
    becomes the id of a plain-text document (stable across machines)."""

    path: Path
    name: str

    @property
    def display(self) -> str:
        return str(self.path)

    @property
    def kind(self) -> str | None:
        """``jsonl`` or ``text`` by extension (ignoring ``.gz``), else ``None``."""
        suffixes = [s.lower() for s in self.path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes.pop()
        last = suffixes[-1] if suffixes else ""
        if last in JSONL_SUFFIXES:
            return "jsonl"
        if last in TEXT_SUFFIXES:
            return "text"
        return None

    @property
    def compressed(self) -> bool:
        return self.path.suffix.lower() == ".gz"


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order, skipping hidden ones."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)


class CorpusReader:
    """Iterate over the documents in a set of sources.

    Yields :class:`Record` objects and :class:`Problem` reports in file
    order. ``bytes_done`` against ``total_bytes`` measures progress (on
    compressed files, in compressed bytes).
    """

    def __init__(self, sources: Sequence[str | os.PathLike]):
        self.files: list[CorpusFile] = []
        self.ignored: list[str] = []
        for source in sources:
            path = Path(source)
            if path.is_dir():
                for file in _walk(path):
                    candidate = CorpusFile(file, (Path(path.name) / file.relative_to(path)).as_posix())
                    if candidate.kind:
                        self.files.append(candidate)
                    elif not _DOCUMENTATION.search(file.name):
                        self.ignored.append(str(file))
            elif path.is_file():
                candidate = CorpusFile(path, path.name)
                if not candidate.kind:
                    raise SourceError(f"{path}: unsupported file type; expected {SUPPORTED}")
                self.files.append(candidate)
            elif path.exists():
                raise SourceError(f"{path}: not a regular file or directory")
            else:
                raise SourceError(f"{path}: no such file or directory")
        self.total_bytes = sum(f.path.stat().st_size for f in self.files)
        self.bytes_done = 0

    def __iter__(self) -> Iterator[Record | Problem]:
        done_before = 0
        for file in self.files:
            try:
                with open(file.path, "rb") as raw:
                    stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if file.compressed else raw
                    reader = _read_jsonl if file.kind == "jsonl" else _read_text
                    for item in reader(stream, file):
                        self.bytes_done = done_before + raw.tell()
                        yield item
            except (OSError, EOFError) as error:
                yield Problem(str(file.path), f"cannot read file: {error}")
            done_before += file.path.stat().st_size
            self.bytes_done = done_before


def _convert(record: object, location: str) -> Iterable[Record | Problem]:
    warnings: list[str] = []
    try:
        document = document_from_record(record, warn=warnings.append)
    except RecordError as error:
        return [Problem(location, str(error))]
    return [Problem(location, w, skipped=False) for w in warnings] + [Record(location, document)]


def _read_jsonl(stream: IO[bytes], file: CorpusFile) -> Iterator[Record | Problem]:
    first = stream.peek(1)[:1] if hasattr(stream, "peek") else b""
    if first == b"[":
        yield from _read_json_array(stream, file)
        return
    for number, line in enumerate(stream, 1):
        location = f"{file.display}:{number}"
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
            yield Problem(location, f"broken JSON: {_json_message(error)} at column {error.colno}")
            continue
        yield from _convert(record, location)


def _read_json_array(stream: IO[bytes], file: CorpusFile) -> Iterator[Record | Problem]:
    try:
        records = json.loads(stream.read().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        yield Problem(file.display, f"not valid UTF-8 (at byte {error.start})")
        return
    except json.JSONDecodeError as error:
        yield Problem(file.display, f"broken JSON: {_json_message(error)} at line {error.lineno} column {error.colno}")
        return
    for number, record in enumerate(records, 1):
        yield from _convert(record, f"{file.display}[{number}]")


def _json_message(error: json.JSONDecodeError) -> str:
    return error.msg.removesuffix(" at")


def _read_text(stream: IO[bytes], file: CorpusFile) -> Iterator[Record | Problem]:
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield Problem(file.display, f"not valid UTF-8 (at byte {error.start})")
        return
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    title = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:]).strip()
    yield from _convert({"id": file.name, "title": title, "body": body}, file.display)
