"""The analyst's toolkit: export, keyword in context, significant terms, output formats."""

import csv
import io
import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from search import Index
from search.cli import main
from search.retrieval.matching import year_of
from search.text.analysis import strip_ignorable
from search.toolkit.keyness import (
    FUNCTION_LEMMAS,
    KeyTerm,
    _document_lemmas,
    _top_terms,
    log_likelihood,
    significant_terms,
)
from search.retrieval.snippets import Matcher, highlight_all

from conftest import build_index

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    path, report = build_index(tmp_path_factory, "bundled", [CORPUS])
    assert not report.problems
    return path


@pytest.fixture(scope="module")
def topical(tmp_path_factory) -> Path:
    """Twelve documents: four about tea in Japan (two in 2019, two in 2021), eight about other things."""
    source = tmp_path_factory.mktemp("topical") / "docs.jsonl"
    records = []
    for number in range(4):
        year = 2019 if number < 2 else 2021
        word = "сакура" if year == 2019 else "самурай"
        records.append({
            "id": f"tea-{number}", "title": f"Чай в Японии {number}", "date": f"{year}-0{number + 1}-10",
            "source": "mid.ru",
            "body": f"Японская делегация обсудила чайную церемонию и {word}. Церемония чая в Японии — "
                    f"древнее искусство; {word} и чай, чай и церемония. Он сказал, что это важно.",
        })
    for number in range(8):
        records.append({
            "id": f"other-{number}", "title": f"Заседание {number}", "date": f"2020-0{number + 1}-05",
            "source": "mfa.gov.kz",
            "body": "Министры обсудили сотрудничество в области транспорта и энергетики. Он сказал, что это важно. "
                    + ("Чай подали после заседания." if number == 0 else ""),
        })
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    path, _ = build_index(tmp_path_factory, "topical-index", [source])
    return path


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, *args, **kwargs):
    result = runner.invoke(main, [str(a) for a in args], **kwargs)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


# -- export ------------------------------------------------------------------


def test_export_yields_every_matching_document_whole(bundled):
    with Index.open(bundled) as ix:
        total = ix.search("Лавров").total
        documents = ix.export("Лавров")
        exported = list(documents)
        assert len(documents) == len(exported) == total
        first = exported[0]
        assert first.body == ix.document(first.id)["body"]
        dates = [d.date for d in exported if d.date]
        assert dates == sorted(dates, reverse=True)  # newest first by default
        assert [d.date for d in ix.export("Лавров", sort="oldest") if d.date] == sorted(dates)


def test_export_applies_the_filters_and_names_copies(bundled):
    with Index.open(bundled) as ix:
        in_2017 = list(ix.export("Лавров", since="2017", until="2017"))
        assert in_2017 and all(d.date.year == 2017 for d in in_2017)
        assert all(d.source == "mid.ru" for d in ix.export("source:mid.ru Лавров"))
        pair = {d.id: d for d in ix.export("Кулубаев")}
        assert {"kabar-2023-0419-kulubaev-lavrov", "mfa-kg-2023-0418-kulubaev-lavrov"} <= set(pair)
        assert pair["kabar-2023-0419-kulubaev-lavrov"].copies == ("mfa-kg-2023-0418-kulubaev-lavrov",)
        # No fallback to any-word matching: words no document has together export nothing.
        assert len(ix.export("Кулубаев Токио")) == 0
        assert len(ix.export("Кулубаев Токио", match="any")) > 0


def test_export_cli_writes_jsonl_csv_tsv_and_json(runner, bundled, tmp_path):
    lines = run(runner, "export", "Кулубаев", "--index", bundled).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert records and set(records[0]) == {"id", "title", "date", "source", "url", "body", "copies"}
    assert run(runner, "export", "Кулубаев", "--index", bundled, "--json").stdout.splitlines() == lines

    target = tmp_path / "out.csv"
    result = run(runner, "export", "Кулубаев", "--index", bundled, "--format", "csv", "--bom", "-o", target)
    assert result.exit_code == 0 and f"wrote {len(records)} documents to" in result.stderr
    raw = target.read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8")) and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    assert [row["body"] for row in rows] == [r["body"] for r in records]  # line breaks and quotes survive
    assert rows[0]["copies"] == "; ".join(records[0]["copies"])

    tsv = run(runner, "export", "Кулубаев", "--index", bundled, "--format", "tsv").stdout.split("\n")
    assert tsv[0] == "id\ttitle\tdate\tsource\turl\tbody\tcopies"
    assert all(len(row.split("\t")) == 7 for row in tsv[1:] if row)

    whole = json.loads(run(runner, "export", "Кулубаев", "--index", bundled, "--format", "json").stdout)
    assert whole["total"] == len(records) and [d["id"] for d in whole["documents"]] == [r["id"] for r in records]


