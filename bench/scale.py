"""Scale curve: how build and query costs grow with the size of the index.

Usage (from the repository root, with the project's virtualenv):

    python bench/scale.py [CORPUS...] [--sizes 50000,100000,200000] [--systems engine,plain]
                          [--procs 2] [--runs 10] [--out bench/out/scale]

The corpus (default ``../shared/corpus``) is replicated to each size: copy k of
a document gets the id ``<id>~<k>`` and the same text, so that the vocabulary
stays that of real news while the postings grow. For each size and system the
index is built in a fresh process (``bench/build.py``'s builders), then:

- build wall time per document, and the index size;
- cold query: one query process from start to exit, output piped (median of
  ``--runs``, the engine's ``search query`` against bench/build.py's stock
  Whoosh script, interleaved);
- first run p50/p95 of bench/build.py's query mix (each query timed the first
  time it runs in a fresh process, with snippets).

Each row is printed as soon as it is measured, the engine beside stock Whoosh
with the ratio, so an interrupted run still leaves the sizes it reached. With
``--queries-only`` the indexes (and build figures) a run left in ``--out`` are
queried again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.build import COLD_QUERY, PLAIN_COLD_SCRIPT, directory_size  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def replicated(corpora: list[str], size: int):
    """Records of ``corpora``, repeated under new ids until there are ``size``."""
    from search.corpus import CorpusReader, Record

    made = 0
    copy = 0
    while made < size:
        before = made
        for item in CorpusReader(corpora):
            if not isinstance(item, Record):
                continue
            document = item.document if copy == 0 else dataclasses.replace(item.document, id=f"{item.document.id}~{copy}")
            yield Record(item.location, document, item.origin)
            made += 1
            if made >= size:
                return
        if made == before:
            raise SystemExit("the corpus holds no documents")
        copy += 1


def build_one(system: str, corpora: list[str], size: int, path: Path, procs: int) -> dict:
    """Build one system's index of ``size`` documents in this process."""
    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    if system == "engine":
        from search import Index

        with Index.create(path) as ix:
            documents = ix.add(replicated(corpora, size), procs=procs).documents
    else:
        documents = _build_plain(replicated(corpora, size), path)
    seconds = time.perf_counter() - started
    return {"documents": documents, "build_s": round(seconds, 1), "ms_per_doc": round(seconds * 1000 / documents, 2)}


def _build_plain(records, path: Path) -> int:
    from whoosh.index import create_in

    from bench._common import baseline_fields, baseline_schema

    path.mkdir(parents=True, exist_ok=True)
    ix = create_in(str(path), baseline_schema(stem=False, dated=True))
    writer = ix.writer(limitmb=256)
    for record in records:
        writer.add_document(**baseline_fields(record.document))
    writer.commit()
    return ix.doc_count()


def cold_query(paths: dict[str, Path], runs: int) -> dict[str, float]:
    commands = {
        "engine": [sys.executable, "-m", "search", "query", COLD_QUERY, "--index", str(paths["engine"])],
        "plain": [sys.executable, "-c", PLAIN_COLD_SCRIPT, str(paths["plain"]), COLD_QUERY],
    }
    commands = {name: command for name, command in commands.items() if name in paths}
    for command in commands.values():
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            began = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - began)
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


def first_run(system: str, out: Path) -> dict:
    """bench/build.py's query mix on ``out/build-<system>``, in a fresh process."""
    command = [sys.executable, str(ROOT / "bench" / "build.py"), "--query-one", system, "--out", str(out), "--repeat", "1"]
    row = json.loads(subprocess.run(command, capture_output=True, check=True, text=True, cwd=ROOT).stdout.splitlines()[-1])
    return {"first_p50_ms": row["first_p50_ms"], "first_p95_ms": row["first_p95_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help=f"corpus files or directories (default {DEFAULT_CORPUS})")
    parser.add_argument("--sizes", default="50000,100000,200000")
    parser.add_argument("--systems", default="engine,plain")
    parser.add_argument("--procs", type=int, default=2, help="the engine's indexing processes")
    parser.add_argument("--runs", type=int, default=10, help="cold query processes per system")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scale")
    parser.add_argument(
        "--queries-only", action="store_true", help="time the queries on the indexes an earlier run left in --out"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpora = [str(Path(c).resolve()) for c in args.corpora] or [str(DEFAULT_CORPUS)]
    if args.one:
        print(json.dumps(build_one(args.one, corpora, args.size, args.out / f"build-{args.one}", args.procs)))
        return
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "search")], check=True)
    systems = args.systems.split(",")
    print(f"{'size':>8} {'measure':16}" + "".join(f"{s:>12}" for s in systems) + ("      ratio" if len(systems) == 2 else ""))
    for size in (int(s) for s in args.sizes.split(",")):
        out = args.out / str(size)
        out.mkdir(parents=True, exist_ok=True)
        rows: dict[str, dict] = {}
        for system in systems:
            built = out / f"build-{system}.json"
            if not args.queries_only:
                command = [sys.executable, __file__, *corpora, "--one", system, "--size", str(size),
                           "--procs", str(args.procs), "--out", str(out)]
                result = subprocess.run(command, capture_output=True, check=True, text=True, cwd=ROOT)
                built.write_text(result.stdout.splitlines()[-1])
            rows[system] = json.loads(built.read_text())
            rows[system]["index_mb"] = round(directory_size(out / f"build-{system}") / 1e6, 1)
        cold = cold_query({system: out / f"build-{system}" for system in systems}, args.runs)
        for system in systems:
            rows[system]["cold_query_s"] = cold[system]
            rows[system].update(first_run(system, out))
        for key in ("documents", "ms_per_doc", "index_mb", "cold_query_s", "first_p50_ms", "first_p95_ms"):
            values = [rows[system][key] for system in systems]
            line = f"{size:>8} {key:16}" + "".join(f"{value:>12}" for value in values)
            if len(values) == 2 and values[1]:
                line += f"     ×{values[0] / values[1]:.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
