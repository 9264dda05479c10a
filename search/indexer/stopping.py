"""Stop requests: Ctrl-C, SIGTERM and SIGHUP all mean "stop, keeping the index whole".

A build defers them to safe points (between documents) so that nothing is
half-written; elsewhere a command raises :class:`Interrupted`, as Python does
for Ctrl-C. The exit status is 128 + the signal's number (130, 143, 129).
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which (SIGINT for plain Ctrl-C)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal_name(signum))
        self.signum = signum


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def exit_status(error: BaseException) -> int:
    """The conventional exit status of a process stopped by ``error``'s signal."""
    return 128 + getattr(error, "signum", signal.SIGINT)


class DeferredStop:
    """Records a stop signal instead of acting on it; :attr:`signum` is the first one."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum = signum
        elif _second_stop_message is not None:
            # Asked twice: stop at once, as SIGKILL would (the index is crash-safe).
            os.write(2, _second_stop_message.format(signal=signal_name(signum)).encode())
            os._exit(128 + signum)

    def interrupted(self) -> Interrupted:
        return Interrupted(self.signum or signal.SIGINT)


_active: DeferredStop | None = None
_second_stop_message: str | None = None


@contextmanager
def deferred() -> Iterator[DeferredStop]:
    """Defer stop signals while the block runs; nested blocks share one record.

    Signal handlers can only be set in the main thread: elsewhere the record
    never fills (the signal reaches whatever the main thread runs).
    """
    global _active
    if _active is not None or threading.current_thread() is not threading.main_thread():
        yield _active or DeferredStop()
        return
    stop = _active = DeferredStop()
    previous = {signum: signal.signal(signum, stop._handle) for signum in STOP_SIGNALS}
    try:
        yield stop
    finally:
        _active = None
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def raise_on_stop_signals(second_stop_message: str | None = None) -> Callable[[], None]:
    """Make SIGTERM and SIGHUP (and Ctrl-C) raise :class:`Interrupted`, so a
    command stops the way Ctrl-C stops it; for the command-line tool.

    With ``second_stop_message`` (``{signal}`` is replaced), a second stop
    signal during a deferred stop prints it and ends the process at once,
    instead of waiting for the commit of what was read. Returns what puts
    things back as they were."""
    global _second_stop_message
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    _second_stop_message = second_stop_message
    previous = {signum: signal.signal(signum, _raise) for signum in STOP_SIGNALS}

    def restore() -> None:
        global _second_stop_message
        _second_stop_message = None
        for signum, handler in previous.items():
            # Where the signal would kill the process anyway, it exits with the
            # conventional status instead: a signal arriving while the command
            # winds down must not turn "exit 143" into "killed by SIGTERM".
            signal.signal(signum, _exit_at_once if handler == signal.SIG_DFL else handler)

    return restore


def _exit_at_once(signum: int, frame: Any) -> None:
    os._exit(128 + signum)