def test_export_cli_says_when_nothing_matches_and_refuses_bad_combinations(runner, bundled, tmp_path):
    result = run(runner, "export", "Кулубаев Токио", "--index", bundled)
    assert result.exit_code == 1 and "No documents match" in result.stderr
    clash = run(runner, "export", "Лавров", "--index", bundled, "--json", "--format", "csv")
    assert clash.exit_code == 2 and "--json means --format jsonl" in clash.output
    table_file = run(runner, "export", "Лавров", "--index", bundled, "--format", "table", "-o", tmp_path / "x")
    assert table_file.exit_code == 2
    unwritable = run(runner, "export", "Лавров", "--index", bundled, "-o", tmp_path / "missing" / "x.jsonl")
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output


# -- kwic --------------------------------------------------------------------


def test_concordance_finds_every_occurrence_the_matcher_finds(bundled):
    """The lemma-table path (forms and one expression) against the snippet
    matcher, occurrence for occurrence."""
    with Index.open(bundled) as ix:
        found = ix.concordance("Лавров визит", width=30)
        matcher = Matcher(_terms(ix, "Лавров визит"))
        expected = Counter()
        for document in ix.export("Лавров визит"):
            expected[document.id] = len(highlight_all(document.body, matcher).highlights)
        assert Counter(line.id for line in found.lines) == expected
        assert found.total == len(found.lines) == sum(expected.values())
        forms = {line.match.lower().replace("ё", "е") for line in found.lines}
        assert {"лавров", "лаврова", "визита"} <= forms
        assert all(len(line.left) <= 30 and len(line.right) <= 30 for line in found.lines)
        assert all(ix.document(line.id)["body"][line.offset:].startswith(line.match) for line in found.lines)


def _terms(ix, text):
    from search.query.planner import plan_query

    return plan_query(text, "all", ix.ambiguity, ix.searcher().reader()).terms


def test_concordance_without_a_lemma_table_gives_the_same_lines(bundled):
    from search.toolkit.concordance import build_concordance
    from search.retrieval.matching import matching_documents

    with Index.open(bundled) as ix:
        searcher = ix.searcher()
        found = matching_documents(searcher, "Лавров", ix.ambiguity, order="index")
        terms = _terms(ix, "Лавров")
        fast = build_concordance(searcher, found, terms, ix._forms_of(terms.lemmas), 40, "date")
        slow = build_concordance(searcher, found, terms, None, 40, "date")
        assert fast.lines == slow.lines and fast.lines


def test_concordance_sees_through_stress_marks(releases_path, tmp_path_factory):
    path, _ = build_index(tmp_path_factory, "stress", [releases_path])
    with Index.open(path) as ix:
        found = ix.concordance("замок")
        assert [line.match for line in found.lines] == ["замке"] * len(found.lines) and found.lines


def test_concordance_sorts_by_context_and_cuts_to_the_limit(bundled):
    with Index.open(bundled) as ix:
        by_right = ix.concordance("Лавров", sort="right").lines
        keys = [re.findall(r"\w+", line.right.casefold()) for line in by_right]
        assert keys == sorted(keys)
        by_left = ix.concordance("Лавров", sort="left").lines
        keys = [re.findall(r"\w+", line.left.casefold())[::-1] for line in by_left]
        assert keys == sorted(keys)
        by_date = ix.concordance("Лавров").lines
        assert [l.date for l in by_date if l.date] == sorted(l.date for l in by_date if l.date)
        cut = ix.concordance("Лавров", limit=3)
        assert len(cut.lines) == 3 and cut.total == len(by_date)
        with pytest.raises(ValueError):
            ix.concordance("Лавров", width=0)


