"""A failure to write the index (full disk, read-only directory) ends a build or a
removal with one line and exit 2, removes what it half-wrote, and leaves the
last committed state searchable."""

import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from search import Index
from search.storage import write_errors
from search.storage.checking import check_index
from search.cli import main

from test_crash_safety import documents_in, write_corpus


class FillingDisk:
    """Files that fail with ENOSPC once ``room`` bytes have been written in all
    (counted per process: each indexing process gets its own room)."""

    def __init__(self, room):
        self.room = room

    def open(self, path, mode):
        return _FillingFile(open(path, mode), self)


class _FillingFile:
    def __init__(self, file, disk):
        self._file, self._disk = file, disk

    def write(self, data):
        self._disk.room -= len(data)
        if self._disk.room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def files_of(index):
    return sorted(p.name for p in Path(index).iterdir())


def seeded_index(tmp_path, count=5):
    index = tmp_path / "index"
    source = tmp_path / "seed.jsonl"
    write_corpus(source, "seed", count)
    assert CliRunner().invoke(main, ["build", str(source), "--index", str(index)]).exit_code == 0
    return index


def assert_one_line_failure(result, index):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"Error: could not write {index}"), lines[0]
    assert "No space left on device" in lines[0] and " free there" in lines[0], lines[0]
    assert "nothing was committed, the index is as it was" in lines[0]


@pytest.mark.parametrize("procs", ["1", "2"])
def test_a_full_disk_ends_the_build_with_one_line_and_keeps_the_index(tmp_path, monkeypatch, procs):
    index = seeded_index(tmp_path)
    before = files_of(index)
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", 300)
    monkeypatch.setattr(write_errors, "open_for_writing", FillingDisk(200_000).open)
    result = CliRunner().invoke(main, ["build", str(source), "--index", str(index), "--procs", procs])
    assert_one_line_failure(result, index)
    assert files_of(index) == before  # the partial segment files are gone
    assert documents_in(index) == 5
    assert check_index(index).ok
    with Index.open(index) as ix:
        assert ix.search("министр").total == 5
    monkeypatch.undo()
    assert CliRunner().invoke(main, ["build", str(source), "--index", str(index), "--procs", procs]).exit_code == 0
    assert documents_in(index) == 305


def test_a_full_disk_fails_a_rebuild_and_search_remove_the_same_way(tmp_path, monkeypatch):
    index = seeded_index(tmp_path)
    before = files_of(index)
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", 100)
    monkeypatch.setattr(write_errors, "open_for_writing", FillingDisk(50_000).open)
    result = CliRunner().invoke(main, ["build", str(source), "--index", str(index), "--rebuild"])
    assert_one_line_failure(result, index)
    assert files_of(index) == before
    monkeypatch.setattr(write_errors, "open_for_writing", FillingDisk(0).open)
    result = CliRunner().invoke(main, ["remove", "seed0", "--index", str(index)])
    assert_one_line_failure(result, index)
    assert files_of(index) == before
    assert documents_in(index) == 5


def test_a_new_index_that_cannot_be_written_leaves_no_partial_files(tmp_path, monkeypatch):
    index = tmp_path / "new"
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", 200)
    monkeypatch.setattr(write_errors, "open_for_writing", FillingDisk(100_000).open)
    result = CliRunner().invoke(main, ["build", str(source), "--index", str(index)])
    assert result.exit_code == 2 and "Error: could not write" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not list(index.glob("*.seg")) and not list(index.glob("*.tmp"))
    if (index / "search-meta.json").exists():
        assert documents_in(index) == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_a_read_only_directory_is_one_line(tmp_path):
    index = seeded_index(tmp_path)
    index.chmod(0o555)
    try:
        result = CliRunner().invoke(main, ["remove", "seed0", "--index", str(index)])
    finally:
        index.chmod(0o755)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "could not write" in result.stderr and "Permission denied" in result.stderr


@pytest.fixture
def small_tmpfs():
    """A 1 MB tmpfs (root only); unmounted whatever happens."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="search-tmpfs-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        folder.rmdir()


def test_a_full_tmpfs(tmp_path, small_tmpfs):
    index = small_tmpfs / "index"
    seed = tmp_path / "seed.jsonl"
    write_corpus(seed, "seed", 5)
    run = [sys.executable, "-m", "search", "build", "--index", str(index)]
    assert subprocess.run([*run, str(seed)], capture_output=True, timeout=300).returncode == 0
    before = files_of(index)
    source = tmp_path / "docs.jsonl"
    write_corpus(source, "a", 3000)
    for procs in ("1", "2"):
        result = subprocess.run([*run, str(source), "--procs", procs], capture_output=True, text=True, timeout=600)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert lines[0].startswith(f"Error: could not write {index}") and "No space left on device" in lines[0]
        assert files_of(index) == before
        assert documents_in(index) == 5 and check_index(index).ok
