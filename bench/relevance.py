"""Relevance benchmark: the engine against plain and Snowball Whoosh baselines.

Usage, from the repo root::

    .venv/bin/python bench/relevance.py --families [--sweep]     # the protocol (bench/protocol.py)
    .venv/bin/python bench/relevance.py [--rebuild] [--systems plain,snowball,top,all,proper]
                                        [--out bench/out] [--data /work/shared/eval] [--procs 2]
                                        [--ablation]

With ``--families``: the development protocol of issue 15, every judged family
of bench/families.py (four collections) scored separately, usual and
judged-only, leave-one-collection-out with ``--sweep``, and the baselines
(plain and Snowball Whoosh) side by side; see bench/protocol.py and
bench/FAMILIES.md. Without it, the older single-collection set in
``--data``:

Systems:
  plain     Whoosh, regex word tokenizer | lowercase | ё→е
  snowball  the same plus the Snowball Russian stemmer (PyStemmer)
  top, all, proper
            the engine (``search.Index``) with that lemma ambiguity policy

Every system indexes the eval corpus (built once and cached under ``--out``;
``--rebuild`` rebuilds) and runs every query with any-term matching, top 100.
Baselines get the query's words with punctuation stripped; the engine gets
the raw text, and also, as the ``<policy>/words`` row, the same stripped words.
With ``--ablation``, ``<policy>/no-synonyms`` and ``<policy>/no-rerank`` rows
show what the thesaurus and the re-ranking (proximity, coverage, first
mention) contribute.
The engine searches with near-duplicate collapsing off (every judged
document stands alone).

Prints one table (tag nDCG@10 and MAP@100, headline MRR@10 and Recall@100,
warm query latency p50/p95 over the second of two passes, build time and
docs/s) and each engine row's change over ``snowball``. Metrics come from
ir-measures; documents are judged in the order the system returned them.
TREC run files are written to ``--out`` as ``run-<system>.trec``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so that ``bench._common`` and ``search`` import

import ir_measures  # noqa: E402
from ir_measures import AP, R, RR, nDCG  # noqa: E402
from whoosh import index as whoosh_index  # noqa: E402
from whoosh import query as wq  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup  # noqa: E402

from bench._common import baseline_schema, query_words  # noqa: E402
from search import Index  # noqa: E402
from search.ranking import rerank as ranking  # noqa: E402
from search.corpus import CorpusReader  # noqa: E402
from search.errors import SearchError  # noqa: E402

LIMIT = 100
ENGINE_POLICIES = ("top", "all", "proper")
BASELINES = {"plain": False, "snowball": True}  # name -> stem?
WRITER_LIMIT_MB = 256
MEASURES = {
    "tag": [nDCG @ 10, AP @ 100],
    "headline": [RR @ 10, R @ 100],
}
COLUMNS = [("tag", nDCG @ 10), ("tag", AP @ 100), ("headline", RR @ 10), ("headline", R @ 100)]


# -- systems ----------------------------------------------------------------


class Baseline:
    """A plain Whoosh index, queried with MultifieldParser + OrGroup."""

    def __init__(self, name: str, path: Path, stem: bool):
        self.name, self.path, self.stem = name, path, stem
        self.ix = self.searcher = self.parser = None

    def load(self) -> int | None:
        """Open the cached index; its document count, or None if there is none."""
        if not whoosh_index.exists_in(str(self.path)):
            return None
        self._open(whoosh_index.open_dir(str(self.path)))
        return self.ix.doc_count()

    def build(self, corpus: Path, procs: int) -> int:
        """Index the corpus from scratch; returns the document count."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        ix = whoosh_index.create_in(str(self.path), baseline_schema(self.stem))
        writer = ix.writer(procs=procs, limitmb=WRITER_LIMIT_MB) if procs > 1 else ix.writer(limitmb=WRITER_LIMIT_MB)
        for record in CorpusReader([corpus]):
            document = getattr(record, "document", None)
            if document is not None:  # a Problem otherwise; the engine skips those too
                writer.add_document(id=document.id, title=document.title, body=document.body)
        writer.commit()
        self._open(whoosh_index.open_dir(str(self.path)))  # reopen: exercises the pickled schema
        return self.ix.doc_count()

    def _open(self, ix) -> None:
        self.ix = ix
        self.searcher = ix.searcher()
        self.parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)

    def search(self, text: str) -> list[tuple[str, float]]:
        """Top hits as (id, score); words are lowercased so AND/OR/NOT stay words."""
        words = " ".join(query_words(text)).lower()
        query = self.parser.parse(words) if words else wq.NullQuery
        return [(hit["id"], hit.score) for hit in self.searcher.search(query, limit=LIMIT)]

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()