@pytest.mark.parametrize("sort", ["date", "source", "left", "right"])
@pytest.mark.parametrize("limit", [1, 7, 40])
def test_a_cut_concordance_is_the_head_of_the_whole_one(bundled, sort, limit):
    """Only the lines kept are held while the documents are read; they are
    the first ``limit`` of the whole sorted list, ties included."""
    with Index.open(bundled) as ix:
        whole = ix.concordance("Лавров OR визит", sort=sort, match="any")
        cut = ix.concordance("Лавров OR визит", sort=sort, match="any", limit=limit)
    assert len(whole.lines) > 40
    assert cut.lines == whole.lines[:limit] and cut.total == whole.total == len(whole.lines)


def test_a_concordance_out_of_time_keeps_the_documents_read(bundled):
    from search.limits import Deadline
    from search.query.planner import plan_query
    from search.retrieval.matching import matching_documents
    from search.toolkit.concordance import build_concordance

    ticks = iter(range(1000))
    clock = lambda: next(ticks)  # noqa: E731  (one tick a look at the clock)
    with Index.open(bundled) as ix:
        searcher = ix.searcher()
        found = matching_documents(searcher, "Лавров", ix.ambiguity, order="index")
        terms = plan_query("Лавров", "all", ix.ambiguity, searcher.reader()).terms
        forms = ix._forms_of(terms.lemmas)
        whole = build_concordance(searcher, found, terms, forms)
        partial = build_concordance(searcher, found, terms, forms, deadline=Deadline(4, clock=clock))
    # Started at tick 0, the deadline is tick 4: three documents read, then it ran out.
    read = {line.id for line in partial.lines}
    assert len(read) <= 3 < len(found)
    assert partial.lines == [line for line in whole.lines if line.id in read]
    assert any("stopped after 4 s: occurrences from 3 of" in notice for notice in partial.notices)
    assert not any("stopped" in notice for notice in whole.notices)


def test_kwic_cli_aligns_the_centre_column(runner, bundled):
    result = run(runner, "kwic", "Лавров", "--index", bundled, "--width", "25")
    assert result.exit_code == 0
    header, *lines = result.stdout.splitlines()
    assert re.match(r"\d+ occurrences in \d+ documents for «Лавров»", header)
    starts = {re.search(r"Лавров\w*", line).start() for line in lines}
    assert len(starts) == 1  # every match starts in the same column


def test_kwic_cli_formats_and_limit_note(runner, bundled):
    rows = list(csv.DictReader(io.StringIO(run(runner, "kwic", "Лавров", "--index", bundled, "--format", "csv").stdout)))
    assert rows and list(rows[0]) == ["date", "source", "id", "left", "match", "right", "offset"]
    lines = run(runner, "kwic", "Лавров", "--index", bundled, "--json").stdout.splitlines()
    assert [json.loads(line)["match"] for line in lines] == [row["match"] for row in rows]
    whole = json.loads(run(runner, "kwic", "Лавров", "--index", bundled, "--format", "json").stdout)
    assert whole["total"] == len(rows) == len(whole["lines"])
    limited = run(runner, "kwic", "Лавров", "--index", bundled, "-n", "2")
    assert len(limited.stdout.splitlines()) == 3
    assert f"{len(rows) - 2} more occurrences not shown" in limited.stderr
    assert run(runner, "kwic", "Кулубаев Токио", "--index", bundled).exit_code == 1


# -- terms -------------------------------------------------------------------


def test_log_likelihood_matches_the_formula():
    a, n, b, rest = 10, 20, 10, 180
    total = n + rest
    cells = [(a, n * (a + b) / total), (n - a, n * (total - a - b) / total),
             (b, rest * (a + b) / total), (rest - b, rest * (total - a - b) / total)]
    assert log_likelihood(a, n, b, rest) == pytest.approx(2 * sum(o * math.log(o / e) for o, e in cells))
    assert log_likelihood(2, 20, 18, 180) == pytest.approx(0.0, abs=1e-9)  # same share: no keyness


def test_pruned_search_gives_the_exhaustive_top():
    counts = Counter({f"w{i}": (i % 17) + 3 for i in range(300)})
    index_frequency = {f"w{i}": (i % 17) + 3 + (i * 7919) % 400 for i in range(300)}
    found = _top_terms(counts, 40, 5000, frozenset(), 15, index_frequency.__getitem__)
    scored = []
    for term, a in counts.items():
        b = index_frequency[term] - a
        if a * (5000 - 40) > b * 40:
            scored.append((-log_likelihood(a, 40, b, 5000 - 40), term))
    assert [t.term for t in found] == [term for _, term in sorted(scored)[:15]]


