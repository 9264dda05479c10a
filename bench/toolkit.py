"""How long ``search export``, ``kwic`` and ``terms`` take on a real index.

For each query (by default two that match about a thousand documents of the
18,744-document eval index):

* fresh process: the command as a user runs it, ``python -m search …`` with
  its output piped to /dev/null, process start to exit; the first of the
  runs and the median of all;
* in one process: the library call the first time (after opening the index
  and one unrelated warm-up query) and warm (median of the repeats);
* beside them, the slower ways these could be done: Whoosh's own key-term
  extraction (``Searcher.key_terms``, Bo1 over re-analysed stored text) for
  ``terms``, and the snippet matcher (every word through the lemmatiser)
  instead of the lemma table's forms for ``kwic``.

Target: ``search terms`` (with or without ``--by year``) answers within
TERMS_TARGET seconds of wall time as a fresh process for such a query, on a
quiet machine; the fresh-process lines say whether the median met it.

    python bench/toolkit.py --index /work/indexes/eval
    python bench/toolkit.py --index /work/indexes/eval --queries "Приднестровье" --runs 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_QUERIES = ("Приднестровье", "министр иностранных дел")
TERMS_TARGET = 1.0  # seconds of wall time, fresh process
COMMANDS = {
    "export": ["export", "{q}", "--format", "jsonl"],
    "kwic": ["kwic", "{q}", "--format", "tsv", "--limit", "1000000"],
    "terms": ["terms", "{q}", "--top", "20"],
    "terms --by year": ["terms", "{q}", "--top", "20", "--by", "year"],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_process(index: str, arguments: list[str], runs: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of ``python -m search ARGS`` runs, output to /dev/null.
    CPU time (user + system) is what the command costs on an idle machine;
    on a shared one, wall time also holds the waits for a core."""
    times = []
    env = dict(os.environ, NO_COLOR="1")
    for _ in range(runs):
        cpu, started = _children_cpu(), time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "search", *arguments, "--index", index],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True,
        )
        times.append((time.perf_counter() - started, _children_cpu() - cpu))
    return times


def timed(call, runs: int) -> tuple[tuple[float, float], tuple[float, float], object]:
    """((wall, CPU) of the first run, (wall, CPU) medians of the warm runs, result)."""
    def once():
        cpu, started = time.process_time(), time.perf_counter()
        result = call()
        return (time.perf_counter() - started, time.process_time() - cpu), result

    first, result = once()
    warm = [once()[0] for _ in range(runs)] or [first]
    return first, (statistics.median(w for w, _ in warm), statistics.median(c for _, c in warm)), result


def _pair(times: tuple[float, float]) -> str:
    return f"{times[0]:6.3f} s ({times[1]:5.3f} CPU)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", default="/work/indexes/eval")
    parser.add_argument("--queries", nargs="+", default=list(DEFAULT_QUERIES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-baselines", action="store_true", help="Skip the slow comparisons.")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "search")], check=True)

    from search import Index
    from search.toolkit.concordance import build_concordance
    from search.retrieval.matching import matching_documents
    from search.query.planner import plan_query

    print(f"index {args.index}; {args.runs} runs each; seconds")
    for query in args.queries:
        print(f"\n«{query}»")
        for name, template in COMMANDS.items():
            arguments = [part.replace("{q}", query) for part in template]
            times = fresh_process(args.index, arguments, args.runs)
            median = (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
            verdict = ""
            if name.startswith("terms"):
                verdict = f"  target {TERMS_TARGET:.1f} s wall: {'met' if median[0] < TERMS_TARGET else 'MISSED'}"
            print(f"  fresh process  search {name:<16} first {_pair(times[0])}  median {_pair(median)}{verdict}")
        with Index.open(args.index) as ix:
            ix.search("заседание совета")  # open the searcher and lemma table outside the timings
            first, warm, exported = timed(lambda: sum(1 for _ in ix.export(query)), args.runs)
            print(f"  in process     export (all {exported:,} documents)   first {_pair(first)}  warm {_pair(warm)}")
            first, warm, found = timed(lambda: ix.concordance(query, limit=None), args.runs)
            print(f"  in process     kwic ({found.total:,} lines)           first {_pair(first)}  warm {_pair(warm)}")
            first, warm, terms = timed(lambda: ix.significant_terms(query, top=20), args.runs)
            print(f"  in process     terms (top 20)                first {_pair(first)}  warm {_pair(warm)}")
            print("                 top: " + ", ".join(t.term for t in terms.terms[:8]))
            first, warm, _ = timed(lambda: ix.significant_terms(query, top=20, by="year"), args.runs)
            print(f"  in process     terms --by year               first {_pair(first)}  warm {_pair(warm)}")
            if args.no_baselines:
                continue
            searcher = ix.searcher()
            matching = matching_documents(searcher, query, ix.ambiguity, order="index")
            terms_typed = plan_query(query, "all", ix.ambiguity, searcher.reader()).terms
            spent, slow = timed(lambda: build_concordance(searcher, matching, terms_typed, None, 40, "date"), 0)[::2]
            print(f"  baseline       kwic through the snippet matcher   {_pair(spent)}"
                  f"  ({slow.total:,} lines; same as above: {slow.total == found.total})")
            spent, whoosh_terms = timed(lambda: searcher.key_terms(matching.docnums, "body", numterms=20), 0)[::2]
            print(f"  baseline       Whoosh key_terms (Bo1), top 20     {_pair(spent)}"
                  f"  top: {', '.join(term for term, _ in whoosh_terms[:8])}")


if __name__ == "__main__":
    main()
