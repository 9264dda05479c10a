"""Speed benchmark: the engine next to stock Whoosh with a plain analyzer.

Usage (from the repository root, with the project's virtualenv):

    python bench/build.py CORPUS [CORPUS...] [--systems engine,plain] [--procs 2]
                          [--baseline-procs 1] [--repeat R] [--cold-start] [--out bench/out]
    python bench/build.py --queries-only [--systems engine,plain]   # the indexes built last time

For each system the index is built in a fresh subprocess (so that peak memory
is that build's own) under bench/out/build-<system>/, then queried from
another fresh process. Printed per system: documents, build wall time,
docs/s, MB/s of input, peak RSS (the largest process), index size; query
latency p50/p95/p99 over the whole mix: ``first``, each query's first run
(after a few warm-up queries outside the mix), with snippets; then warm
(``--repeat`` further passes) with snippets (10 hits) and without; and the
warm p50 per kind of query:

- keyword: one word; and2: two words, all required; phrase: a quoted phrase;
- headline: a long headline from ../shared/eval/queries.tsv, any-term ranking;
- newest: a keyword query sorted by date; since: a keyword query dated from 2020.

With ``--cold-start``, also the wall time of one query command from process
start to exit on the bundled corpus (median of 20 runs, interleaved): ``search query``
against a stock-Whoosh script doing the same. Every figure is printed next to
the baseline's, with the ratio (these machines are noisy: compare ratios).

``plain`` is stock Whoosh: a word tokenizer, lowercase and ё folding, BM25F
with the same field layout (title ×2, body), Whoosh's own highlighter.
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

from bench._common import baseline_fields, baseline_schema, query_words  # noqa: E402

EVAL_QUERIES = ROOT.parent / "shared" / "eval" / "queries.tsv"
KEYWORDS = [
    "Лавров", "санкции", "МИД", "ООН", "посольство", "переговоры", "Молдова", "Украина",
    "выборы", "Захарова", "газ", "Приднестровье", "референдум", "Евросоюз", "НАТО",
]
PAIRS = [
    "визит министра", "санкции России", "посол США", "Европейский союз", "газ Приднестровье",
    "мирные переговоры", "Генеральная Ассамблея", "президент Санду", "Кишинев Москва",
    "энергетическая безопасность",
]
PHRASES = [
    '"министр иностранных дел"', '"Европейский союз"', '"мирные переговоры"', '"Генеральная Ассамблея ООН"',
    '"энергетическая безопасность"', '"государственный визит"', '"совместное заявление"',
    '"посол России"', '"чрезвычайное положение"', '"президент Молдовы"',
]
COLD_QUERY = "визит Лаврова в Японию"


def eval_headlines() -> list[str]:
    """The headline queries of ../shared/eval (none where it is absent)."""
    if not EVAL_QUERIES.is_file():
        return []
    lines = EVAL_QUERIES.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if line.startswith("headline-")]


def query_mix() -> list[tuple[str, str, str]]:
    """(kind, text, match) for every query of the mix."""
    mix = [("keyword", t, "all") for t in KEYWORDS]
    mix += [("and2", t, "all") for t in PAIRS]
    mix += [("phrase", t, "all") for t in PHRASES]
    mix += [("headline", t, "any") for t in eval_headlines()[:40]]
    mix += [("newest", t, "all") for t in KEYWORDS[:10]]
    mix += [("since", t, "all") for t in KEYWORDS[:10]]
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


# -- the engine ---------------------------------------------------------------


def build_engine(corpora: list[str], path: Path, procs: int) -> int:
    from search import Index
    from search.corpus import CorpusReader

    with Index.create(path, overwrite=True) as ix:
        return ix.add(CorpusReader(corpora), procs=procs).documents


def engine_searcher(path: Path):
    from search import Index

    ix = Index.open(path)

    def run(kind: str, text: str, match: str, snippets: bool) -> None:
        options = {"sort": "newest"} if kind == "newest" else {"since": "2020"} if kind == "since" else {}
        results = ix.search(text, match=match, snippets=snippets, **options)
        [(hit.snippet, hit.title_highlights) for hit in results]  # made on first access

    return run


# -- stock Whoosh ---------------------------------------------------------------


def build_plain(corpora: list[str], path: Path, procs: int) -> int:
    from whoosh.index import create_in

    from search.corpus import CorpusReader, Record

    path.mkdir(parents=True, exist_ok=True)
    ix = create_in(str(path), baseline_schema(stem=False, dated=True))
    options = {"procs": procs, "multisegment": True} if procs > 1 else {}
    writer = ix.writer(limitmb=256, **options)
    for item in CorpusReader(corpora):
        if isinstance(item, Record):
            writer.add_document(**baseline_fields(item.document))
    writer.commit()
    return ix.doc_count()


def plain_searcher(path: Path):
    import datetime as dt

    from whoosh import query as wq
    from whoosh.index import open_dir

    ix = open_dir(str(path))
    searcher = ix.searcher()
    analyzer = ix.schema["body"].analyzer
    since = wq.DateRange("date", dt.datetime(2020, 1, 1), None)

    def words(text: str) -> list[str]:
        return [t.text for w in query_words(text) for t in analyzer(w)]

    def either_field(word: str) -> wq.Query:
        return wq.Or([wq.Term("title", word), wq.Term("body", word)])

    def run(kind: str, text: str, match: str, snippets: bool) -> None:
        terms = words(text)
        if kind == "phrase":
            query = wq.Or([wq.Phrase("title", terms), wq.Phrase("body", terms)])
        else:
            query = (wq.And if match == "all" else wq.Or)([either_field(w) for w in terms])
        options = {"limit": 10}
        if kind == "newest":
            options.update(sortedby="date", reverse=True)
        if kind == "since":
            options["filter"] = since
        results = searcher.search(query, **options)
        if match == "all" and results.is_empty() and kind not in ("phrase", "since"):
            results = searcher.search(wq.Or(list(query.subqueries)), **options)
        if snippets:
            for hit in results:
                hit.highlights("body", top=3)

    return run


SYSTEMS = {"engine": (build_engine, engine_searcher), "plain": (build_plain, plain_searcher)}


def run_one(system: str, corpora: list[str], out: Path, procs: int, repeat: int) -> dict:
    """Build one system's index (in this process) and describe the build."""
    path = out / f"build-{system}"
    shutil.rmtree(path, ignore_errors=True)
    builder, _ = SYSTEMS[system]
    started = time.perf_counter()
    documents = builder(corpora, path, procs)
    wall = time.perf_counter() - started
    memory = peak_rss_mb()
    input_mb = sum(Path(c).stat().st_size for c in corpora) / 1e6
    return {
        "system": system,
        "documents": documents,
        "build_s": round(wall, 1),
        "docs_per_s": round(documents / wall, 1),
        "input_mb_per_s": round(input_mb / wall, 2),
        "peak_rss_mb": round(memory),
        "index_mb": round(directory_size(path) / 1e6, 1),
    }


