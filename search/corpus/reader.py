"""Finding the files in the sources a user names, and reading each with its format's reader."""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

from search.corpus.jsonl import read_json
from search.corpus.model import Origin, Problem, ReadOptions, Record
from search.corpus.text import read_text
from search.errors import SourceError

FormatReader = Callable[[IO[bytes], Origin], Iterator["Record | Problem"]]

# File extension (ignoring a compression suffix) → format.
EXTENSIONS = {
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".txt": "text",
}
READERS: dict[str, FormatReader] = {"json": read_json, "text": read_text}
COMPRESSED = {".gz"}
# Documentation that often sits beside corpus files; skipped without comment.
_DOCUMENTATION = re.compile(r"^(readme|license|licence|changelog|sources)\b|\.(md|rst)$", re.IGNORECASE)


def supported() -> str:
    """The accepted extensions, for messages."""
    return ", ".join(sorted(EXTENSIONS)) + " (optionally " + ", ".join(sorted(COMPRESSED)) + ")"


@dataclass(frozen=True)
class CorpusFile:
    """A file to read, its format and the name its documents are known by."""

    path: Path
    name: str

    @property
    def display(self) -> str:
        return str(self.path)

    @property
    def compression(self) -> str | None:
        suffix = self.path.suffix.lower()
        return suffix if suffix in COMPRESSED else None

    @property
    def kind(self) -> str | None:
        """The format by extension, ignoring a compression suffix; ``None`` if unknown."""
        suffixes = [s.lower() for s in self.path.suffixes]
        if suffixes and suffixes[-1] in COMPRESSED:
            suffixes.pop()
        return EXTENSIONS.get(suffixes[-1]) if suffixes else None

    def origin(self, options: ReadOptions = ReadOptions()) -> Origin:
        return Origin(self.display, self.name, str(self.path.resolve()), options)


def _walk(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order, skipping hidden ones."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath, name)


class CorpusReader:
    """Iterate over the documents in a set of sources (files or directories).

    Yields :class:`Record` objects and :class:`Problem` reports in file
    order. ``bytes_done`` against ``total_bytes`` measures progress (on
    compressed files, in compressed bytes). ``origins`` lists every file read,
    so that documents from files that have since vanished can be pruned.
    """

    def __init__(self, sources: Sequence[str | os.PathLike], options: ReadOptions = ReadOptions()):
        self.options = options
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
                    raise SourceError(f"{path}: unsupported file type; expected {supported()}")
                self.files.append(candidate)
            elif path.exists():
                raise SourceError(f"{path}: not a regular file or directory")
            else:
                raise SourceError(f"{path}: no such file or directory")
        self.total_bytes = sum(f.path.stat().st_size for f in self.files)
        self.bytes_done = 0

    @property
    def origins(self) -> list[str]:
        return [file.origin().origin for file in self.files]

    def __iter__(self) -> Iterator[Record | Problem]:
        done_before = 0
        for file in self.files:
            try:
                with open(file.path, "rb") as raw:
                    stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if file.compression == ".gz" else raw
                    for item in READERS[file.kind](stream, file.origin(self.options)):
                        self.bytes_done = done_before + raw.tell()
                        yield item
            except (OSError, EOFError) as error:
                yield Problem(file.display, f"cannot read file: {error}")
            done_before += file.path.stat().st_size
            self.bytes_done = done_before
