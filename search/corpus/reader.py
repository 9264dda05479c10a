"""Finding the files in the sources a user names, and reading each with its format's reader."""

from __future__ import annotations

import dataclasses
import gzip
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Iterator, Sequence

from search.corpus import remote
from search.corpus.html import read_html
from search.corpus.jsonl import read_json
from search.corpus.model import Origin, Problem, ReadOptions, Record
from search.corpus.sniff import sniff_format
from search.corpus.tabular import read_csv, read_tsv
from search.corpus.text import read_text
from search.errors import SourceError

FormatReader = Callable[[IO[bytes], Origin], Iterator["Record | Problem"]]

# File extension (ignoring a compression suffix) → format.
EXTENSIONS = {
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".txt": "text",
    ".csv": "csv",
    ".tsv": "tsv",
    ".html": "html",
    ".htm": "html",
}
READERS: dict[str, FormatReader] = {
    "json": read_json,
    "text": read_text,
    "csv": read_csv,
    "tsv": read_tsv,
    "html": read_html,
}
COMPRESSED = {".gz"}
# How many first bytes tell a file's format, and whether it is binary (NUL
# bytes, unless a UTF-16/32 byte-order mark says they are text).
SNIFF_BYTES = 8192
UNICODE_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Documentation that often sits beside corpus files; skipped without comment.
_DOCUMENTATION = re.compile(
    r"^(readme|license|licence|changelog|sources|sha\d+sums|md5sums|checksums)\b|\.(md|rst)$", re.IGNORECASE
)


def supported() -> str:
    """The accepted extensions, for messages."""
    containers = sorted(COMPRESSED | {".zip"})
    return ", ".join(sorted(EXTENSIONS)) + " (also inside " + ", ".join(containers) + "), or http(s) URLs"


def _kind_of(name: str) -> str | None:
    """The format by file name, ignoring a compression suffix; ``None`` if unknown."""
    suffixes = [s.lower() for s in PurePosixPath(name).suffixes]
    if suffixes and suffixes[-1] == ".zip":
        return "zip"
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes.pop()
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