def query_one(system: str, out: Path, repeat: int) -> dict:
    """Time the query mix against a built index, first runs and warm.

    Run in a process of its own, as a user's shell or script would open the
    index: the builder's heap (caches, duplicate detection) would otherwise
    slow every garbage collection during the queries. A few queries outside
    the mix load what any first query loads; then each query of the mix is
    timed the first time it runs (``first``: only words of earlier queries can
    be in the engine's postings cache), and over ``repeat`` more passes
    (warm: its own words decoded already)."""
    _, searcher_for = SYSTEMS[system]
    run = searcher_for(out / f"build-{system}")
    mix = query_mix()
    for kind, text, match in warm_up_queries():
        run(kind, text, match, True)
    first = []
    for kind, text, match in mix:
        began = time.perf_counter()
        run(kind, text, match, True)
        first.append((time.perf_counter() - began) * 1000)
    timings: dict[bool, list[tuple[str, float]]] = {True: [], False: []}
    for snippets in (True, False):
        for _ in range(repeat):
            for kind, text, match in mix:
                began = time.perf_counter()
                run(kind, text, match, snippets)
                timings[snippets].append((kind, (time.perf_counter() - began) * 1000))
    row = {}
    for q in (50, 95, 99):
        row[f"first_p{q}_ms"] = round(percentile(first, q / 100), 1)
    for snippets, label in ((True, "snippets"), (False, "bare")):
        values = [ms for _, ms in timings[snippets]]
        for q in (50, 95, 99):
            row[f"{label}_p{q}_ms"] = round(percentile(values, q / 100), 1)
    for kind in dict.fromkeys(k for k, _, _ in mix):
        row[f"{kind}_p50_ms"] = round(percentile([ms for k, ms in timings[True] if k == kind], 0.5), 1)
    return row


