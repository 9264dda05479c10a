"""Indexing processes that live and die with the build that started them.

Whoosh's multiprocess writer leaves its indexing processes waiting forever on
their job queue when the build's main process dies, and waits a second per
result before silently dropping a missing one. Here:

- an indexing process asks Linux to send it :data:`STOP_WORKER` when its
  parent dies (``prctl(PR_SET_PDEATHSIG)``), and checks its parent before
  every batch and every second while idle (other systems); stopped, it
  removes its spilled runs and segment files and exits;
- indexing processes ignore Ctrl-C, SIGTERM and SIGHUP, which a terminal or a
  supervisor may send to the whole group: the main process decides;
- the main process watches its indexing processes: one that dies, or fails to
  write, fails the build at once with what happened.

Linux sends the parent-death signal when the *thread* that started the
process ends: a writer must be used (and committed) in one thread, as it is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import queue
import signal
import sys
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from search.indexer import stopping
from search.errors import SearchError
from search.storage.write_errors import WriteFailed

# What tells an indexing process to stop and clean up: a signal nobody else sends.
STOP_WORKER = signal.SIGUSR1
# Seconds a stopping indexing process may take to clean up before the kernel ends it.
CLEANUP_SECONDS = 3
# Seconds between checks while waiting on a queue.
POLL_SECONDS = 0.5
# Documents a batch, and batches waiting for each indexing process: a stopped
# build indexes what is queued before it commits, so both are kept small.
BATCH_DOCUMENTS = 25
QUEUED_PER_PROCESS = 1
_PR_SET_PDEATHSIG = 1


class SubWriterFailed(SearchError):
    """A parallel indexing process died or failed; nothing was committed."""


class _Stopped(BaseException):
    """Raised in an indexing process told to stop, or whose parent is gone."""


def die_with_parent(signum: int) -> bool:
    """Ask the kernel to send ``signum`` when the parent dies (Linux only);
    True if it will."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class TiedSubWriterTask(SubWriterTask):
    """Whoosh's indexing process, tied to its parent and reporting its failures.

    Results go to the parent as ``("done", pid, segment)`` or
    ``("failed", pid, error)``.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.parent_pid = os.getpid()
        self._job_file: str | None = None

    def run(self) -> None:
        self.writer = None
        try:
            self._work()
        except _Stopped:  # told to stop, or the parent is gone: say nothing, leave nothing
            self._clean_up()
            os._exit(1)

    def _work(self) -> None:
        # Until the handler is set, the stop signal's default action ends the process.
        signal.signal(STOP_WORKER, self._stop)
        for signum in stopping.STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        die_with_parent(STOP_WORKER)
        try:
            self._check_parent()  # it may have died before the request above
            ix = self.storage.open_index(self.indexname)
            # The parent holds the index's lock for the whole build.
            self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
            while (job := self._next_job()) is not None:
                self._job_file = job[0]
                self._process_file(*job)
                self._job_file = None
            segment = self.writer._finalize_segment()
            # Finished: a stop now (the build failed elsewhere) leaves the segment to the
            # main process's cleanup rather than breaking into the report.
            signal.signal(STOP_WORKER, signal.SIG_IGN)
            self._report("done", segment)
        except _Stopped:
            raise
        except BaseException as error:  # report it; the parent says what happened
            signal.signal(STOP_WORKER, signal.SIG_IGN)
            self._clean_up()
            self._report("failed", _transportable(error))
            os._exit(1)

    def _stop(self, signum: int = 0, frame: Any = None) -> None:
        signal.signal(STOP_WORKER, signal.SIG_IGN)  # once is enough
        signal.alarm(CLEANUP_SECONDS)  # SIGALRM ends the process if cleaning up hangs
        raise _Stopped

    def _check_parent(self) -> None:
        if os.getppid() != self.parent_pid:
            self._stop()

    def _next_job(self) -> tuple[str, int] | None:
        while True:
            self._check_parent()
            try:
                return self.jobqueue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue

    def _report(self, kind: str, payload: Any) -> None:
        self.resultqueue.put((kind, os.getpid(), payload))
        self.resultqueue.close()
        self.resultqueue.join_thread()  # delivered before the process ends

    def _clean_up(self) -> None:
        """Remove this process's spilled runs, segment files and current job file."""
        writer = self.writer
        if writer is None:
            return
        for attempt in (writer.pool.cleanup, writer.perdocwriter.close, writer.fieldwriter.close):
            try:
                attempt()
            except BaseException:
                pass
        names = writer.newsegment.list_files(self.storage)
        for storage, name in [(self.storage, n) for n in names] + [(writer.temp_storage(), self._job_file)]:
            if name:
                try:
                    storage.delete_file(name)
                except OSError:
                    pass


