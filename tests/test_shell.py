"""The interactive shell, driven for real in a pseudo-terminal (pexpect)."""

import os
import re
import sys

import pytest

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
PROMPT = "search> "


def screen(child) -> str:
    """What the terminal showed since the last expect, without escape codes."""
    return ANSI.sub("", child.before)


@pytest.fixture
def shell(built_index, tmp_path):
    env = dict(os.environ, SEARCH_HISTORY=str(tmp_path / "history"), PAGER="cat", COLUMNS="100", LINES="40")
    child = pexpect.spawn(
        sys.executable, ["-m", "search", "shell", "--index", str(built_index), "-n", "2"],
        env=env, encoding="utf-8", timeout=30, dimensions=(40, 100),
    )
    child.expect_exact(PROMPT)
    assert "8 documents" in screen(child)
    yield child, tmp_path / "history"
    if child.isalive():
        child.terminate(force=True)


def send(child, line: str) -> str:
    child.sendline(line)
    child.expect_exact(PROMPT)
    return screen(child)


def test_query_page_open_and_quit(shell):
    child, history = shell
    first = send(child, "министр")
    assert "results for «министр»; 1–2 shown" in first and "next page with n" in first
    second = send(child, "n")
    assert "3–4 shown" in second
    back = send(child, "p")
    assert "1–2 shown" in back
    title = re.search(r"^\s+1\. (.+)$", back, re.MULTILINE).group(1).strip()
    opened = send(child, ":show 1")
    assert title in opened and len(opened) > len(title) + 100
    child.sendline(":q")
    child.expect(pexpect.EOF)
    assert "министр" in history.read_text(encoding="utf-8")


def test_commands_change_sorting_and_filters(shell):
    child, _ = shell
    send(child, ":sort oldest")
    result = send(child, "министр")
    dates = re.findall(r"(\d{4}-\d{2}-\d{2}) ·", result)
    assert dates == sorted(dates)
    filtered = send(child, ":since 2021")
    assert all(date >= "2021" for date in re.findall(r"(\d{4}-\d{2}-\d{2}) ·", filtered))
    assert "results for «similar:" in send(child, ":similar 1")
    assert ":show N" in send(child, ":help")


def test_errors_do_not_end_the_session(shell):
    child, _ = shell
    assert "type a query first" in send(child, ":timeline")
    assert "unknown command" in send(child, ":frobnicate")
    assert "is not a date" in send(child, ":since когда-то")
    assert "results for" in send(child, '"unclosed quote Лавров')


def test_ctrl_d_leaves(shell):
    child, _ = shell
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_build_on_a_terminal_draws_progress_for_downloads_and_indexing(server, tmp_path, releases_path):
    """What is checked does not depend on timing: Rich draws a bar once when it
    starts and once when it stops whatever its refresh thread does, and the
    output is compared with its line breaks collapsed. (Rich wraps the summary
    at the terminal's 100 columns, and where depends on the temporary path and
    on how long the build took, so the words looked for could straddle a break
    on a slow run.)"""
    root, base = server
    (root / "releases.jsonl").write_bytes(releases_path.read_bytes())
    env = dict(os.environ, SEARCH_CACHE=str(tmp_path / "cache"), COLUMNS="100", LINES="40")
    child = pexpect.spawn(
        sys.executable, ["-m", "search", "build", f"{base}/releases.jsonl", "--index", str(tmp_path / "ix")],
        env=env, encoding="utf-8", timeout=120, dimensions=(40, 100),
    )
    child.expect(pexpect.EOF)
    child.close()
    output = ANSI.sub("", child.before)
    words = " ".join(output.split())
    assert child.exitstatus == 0, output
    assert "downloading" in words and "indexing" in words  # both bars were drawn
    assert f"note: downloaded {base}/releases.jsonl to" in words
    assert "8 added" in words and "The index now holds 8 documents." in words
    assert "Traceback" not in output