def test_significant_terms_of_a_topic(topical):
    with Index.open(topical) as ix:
        found = ix.significant_terms("Япония")
        assert found.documents == 4 and found.index_documents == 12
        top = [t.term for t in found.terms]
        # Words in all four and nowhere else first (tied, by name), then «чай», also in one other document.
        assert top[:5] == ["делегация", "древний", "искусство", "церемония", "чайный"]
        assert top[5] == "чай"
        assert not set(top) & (FUNCTION_LEMMAS | {"япония", "японский"})  # function words, the query's own
        tea = next(t for t in found.terms if t.term == "чай")
        assert (tea.documents, tea.index_documents) == (4, 5)
        assert all(isinstance(t, KeyTerm) and t.score > 0 for t in found.terms)
        by_year = ix.significant_terms("Япония", by="year", top=5)
        years = {year: (count, [t.term for t in terms]) for year, count, terms in by_year.years}
        assert set(years) == {2019, 2021} and years[2019][0] == 2
        # Each year needs three documents for a term: two are too few to say anything.
        assert years[2019][1] == [] and years[2021][1] == []


class _Bodies:
    """Just enough of a searcher for _document_lemmas: stored bodies by docnum."""

    def __init__(self, bodies):
        self.bodies = bodies

    def stored_fields(self, docnum):
        return {"body": self.bodies[docnum]}


def test_document_lemmas_count_a_document_once_per_lemma_also_with_several_lemmas_a_form():
    bodies = {7: "Чай и чая, чай.", 3: "Чаем 2019года x", 5: "Нет ого"}
    table = {"чай": "чай", "чая": "чай", "чаем": "чай напиток", "года": "год", "нет": "нет"}  # no «ого»
    names, lemmas_by_doc = _document_lemmas(
        _Bodies(bodies), [7, 3, 5], "all", lambda forms: {form: table[form] for form in forms if form in table}
    )
    pairs = sorted((position, names[number]) for position, numbers in enumerate(lemmas_by_doc) for number in numbers)
    # One-letter words are no words; a form the table lacks counts for no lemma ("").
    assert pairs == [(0, "чай"), (1, "год"), (1, "напиток"), (1, "чай"), (2, ""), (2, "нет")]
    assert _document_lemmas(_Bodies({}), [], "all", lambda forms: {})[0] == []


def test_a_failed_lemma_lookup_is_raised_to_the_caller_and_its_thread_ends():
    import sqlite3
    import threading

    def failing(forms):
        raise sqlite3.OperationalError("disk I/O error")

    bodies = {n: f"Слово{n} и другое слово номер {n}" for n in range(3)}
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        _document_lemmas(_Bodies(bodies), [0, 1, 2], "top", failing)
    assert not [thread for thread in threading.enumerate() if thread.name == "lemma-lookups"]


def test_terms_cli_table_json_and_csv(runner, topical):
    table = run(runner, "terms", "Япония", "--index", topical)
    assert table.exit_code == 0
    assert "Significant terms of 4 documents matching «Япония» against the other 8" in table.stdout
    assert re.search(r"^\s+1\. делегация\s", table.stdout, re.MULTILINE)
    whole = json.loads(run(runner, "terms", "Япония", "--index", topical, "--format", "json").stdout)
    assert whole["statistic"] == "G2" and whole["documents"] == 4 and whole["index_documents"] == 12
    assert set(whole["terms"][0]) == {"term", "score", "docs_in_set", "docs_in_index"}
    rows = list(csv.DictReader(io.StringIO(run(runner, "terms", "Япония", "--index", topical, "--format", "csv").stdout)))
    assert [r["term"] for r in rows] == [t["term"] for t in whole["terms"]]
    assert list(rows[0]) == ["rank", "term", "score", "docs_in_set", "docs_in_index"]
    by_year = run(runner, "terms", "Япония", "--index", topical, "--by", "year", "--format", "tsv").stdout.splitlines()
    assert by_year[0] == "year\trank\tterm\tscore\tdocs_in_set\tdocs_in_index"
    yearly = run(runner, "terms", "Япония", "--index", topical, "--by", "year")
    assert re.search(r"^2019\s+2 documents", yearly.stdout, re.MULTILINE)
    assert run(runner, "terms", "Кулубаев", "--index", topical).exit_code == 1


