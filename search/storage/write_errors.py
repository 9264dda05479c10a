"""Failures to write the index (full disk, quota, read-only directory) named plainly.

Python reports a failed ``write`` without the file's name; the index's files
are written through :class:`NamingStorage`, whose files add it, so that a
build can end with one line: what could not be written, where, and how much
space is left there.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.util import random_name

from search.errors import IndexWriteError


class WriteFailed(OSError):
    """Writing a file of the index failed; ``filename`` names it."""

    # Errors that only writing causes: what a failure elsewhere is recognised by.
    ERRNOS = frozenset(
        code for code in (errno.ENOSPC, getattr(errno, "EDQUOT", None), errno.EROFS, errno.EFBIG) if code
    )

    @classmethod
    def of(cls, error: OSError, path: str | None) -> "WriteFailed":
        """The failure, with the space left when it happened (a cleanup frees some)."""
        failure = cls(error.errno, error.strerror, path)
        failure.free = _free_space(Path(path)) if path else None  # pickled along, to the main process
        return failure


class _NamedFile:
    """A file open for writing whose write errors carry its path."""

    def __init__(self, file: Any, path: str):
        self._file = file
        self._path = path

    def _failed(self, error: OSError) -> WriteFailed:
        return WriteFailed.of(error, self._path)

    def write(self, data: Any) -> int:
        try:
            return self._file.write(data)
        except OSError as error:
            raise self._failed(error) from None

    def flush(self) -> None:
        try:
            self._file.flush()
        except OSError as error:
            raise self._failed(error) from None

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as error:
            raise self._failed(error) from None

    def __enter__(self) -> "_NamedFile":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


class NamingStorage(FileStorage):
    """Whoosh's file storage whose new files name themselves when writing fails."""

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> StructFile:
        path = self._fpath(name)
        try:
            file = open_for_writing(path, mode)
        except OSError as error:
            raise WriteFailed.of(error, path) from None
        return StructFile(_NamedFile(file, path), name=name, **kwargs)

    def temp_storage(self, name: str | None = None) -> "NamingStorage":
        storage = NamingStorage(os.path.join(self.folder, name or f"{random_name()}.tmp"))
        try:
            return storage.create()
        except OSError as error:
            raise WriteFailed.of(error, storage.folder) from None


def open_for_writing(path: str, mode: str) -> Any:
    """Open a file of the index for writing (tests replace this to fail on purpose)."""
    return open(path, mode)


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Report a failure to write ``path`` (written directly, not through storage) as :class:`WriteFailed`."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as error:
        raise WriteFailed.of(error, str(path)) from None


def as_write_error(error: BaseException) -> WriteFailed | None:
    """The write failure ``error`` is, or None if it is something else."""
    if isinstance(error, WriteFailed):
        return error
    if isinstance(error, OSError) and error.errno in WriteFailed.ERRNOS:
        return WriteFailed.of(error, error.filename)
    if isinstance(error, sqlite3.OperationalError):
        text = str(error)
        if "disk is full" in text or "readonly database" in text:
            return WriteFailed(errno.ENOSPC if "full" in text else errno.EROFS, text, None)
    return None


def describe(error: WriteFailed, index_path: Path, outcome: str) -> str:
    """One line: what could not be written, why, the space left on its disk, and ``outcome``."""
    target = Path(error.filename) if error.filename else index_path
    reason = error.strerror or os.strerror(error.errno or 0)
    free = getattr(error, "free", None) or _free_space(target)
    return f"could not write {target}: {reason} ({free}); {outcome}"


def _free_space(target: Path) -> str:
    folder = target if target.is_dir() else target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return "free space unknown"
    return f"{_size(free)} free there"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


@contextmanager
def reported(index_path: Path, outcome: str) -> Iterator[None]:
    """Turn a failure to write the index into :class:`IndexWriteError` (one line)."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as error:
        failure = as_write_error(error)
        if failure is None:
            raise
        raise IndexWriteError(describe(failure, index_path, outcome)) from None
