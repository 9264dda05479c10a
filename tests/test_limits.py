"""Every input is bounded: expansions, query size, word length, time, hostile files."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search import Index, limits
from search.retrieval import searcher as searching
from search.text.analysis import RussianTokenizer
from search.cli import main
from search.cli.shell import Shell, run
from search.corpus import CorpusReader
from search.query.expansion import close_words, wildcard
from search.text.morphology import lemmas
from search.query.syntax import parse, plain_words
from search.query.planner import plan_query

LONG = "визит" * 2000  # 10,000 letters


# -- bounded tokens ----------------------------------------------------------


def test_overlong_words_are_not_tokens_but_keep_their_position():
    tokens = [(t.text, t.pos) for t in RussianTokenizer()(f"мир {LONG} труд", positions=True)]
    assert tokens == [("мир", 0), ("труд", 2)]


def test_parts_of_an_overlong_compound_are_still_indexed():
    texts = [t.text for t in RussianTokenizer()("а" * 70 + "-дону", mode="index")]
    assert texts == ["дону"]


def test_lemmatiser_is_not_given_overlong_words():
    word = "не" * 4000  # pymorphy3 raises RecursionError on it
    assert lemmas(word) == (word,)
    assert lemmas("визитами") == ("визит",)


def test_overlong_query_words_are_dropped():
    assert plain_words(f"визит {LONG}") == ["визит"]


# -- bounded query size --------------------------------------------------------


def test_long_query_is_cut_with_a_notice():
    _, notices = parse("слово " * 400, "all")
    assert any("longer than 1,000 characters" in n for n in notices)


def test_too_many_terms_keep_the_first(monkeypatch):
    query, notices = parse(" ".join(f"слово{n}" for n in range(100)), "any")
    assert len(query.subqueries) == limits.MAX_CLAUSES
    assert any(f"first {limits.MAX_CLAUSES}" in n for n in notices)
    query, notices = parse(" OR ".join(f"слово{n}*" for n in range(80)), "any")
    assert len(query.subqueries) == limits.MAX_CLAUSES and notices


def test_deep_nesting_reads_plain_words_without_recursion():
    query, notices = parse("(" * 400 + "мир" + ")" * 400, "all")
    assert [t.text for t in query.leaves()] == ["мир"]
    assert "nested more than" in notices[0]


# -- bounded expansion ---------------------------------------------------------


def test_fuzzy_distance_is_clamped_with_a_notice(index):
    plan = plan_query("Лавров~99", reader=index.searcher().reader())
    assert any("«Лавров~2» instead of «Лавров~99»" in n for n in plan.notices)
    assert "лавров" in plan.terms.lemmas


def test_expansions_keep_the_most_frequent_and_name_the_cut(index):
    reader = index.searcher().reader()
    every = wildcard(reader, "exact", "п*", limit=1000)
    top = wildcard(reader, "exact", "п*", limit=3)
    assert top.matched == every.matched > 3 and top.cut and not every.cut
    frequencies = [reader.doc_frequency("exact", w) for w in every.words]
    assert frequencies == sorted(frequencies, reverse=True)
    assert top.words == every.words[:3]
    plan = plan_query("п*", reader=reader)
    assert any(f"«п*» matches {every.matched}" in n and "most frequent" in n for n in plan.notices) == (
        every.matched > limits.MAX_EXPANSIONS
    )


def test_wildcard_matches_inside_words(index):
    reader = index.searcher().reader()
    found = wildcard(reader, "exact", "м*р")
    assert found.words and all(w.startswith("м") and w.endswith("р") for w in found.words)
    assert "министр" in found.words


def test_leading_wildcard_is_refused_with_a_notice(index):
    plan = plan_query("*а*", reader=index.searcher().reader())
    assert plan.empty and "starts with *" in plan.notices[0]


def test_close_words_count_a_swap_as_one_edit(index):
    reader = index.searcher().reader()
    assert "лавров" in close_words(reader, "exact", "лавоpв".replace("p", "р"), 1).words


def test_did_you_mean_is_bounded_and_still_corrects(index):
    assert index.search("Лавроф").suggestion == "лавров"


# -- the time budget ---------------------------------------------------------


class _Clock:
    """A clock that moves ten seconds every time it is read."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 10.0
        return self.now


