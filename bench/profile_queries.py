"""Where query time goes: cProfile of the speed benchmark's query mix.

Usage, from the repository root, after ``python bench/build.py CORPUS`` has built
``bench/out/build-engine``::

    python bench/profile_queries.py [--top 12]

Runs the warm-up queries of ``bench/build.py``, then profiles the whole mix
twice: its first run (words of new queries decoded from disk) and warm (the
posting-list cache filled), each printed by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.build import engine_searcher, query_mix, warm_up_queries  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=12, help="functions shown per profile")
    parser.add_argument("--index", type=Path, default=ROOT / "bench" / "out" / "build-engine")
    args = parser.parse_args()
    run = engine_searcher(args.index)
    for kind, text, match in warm_up_queries():
        run(kind, text, match, True)
    for label in ("first run", "warm"):
        profile = cProfile.Profile()
        profile.enable()
        for kind, text, match in query_mix():
            run(kind, text, match, True)
        profile.disable()
        report = io.StringIO()
        pstats.Stats(profile, stream=report).sort_stats("tottime").print_stats(args.top)
        print(f"== {label}")
        print("\n".join(line for line in report.getvalue().splitlines() if line.strip()))


if __name__ == "__main__":
    main()
