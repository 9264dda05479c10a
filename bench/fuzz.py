"""Hostile and random queries against any index: errors, latency, memory.

Usage, from the repository root::

    python bench/fuzz.py --index /work/indexes/eval -n 10000 [--seed 1]
    python bench/fuzz.py --index /work/indexes/eval --hostile

The first form runs N random queries in one process (words taken from the
index's own titles, mixed with every operator of the query language, typo
tolerance up to ~150, wildcards anywhere, deep nesting, long words and
random characters) and prints how many raised an unhandled error (with the
first few), the p50/p99/max latency and the process's peak memory (RSS).
The second runs each query of issue 13's table as a fresh ``search query``
process, as a user pays for it: wall time, the process's peak RSS, exit
status, and whether a traceback was printed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search import Index  # noqa: E402

OPERATORS = ["AND", "OR", "NOT", "И", "ИЛИ", "НЕ", "|", "-", "+", "(", ")", '"', "~", "*", "!", ":", "^", "[", "]", "?"]
FIELDS = ["title:", "source:", "lang:", "id:", "date:"]
HOSTILE = [
    "Ростов-на-Дону~99",
    "*а*",
    "п*и*",
    "мин~2 пос~2 рос~2 вар~2",
    "а*",
    "визит" * 1000,
    "не" * 4000,
    "(" * 3000 + "мир" + ")" * 3000,
    "а~2 " * 300,
    "\x01\u202e\ufeff\u0301" * 50,
    "ыыыыыыыыыыыыыыыы",
]
ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def vocabulary(ix: Index, documents: int, rng: random.Random) -> list[str]:
    """Words of the titles and leads of some documents of the index."""
    searcher = ix.searcher()
    total = searcher.doc_count_all()
    words: set[str] = set()
    for docnum in rng.sample(range(total), min(documents, total)):
        fields = searcher.stored_fields(docnum)
        text = f"{fields.get('title', '')} {fields.get('body', '')[:300]}"
        words.update(w.strip(".,:;«»()\"'!?") for w in text.split())
    return sorted(w for w in words if w) or ["мир"]


def random_term(rng: random.Random, words: list[str]) -> str:
    word = rng.choice(words)
    kind = rng.random()
    if kind < 0.35:
        return word
    if kind < 0.45:
        return word[: rng.randint(1, max(1, len(word)))] + "*"
    if kind < 0.5:
        cut = rng.randint(0, len(word))
        return word[:cut] + "*" + word[cut:] + rng.choice(["", "*"])
    if kind < 0.6:
        return f"{word}~{rng.choice([0, 1, 2, 2, 3, 9, 99, 150])}"
    if kind < 0.65:
        return f'"{word} {rng.choice(words)}"' + rng.choice(["", "~3", "~50"])
    if kind < 0.7:
        return "!" + word
    if kind < 0.75:
        return rng.choice(FIELDS) + rng.choice([word, "2017", "2017-05..2018", "когда"])
    if kind < 0.88:
        return rng.choice(OPERATORS)
    if kind < 0.95:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
    return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 20)))


def random_query(rng: random.Random, words: list[str]) -> str:
    if rng.random() < 0.03:
        return rng.choice(HOSTILE)
    if rng.random() < 0.02:
        depth = rng.randint(1, 200)
        return "(" * depth + random_term(rng, words) + ")" * depth
    return " ".join(random_term(rng, words) for _ in range(rng.randint(1, 8)))


def fuzz(index: Path, count: int, seed: int) -> int:
    rng = random.Random(seed)
    errors: list[tuple[str, str]] = []
    latencies: list[float] = []
    slowest: list[tuple[float, str, dict]] = []
    partial = 0
    with Index.open(index) as ix:
        words = vocabulary(ix, 300, rng)
        ix.search("прогрев")  # load the morphology before timing
        for number in range(count):
            text = random_query(rng, words)
            options = {"match": rng.choice(["all", "any"]), "sort": rng.choice(["relevance", "relevance", "newest"])}
            started = time.perf_counter()
            try:
                results = ix.search(text, **options)
                results.total
                partial += results.partial
            except Exception:  # what the benchmark counts: any error a user would see
                errors.append((text, traceback.format_exc(limit=3)))
            latencies.append(time.perf_counter() - started)
            slowest = sorted([*slowest, (latencies[-1], text, options)], key=lambda item: -item[0])[:5]
            if (number + 1) % 1000 == 0:
                print(f"  {number + 1:,} queries, max so far {max(latencies):.2f} s", file=sys.stderr, flush=True)
    latencies.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"queries: {count:,} (seed {seed}) on {index}")
    print(f"unhandled errors: {len(errors)}")
    for text, trace in errors[:5]:
        print(f"  query {text[:80]!r}:\n{trace}")
    print(f"partial (out of time): {partial}")
    print(
        f"latency: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f} ms, max {latencies[-1]:.2f} s"
    )
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print("slowest:")
    for seconds, text, options in slowest:
        print(f"  {seconds:.2f} s  {text[:70]!r} {options}")
    return 1 if errors else 0


def hostile(index: Path) -> int:
    """Each query of issue 13's table as a fresh process."""
    search = [sys.executable, "-m", "search", "query", "--index", str(index), "--no-color"]
    failed = 0
    print(f"{'query':<32} {'wall s':>7} {'peak MB':>8} {'exit':>5}  traceback")
    for text in HOSTILE:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*search, text], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=dict(os.environ, NO_COLOR="1")
        )
        stderr = process.stderr.read().decode("utf-8", "replace")
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        traced = "Traceback" in stderr
        failed += traced or code not in (0, 1, 2)
        shown = text if len(text) <= 30 else text[:27] + "…"
        print(f"{shown!r:<32} {wall:7.2f} {usage.ru_maxrss / 1024:8.0f} {code:5d}  {'YES' if traced else 'no'}")
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="index directory")
    parser.add_argument("-n", "--count", type=int, default=1000, help="random queries to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hostile", action="store_true", help="run issue 13's queries as fresh processes")
    arguments = parser.parse_args()
    if arguments.hostile:
        raise SystemExit(hostile(arguments.index))
    raise SystemExit(fuzz(arguments.index, arguments.count, arguments.seed))


if __name__ == "__main__":
    main()