def _transportable(error: BaseException) -> BaseException:
    """The error, in a form that survives the trip to the parent."""
    if isinstance(error, WriteFailed):
        return error
    if isinstance(error, OSError) and error.errno in WriteFailed.ERRNOS:
        return WriteFailed.of(error, error.filename)
    return SubWriterFailed(f"an indexing process failed ({type(error).__name__}: {error})")


class SupervisedMpWriter(MpWriter):
    """Whoosh's multiprocess writer (one segment per process), watching its
    processes and stopping them for good when cancelled."""

    task_class = TiedSubWriterTask

    def __init__(self, ix: Any, procs: int, **kwargs: Any):
        # Our own lock guards the index: Whoosh's would be inherited by the processes.
        super().__init__(
            ix, procs=procs, batchsize=BATCH_DOCUMENTS, multisegment=True, subargs=dict(kwargs), _lk=False, **kwargs
        )
        self.jobqueue = multiprocessing.Queue(procs * QUEUED_PER_PROCESS)
        self.resultqueue = multiprocessing.Queue()
        self._segments: dict[int, Any] = {}

    def _new_task(self) -> TiedSubWriterTask:
        task = self.task_class(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self) -> None:
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as job:
            for item in self.docbuffer:
                pickle.dump(item, job, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put_job((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put_job(self, job: tuple[str, int] | None) -> None:
        while True:
            self.check_tasks()
            try:
                self.jobqueue.put(job, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _collect(self, timeout: float) -> bool:
        """Take one result off the queue; False if none came within ``timeout``."""
        try:
            kind, pid, payload = self.resultqueue.get(timeout=timeout)
        except queue.Empty:
            return False
        if kind == "failed":
            raise payload
        self._segments[pid] = payload
        return True

    def check_tasks(self) -> None:
        """Fail if an indexing process has ended without handing in its segment."""
        while self._collect(timeout=0):
            pass
        for task in self.tasks:
            if task.exitcode is not None and task.pid not in self._segments:
                while self._collect(timeout=1):  # its last word may still be on its way
                    pass
                if task.pid not in self._segments:
                    raise SubWriterFailed(
                        f"indexing process {task.pid} {_ending(task.exitcode)}; nothing was written"
                    )

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put_job(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        while len(self._segments) < len(self.tasks):
            if not self._collect(timeout=POLL_SECONDS):
                self.check_tasks()
        for task in self.tasks:
            task.join()
        finalsegments += [self._segments[task.pid] for task in self.tasks]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        """Stop the indexing processes (they clean up after themselves), then
        discard this writer's own files."""
        for task in self.tasks:
            if task.exitcode is None:
                try:
                    os.kill(task.pid, STOP_WORKER)
                except ProcessLookupError:
                    pass
        for task in self.tasks:
            task.join(CLEANUP_SECONDS + 1)
            if task.exitcode is None:
                task.kill()
                task.join()
        try:
            SegmentWriter.cancel(self)
        except Exception:  # the disk that failed the build may fail closing too;
            self.is_closed = True  # the index's leftovers are removed after the failure


def _ending(exitcode: int) -> str:
    if exitcode < 0:
        return f"was killed by {stopping.signal_name(-exitcode)}"
    return f"exited with status {exitcode}"

