"""How long a signalled build takes to leave nothing running, and whether the next one succeeds.

Starts `search build SOURCE --procs 2` into a fresh index, sends a signal to
its main process alone (as a supervisor or `kill PID` does) after a delay,
and measures the seconds until no process of the build runs; then reruns
the build and checks that it completes with every document.

    nice python bench/stop_build.py /tmp/3k.jsonl --delays 5 15 --signals KILL TERM HUP
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_processes(group: int) -> list[int]:
    """Live (not zombie) processes in the build's process group (orphans keep it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(entry))
    return found


def build(source: str, index: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "search", "build", source, "--index", str(index), "--procs", "2"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def one_run(source: str, signum: int, delay: float, expected: int) -> str:
    index = Path(tempfile.mkdtemp(prefix="stop-build-")) / "index"
    try:
        running = build(source, index)
        time.sleep(delay)
        sent = time.monotonic()
        running.send_signal(signum)
        _, err = running.communicate()
        while build_processes(running.pid):
            time.sleep(0.02)
        gone = time.monotonic() - sent
        rerun = build(source, index)
        _, rerun_err = rerun.communicate()
        from search import Index

        with Index.open(index) as ix:
            count = len(ix)
        last_line = (err.strip().splitlines() or [""])[-1][:90]
        return (
            f"{signal.Signals(signum).name:8} at {delay:5.1f} s: exit {running.returncode:4}, nothing running after "
            f"{gone:5.2f} s; rerun exit {rerun.returncode}, {count}/{expected} documents | {last_line}"
        )
    finally:
        shutil.rmtree(index.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("--delays", type=float, nargs="+", default=[5.0, 15.0])
    parser.add_argument("--signals", nargs="+", default=["KILL", "TERM", "HUP"])
    args = parser.parse_args()
    with open(args.source, encoding="utf-8") as handle:
        expected = sum(1 for line in handle if line.strip())
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name in args.signals:
        for delay in args.delays:
            print(one_run(args.source, getattr(signal, f"SIG{name}"), delay, expected), flush=True)


if __name__ == "__main__":
    main()
