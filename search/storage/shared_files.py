"""Index files that many threads can read at once.

Whoosh reads its files by seeking and then reading, through file objects
shared by everything that uses one reader. Two threads searching with the
same reader therefore move each other's file position: one thread's block
header is read from the middle of another's posting list, and the search
fails with an unpickling error or, worse, quietly reads the wrong bytes.

Here every read is positional (``os.pread`` on one shared descriptor) and
the file position is each thread's own, so one open reader serves any
number of threads with no lock around reads. A small per-thread read-ahead
keeps Whoosh's many few-byte reads from becoming one system call each.
"""

from __future__ import annotations

import os
import threading

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile

# Bytes fetched at once for a small read; the rest serves the reads that follow.
READ_AHEAD = 8192


class _Descriptor:
    """One open file descriptor, shared by a file and its sub-files."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)


class PositionalFile:
    """A read-only window (``start``, ``length``) of a file whose position is
    kept per thread; every read is an ``os.pread``.

    It offers what Whoosh and ``pickle`` call on a file: ``read``,
    ``readinto``, ``readline``, ``seek``, ``tell``, ``close``, and
    ``subset`` for the parts of a compound segment file.
    """

    def __init__(self, descriptor: _Descriptor, start: int, length: int, name: str, owner: bool):
        self._descriptor = descriptor
        self._start = start
        self._length = length
        self._owner = owner  # closing the file that opened the descriptor closes it
        self._local = threading.local()
        self.name = name

    @classmethod
    def open(cls, path: str) -> "PositionalFile":
        descriptor = _Descriptor(path)
        return cls(descriptor, 0, os.fstat(descriptor.fd).st_size, path, owner=True)

    def subset(self, offset: int, length: int, name: str | None = None) -> "PositionalFile":
        return PositionalFile(self._descriptor, self._start + offset, length, name or self.name, owner=False)

    @property
    def closed(self) -> bool:
        return self._descriptor.closed

    def _state(self) -> list:
        """This thread's [position, read-ahead start, read-ahead bytes]."""
        try:
            return self._local.state
        except AttributeError:
            state = self._local.state = [0, 0, b""]
            return state

    def _pread(self, size: int, position: int) -> bytes:
        if self._descriptor.closed:
            raise ValueError(f"read of closed file {self.name}")
        data = os.pread(self._descriptor.fd, size, self._start + position)
        while len(data) < size:  # short reads are allowed; stop at the end of the file
            more = os.pread(self._descriptor.fd, size - len(data), self._start + position + len(data))
            if not more:
                break
            data += more
        return data

    def read_at(self, size: int, position: int) -> bytes:
        """``size`` bytes from ``position`` (fewer at the end), in one system
        call and without moving this thread's position."""
        return self._pread(min(size, max(self._length - position, 0)), position)

    def read(self, size: int | None = -1) -> bytes:
        state = self._state()
        position = state[0]
        remaining = max(self._length - position, 0)
        if size is None or size < 0 or size > remaining:
            size = remaining
        offset = position - state[1]
        buffered = state[2]
        if 0 <= offset and offset + size <= len(buffered):
            data = buffered[offset : offset + size]
        elif size >= READ_AHEAD:
            data = self._pread(size, position)
        else:
            buffered = self._pread(min(READ_AHEAD, remaining), position)
            state[1], state[2] = position, buffered
            data = buffered[:size]
        state[0] = position + len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self._length if size is None or size < 0 else size
        parts: list[bytes] = []
        taken = 0
        while taken < limit:
            state = self._state()
            chunk = self.read(min(READ_AHEAD, limit - taken))
            if not chunk:
                break
            end = chunk.find(b"\n")
            if end >= 0:
                state[0] -= len(chunk) - end - 1  # give back what follows the newline
                parts.append(chunk[: end + 1])
                break
            parts.append(chunk)
            taken += len(chunk)
        return b"".join(parts)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        state = self._state()
        if whence == os.SEEK_SET:
            state[0] = offset
        elif whence == os.SEEK_CUR:
            state[0] += offset
        elif whence == os.SEEK_END:
            state[0] = self._length + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        return state[0]

    def tell(self) -> int:
        return self._state()[0]

    def close(self) -> None:
        if self._owner:
            self._descriptor.close()


class SharedStructFile(StructFile):
    """Whoosh's structured file over a :class:`PositionalFile`, whose parts
    (the files inside a compound segment) are positional files too; Whoosh's
    own sub-files would share one position between threads again."""

    def subset(self, offset, length, name=None):
        return SharedStructFile(self.file.subset(offset, length, name), name=name or self._name)


class SharedFileStorage(FileStorage):
    """Whoosh's directory storage, reading through :class:`SharedStructFile`."""

    def open_file(self, name, **kwargs):
        return SharedStructFile(PositionalFile.open(self._fpath(name)), name=name, **kwargs)
