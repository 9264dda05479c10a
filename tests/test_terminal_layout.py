"""The compact result layout, on a real pseudo-terminal (pexpect), against piped output."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from search.cli.layout import compact_snippet, passages
from search.retrieval.snippets import Snippet

from conftest import build_index

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
COLUMNS = 80


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    path, _ = build_index(tmp_path_factory, "bundled-layout", [CORPUS])
    return path


def on_terminal(*args, columns=COLUMNS) -> list[str]:
    env = dict(os.environ, COLUMNS=str(columns), LINES="50")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable, ["-m", "search", *map(str, args)], env=env, encoding="utf-8", timeout=60,
        dimensions=(50, columns),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return ANSI.sub("", child.before).replace("\r", "").splitlines()


def hits_of(lines: list[str]) -> list[list[str]]:
    """The screen lines of each hit, from its «  N. » line to the blank line after it."""
    hits, current = [], None
    for line in lines:
        if re.match(r"^\s+\d+\. ", line):
            current = [line]
            hits.append(current)
        elif current is not None and line.strip():
            current.append(line)
        else:
            current = None
    return hits


def test_each_snippet_takes_at_most_three_indented_lines(bundled):
    lines = on_terminal("query", "Лавров", "--index", bundled, "-n", "5")
    hits = hits_of(lines)
    assert len(hits) == 5
    for hit in hits:
        assert all(len(line) <= COLUMNS for line in hit)
        assert all(line.startswith("     ") for line in hit[1:])  # every wrapped line under the title
        meta = next(i for i, line in enumerate(hit) if re.match(r"^\s+\d{4}-\d\d-\d\d · ", line))
        url = next(i for i, line in enumerate(hit) if line.strip().startswith("https://"))
        assert 1 <= url - meta - 1 <= 3  # the snippet's lines between metadata and URL


def test_lines_option_gives_longer_context(bundled):
    short = hits_of(on_terminal("query", "Лавров", "--index", bundled, "-n", "3"))
    long = hits_of(on_terminal("query", "Лавров", "--index", bundled, "-n", "3", "--lines", "0"))
    assert sum(map(len, long)) > sum(map(len, short))


def test_piped_output_keeps_the_whole_snippet_on_one_line(bundled):
    env = dict(os.environ, COLUMNS="80")
    piped = subprocess.run(
        [sys.executable, "-m", "search", "query", "Лавров", "--index", str(bundled), "-n", "3"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    hits = [json.loads(line) for line in subprocess.run(
        [sys.executable, "-m", "search", "query", "Лавров", "--index", str(bundled), "-n", "3", "--json"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.splitlines()]
    for hit in hits:
        assert "     " + hit["snippet"] in piped.splitlines()


def test_compact_snippet_keeps_the_densest_passage():
    sparse = "слово " * 30
    dense = "Лавров и Лавров встретил Лаврова"
    text = f"…{sparse.strip()} … {dense} … {sparse.strip()}…"
    start = text.index(dense)
    spans = tuple((start + m.start(), start + m.end()) for m in re.finditer(r"Лавров\w*", dense))
    spans = ((1, 6),) + spans  # one match in the first, sparse passage
    snippet = Snippet(text, spans)
    assert len(passages(snippet)) == 3
    compact = compact_snippet(snippet, lambda candidate: len(candidate) <= 60)
    assert dense in compact.text and len(compact.text) <= 60
    assert [compact.text[s:e] for s, e in compact.highlights] == ["Лавров", "Лавров", "Лаврова"]
    whole = compact_snippet(snippet, lambda candidate: True)
    assert whole == snippet
