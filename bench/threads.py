"""Throughput of one shared Index from many threads, and of ``search serve``.

Usage (from the repository root, with the project's virtualenv):

    python bench/threads.py [--index /work/indexes/eval] [--threads 1,2,4,8]
                            [--ways pread,handles,per-thread,stock] [--skip-http]

The query mix is bench/build.py's (one and two words, phrases, headlines
ranked by any word, newest first, dated from 2020) plus five keyword queries
with facet counts: 100 queries, ten hits each, with snippets. For each
way of reading the index and each thread count, every thread runs the mix
once to warm up and then once more, timed (each thread starting at another
place in the mix); queries/s = queries of the timed pass / its wall time.
Every answer of both passes is compared with a single thread's (ranked ids and
total): the table gives the errors and the answers that differ.

- pread: one ``Index`` for all threads (the library's way: positional
  reads on one descriptor per file, see search/storage/shared_files.py);
- handles: one ``Index``, each thread reading through its
  own open file (seek + buffered read), the alternative the issue named;
- per-thread: each thread opens its own ``Index`` (its own reader,
  files and decoded-posting cache);
- stock, 1 thread only: the plain buffered file objects these replace
  (not safe to share), for the single-thread cost of positional reads;
  ``--ways stock`` alone runs them at every thread count, to show them fail.

Then ``search serve`` is started as its own process on a free loopback port,
and 1, 2, 4, 8 clients send the mix at once (``format=jsonl``); every body is
compared with the in-process ``json_lines()`` of the same search, and ten
with what the ``search query --json`` command prints.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.build import KEYWORDS, query_mix  # noqa: E402
from search import Index, store  # noqa: E402
from search.storage.shared_files import PositionalFile, SharedFileStorage, SharedStructFile, _Descriptor  # noqa: E402

DEFAULT_INDEX = Path("/work/indexes/eval")


def mix() -> list[tuple[str, dict]]:
    """(query, Index.search keywords) for the 100 queries."""
    queries = []
    for kind, text, match in query_mix():
        options: dict = {"match": match}
        if kind == "newest":
            options["sort"] = "newest"
        if kind == "since":
            options["since"] = "2020"
        queries.append((text, options))
    queries += [(text, {"facets": True}) for text in KEYWORDS[:5]]
    return queries


def answer(results) -> tuple:
    return [hit.id for hit in results], results.total


# -- the alternative: each thread its own file handle -------------------------

_handles = threading.local()


class HandlePerThreadFile(PositionalFile):
    """The same windows and per-thread positions, read through a file object
    each thread opens for itself (seek, then a buffered read)."""

    @classmethod
    def open(cls, path: str) -> "HandlePerThreadFile":
        descriptor = _Descriptor(path)
        return cls(descriptor, 0, os.fstat(descriptor.fd).st_size, path, owner=True)

    def subset(self, offset, length, name=None):
        return HandlePerThreadFile(self._descriptor, self._start + offset, length, name or self.name, owner=False)

    def read(self, size=-1):
        files = _handles.__dict__.setdefault("files", {})
        handle = files.get(id(self._descriptor))
        if handle is None:  # a second open file description of the same file
            handle = files[id(self._descriptor)] = open(f"/proc/self/fd/{self._descriptor.fd}", "rb")
        state = self._state()
        remaining = max(self._length - state[0], 0)
        size = remaining if size is None or size < 0 or size > remaining else size
        handle.seek(self._start + state[0])
        data = handle.read(size)
        state[0] += len(data)
        return data


class HandleStorage(SharedFileStorage):
    def open_file(self, name, **kwargs):
        return SharedStructFile(HandlePerThreadFile.open(self._fpath(name)), name=name, **kwargs)


def stock_storage(path):
    from whoosh.filedb.filestore import FileStorage

    return FileStorage(str(path), supports_mmap=False)


# way -> (its label, one Index for all threads or one each, the file storage)
STORAGES = {
    "pread": ("one shared Index, positional reads (the library)", "shared", store.storage),
    "handles": (
        "one shared Index, per-thread file handles",
        "shared",
        lambda path: HandleStorage(str(path), supports_mmap=False),
    ),
    "per-thread": ("an Index per thread", "per-thread", store.storage),
    "stock": ("Whoosh's own file objects (not thread-safe)", "shared", stock_storage),
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_threads(path: Path, way: str, threads: int, queries, expected) -> dict:
    _, sharing, storage = STORAGES[way]
    original = store.storage
    store.storage = storage
    try:
        shared = Index.open(path) if sharing == "shared" else None
        barrier = threading.Barrier(threads)
        errors: list[str] = []
        differing = [0]
        times: dict[str, list[float]] = {"warm-up": [], "timed": []}
        lock = threading.Lock()

        def worker(number: int) -> None:
            ix = shared or Index.open(path)
            order = list(range(len(queries)))
            shift = number * len(queries) // threads
            order = order[shift:] + order[:shift]
            for phase in ("warm-up", "timed"):
                barrier.wait()
                start = time.perf_counter()
                for i in order:
                    text, options = queries[i]
                    try:
                        got = answer(ix.search(text, limit=10, **options))
                    except Exception as error:  # noqa: BLE001 (counted)
                        with lock:
                            errors.append(f"{type(error).__name__}: {error}"[:120])
                        continue
                    if got != expected[i]:
                        with lock:
                            differing[0] += 1
                barrier.wait()
                with lock:
                    times[phase].append(time.perf_counter() - start)
            if shared is None:
                ix.close()

        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        memory = rss_mb()
        if shared is not None:
            shared.close()
    finally:
        store.storage = original
    return {
        "way": way,
        "threads": threads,
        "warm_up_qps": threads * len(queries) / max(times["warm-up"]),
        "qps": threads * len(queries) / max(times["timed"]),
        "errors": len(errors),
        "first_errors": sorted(set(errors))[:3],
        "differing": differing[0],
        "rss_mb": memory,
    }


def read_cost(path: Path, way: str, queries) -> dict:
    """Seconds spent in the file layer's ``read`` and ``seek`` over one pass of
    the mix in one thread (after a warm-up pass), and how many calls."""
    from whoosh.filedb.compound import SubFile

    _, _, storage = STORAGES[way]
    file_class = {"pread": PositionalFile, "handles": HandlePerThreadFile, "stock": SubFile}[way]
    spent, calls = [0.0], [0]

    def timed(method):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start
                calls[0] += 1

        return wrapper

    original_storage, originals = store.storage, (file_class.read, file_class.seek)
    store.storage = storage
    try:
        with Index.open(path) as ix:
            for text, options in queries:
                ix.search(text, limit=10, **options)
            file_class.read, file_class.seek = timed(originals[0]), timed(originals[1])
            start = time.perf_counter()
            for text, options in queries:
                ix.search(text, limit=10, **options)
            total = time.perf_counter() - start
    finally:
        store.storage = original_storage
        file_class.read, file_class.seek = originals
    return {"way": way, "calls": calls[0], "file_seconds": spent[0], "pass_seconds": total}


# -- over HTTP ------------------------------------------------------------------


def http_parameters(text: str, options: dict) -> dict:
    parameters = {"q": text, "limit": "10", "format": "jsonl"}
    if options.get("match") == "any":
        parameters["any"] = "1"
    for name in ("sort", "since"):
        if name in options:
            parameters[name] = options[name]
    if options.get("facets"):
        parameters["facets"] = "1"
    return parameters


def cli_arguments(text: str, options: dict) -> list[str]:
    arguments = [text]
    if options.get("match") == "any":
        arguments.append("--any")
    if "sort" in options:
        arguments += ["--sort", options["sort"]]
    if "since" in options:
        arguments += ["--since", options["since"]]
    if options.get("facets"):
        arguments.append("--facets")
    return arguments


def start_server(path: Path) -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--index", str(path), "--port", "0", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()
    url = line.split(" at ")[1].split()[0]
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    return process, host, int(port)


def fetch(host: str, port: int, target: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=120)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_clients(host: str, port: int, clients: int, targets: list[str], expected: list[bytes]) -> dict:
    barrier = threading.Barrier(clients)
    errors, differing, times = [0], [0], {"warm-up": [], "timed": []}
    lock = threading.Lock()

    def client(number: int) -> None:
        order = list(range(len(targets)))
        shift = number * len(targets) // clients
        order = order[shift:] + order[:shift]
        for phase in ("warm-up", "timed"):
            barrier.wait()
            start = time.perf_counter()
            for i in order:
                try:
                    status, body = fetch(host, port, targets[i])
                except OSError:
                    status, body = 0, b""
                with lock:
                    if status != 200:
                        errors[0] += 1
                    elif body != expected[i]:
                        differing[0] += 1
            barrier.wait()
            with lock:
                times[phase].append(time.perf_counter() - start)

    pool = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {
        "clients": clients,
        "warm_up_qps": clients * len(targets) / max(times["warm-up"]),
        "qps": clients * len(targets) / max(times["timed"]),
        "errors": errors[0],
        "differing": differing[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--threads", default="1,2,4,8")
    parser.add_argument("--ways", default=",".join(STORAGES))
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--read-cost", action="store_true", help="time the file layer's reads, one thread, and stop")
    parser.add_argument("--repeat", type=int, default=1, help="run the thread grid R times, ways interleaved; medians")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "threads.json")
    args = parser.parse_args()
    counts = [int(n) for n in args.threads.split(",")]
    queries = mix()
    with Index.open(args.index) as ix:
        documents = len(ix)
        expected = [answer(ix.search(text, limit=10, **options)) for text, options in queries]
        lines = [
            "".join(line + "\n" for line in ix.search(text, limit=10, **options).json_lines()).encode("utf-8")
            for text, options in queries
        ]
    print(f"{args.index}: {documents:,} documents, {len(queries)} queries", flush=True)
    if args.read_cost:
        print("| file layer | read+seek calls | seconds in them | seconds for the pass | µs a call |")
        print("|---|---:|---:|---:|---:|")
        for _ in range(args.repeat):
            for way in ("pread", "handles", "stock"):
                row = read_cost(args.index, way, queries)
                print(
                    f"| {STORAGES[way][0]} | {row['calls']:,} | {row['file_seconds']:.3f} | {row['pass_seconds']:.2f} "
                    f"| {1e6 * row['file_seconds'] / max(row['calls'], 1):.2f} |",
                    flush=True,
                )
        return
    report: dict = {"index": str(args.index), "documents": documents, "queries": len(queries), "threads": []}
    print("| way | threads | queries/s, warm-up pass | queries/s, timed pass | errors | differing answers | RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ways = [way for way in args.ways.split(",") if way]
    # Whoosh's own files fail when shared: at one thread only, unless asked for alone.
    cells = [(way, threads) for threads in counts for way in ways if way != "stock" or threads == 1 or ways == ["stock"]]
    for _ in range(args.repeat):  # ways alternate within each thread count: drift hits them alike
        for way, threads in cells:
            row = run_threads(args.index, way, threads, queries, expected)
            report["threads"].append(row)
            print(
                f"| {STORAGES[way][0]} | {threads} | {row['warm_up_qps']:.1f} | {row['qps']:.1f} | {row['errors']} "
                f"| {row['differing']} | {row['rss_mb']:.0f} |",
                flush=True,
            )
            if row["first_errors"]:
                print("  errors:", row["first_errors"], flush=True)
    if args.repeat > 1:
        print("\nmedians of the timed passes (queries/s):")
        for way, threads in cells:
            rates = sorted(r["qps"] for r in report["threads"] if r["way"] == way and r["threads"] == threads)
            print(f"  {STORAGES[way][0]}, {threads} thread(s): {rates[len(rates) // 2]:.1f}  (all: {', '.join(f'{r:.1f}' for r in rates)})")
    if not args.skip_http:
        targets = [f"/search?{urlencode(http_parameters(text, options))}" for text, options in queries]
        process, host, port = start_server(args.index)
        try:
            print("\n| HTTP clients | queries/s, warm-up pass | queries/s, timed pass | errors | differing answers |")
            print("|---:|---:|---:|---:|---:|")
            report["http"] = []
            for clients in counts:
                row = run_clients(host, port, clients, targets, lines)
                report["http"].append(row)
                print(f"| {clients} | {row['warm_up_qps']:.1f} | {row['qps']:.1f} | {row['errors']} | {row['differing']} |", flush=True)
            same_as_cli = 0
            for i in range(0, len(queries), len(queries) // 10):
                text, options = queries[i]
                command = [sys.executable, "-m", "search", "query", *cli_arguments(text, options), "--index", str(args.index), "--json"]
                printed = subprocess.run(command, capture_output=True, check=False).stdout
                same_as_cli += fetch(host, port, targets[i])[1] == printed
            report["http_same_as_cli"] = same_as_cli
            print(f"\n/search?…&format=jsonl byte-identical to `search query --json`: {same_as_cli} of 10 queries checked")
        finally:
            process.terminate()
            process.wait(timeout=60)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
