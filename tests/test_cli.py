"""The command line, driven through Click's CliRunner: output, JSON, exit codes."""

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from search.cli import main

from conftest import FIXTURES


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def cli_index(tmp_path, runner, releases_path):
    path = tmp_path / "index"
    result = runner.invoke(main, ["build", str(releases_path), "--index", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(runner, *args, **kwargs):
    result = runner.invoke(main, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def test_build_prints_a_summary(runner, tmp_path, releases_path):
    result = run(runner, "build", releases_path, "--index", tmp_path / "ix")
    assert result.exit_code == 0
    assert "8 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in result.stdout
    again = run(runner, "build", releases_path, "--index", tmp_path / "ix")
    assert "0 added, 0 updated, 8 unchanged" in again.stdout


def test_build_json_report(runner, tmp_path):
    result = run(runner, "build", FIXTURES / "bad_records.jsonl", "--index", tmp_path / "ix", "--json")
    report = json.loads(result.stdout)
    assert report["added"] == 3 and report["documents"] == 3
    assert {"location", "reason"} == set(report["skipped"][0])
    assert result.exit_code == 3


def test_build_reports_bad_records_and_exits_3(runner, tmp_path):
    result = run(runner, "build", FIXTURES / "bad_records.jsonl", "--index", tmp_path / "ix")
    assert result.exit_code == 3
    assert "bad_records.jsonl:2: broken JSON" in result.stderr
    assert "bad_records.jsonl:5: not valid UTF-8" in result.stderr
    assert "3 added" in result.stdout and "5 skipped" in result.stdout


def test_build_without_sources_outside_a_project_says_what_to_do(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(runner, "build")
    assert result.exit_code == 2
    assert "no ./corpus directory" in result.stderr and "search build PATH" in result.stderr


def test_build_missing_source_is_an_error(runner, tmp_path):
    result = run(runner, "build", tmp_path / "missing.jsonl", "--index", tmp_path / "ix")
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_build_rebuild(runner, cli_index):
    result = run(runner, "build", FIXTURES / "texts", "--index", cli_index, "--rebuild")
    assert result.exit_code == 3  # one text file has no body
    assert "holds 2 documents" in result.stdout


def test_query_prints_ranked_hits_with_snippets(runner, cli_index):
    result = run(runner, "query", "визит Лаврова в Японию", "--index", cli_index)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "1 result for «визит Лаврова в Японию»" in lines[0]
    assert "1. О визите Министра иностранных дел России в Японию" in result.stdout
    assert "2017-03-20 · mid.ru · score" in result.stdout
    assert "посетил Японию" in result.stdout
    assert "https://example.org/t-japan" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour codes when not a terminal


def test_forced_colour_paints_the_matched_words(runner, cli_index):
    # --lines 0: the whole snippet, so that the painted text is the plain one, wrapped.
    painted_env = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    result = run(runner, "query", "Японию", "--index", cli_index, "--lines", "0", env=painted_env)
    assert result.exit_code == 0
    plain = run(runner, "query", "Японию", "--index", cli_index).stdout
    painted = result.stdout
    assert "\x1b[" in painted
    # Bold yellow around the matched form, and the same text once the codes are gone.
    assert "\x1b[1;33mЯпонию\x1b[0m" in painted
    assert re.sub(r"\x1b\[[0-9;]*m", "", painted).split() == plain.split()


def test_highlight_segments_split_text_at_spans():
    from search.cli.render import HIGHLIGHT, segments

    assert segments("Лавров посетил Японию", [(15, 21), (0, 6)], "bold") == [
        ("Лавров", f"bold {HIGHLIGHT}"), (" посетил ", "bold"), ("Японию", f"bold {HIGHLIGHT}"),
    ]
    assert segments("", []) == [("", "")]
    assert segments("абв", [(0, 2), (1, 3)]) == [("аб", HIGHLIGHT), ("в", HIGHLIGHT)]


def test_query_json_lines(runner, cli_index):
    result = run(runner, "query", "Лавров", "--index", cli_index, "--json")
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hit["rank"] for hit in hits] == [1, 2]
    assert set(hits[0]) == {
        "rank", "id", "title", "date", "source", "url", "score", "snippet", "highlights", "title_highlights", "copies",
    }
    for hit in hits:
        assert all(hit["snippet"][s:e].startswith("Лавров") for s, e in hit["highlights"])


def test_query_without_snippets_leaves_them_out(runner, cli_index):
    result = run(runner, "query", "Лавров", "--index", cli_index, "--json", "--no-snippets")
    assert result.exit_code == 0
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits and all("snippet" not in hit and "highlights" not in hit and hit["id"] for hit in hits)
    with_snippets = run(runner, "query", "Лавров", "--index", cli_index).stdout
    without = run(runner, "query", "Лавров", "--index", cli_index, "--no-snippets").stdout
    assert len(without.splitlines()) == len(with_snippets.splitlines()) - len(hits)


def test_query_options(runner, cli_index):
    result = run(runner, "query", "министр", "--index", cli_index, "--any", "--sort", "date", "-n", "2", "-p", "2", "--json")
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [hit["rank"] for hit in hits] == [3, 4]
    assert hits[0]["date"] >= hits[1]["date"]


def test_query_without_results_exits_1(runner, cli_index):
    result = run(runner, "query", "абракадабра", "--index", cli_index)
    assert result.exit_code == 1
    assert "No documents match" in result.stderr


def test_query_fallback_notice_goes_to_stderr(runner, cli_index):
    result = run(runner, "query", "Ташкент Бишкек Минск", "--index", cli_index, "--json")
    assert result.exit_code == 0
    assert "note: No document contains all the words" in result.stderr
    assert all(json.loads(line) for line in result.stdout.splitlines())


@pytest.mark.parametrize("text", ['"unclosed', "(визит OR", ")(", "title:", "AND", "*", "[a TO", "a^x", "::", "^^^", "\\"])
def test_odd_queries_never_show_a_traceback(runner, cli_index, text):
    result = run(runner, "query", text, "--index", cli_index)
    assert result.exit_code in (0, 1, 2)


def test_empty_query_is_a_usage_error(runner, cli_index):
    result = run(runner, "query", "  ", "--index", cli_index)
    assert result.exit_code == 2
    assert "no words" in result.stderr


def test_missing_index_says_how_to_build_it(runner, tmp_path):
    result = run(runner, "query", "Лавров", "--index", tmp_path / "none")
    assert result.exit_code == 2
    assert "run `search build` first" in result.stderr


def test_index_location_from_the_environment(runner, cli_index):
    result = run(runner, "query", "Лавров", env={"SEARCH_INDEX": str(cli_index)})
    assert result.exit_code == 0 and "Лавров" in result.stdout


def test_bad_option_values_are_usage_errors(runner, cli_index):
    assert run(runner, "query", "x", "--index", cli_index, "--limit", "0").exit_code == 2
    assert run(runner, "query", "x", "--index", cli_index, "--sort", "size").exit_code == 2


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "search", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("search, version")


def test_query_filters_sorting_and_facets(runner, cli_index):
    result = run(
        runner, "query", "министр", "--index", cli_index, "--any", "--since", "2019", "--until", "декабрь 2021",
        "--sort", "oldest", "--facets",
    )
    assert result.exit_code == 0
    assert result.stdout.index("2019-09-24") < result.stdout.index("2021-10-14")
    assert "sources:" in result.stdout and "years: 2019 1 · 2021 1" in result.stdout


def test_query_json_facets_line(runner, cli_index):
    result = run(runner, "query", "министр", "--index", cli_index, "--any", "--facets", "--json")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert set(lines[-1]) == {"total", "facets"}
    assert set(lines[-1]["facets"]) == {"source", "year"}
    assert all("rank" in line for line in lines[:-1])


def test_bad_date_option_is_a_usage_error(runner, cli_index):
    result = run(runner, "query", "министр", "--index", cli_index, "--since", "вчера")
    assert result.exit_code == 2
    assert "is not a date" in result.stderr


@pytest.mark.parametrize("command", ["query", "timeline"])
def test_since_after_until_is_a_usage_error(runner, cli_index, command):
    result = run(runner, command, "министр", "--index", cli_index, "--since", "2019", "--until", "2018")
    assert result.exit_code == 2
    assert "is after --until" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_explain_and_suggestion_go_to_stderr(runner, cli_index):
    result = run(runner, "query", "Ташкнет", "--index", cli_index, "--explain")
    assert result.exit_code == 1
    assert "query: " in result.stderr and "Did you mean «ташкенте»?" in result.stderr


def test_no_synonyms_option(runner, tmp_path):
    path = tmp_path / "ix"
    source = tmp_path / "docs.jsonl"
    source.write_text(json.dumps({"id": "kg", "body": "Визит в Кыргызстан"}, ensure_ascii=False), encoding="utf-8")
    run(runner, "build", source, "--index", path)
    assert run(runner, "query", "Киргизия", "--index", path).exit_code == 0
    assert run(runner, "query", "Киргизия", "--index", path, "--no-synonyms").exit_code == 1


def test_similar_command(runner, cli_index):
    result = run(runner, "similar", "t-minsk-cis", "--index", cli_index, "-n", "2", "--json")
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits[0]["id"] == "t-sco" and len(hits) == 2
    missing = run(runner, "similar", "nope", "--index", cli_index)
    assert missing.exit_code == 2 and "no document with id 'nope'" in missing.stderr


def test_remove_command(runner, cli_index):
    result = run(runner, "remove", "t-japan", "t-nope", "--index", cli_index)
    assert result.exit_code == 0 and "Removed 1 of 2" in result.stdout
    assert run(runner, "remove", "t-japan", "--index", cli_index).exit_code == 1


def test_check_command(runner, cli_index):
    result = run(runner, "check", "--index", cli_index, "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] and report["documents"] == 8
    assert run(runner, "check", "--index", cli_index).stdout.startswith("OK:")


def test_check_reports_a_damaged_segment(runner, cli_index):
    victim = max((p for p in cli_index.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:100])
    result = run(runner, "check", "--index", cli_index)
    assert result.exit_code == 2
    assert "problem:" in result.stderr and "search build --rebuild" in result.stderr


def test_errors_file_lists_every_problem(runner, tmp_path):
    errors = tmp_path / "errors.jsonl"
    result = run(runner, "build", FIXTURES / "bad_records.jsonl", "--index", tmp_path / "ix", "--errors", errors)
    assert result.exit_code == 3
    entries = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 6 and sum(e["skipped"] for e in entries) == 5
    assert entries[0]["location"].endswith("bad_records.jsonl:2")


def test_field_option(runner, tmp_path):
    source = tmp_path / "custom.jsonl"
    source.write_text(json.dumps({"key": "k1", "текст": "Переговоры в Минске"}, ensure_ascii=False), encoding="utf-8")
    result = run(runner, "build", source, "--index", tmp_path / "ix", "--field", "body=текст", "--field", "id=key")
    assert result.exit_code == 0
    assert json.loads(run(runner, "query", "Минск", "--index", tmp_path / "ix", "--json").stdout)["id"] == "k1"
    assert run(runner, "build", source, "--index", tmp_path / "ix", "--field", "nonsense").exit_code == 2


def test_searching_a_damaged_index_gives_a_clear_error(runner, cli_index):
    victim = max((p for p in cli_index.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:100])
    result = run(runner, "query", "Лавров", "--index", cli_index)
    assert result.exit_code == 2 and "is damaged" in result.stderr and "search check" in result.stderr


def test_build_from_a_url(runner, server, tmp_path, monkeypatch):
    from search.corpus import remote

    root, base = server
    monkeypatch.setenv(remote.CACHE_ENV, str(tmp_path / "cache"))
    (root / "releases.jsonl").write_bytes((FIXTURES / "releases.jsonl").read_bytes())
    result = run(runner, "build", f"{base}/releases.jsonl", "--index", tmp_path / "ix")
    assert result.exit_code == 0 and "8 added" in result.stdout
    assert "note: downloaded" in result.stderr
    again = run(runner, "build", f"{base}/releases.jsonl", "--index", tmp_path / "ix")
    assert "unchanged since the last download" in again.stderr and "8 unchanged" in again.stdout
    missing = run(runner, "build", f"{base}/missing.jsonl", "--index", tmp_path / "ix")
    assert missing.exit_code == 2 and "HTTP 404" in missing.stderr
