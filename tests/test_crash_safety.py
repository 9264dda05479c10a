"""Killing builds at random moments never corrupts the index or loses committed data.

Builds run in subprocesses that are sent SIGKILL after a random delay; after
each kill the index must open at its last committed state, pass `search
check`, and a rerun must finish with the exact expected document count.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from search import Index
from search.storage.checking import check_index

DOCUMENTS = 800


def write_corpus(path, prefix, count):
    words = "министр переговоры визит сотрудничество делегация соглашение консультации заявление".split()
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            body = " ".join(words[(n + k) % len(words)] for k in range(40)) + f" номер {n}"
            handle.write(json.dumps({"id": f"{prefix}{n}", "title": f"Сообщение {n}", "body": body}, ensure_ascii=False) + "\n")


def start_build(index, source, *extra):
    command = [sys.executable, "-m", "search", "build", str(source), "--index", str(index), *extra]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def kill_after(process, delay):
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the build and any indexing subprocesses
        process.wait()


def documents_in(index):
    with Index.open(index) as ix:
        return len(ix)


@pytest.mark.parametrize("procs", ["1", "2"])
def test_repeated_sigkill_during_builds(tmp_path, procs):
    rng = random.Random(20261128 + int(procs))
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_corpus(first, "a", DOCUMENTS)
    write_corpus(second, "b", DOCUMENTS // 2)
    index = tmp_path / "index"

    # Measure one full build to pick kill times across its whole length.
    started = time.perf_counter()
    assert start_build(tmp_path / "probe", first, "--procs", procs).wait() == 0
    duration = time.perf_counter() - started

    allowed = {0}
    for round_number, (source, total) in enumerate([(first, DOCUMENTS), (second, DOCUMENTS + DOCUMENTS // 2)]):
        for _ in range(2):
            kill_after(start_build(index, source, "--procs", procs), rng.uniform(0.05, duration))
            if (index / "search-meta.json").exists():
                count = documents_in(index)
                assert count in allowed | {total}, count
                assert check_index(index).ok, check_index(index).problems
        assert start_build(index, source, "--procs", procs).wait() == 0
        assert documents_in(index) == total
        allowed = {total}

    # A killed rebuild leaves the previous index in place.
    kill_after(start_build(index, first, "--rebuild", "--procs", procs), rng.uniform(0.05, duration / 2))
    assert documents_in(index) in {DOCUMENTS + DOCUMENTS // 2, DOCUMENTS}
    assert check_index(index).ok


def test_searching_while_a_build_runs_sees_a_consistent_index(tmp_path):
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", DOCUMENTS)
    index = tmp_path / "index"
    with Index.create(index) as ix:
        ix.add([{"id": "seed", "body": "министр переговоры"}])
    build = start_build(index, source)
    counts = []
    with Index.open(index) as ix:
        while build.poll() is None:
            results = ix.search("министр", limit=1)
            counts.append(results.total)
            assert results.total in (1, DOCUMENTS + 1)
            time.sleep(0.05)
    assert build.returncode == 0
    with Index.open(index) as ix:
        assert ix.search("министр", limit=1).total == DOCUMENTS + 1
    assert counts and counts[0] == 1


def test_a_second_build_is_refused_while_one_runs(tmp_path):
    from click.testing import CliRunner

    from search.storage import directory as store
    from search.cli import main

    index = tmp_path / "index"
    Index.create(index).close()
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", 10)
    with store.write_lock(index):
        result = CliRunner().invoke(main, ["build", str(source), "--index", str(index)])
    assert result.exit_code == 2
    assert f"being written by PID {os.getpid()}" in result.stderr


def _read_position(pid: int, path) -> int:
    """How far process ``pid`` has read into ``path`` (0 until it opens it; Linux's /proc)."""
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    return int(info.readline().split()[1])
    except OSError:  # not started yet, exited, or the descriptor closed meanwhile
        pass
    return 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fdinfo"), reason="needs Linux's /proc to see the build reading")
def test_ctrl_c_commits_what_was_read_and_exits_130(tmp_path):
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", DOCUMENTS * 4)
    index = tmp_path / "index"
    build = subprocess.Popen(
        [sys.executable, "-m", "search", "build", str(source), "--index", str(index), "--procs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # Interrupt once the build is reading the corpus (its file position has moved),
    # not after a fixed delay: on a busy machine the build may not have started then.
    deadline = time.monotonic() + 120
    while _read_position(build.pid, source) < 64 * 1024 and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=120)
    if build.returncode == 0:
        pytest.skip("the build finished before the interrupt arrived")
    assert build.returncode == 130, err
    assert "Interrupted: committed the" in err and "Traceback" not in err
    kept = documents_in(index)
    assert 0 < kept < DOCUMENTS * 4
    assert check_index(index).ok
    assert start_build(index, source).wait() == 0
    assert documents_in(index) == DOCUMENTS * 4
