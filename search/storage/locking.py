"""The index's write lock: held by the writing process alone, taken over when stale.

The lock is an advisory ``flock`` on ``write.lock``, which names its holder
(PID and start time). The kernel releases it when every descriptor of it is
closed, so a forked child would keep it after its parent died: the
descriptor is closed in every child right after the fork. A lock still held
while the process it names is gone (held by processes a dead build left,
say) is stale: the next writer says so and takes it over by replacing the
file with a fresh, locked one.
"""

from __future__ import annotations

import fcntl
import os
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from search.errors import IndexLockedError
from search.storage.write_errors import naming

LOCK_FILE = "write.lock"
_held: set[IO[str]] = set()


class StaleLockWarning(UserWarning):
    """The index's lock was left by a process that is gone; it was taken over."""


def _close_in_child() -> None:
    """A forked child must not keep its parent's lock alive (closing is not unlocking)."""
    for handle in list(_held):
        handle.close()
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Hold the index's write lock; fail at once if a running process holds it."""
    with naming(path):
        path.mkdir(parents=True, exist_ok=True)
    handle = _acquire(path)
    _held.add(handle)
    try:
        yield
    finally:
        _held.discard(handle)
        handle.close()


def _acquire(path: Path) -> IO[str]:
    lock_path = path / LOCK_FILE
    for _ in range(3):
        handle = _open(lock_path)
        if _try_lock(handle):
            if _is_current(handle, lock_path):
                return _claim(handle)
            handle.close()  # replaced while we waited: lock the file now there
            continue
        holder = _holder(handle)
        handle.close()
        if holder is None or _running(*holder):
            raise _locked(path, holder)
        return _take_over(path, holder)
    raise _locked(path, None)


def _take_over(path: Path, holder: tuple[int, str]) -> IO[str]:
    """Replace a stale lock by a fresh one, one process at a time (the
    directory's own lock keeps two newcomers from both taking it over)."""
    lock_path = path / LOCK_FILE
    guard = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _locked(path, None) from None
        handle = _open(lock_path)  # look again: someone may have been quicker
        if _try_lock(handle) and _is_current(handle, lock_path):
            return _claim(handle)
        current = _holder(handle)
        handle.close()
        if current != holder:
            raise _locked(path, current)
        fresh_path = path / f".{LOCK_FILE}.{os.getpid()}"
        with naming(fresh_path):
            fresh = open(fresh_path, "w+", encoding="utf-8")
        fcntl.flock(fresh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _claim(fresh)
        os.replace(fresh_path, lock_path)
    finally:
        os.close(guard)
    keepers = _keepers(lock_path)
    kept = f" (still held by PID {', '.join(map(str, keepers))})" if keepers else ""
    warnings.warn(
        StaleLockWarning(
            f"the lock on {path} was left by PID {holder[0]}, which is no longer running{kept}; "
            "this build took it over"
        ),
        stacklevel=4,
    )
    return fresh


def _open(lock_path: Path) -> IO[str]:
    with naming(lock_path):
        return open(lock_path, "a+", encoding="utf-8")


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _is_current(handle: IO[str], lock_path: Path) -> bool:
    try:
        return os.stat(lock_path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


def _claim(handle: IO[str]) -> IO[str]:
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()} {_start_time(os.getpid())}\n")
    handle.flush()
    return handle


def _holder(handle: IO[str]) -> tuple[int, str] | None:
    """(PID, start time) the lock file names; None while it names nobody yet."""
    handle.seek(0)
    words = handle.read().split()
    if not words or not words[0].isdigit():
        return None
    return int(words[0]), words[1] if len(words) > 1 else ""


def _start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot; Linux), to tell a
    reused PID from the holder; "" where unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return fields[19] if fields[0] != "Z" and len(fields) > 19 else "gone"


def _running(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = _start_time(pid)
    return now != "gone" and not (started and now and now != started)


def _keepers(lock_path: Path) -> list[int]:
    """Processes that hold the replaced lock file open (Linux; for the message)."""
    if not sys.platform.startswith("linux"):
        return []
    found, replaced = [], f"{os.path.abspath(lock_path)} (deleted)"
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                if os.readlink(f"/proc/{entry}/fd/{fd}") == replaced:
                    found.append(int(entry))
                    break
        except OSError:
            continue
    return found


def _locked(path: Path, holder: tuple[int, str] | None) -> IndexLockedError:
    who = f"PID {holder[0]}" if holder else "another process"
    return IndexLockedError(
        f"the index at {path} is being written by {who}; wait for that build to finish and try again"
    )