@dataclass(frozen=True)
class CorpusFile:
    """A file to read.

    ``path`` holds the bytes (for a URL, the downloaded copy); ``name`` is
    its path below the source the user gave, which becomes the id of a
    one-document file; ``label`` names it in reports and ``source`` is
    recorded with its documents (both default to the path).
    """

    path: Path
    name: str
    label: str = ""
    source: str = ""
    sniffed: str | None = None

    @property
    def display(self) -> str:
        return self.label or str(self.path)

    @property
    def kind(self) -> str | None:
        """The format: by extension, else as recognised from the content."""
        return _kind_of(self.name) or self.sniffed

    def with_sniffed_format(self) -> "CorpusFile":
        """This file with its format recognised from its first bytes, if it can be."""
        try:
            with open(self.path, "rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return self
        return dataclasses.replace(self, sniffed=sniff_format(head))

    def origin(self, options: ReadOptions = ReadOptions()) -> Origin:
        return Origin(self.display, self.name, self.source or str(self.path.resolve()), options)


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order, skipping hidden ones."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)


def _is_documentation(name: str) -> bool:
    return bool(_DOCUMENTATION.search(PurePosixPath(name).name))


class _UntilTruncation(io.RawIOBase):
    """A decompressing stream that ends, instead of failing, where a
    truncated file (an interrupted download) ends: the records before the
    cut are read, and ``truncated`` says what was wrong."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream
        self.truncated: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.truncated:
            return 0
        try:
            # read1: one chunk at a time, so that the chunk before the cut is not
            # lost with the error raised by the next.
            data = self._stream.read1(len(buffer))
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            self.truncated = str(error) or type(error).__name__
            return 0
        buffer[: len(data)] = data
        return len(data)


class CorpusReader:
    """Iterate over the documents in a set of sources: files, directories
    (walked recursively), ``.zip`` archives and http(s) URLs.

    Yields :class:`Record` objects and :class:`Problem` reports in file
    order. ``bytes_done`` against ``total_bytes`` measures progress (on
    compressed files, in compressed bytes). URLs are fetched when the reader
    is created, through ``download`` (by default :func:`remote.fetch`);
    ``downloads`` tells what happened to each.
    """

    def __init__(
        self,
        sources: Sequence[str | os.PathLike],
        options: ReadOptions = ReadOptions(),
        download: Callable[[str], "remote.Download"] | None = None,
    ):
        self.options = options
        self.files: list[CorpusFile] = []
        self.ignored: list[str] = []
        self.downloads: list[remote.Download] = []
        for source in sources:
            if remote.is_url(source):
                fetched = (download or remote.fetch)(str(source))
                self.downloads.append(fetched)
                self._add_file(CorpusFile(fetched.path, fetched.name, str(source), str(source)), given=True)
                continue
            path = Path(source)
            if path.is_dir():
                for file in _walk(path):
                    self._add_file(CorpusFile(file, (Path(path.name) / file.relative_to(path)).as_posix()), given=False)
            elif path.is_file():
                self._add_file(CorpusFile(path, path.name), given=True)
            elif path.exists():
                raise SourceError(f"{path}: not a regular file or directory")
            else:
                raise SourceError(f"{path}: no such file or directory")
        self.total_bytes = sum(f.path.stat().st_size for f in self.files)
        self.bytes_done = 0

    def _add_file(self, file: CorpusFile, given: bool) -> None:
        if not given and file.kind == "text" and _is_documentation(file.name):
            return  # README.txt, Licence.txt beside a corpus describe it; they are not releases
        if not file.kind and not _is_documentation(file.name) and not PurePosixPath(file.name).suffix:
            file = file.with_sniffed_format()
        if file.kind:
            self.files.append(file)
        elif given:
            raise SourceError(f"{file.display}: unsupported file type; expected {supported()}")
        elif not _is_documentation(file.name):
            self.ignored.append(file.display)

    @property
    def origins(self) -> list[str]:
        return [file.origin().origin for file in self.files]

    def __iter__(self) -> Iterator[Record | Problem]:
        done_before = 0
        for file in self.files:
            try:
                with open(file.path, "rb") as raw:
                    if file.kind == "zip":
                        items = self._read_zip(raw, file)
                    else:
                        items = self._read_stream(raw, file.name, file.origin(self.options), file.kind)
                    for item in items:
                        self.bytes_done = done_before + raw.tell()
                        yield item
            except EOFError as error:
                # A truncated compressed file: the records before the cut were read.
                yield Problem(file.display, f"the file is truncated ({error}); the records before the cut were kept")
            except (OSError, zipfile.BadZipFile) as error:
                yield Problem(file.display, f"cannot read file: {error}")
            except (RecursionError, MemoryError, ValueError, LookupError, UnicodeError) as error:
                # A reader or library failing on odd content: the file is
                # reported and the build goes on with the next one.
                yield Problem(file.display, f"cannot read file: {type(error).__name__}: {error}")
            done_before += file.path.stat().st_size
            self.bytes_done = done_before

    def _read_stream(
        self, raw: IO[bytes], name: str, origin: Origin, kind: str | None = None
    ) -> Iterator[Record | Problem]:
        """One file's records: decompressed if need be, refused if binary."""
        stream: IO[bytes] = raw
        compressed = None
        if PurePosixPath(name).suffix.lower() == ".gz":
            compressed = _UntilTruncation(gzip.GzipFile(fileobj=raw))
            stream = compressed
        buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
        head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES]
        if b"\x00" in head and not head.startswith(UNICODE_BOMS):
            yield Problem(origin.display, "binary file (it contains NUL bytes), not text; skipped")
            return
        yield from READERS[kind or _kind_of(name)](buffered, origin)
        if compressed is not None and compressed.truncated:
            yield Problem(
                origin.display,
                f"the compressed file is truncated ({compressed.truncated}); the records before the cut were kept",
            )

    def _read_zip(self, raw: IO[bytes], file: CorpusFile) -> Iterator[Record | Problem]:
        """The members of a zip archive, each read by its own format."""
        with zipfile.ZipFile(raw) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                member = info.filename
                if info.is_dir() or any(part.startswith(".") for part in PurePosixPath(member).parts):
                    continue
                if not _kind_of(member) or _kind_of(member) == "zip":
                    if not _is_documentation(member):
                        self.ignored.append(f"{file.display}!{member}")
                    continue
                origin = Origin(
                    f"{file.display}!{member}",
                    f"{file.name}/{member}",
                    file.origin().origin,
                    self.options,
                )
                with archive.open(info) as stream:
                    yield from self._read_stream(stream, member, origin)