def test_terms_on_the_bundled_corpus_leave_out_the_query_and_function_words(bundled):
    with Index.open(bundled) as ix:
        found = ix.significant_terms("Япония", top=10)
        assert found.terms and not {t.term for t in found.terms} & (FUNCTION_LEMMAS | {"япония"})
        assert [t.score for t in found.terms] == sorted((t.score for t in found.terms), reverse=True)


# -- query formats -----------------------------------------------------------


def test_query_formats(runner, bundled):
    jsonl = run(runner, "query", "Лавров", "--index", bundled, "-n", "3", "--format", "jsonl").stdout
    assert jsonl == run(runner, "query", "Лавров", "--index", bundled, "-n", "3", "--json").stdout
    hits = [json.loads(line) for line in jsonl.splitlines()]
    whole = json.loads(run(runner, "query", "Лавров", "--index", bundled, "-n", "3", "--format", "json").stdout)
    assert whole["hits"] == hits and whole["total"] >= 3 and whole["query"] == "Лавров"
    rows = list(csv.DictReader(io.StringIO(run(runner, "query", "Лавров", "--index", bundled, "-n", "3", "--format", "csv").stdout)))
    assert [r["id"] for r in rows] == [h["id"] for h in hits]
    assert list(rows[0]) == ["rank", "id", "title", "date", "source", "url", "score", "snippet", "copies"]
    tsv = run(runner, "similar", hits[0]["id"], "--index", bundled, "--format", "tsv").stdout.splitlines()
    assert tsv[0].split("\t")[:2] == ["rank", "id"] and len(tsv) > 1


def test_messages_count_in_the_singular_and_plural(runner, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"id": "a", "title": "Визит", "body": "Министр посетил Японию."}, ensure_ascii=False) + "\n")
    built = run(runner, "build", one, "--index", tmp_path / "ix")
    assert "The index now holds 1 document." in built.stdout and "docs/s" not in built.stdout
    assert "0 near-duplicates found" in built.stdout
    checked = run(runner, "check", "--index", tmp_path / "ix")
    assert "holds 1 document in 1 segment " in checked.stdout
    found = run(runner, "query", "Японию", "--index", tmp_path / "ix")
    assert found.stdout.startswith("1 result for")
    removed = run(runner, "remove", "a", "--index", tmp_path / "ix")
    assert "Removed 1 of 1 document; the index now holds 0 documents." in removed.stdout


@pytest.mark.parametrize("text", ["Лавров", "Лавров визит", "Киргизия OR Япония", '"министр иностранных дел"', "source:mid.ru Лавров", "Лавр*"])
def test_posting_lists_find_the_same_documents_as_whoosh(bundled, text):
    """Large indexes find the matching set from posting lists (numpy); small
    ones through Whoosh's matchers. Forced here on the bundled index."""
    from search.ranking import fastscore
    from search.retrieval.matching import matching_documents
    from search.storage.postings import PostingReader

    with Index.open(bundled) as ix:
        searcher = ix.searcher()
        scorer = fastscore.Scorer(fastscore.Statistics(searcher))
        for order in ("index", "newest", "relevance"):
            whoosh = matching_documents(searcher, text, ix.ambiguity, order=order)
            fast = matching_documents(searcher, text, ix.ambiguity, order=order, scorer=scorer)
            assert whoosh.docnums and sorted(fast.docnums) == sorted(whoosh.docnums)
            if order != "relevance":
                assert fast.docnums == whoosh.docnums
                # The posting reader alone (no scorer, so no numpy) finds them too.
                plain = matching_documents(searcher, text, ix.ambiguity, order=order, postings=PostingReader(searcher.reader()))
                assert plain.docnums == whoosh.docnums


def test_posting_lists_leave_deleted_documents_out(bundled, tmp_path):
    import shutil

    from search.retrieval.matching import matching_documents
    from search.storage.postings import PostingReader

    copy = tmp_path / "index"
    shutil.copytree(bundled, copy)
    with Index.open(copy) as ix:
        before = len(matching_documents(ix.searcher(), "Лавров", ix.ambiguity, order="index"))
        assert ix.delete([hit.id for hit in ix.search("Лавров", limit=3)]) == 3
        searcher = ix.searcher()
        whoosh = matching_documents(searcher, "Лавров", ix.ambiguity, order="index")
        plain = matching_documents(searcher, "Лавров", ix.ambiguity, order="index", postings=PostingReader(searcher.reader()))
        assert plain.docnums == whoosh.docnums and len(plain) == before - 3