def test_deadline_with_an_injected_clock():
    deadline = limits.Deadline(5, clock=_Clock())
    assert deadline.expired() and deadline.ran_out and deadline.remaining() == 0
    assert not limits.Deadline(None).expired()
    with pytest.raises(ValueError):
        limits.Deadline(0)


@pytest.fixture
def no_time(monkeypatch):
    """Every search's budget runs out at once."""
    monkeypatch.setattr(searching, "Deadline", lambda seconds: limits.Deadline(seconds, clock=_Clock()))


def test_out_of_time_results_are_partial_and_say_so(index, no_time):
    results = index.search("министр", match="any", timeout=1)
    assert results.partial
    assert any("ran out of time" in n for n in results.notices)
    assert results.hits  # what was found by then is kept


def test_results_within_the_budget_are_not_partial(index):
    results = index.search("министр", timeout=600)
    assert not results.partial and not any("ran out of time" in n for n in results.notices)
    with pytest.raises(ValueError):
        index.search("министр", timeout=0)


def test_cli_marks_partial_results(built_index, no_time):
    runner = CliRunner()
    result = runner.invoke(main, ["query", "министр", "--any", "--index", str(built_index), "--json", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    last = json.loads(result.stdout.strip().splitlines()[-1])
    assert last["partial"] is True and last["total"] >= 1
    text = runner.invoke(main, ["query", "министр", "--any", "--index", str(built_index), "--no-color"])
    assert "ran out of time" in text.stderr


def test_ctrl_c_in_the_shell_cancels_the_query_and_keeps_the_shell(index, capsys):
    class Interrupted(Shell):
        calls = 0

        def _search(self):
            Interrupted.calls += 1
            if Interrupted.calls == 1:
                raise KeyboardInterrupt
            super()._search()

    lines = iter(["министр", "министр"])

    def read(prompt):
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    run(Interrupted(index), read)
    captured = capsys.readouterr()
    assert "cancelled" in captured.err
    assert Interrupted.calls == 2 and "results for" in captured.out


# -- hostile queries, property-based -----------------------------------------

_WORDS = ["министр", "Лавров", "визит", "Япония", "и", "не", "ООН", "2017", "Ростов-на-Дону", "а", "п"]
_word = st.one_of(st.sampled_from(_WORDS), st.text(alphabet="абвгдежзийклмнопрстуфхцчшщъыьэюяё-", min_size=1, max_size=12))
_term = st.one_of(
    _word,
    st.builds(lambda w: w + "*", _word),
    st.builds(lambda w: "*" + w, _word),
    st.builds(lambda w, n: f"{w}~{n}", _word, st.integers(0, 150)),
    st.builds(lambda w: f"!{w}", _word),
    st.builds(lambda a, b: f'"{a} {b}"', _word, _word),
    st.builds(lambda w: f"title:{w}", _word),
    st.sampled_from(["date:2017", "date:2017-05..2018", "date:когда", "source:mid.ru", "id:t-japan"]),
    st.sampled_from(["AND", "OR", "NOT", "ИЛИ", "НЕ", "|", "-", "(", ")", '"', "~", "*", "!", ":", "^", "[", "]"]),
)
_hostile = st.one_of(
    st.builds(lambda n: "(" * n + "мир" + ")" * n, st.integers(0, 3000)),
    st.builds(lambda w, n: w * n, st.sampled_from(["визит", "не", "а-", "*", "~2 "]), st.integers(1, 3000)),
    st.text(max_size=300),
)
_query = st.one_of(st.lists(_term, min_size=1, max_size=30).map(" ".join), _hostile)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=_query, match=st.sampled_from(["all", "any"]))
def test_no_query_raises_or_runs_long(index, text, match):
    started = time.monotonic()
    results = index.search(text, match=match, limit=3)
    results.total
    # Generous: the budget is 2 s; a busy machine may add to it, never tenfold.
    assert time.monotonic() - started < 20


# -- files never abort a build -----------------------------------------------


def _good(n: int) -> str:
    record = {"id": f"good-{n}", "title": f"Визит министра {n}", "body": f"Министр провёл переговоры номер {n}."}
    return json.dumps(record, ensure_ascii=False) + "\n"


@pytest.fixture
def hostile_corpus(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    long_word = json.dumps({"id": "long-word", "body": "начало " + "не" * 4000 + " конец"}, ensure_ascii=False)
    (root / "a_long_word.jsonl").write_text(_good(1) + long_word + "\n" + _good(2), encoding="utf-8")
    (root / "b_nested.json").write_text("[" * 100_000 + "]" * 100_000)
    deep = '{"id": "deep", "body": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    (root / "c_nested_line.jsonl").write_text(_good(3) + deep + _good(4), encoding="utf-8")
    data = gzip.compress("".join(_good(n) for n in range(10, 40)).encode("utf-8"))
    (root / "d_truncated.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    csv_text = 'id,title,body\ncsv-1,Первый,"Текст"\ncsv-2,Второй,"Нет кавычки\n' + "".join(
        f'csv-{n},Строка {n},"Текст {n}"\n' for n in range(3, 8)
    )
    (root / "e_unclosed.csv").write_text(csv_text, encoding="utf-8")
    return root


def test_deep_json_is_a_problem_line(hostile_corpus):
    items = list(CorpusReader([hostile_corpus / "c_nested_line.jsonl", hostile_corpus / "b_nested.json"]))
    problems = [str(i) for i in items if not hasattr(i, "document")]
    assert [i.document.id for i in items if hasattr(i, "document")] == ["good-3", "good-4"]
    assert any("c_nested_line.jsonl:2:" in p and "nested too deeply" in p for p in problems)
    assert any("b_nested.json:" in p and "nested too deeply" in p for p in problems)


def test_csv_quote_left_open_is_reported_with_its_line_and_later_rows_kept(hostile_corpus):
    items = list(CorpusReader([hostile_corpus / "e_unclosed.csv"]))
    ids = [i.document.id for i in items if hasattr(i, "document")]
    problems = [str(i) for i in items if not hasattr(i, "document")]
    assert ids == ["csv-1", "csv-3", "csv-4", "csv-5", "csv-6", "csv-7"]
    assert len(problems) == 1 and "e_unclosed.csv:3:" in problems[0] and "quote opened on line 3" in problems[0]


def test_multiline_csv_fields_are_not_mistaken_for_open_quotes(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_text('id,body\na,"первая строка\nвторая, с запятой и ""кавычками"""\nb,"текст"\n', encoding="utf-8")
    items = list(CorpusReader([path]))
    assert [i.document.id for i in items] == ["a", "b"]


def test_a_build_over_hostile_files_indexes_every_good_record_and_exits_3(hostile_corpus, tmp_path):
    result = CliRunner().invoke(main, ["build", str(hostile_corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    with Index.open(tmp_path / "ix") as ix:
        ids = {hit.id for hit in ix.search("министр", limit=100)}
        assert {"good-1", "good-2", "good-3", "good-4"} <= ids
        assert {"good-10", "good-20"} <= ids  # before the cut of the truncated file
        assert ix.document("long-word") is not None  # indexed, without its long word
        assert {"csv-1", "csv-3", "csv-7"} <= {h.id for h in ix.search("текст", limit=100)}
    for reason in ("nested too deeply", "truncated", "quote opened on line 3"):
        assert reason in result.output


def test_overlong_query_words_are_named_in_a_notice(index):
    results = index.search(f"министр {LONG}")
    assert results.total and any("over 64 characters are not indexed" in n for n in results.notices)


def test_cli_refuses_a_query_of_only_overlong_words(built_index):
    result = CliRunner().invoke(main, ["query", LONG, "--index", str(built_index)])
    assert result.exit_code == 2 and "over 64 characters" in result.output


def test_out_of_time_results_still_respect_the_date_filter(index, no_time):
    results = index.search("министр", match="any", since="2021", limit=50)
    assert results.partial
    assert all(hit.date is None or hit.date.year >= 2021 for hit in results.hits)
    assert all(hit.date is not None for hit in results.hits)


def test_all_expansions_of_a_query_share_one_cap(index, monkeypatch):
    from search.query import planner as querying

    monkeypatch.setattr(querying, "MAX_EXPANDED_WORDS", 3)
    plan = plan_query("м* п* с*", match="any", reader=index.searcher().reader())
    assert len(plan.terms.forms) <= 3
    assert any("the most a query may; left out «с*»" in n for n in plan.notices)


def test_fast_scoring_stops_adding_words_when_out_of_time(built_index, no_time, monkeypatch):
    from search import index as index_module

    monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    with Index.open(built_index) as ix:
        results = ix.search("министр Япония Токио визит", match="any")
        assert results.partial and results.hits
        assert ix._fast.cut_short  # the scorer itself stopped early