class Engine:
    """The engine under test, through its public API."""

    def __init__(self, name: str, path: Path, policy: str):
        self.name, self.path, self.policy = name, path, policy
        self.ix: Index | None = None
        self.words_only = False  # pass punctuation-stripped words instead of raw text
        self.synonyms = True
        self.rerank = True  # proximity and coverage re-ranking (ablation switch)

    def load(self) -> int | None:
        try:
            self.ix = Index.open(self.path)
        except (SearchError, OSError):
            return None
        return len(self.ix)

    def build(self, corpus: Path, procs: int) -> int:
        self.ix = Index.create(self.path, overwrite=True, ambiguity=self.policy)
        report = self.ix.add(CorpusReader([corpus]), procs=procs)
        if report.problems:
            print(f"  {self.name}: {len(report.problems)} problems, e.g. {report.problems[0]}")
        print(f"  {self.name}: added {report.added}, engine-reported {report.seconds:.1f}s")
        return report.documents

    def search(self, text: str) -> list[tuple[str, float]]:
        if self.words_only:
            text = " ".join(query_words(text))
        saved = ranking.PROFILES
        if not self.rerank:  # ablation only: the engine always re-ranks
            ranking.PROFILES = {
                shape: dataclasses.replace(chosen, proximity=0.0, coverage=0.0, early=0.0)
                for shape, chosen in saved.items()
            }
        try:
            # Near-duplicate collapsing is presentation: every judged document stands alone.
            results = self.ix.search(
                text, limit=LIMIT, match="any", snippets=False, collapse=False, synonyms=self.synonyms,
                timeout=None,  # ranking is measured here, not speed: no search is cut short
            )
        finally:
            ranking.PROFILES = saved
        return [(hit.id, hit.score) for hit in results]

    def close(self) -> None:
        if self.ix is not None:
            self.ix.close()


def make_system(name: str, out: Path):
    path = out / f"index-{name}"
    if name in BASELINES:
        return Baseline(name, path, BASELINES[name])
    if name in ENGINE_POLICIES:
        return Engine(name, path, name)
    raise SystemExit(f"unknown system {name!r}; choose from {', '.join([*BASELINES, *ENGINE_POLICIES])}")


def build_or_load(system, corpus: Path, out: Path, procs: int, rebuild: bool) -> dict:
    """Reuse a cached index with its recorded build stats, or build it and time the build."""
    stats_file = out / f"build-{system.name}.json"
    if not rebuild and stats_file.exists():
        stats = json.loads(stats_file.read_text())
        if system.load() == stats["documents"]:
            print(f"{system.name}: reusing cached index ({stats['documents']} docs)")
            return {**stats, "cached": True}
        system.close()
    print(f"{system.name}: building index ...", flush=True)
    started = time.perf_counter()
    documents = system.build(corpus, procs)
    stats = {"documents": documents, "seconds": time.perf_counter() - started, "procs": procs}
    stats_file.write_text(json.dumps(stats))
    print(f"{system.name}: built {documents} docs in {stats['seconds']:.1f}s", flush=True)
    return {**stats, "cached": False}


# -- running and scoring ----------------------------------------------------


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(query_id, text) pairs from a ``qid<TAB>text`` file."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            qid, text = line.split("\t", 1)
            pairs.append((qid, text.strip()))
    return pairs


def run_queries(system, queries) -> tuple[dict, list[float], list[str]]:
    """Run every query twice; the first pass's hits, the second's latencies (ms), errors."""
    run, errors = {}, []
    for qid, text in queries:
        try:
            run[qid] = system.search(text)
        except Exception as error:  # report, count as an empty result
            run[qid] = []
            errors.append(f"{qid}: {type(error).__name__}: {error}")
    latencies = []
    for qid, text in queries:
        started = time.perf_counter()
        try:
            system.search(text)
        except Exception:
            pass
        latencies.append((time.perf_counter() - started) * 1000)
    return run, latencies, errors


def trec_id(doc_id: str) -> str:
    """A doc id safe for the whitespace-separated TREC format (%-escapes whitespace)."""
    return re.sub(r"\s", lambda m: f"%{ord(m.group()):02X}", doc_id)


