"""Build and query benchmark: the engine next to stock Whoosh with a plain analyzer.

Usage (from the repository root, with the project's virtualenv):

    python bench/build.py CORPUS [CORPUS...] [--systems engine,plain] [--procs N] [--repeat R]

For each system the index is built in a fresh subprocess (so that peak memory
is that build's own) under bench/out/build-<system>/, then queried. Printed:
documents, wall time, docs/s, MB/s of input, peak RSS, index size, and query
latency p50/p95 (warm, top 10 with snippets) over a fixed query mix:

- short keyword and two-word queries (all-terms matching),
- long headline queries from ../shared/eval/queries.tsv (any-term matching).

``plain`` is stock Whoosh: a word tokenizer, lowercase and ё folding, BM25F
with the same title boost, highlights from Whoosh's own highlighter.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import baseline_schema, query_words  # noqa: E402

EVAL_QUERIES = ROOT.parent / "shared" / "eval" / "queries.tsv"
SHORT_QUERIES = [
    "Лавров", "санкции", "МИД", "ООН", "посольство", "переговоры", "Молдова", "Украина",
    "выборы", "Захарова", "визит министра", "санкции против России", "посол США",
    "Европейский союз", "газ Приднестровье", "мирные переговоры", "Генеральная Ассамблея",
    "президент Санду", "Кишинев Москва", "энергетическая безопасность",
]


def query_mix() -> list[tuple[str, str]]:
    """(text, match) pairs: short all-terms queries, then long any-term headlines."""
    mix = [(text, "all") for text in SHORT_QUERIES]
    if EVAL_QUERIES.is_file():
        lines = EVAL_QUERIES.read_text(encoding="utf-8").splitlines()
        headlines = [line.split("\t", 1)[1] for line in lines if line.startswith("headline-")]
        mix += [(text, "any") for text in headlines[:40]]
    return mix


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- one system, run in a subprocess ---------------------------------------

def build_engine(corpora: list[str], path: Path, procs: int) -> int:
    from search import Index
    from search.corpus import CorpusReader

    with Index.create(path, overwrite=True) as ix:
        return ix.add(CorpusReader(corpora), procs=procs).documents


def build_plain(corpora: list[str], path: Path, procs: int) -> int:
    from whoosh.index import create_in

    from search.corpus import CorpusReader, Record

    path.mkdir(parents=True, exist_ok=True)
    ix = create_in(str(path), baseline_schema(stem=False))
    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = ix.writer(limitmb=256, **options)
    for item in CorpusReader(corpora):
        if isinstance(item, Record):
            doc = item.document
            writer.add_document(id=doc.id, title=doc.title, body=doc.body)
    writer.commit()
    return ix.doc_count()


def query_engine(path: Path, mix, repeat: int) -> list[float]:
    from search import Index

    times = []
    with Index.open(path) as ix:
        for text, match in mix:  # warm-up pass
            ix.search(text, match=match)
        for _ in range(repeat):
            for text, match in mix:
                started = time.perf_counter()
                results = ix.search(text, match=match)
                [hit.snippet for hit in results]
                times.append(time.perf_counter() - started)
    return times


def query_plain(path: Path, mix, repeat: int) -> list[float]:
    from whoosh import query as wq
    from whoosh.index import open_dir

    ix = open_dir(str(path))
    schema = ix.schema
    times = []
    with ix.searcher() as searcher:

        def run(text: str, match: str) -> None:
            group = wq.And if match == "all" else wq.Or
            words = [t.text for w in query_words(text) for t in schema["body"].analyzer(w)]
            q = group([wq.Or([wq.Term("title", w), wq.Term("body", w)]) for w in words])
            results = searcher.search(q, limit=10)
            if match == "all" and results.is_empty():
                results = searcher.search(wq.Or(q.subqueries), limit=10)
            for hit in results:
                hit.highlights("body", top=3)

        for text, match in mix:
            run(text, match)
        for _ in range(repeat):
            for text, match in mix:
                started = time.perf_counter()
                run(text, match)
                times.append(time.perf_counter() - started)
    return times


def run_one(system: str, corpora: list[str], out: Path, procs: int, repeat: int) -> dict:
    path = out / f"build-{system}"
    shutil.rmtree(path, ignore_errors=True)
    builder, querier = (build_engine, query_engine) if system == "engine" else (build_plain, query_plain)
    started = time.perf_counter()
    documents = builder(corpora, path, procs)
    wall = time.perf_counter() - started
    memory = peak_rss_mb()
    times = querier(path, query_mix(), repeat)
    input_mb = sum(Path(c).stat().st_size for c in corpora) / 1e6
    return {
        "system": system,
        "documents": documents,
        "wall_s": round(wall, 1),
        "docs_per_s": round(documents / wall, 1),
        "input_mb_per_s": round(input_mb / wall, 2),
        "peak_rss_mb": round(memory),
        "index_mb": round(directory_size(path) / 1e6, 1),
        "queries": len(times),
        "p50_ms": round(percentile(times, 0.50) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "mean_ms": round(statistics.mean(times) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", help="corpus files or directories")
    parser.add_argument("--systems", default="engine,plain")
    parser.add_argument("--procs", type=int, default=1, help="indexing processes for every system")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the query mix")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    corpora = [str(Path(c).resolve()) for c in args.corpora]
    if args.one:
        print(json.dumps(run_one(args.one, corpora, args.out, args.procs, args.repeat)))
        return
    rows = []
    for system in args.systems.split(","):
        command = [sys.executable, __file__, *corpora, "--one", system, "--procs", str(args.procs),
                   "--repeat", str(args.repeat), "--out", str(args.out)]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    if len(rows) > 1:
        base = rows[-1]
        for row in rows[:-1]:
            print(f"{row['system']} / {base['system']}: build time ×{row['wall_s'] / base['wall_s']:.2f}, "
                  f"p50 ×{row['p50_ms'] / base['p50_ms']:.2f}, p95 ×{row['p95_ms'] / base['p95_ms']:.2f}")


if __name__ == "__main__":
    main()