# -- the fast paths of `terms` ------------------------------------------------


def test_letter_runs_are_the_patterns_runs_for_every_character():
    """The ranges stand for exactly the letters of the pattern: each character
    of the Basic Multilingual Plane doubled, alone and between two letters."""
    from search.text.letters import LETTER_RUNS, letter_runs

    every = [chr(code) for code in range(0x10000)]
    assert letter_runs(" ".join(c * 2 for c in every)) == LETTER_RUNS.findall(" ".join(c * 2 for c in every))
    assert letter_runs("".join(f"аб{c}вг " for c in every)) == LETTER_RUNS.findall("".join(f"аб{c}вг " for c in every))


@given(st.text(alphabet=st.characters(), max_size=200))
@settings(max_examples=300, deadline=None)
def test_letter_runs_of_any_text_are_the_patterns_runs(text):
    from search.text.letters import LETTER_RUNS, letter_runs

    for variant in (text, text + "😀", "\U00020000" + text):  # beyond the BMP: the pattern's own way
        assert letter_runs(variant) == LETTER_RUNS.findall(variant)


def test_bulk_lemma_lookup_through_json_and_through_parameters_agree(tmp_path):
    from search.storage.lemma_table import LemmaTable, update

    path = tmp_path / "lemmas.sqlite"
    forms = ["визит", "визита", "министра", "переговоры", "японию", "стали", "ёлка", 'кавычка"', "обрат\\ный"]
    update(path, forms, "all")
    asked = [*forms, "неизвестноеслово", *(f"слово{n}" for n in range(30_000))]  # past one batch
    table = LemmaTable(path)
    by_json = table.lemma_strings(asked)
    table._json = False  # as an SQLite without JSON functions answers
    by_parameters = table.lemma_strings(asked)
    expected = {form: " ".join(table.lookup(form)) for form in forms}
    assert by_json == by_parameters == expected
    assert table.lemma_strings([]) == {}
    table.close()


def _straightforward_terms(searcher, found, lemmas_of, by):
    """Every candidate key term the plain way, overall and each year's:
    every word of every body lemmatised on its own, a set of lemmas a
    document, each candidate's index frequency looked up and scored, sorted."""
    def scored(documents: list[int]) -> list[tuple[str, int, int]]:
        counts: Counter[str] = Counter()
        for docnum in documents:
            body = strip_ignorable(searcher.stored_fields(docnum).get("body", "")).lower().replace("ё", "е")
            counts.update({lemma for word in re.findall(r"[^\W\d_]{2,}", body) for lemma in lemmas_of(word)})
        n, total = len(documents), searcher.doc_count()
        ranked = []
        for term, a in counts.items():
            if a < 3 or term in excluded:
                continue
            b = searcher.reader().doc_frequency("body", term) - a
            if a * (total - n) > b * n:
                ranked.append((-log_likelihood(a, n, b, total - n), term, a, a + b))
        return sorted(ranked)

    excluded = FUNCTION_LEMMAS | found.plan.terms.lemmas | found.plan.terms.forms | {""}
    overall = scored(found.docnums)
    years = sorted({year_of(searcher, d) for d in found.docnums} - {None}) if by else []
    return overall, [(year, scored([d for d in found.docnums if year_of(searcher, d) == year])) for year in years]


def _same_top(got: list[KeyTerm], ranked: list[tuple[float, str, int, int]], top: int) -> bool:
    """``got`` is the ``top`` of ``ranked`` (minus score, term, documents,
    index documents; sorted): the same scores, and the same terms but where
    several tie at the cut, where any of them will do."""
    expected = ranked[:top]
    if [round(t.score, 9) for t in got] != [round(-score, 9) for score, *_ in expected]:
        return False
    if not expected:
        return True
    cut = expected[-1][0]
    tied = {(term, a, df) for score, term, a, df in ranked if math.isclose(score, cut)}
    return all(
        (t.term, t.documents, t.index_documents) in tied if math.isclose(score, cut) else (t.term, t.documents, t.index_documents) == (term, a, df)
        for t, (score, term, a, df) in zip(got, expected)
    )