def write_run(path: Path, tag: str, run: dict) -> None:
    """Write a TREC run file: ``qid Q0 docid rank score tag``."""
    with path.open("w", encoding="utf-8") as out:
        for qid, hits in run.items():
            for rank, (doc_id, score) in enumerate(hits, 1):
                out.write(f"{qid} Q0 {trec_id(doc_id)} {rank} {score:.6f} {tag}\n")


def evaluate(run: dict, qrels: list) -> dict:
    """Metrics per (family, measure); unanswered queries count as zero.

    Scores handed to ir-measures are derived from rank so that tied Whoosh
    scores keep the order the system returned them in.
    """
    scored = [
        ir_measures.ScoredDoc(qid, doc_id, float(LIMIT - rank))
        for qid, hits in run.items()
        for rank, (doc_id, _) in enumerate(hits)
    ]
    results = {}
    for family, measures in MEASURES.items():
        prefix = family + "-"
        family_qrels = [q for q in qrels if q.query_id.startswith(prefix)]
        family_run = [s for s in scored if s.query_id.startswith(prefix)]
        for measure, value in ir_measures.calc_aggregate(measures, family_qrels, family_run).items():
            results[(family, measure)] = value
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- output -----------------------------------------------------------------


def print_table(rows: list[dict]) -> None:
    headers = ["system", "tag nDCG@10", "tag MAP@100", "hl MRR@10", "hl R@100",
               "p50 ms", "p95 ms", "build s", "docs/s"]
    lines = []
    for row in rows:
        build = row["build"]
        cached = "*" if build["cached"] else ""
        lines.append([
            row["name"],
            *(f"{row['metrics'][column]:.4f}" for column in COLUMNS),
            f"{statistics.median(row['latencies']):.1f}",
            f"{percentile(row['latencies'], 0.95):.1f}",
            f"{build['seconds']:.1f}{cached}",
            f"{build['documents'] / build['seconds']:.0f}",
        ])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print(fmt(line))
    if any(row["build"]["cached"] for row in rows):
        print("* build time recorded when the cached index was built")


def print_gains(rows: list[dict]) -> None:
    base = next((row for row in rows if row["name"] == "snowball"), None)
    if base is None:
        return
    print("\nChange over snowball:")
    for row in rows:
        if row["name"] in BASELINES:
            continue
        gains = []
        for column, label in ((COLUMNS[0], "tag nDCG@10"), (COLUMNS[2], "headline MRR@10")):
            before, after = base["metrics"][column], row["metrics"][column]
            gains.append(f"{label} {100 * (after - before) / before:+.1f}%" if before else f"{label} n/a")
        print(f"  {row['name']:<13} " + ", ".join(gains))


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if "--families" in arguments:
        from bench import protocol

        return protocol.main([a for a in arguments if a != "--families"])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached indexes")
    parser.add_argument("--systems", default="plain,snowball,top,all,proper")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--data", type=Path, default=Path("/work/shared/eval"))
    parser.add_argument("--procs", type=int, default=2, help="indexing processes (all systems)")
    parser.add_argument(
        "--ablation", action="store_true", help="also run each engine without the thesaurus and without re-ranking"
    )
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    corpus = args.data / "corpus.jsonl.gz"
    queries = read_queries(args.data / "queries.tsv")
    qrels = list(ir_measures.read_trec_qrels(str(args.data / "qrels.tsv")))
    started = time.perf_counter()

    rows = []
    for name in [n.strip() for n in args.systems.split(",") if n.strip()]:
        system = make_system(name, args.out)
        build = build_or_load(system, corpus, args.out, args.procs, args.rebuild)
        variants = [(name, {})]
        if isinstance(system, Engine):
            variants.append((f"{name}/words", {"words_only": True}))
            if args.ablation:
                variants.append((f"{name}/no-synonyms", {"synonyms": False}))
                variants.append((f"{name}/no-rerank", {"rerank": False}))
        for label, settings in variants:
            if isinstance(system, Engine):
                system.words_only, system.synonyms, system.rerank = False, True, True
                for key, value in settings.items():
                    setattr(system, key, value)
            run, latencies, errors = run_queries(system, queries)
            write_run(args.out / f"run-{label.replace('/', '-')}.trec", label, run)
            empty = sum(1 for hits in run.values() if not hits)
            print(f"  {label}: {len(queries)} queries, {empty} with no hits, {len(errors)} errors", flush=True)
            for error in errors[:5]:
                print(f"    {error}")
            rows.append({"name": label, "metrics": evaluate(run, qrels), "latencies": latencies, "build": build})
        system.close()

    print()
    print_table(rows)
    print_gains(rows)
    print(f"\nTotal time {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
