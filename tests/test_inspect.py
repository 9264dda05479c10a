"""show, timeline, stats and analyze: library and command line."""

import json

import pytest
from click.testing import CliRunner

from search.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, *args, **kwargs):
    result = runner.invoke(main, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output
    return result


def test_show_highlights_the_query_in_the_whole_text(index):
    view = index.show("t-japan", "визит министра")
    words = {view.body[s:e] for s, e in view.body_highlights}
    assert {"Министр", "визита"} <= words
    assert view.title.startswith("О визите") and view.date.isoformat() == "2017-03-20"


def test_show_command(runner, built_index):
    result = invoke(runner, "show", "t-japan", "--index", built_index, "-q", "Лавров")
    assert result.exit_code == 0 and "Сергей Лавров провёл переговоры" in result.stdout
    data = json.loads(invoke(runner, "show", "t-japan", "--index", built_index, "--json").stdout)
    assert data["id"] == "t-japan" and data["body"].startswith("Министр иностранных дел")
    missing = invoke(runner, "show", "nope", "--index", built_index)
    assert missing.exit_code == 2 and "no document with id 'nope'" in missing.stderr


def test_timeline_counts_per_period_with_gaps(index):
    found = index.timeline("министр", by="year", match="any")
    counts = dict(found.counts)
    assert counts["2017"] == 1 and counts["2020"] == 0
    assert list(counts) == [str(year) for year in range(int(min(counts)), int(max(counts)) + 1)]
    assert sum(counts.values()) + found.undated == found.total


def test_timeline_command(runner, built_index):
    result = invoke(runner, "timeline", "министр", "--any", "--by", "year", "--index", built_index)
    assert result.exit_code == 0 and "█" in result.stdout and "2019" in result.stdout
    data = json.loads(invoke(runner, "timeline", "Лавров", "--index", built_index, "--json", "--by", "month").stdout)
    assert data["total"] == 2 and data["counts"]["2017-03"] == 1 and data["counts"]["2022-07"] == 1
    assert invoke(runner, "timeline", "абракадабра", "--index", built_index).exit_code == 1


def test_stats(index, runner, built_index):
    stats = index.stats(top=3)
    assert stats.documents == 8 and len(stats.sources) == 3
    assert stats.first_date.isoformat() == "2016-05-12" and stats.last_date.isoformat() == "2023-04-05"
    data = json.loads(invoke(runner, "stats", "--index", built_index, "--json").stdout)
    assert data["documents"] == 8 and data["schema_version"] == stats.schema_version
    assert "documents" in invoke(runner, "stats", "--index", built_index).stdout


def test_analyze(index, runner, built_index, tmp_path):
    found = index.analyze("Лаврова в Ростове-на-Дону")
    assert [t.lemmas[0] for t in found.tokens if not t.part_of_compound] == ["лавров", "в", "ростов-на-дону"]
    assert found.dropped == ["в"]
    data = json.loads(invoke(runner, "analyze", "Киргизия", "--index", built_index, "--json").stdout)
    assert "кыргызстан" in data["query"]["expanded"]
    without_index = invoke(runner, "analyze", "Визит", "--index", tmp_path / "none")
    assert without_index.exit_code == 0 and "визит" in without_index.stdout
