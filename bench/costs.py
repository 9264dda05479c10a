"""What a user pays on a large index, next to stock Whoosh on the same data.

Usage (from the repository root, with the project's virtualenv):

    python bench/costs.py --engine INDEX --plain PLAIN_INDEX --sample CORPUS.jsonl [--runs 10]

``INDEX`` is an index built by ``search build``; ``PLAIN_INDEX`` a stock-Whoosh
index of the same documents (``python bench/build.py CORPUS --one plain --out DIR``
leaves one in ``DIR/build-plain``). Each figure is a fresh process, timed from
start to exit, as a user's shell runs it:

- add 10 new documents (the first ten of ``--sample`` under new ids): ``search
  build new.jsonl`` against a script that adds them with Whoosh's own writer
  (``update_document``, one commit);
- the same build again, nothing changed (stock Whoosh has no way to tell, so it
  writes the ten again);
- one query command, output piped (median of ``--runs``, interleaved):
  ``search query`` against a stock-Whoosh script that searches title and body
  and prints titles with Whoosh's highlighter.

Both indexes grow by ten documents a run (ids ``costs-<time>-<n>``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.build import PLAIN_COLD_SCRIPT  # noqa: E402

QUERIES = ["визит Лаврова в Японию", "санкции России", "переговоры"]

PLAIN_ADD_SCRIPT = """
import datetime as dt, json, sys
sys.path.insert(0, sys.argv[3])
from whoosh.index import open_dir
ix = open_dir(sys.argv[1])
writer = ix.writer(limitmb=256)
for line in open(sys.argv[2], encoding="utf-8"):
    doc = json.loads(line)
    fields = {"id": doc["id"], "title": doc.get("title") or "", "body": doc.get("body") or ""}
    if doc.get("date"):
        fields["date"] = dt.datetime.fromisoformat(doc["date"][:10])
    writer.update_document(**fields)
writer.commit()
"""


def new_documents(sample: Path, count: int = 10) -> Path:
    """The first ``count`` records of ``sample`` under new ids, in a temporary JSONL file."""
    tag = time.strftime("%Y%m%d%H%M%S")
    out = Path(tempfile.mkdtemp()) / "new.jsonl"
    with open(sample, encoding="utf-8") as source, open(out, "w", encoding="utf-8") as target:
        for n, line in zip(range(count), source):
            record = json.loads(line)
            record["id"] = f"costs-{tag}-{n}"
            target.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def wall(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", type=Path, required=True)
    parser.add_argument("--plain", type=Path, required=True)
    parser.add_argument("--sample", type=Path, required=True, help="a JSONL file; its first ten records are added")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    # pip byte-compiles an installed package; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would recompile every module on every run.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "search")], check=True)
    new = new_documents(args.sample)
    engine_build = [sys.executable, "-m", "search", "build", str(new), "--index", str(args.engine)]
    plain_build = [sys.executable, "-c", PLAIN_ADD_SCRIPT, str(args.plain), str(new), str(ROOT)]
    rows = {
        "add 10 new documents, s": (wall(engine_build), wall(plain_build)),
        "same 10 again, s": (wall(engine_build), wall(plain_build)),
    }
    times: dict[str, list[float]] = {"engine": [], "plain": []}
    for query in QUERIES:  # page cache warm for both
        wall([sys.executable, "-m", "search", "query", query, "--index", str(args.engine)])
        wall([sys.executable, "-c", PLAIN_COLD_SCRIPT, str(args.plain), query])
    for run in range(args.runs):
        query = QUERIES[run % len(QUERIES)]
        times["engine"].append(wall([sys.executable, "-m", "search", "query", query, "--index", str(args.engine)]))
        times["plain"].append(wall([sys.executable, "-c", PLAIN_COLD_SCRIPT, str(args.plain), query]))
    rows[f"one query command, s (median of {args.runs})"] = (
        statistics.median(times["engine"]),
        statistics.median(times["plain"]),
    )
    print(f"{'measure':44}{'engine':>10}{'stock':>10}{'ratio':>9}")
    for name, (engine, plain) in rows.items():
        print(f"{name:44}{engine:>10.3f}{plain:>10.3f}{engine / plain:>8.2f}×")


if __name__ == "__main__":
    main()