def warm_up_queries() -> list[tuple[str, str, str]]:
    """Queries outside the mix, of each kind, run before any timing."""
    queries = [("keyword", "Кишинёв", "all"), ("and2", "президент визит", "all"), ("phrase", '"премьер-министр"', "all")]
    queries += [("headline", t, "any") for t in eval_headlines()[40:45]]
    return queries + [("newest", "Кишинёв", "all"), ("since", "Кишинёв", "all")]


# -- cold start -------------------------------------------------------------------

PLAIN_COLD_SCRIPT = """
import sys
from whoosh import query as wq
from whoosh.index import open_dir
ix = open_dir(sys.argv[1])
analyzer = ix.schema["body"].analyzer
words = [t.text for t in analyzer(sys.argv[2])]
with ix.searcher() as s:
    q = wq.Or([wq.Or([wq.Term("title", w), wq.Term("body", w)]) for w in words])
    for hit in s.search(q, limit=10):
        print(hit["title"], hit.highlights("body", top=3))
"""


def cold_start(out: Path, runs: int = 20) -> dict:
    """Median wall time of one query process, engine CLI against a stock-Whoosh script."""
    corpus = [str(ROOT / "corpus")]
    engine_index, plain_index = out / "cold-engine", out / "cold-plain"
    shutil.rmtree(engine_index, ignore_errors=True)
    shutil.rmtree(plain_index, ignore_errors=True)
    build_engine(corpus, engine_index, 1)
    build_plain(corpus, plain_index, 1)
    commands = {
        "engine": [sys.executable, "-m", "search", "query", COLD_QUERY, "--index", str(engine_index)],
        "plain": [sys.executable, "-c", PLAIN_COLD_SCRIPT, str(plain_index), COLD_QUERY],
    }
    # pip compiles a package's modules when it installs it; an editable checkout
    # under PYTHONDONTWRITEBYTECODE (set on these machines) would otherwise
    # recompile every module of ours on every run, which no user pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "search")], check=True)
    for command in commands.values():
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so that drift in machine speed hits both alike
        for name, command in commands.items():
            began = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
            times[name].append(time.perf_counter() - began)
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help="corpus files or directories")
    parser.add_argument("--systems", default="engine,plain")
    parser.add_argument("--procs", type=int, default=2, help="the engine's indexing processes")
    parser.add_argument(
        "--baseline-procs", type=int, default=1, help="stock Whoosh's indexing processes (1: its default writer)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="timed passes over the query mix")
    parser.add_argument("--cold-start", action="store_true", help="also time one query process end to end")
    parser.add_argument(
        "--queries-only", action="store_true", help="time the query mix on the indexes built by an earlier run"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--query-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    corpora = [str(Path(c).resolve()) for c in args.corpora]
    if args.one:
        print(json.dumps(run_one(args.one, corpora, args.out, args.procs, args.repeat)))
        return
    if args.query_one:
        print(json.dumps(query_one(args.query_one, args.out, args.repeat)))
        return
    if corpora or args.queries_only:
        rows = []
        for system in args.systems.split(","):
            procs = args.procs if system == "engine" else args.baseline_procs
            common = ["--repeat", str(args.repeat), "--out", str(args.out)]
            row = {"system": system}
            commands = [[sys.executable, __file__, "--query-one", system, *common]]
            if not args.queries_only:
                commands.insert(0, [sys.executable, __file__, *corpora, "--one", system, "--procs", str(procs), *common])
            for command in commands:
                output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
                row.update(json.loads(output.strip().splitlines()[-1]))
            rows.append(row)
        print_rows(rows)
    if args.cold_start:
        medians = cold_start(args.out)
        ratio = medians["engine"] / medians["plain"]
        print(f"\ncold start (bundled corpus, median of 20): engine {medians['engine']} s, "
              f"stock Whoosh {medians['plain']} s, ratio ×{ratio:.2f}")


def print_rows(rows: list[dict]) -> None:
    """One line per measure: each system's figure, then engine / baseline."""
    names = [row["system"] for row in rows]
    print(f"{'measure':22}" + "".join(f"{name:>12}" for name in names) + ("       ratio" if len(rows) == 2 else ""))
    for key in rows[0]:
        if key == "system":
            continue
        values = [row[key] for row in rows]
        line = f"{key:22}" + "".join(f"{value:>12}" for value in values)
        if len(rows) == 2 and values[1]:
            line += f"      ×{values[0] / values[1]:.2f}"
        print(line)


if __name__ == "__main__":
    main()