@pytest.mark.parametrize("query", ["Япония", "министр", "визит OR переговоры"])
@pytest.mark.parametrize("batch", [5000, 50, None])  # bodies read, forms a lemma-table lookup: one batch,
# or many; None: the index's kept document lemmas counted, no body read
def test_significant_terms_are_those_of_a_straightforward_count(bundled, query, batch, monkeypatch):
    from search.retrieval.matching import matching_documents
    from search.storage.lemma_table import LemmaTable
    from search.text.morphology import lemmas
    from search.toolkit import keyness

    if batch is None:
        monkeypatch.setattr(keyness, "_document_lemmas", None)  # must not be needed
    else:
        monkeypatch.setattr(keyness, "LOOKUP_BATCH", batch)
        monkeypatch.setattr(keyness, "_kept_lemmas", lambda reader: None)  # as on an older index
    with Index.open(bundled) as ix:
        searcher = ix.searcher()
        found = matching_documents(searcher, query, ix.ambiguity, order="index")
        assert len(found) >= 5
        table = LemmaTable(ix._lemma_table_path())
        stored = lambda form: tuple(" ".join(table.lookup(form) or ("",)).split(" "))  # noqa: E731
        batches: list[int] = []

        def counted(forms):
            batches.append(len(forms))
            return table.lemma_strings(forms)

        for lookup, lemmas_of in ((counted, stored), (None, lambda form: lemmas(form, ix.ambiguity))):
            got = significant_terms(searcher, found, ix.ambiguity, 15, "year", lookup)
            overall, years = _straightforward_terms(searcher, found, lemmas_of, "year")
            assert got.terms and _same_top(got.terms, overall, 15)
            assert [year for year, _, _ in got.years] == [year for year, _ in years]
            assert all(_same_top(terms, ranked, 15) for (_, _, terms), (_, ranked) in zip(got.years, years))
        if batch is None:
            assert not batches
        else:
            assert (len([size for size in batches if size]) > 3) == (batch == 50)
        table.close()


def test_document_frequencies_read_from_the_term_files_are_whooshs(bundled, tmp_path):
    """Every term of every field, and terms that are not there, on an index
    of several segments with deletions."""
    import shutil

    from search.corpus import CorpusReader
    from search.storage.term_frequencies import DocumentFrequencies

    copy = tmp_path / "index"
    shutil.copytree(bundled, copy)
    more = tmp_path / "more.jsonl"
    more.write_text("".join(
        json.dumps({"id": f"more-{n}", "title": f"Визит {n}", "date": "2024-05-0{n}", "source": "mid.ru",
                    "body": f"Лавров провёл переговоры о визите номер {n}; чай, церемония."}, ensure_ascii=False) + "\n"
        for n in range(1, 4)
    ), encoding="utf-8")
    with Index.open(copy) as ix:
        ix.add(CorpusReader([more]))  # a second segment
        assert ix.delete([hit.id for hit in ix.search("Лавров", limit=2)]) == 2
        reader = ix.searcher().reader()
        assert len(reader.leaf_readers()) > 1 and any(segment.has_deletions() for segment, _ in reader.leaf_readers())
        for field in ("body", "head", "exact"):
            frequency = DocumentFrequencies(reader, field)
            assert frequency._segments  # read from the files, not through Whoosh
            terms = [term.decode("utf-8") for term in reader.lexicon(field)]
            assert len(terms) > 100
            for term in terms + ["несуществующееслово", "", "x" * 300]:
                assert frequency(term) == reader.doc_frequency(field, term), (field, term)


def test_an_export_reads_its_own_snapshot_while_another_commit_lands(tmp_path):
    """The searcher an export's set was found on stays open until the export is
    dropped, though a commit meanwhile makes a newer searcher the latest."""
    import gc

    ix = Index.create(tmp_path / "ix")
    ix.add([{"id": f"d{n}", "title": f"Визит {n}", "body": f"Министр посетил Токио, встреча {n}."} for n in range(5)])
    export = ix.export("министр", sort="index")
    ix.add([{"id": "late", "body": "Министр посетил Минск."}])
    ix.search("министр")  # the latest searcher is now another one; the export's was retired
    assert [document.id for document in export] == [f"d{n}" for n in range(5)]
    assert [document.id for document in export] == [f"d{n}" for n in range(5)]  # and again
    pinned = export._searcher
    del export
    gc.collect()
    assert pinned.is_closed
    assert len(ix.export("министр")) == 6
    ix.close()
