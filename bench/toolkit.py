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
  ``terms``, in process and as a fresh process, and the snippet matcher
  (every word through the lemmatiser) instead of the lemma table's forms
  for ``kwic``.

Target: ``search terms`` (with or without ``--by year``) answers within
TERMS_TARGET seconds of wall time as a fresh process for such a query, on a
quiet machine, aiming at TERMS_AIM; the fresh-process lines say whether the
median met them. ``--against DIR`` also times another version of the code
(DIR holding its ``search`` package, e.g. ``git archive main search | tar -x
-C DIR``) in the same fresh-process runs, the two taking turns, and prints
the ratio; ``--only`` picks the commands.

    python bench/toolkit.py --index /work/indexes/eval
    python bench/toolkit.py --index /work/indexes/eval --queries "Приднестровье" --runs 5
    python bench/toolkit.py --runs 7 --against /tmp/main-code --no-baselines
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
TERMS_AIM = 0.8
COMMANDS = {
    "export": ["export", "{q}", "--format", "jsonl"],
    "kwic": ["kwic", "{q}", "--format", "tsv", "--limit", "1000000"],
    "terms": ["terms", "{q}", "--top", "20"],
    "terms --by year": ["terms", "{q}", "--top", "20", "--by", "year"],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Runs the command line of the ``search`` package found in sys.argv[1], not
# the installed one (an editable install's finder would otherwise win).
_OTHER_VERSION = (
    "import sys; code = sys.argv.pop(1); "
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in type(f).__module__.lower()]; "
    "sys.path.insert(0, code); from search.cli import main; main(prog_name='search')"
)
# Whoosh's own key terms of a query's documents, as a fresh process.
_WHOOSH_KEY_TERMS = (
    "import sys; from search import Index; from search.retrieval.matching import matching_documents; "
    "ix = Index.open(sys.argv[1]); searcher = ix.searcher(); "
    "found = matching_documents(searcher, sys.argv[2], ix.ambiguity, order='index'); "
    "print(searcher.key_terms(found.docnums, 'body', numterms=20))"
)


def _run(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process, output to /dev/null."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, NO_COLOR="1"), check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def fresh_process(index: str, arguments: list[str], runs: int, against: str | None = None):
    """(wall, CPU) seconds of ``python -m search ARGS`` runs, output to /dev/null,
    and with ``against`` those of the other version's, run by turns (which
    goes first alternating, so that neither always meets the other's cached
    state). CPU time (user + system) is what the command costs on an idle
    machine; on a shared one, wall time also holds the waits for a core."""
    ours = [sys.executable, "-m", "search", *arguments, "--index", index]
    theirs = [sys.executable, "-c", _OTHER_VERSION, against or "", *arguments, "--index", index]
    times: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    for run in range(runs):
        if against and run % 2:
            other.append(_run(theirs))
        times.append(_run(ours))
        if against and not run % 2:
            other.append(_run(theirs))
    return times, other


def _median(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in times), statistics.median(c for _, c in times)


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
    parser.add_argument("--against", metavar="DIR", help="Also time the search package in DIR, by turns.")
    parser.add_argument("--only", nargs="+", choices=list(COMMANDS), help="These commands only (fresh process).")
    args = parser.parse_args()
    for code in filter(None, [str(ROOT / "search"), args.against and str(Path(args.against) / "search")]):
        subprocess.run([sys.executable, "-m", "compileall", "-q", code], check=True)

    from search import Index
    from search.toolkit.concordance import build_concordance
    from search.retrieval.matching import matching_documents
    from search.query.planner import plan_query

    print(f"index {args.index}; {args.runs} runs each; seconds")
    for query in args.queries:
        print(f"\n«{query}»")
        fresh: dict[str, tuple[float, float]] = {}
        for name, template in COMMANDS.items():
            if args.only and name not in args.only:
                continue
            arguments = [part.replace("{q}", query) for part in template]
            times, other = fresh_process(args.index, arguments, args.runs, args.against)
            median = fresh[name] = _median(times)
            verdict = ""
            if name.startswith("terms"):
                verdict = (f"  target {TERMS_TARGET:.1f} s wall: {'met' if median[0] < TERMS_TARGET else 'MISSED'},"
                           f" aim {TERMS_AIM:.1f} s: {'met' if median[0] <= TERMS_AIM else 'missed'}")
            print(f"  fresh process  search {name:<16} first {_pair(times[0])}  median {_pair(median)}{verdict}")
            if other:
                theirs = _median(other)
                print(f"    against {args.against}: first {_pair(other[0])}  median {_pair(theirs)}"
                      f"  ratio of medians {median[0] / theirs[0]:.2f} wall, {median[1] / theirs[1]:.2f} CPU")
        if args.only:
            continue
        with Index.open(args.index) as ix:
            ix.search("заседание совета")  # open the searcher and lemma table outside the timings
            first, warm, exported = timed(lambda: sum(1 for _ in ix.export(query)), args.runs)
            print(f"  in process     export (all {exported:,} documents)   first {_pair(first)}  warm {_pair(warm)}")
            first, warm, found = timed(lambda: ix.concordance(query, limit=None), args.runs)
            print(f"  in process     kwic ({found.total:,} lines)           first {_pair(first)}  warm {_pair(warm)}")
            first, warm, terms = timed(lambda: ix.significant_terms(query, top=20), args.runs)
            terms_warm = warm
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
                  f"  top: {', '.join(term for term, _ in whoosh_terms[:8])}; terms warm takes {terms_warm[0] / spent[0]:.2f} of it")
            cold = _run([sys.executable, "-c", _WHOOSH_KEY_TERMS, args.index, query])
            ratio = f"; search terms takes {fresh['terms'][0] / cold[0]:.2f} of it" if "terms" in fresh else ""
            print(f"  baseline       Whoosh key_terms, fresh process    {_pair(cold)}{ratio}")


if __name__ == "__main__":
    main()
