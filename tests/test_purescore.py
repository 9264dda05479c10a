"""The pure-Python scorer gives the vectorised scorer's scores bit for bit, and
a fresh process scores small queries without importing numpy."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from whoosh import query as wq

from search.query import thesaurus
from search.query.exact_phrase import ExactPhrase
from search.query.planner import plan_query
from search.ranking import fastscore, purescore
from search.ranking import rerank as ranking
from search.ranking import scorer as scorer_module
from search.storage.columns import UNDATED
from test_fastscore import QUERIES

ROOT = Path(__file__).resolve().parents[1]



def both(searcher):
    stats = purescore.Statistics(searcher)
    return purescore.Scorer(stats), fastscore.Scorer(fastscore.Statistics(searcher, stats.posting_reader))


@pytest.mark.parametrize("text, match", QUERIES)
@pytest.mark.parametrize("shape", ["short", "long"])
def test_same_scores_bit_for_bit_as_the_vectorised_scorer(index, text, match, shape):
    searcher = index.searcher()
    pure, vectorised = both(searcher)
    query = plan_query(text, match, reader=searcher.reader(), thesaurus=thesaurus.default()).query
    weights = ranking.PROFILES[shape]
    expected = vectorised.score(query, weights=weights)
    found = pure.score(query, weights=weights)
    assert found.total == expected.total > 0
    assert found.top(1000) == expected.top(1000)  # exact floats, not approximately
    assert found.top(3) == expected.top(3)
    for newest in (True, False):
        assert found.by_date(newest, 7) == expected.by_date(newest, 7)


def test_date_bounds_and_deleted_documents(fresh_index):
    fresh_index.add([{"id": f"d{n}", "date": f"20{10 + n}-05-01", "body": f"переговоры номер {n}"} for n in range(6)])
    fresh_index.add([{"id": "undated", "body": "переговоры"}])
    fresh_index.delete(["d1"])
    searcher = fresh_index.searcher()
    pure, vectorised = both(searcher)
    query = wq.Term("body", "переговоры")
    assert pure.score(query).total == vectorised.score(query).total == 6
    dates = sorted(d for d in purescore.Statistics(searcher).dates() if d != UNDATED)
    low, high = dates[0], dates[3]  # d0 to d3: d0, d2 and d3 (d1 is deleted)
    found = pure.score(query, purescore.DateBounds(low, high))
    assert found.top(10) == vectorised.score(query, vectorised.dated(low, high)).top(10)
    assert sorted(searcher.stored_fields(d)["id"] for d, _ in found.top(10)) == ["d0", "d2", "d3"]


def test_ties_at_the_cut_keep_the_lowest_document_numbers_on_both(fresh_index):
    fresh_index.add([{"id": f"same{n}", "body": "переговоры министров"} for n in range(8)])
    searcher = fresh_index.searcher()
    pure, vectorised = both(searcher)
    query = wq.Term("body", "переговоры")
    everything = pure.score(query).top(8)
    assert len({score for _, score in everything}) == 1
    for count in (1, 3, 5):
        assert pure.score(query).top(count) == vectorised.score(query).top(count) == everything[:count]


def test_shapes_it_does_not_score_are_left_to_the_others(index):
    pure, _ = both(index.searcher())
    for query in (
        ExactPhrase("exact", ["совета", "министров"]),
        wq.Prefix("exact", "кыргыз"),
        wq.Not(wq.Term("body", "а")),
        wq.DateRange("date", None, None),
    ):
        with pytest.raises(purescore.Unhandled):
            pure.score(query)
        assert purescore.posting_count(pure.stats, query, 10**9) is None


def test_posting_counts_stop_at_the_limit(index):
    stats = purescore.Statistics(index.searcher())
    query = plan_query("визит министра", "all", reader=index.searcher().reader()).query
    total = purescore.posting_count(stats, query, 10**9)
    assert total > 2
    assert purescore.posting_count(stats, query, total) == total
    assert purescore.posting_count(stats, query, total - 1) is None


def test_the_chooser_scores_small_queries_without_numpy_and_large_ones_with_it(index, monkeypatch):
    monkeypatch.setattr(scorer_module, "numpy_loaded", lambda: False)
    query = plan_query("визит министра", "all", reader=index.searcher().reader()).query
    chooser = scorer_module.Scorer(index.searcher())
    small = chooser.score(query)
    assert isinstance(small, purescore.Scored) and chooser._vectorised is None
    monkeypatch.setattr(scorer_module, "PURE_SCORING_MAX_POSTINGS", 0)
    large = chooser.score(query)
    assert isinstance(large, fastscore.Scored)
    assert small.top(50) == large.top(50)
    # Dates sorts and bounds go either way too.
    bounds = chooser.dated(0, UNDATED - 1)
    monkeypatch.setattr(scorer_module, "PURE_SCORING_MAX_POSTINGS", 10**9)
    assert chooser.score(query, bounds).by_date(True, 20) == large.by_date(True, 20)


@pytest.mark.parametrize("text, match", QUERIES[:4] + [("министр date:2017..2021", "all")])
def test_index_search_is_the_same_on_the_pure_path(index, monkeypatch, text, match):
    import search.index as index_module

    monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    index._fast = None
    vectorised = index.search(text, match=match, limit=20)
    monkeypatch.setattr(scorer_module, "numpy_loaded", lambda: False)
    index._fast = None
    pure = index.search(text, match=match, limit=20)
    assert [(h.id, h.score, h.snippet.text) for h in pure] == [(h.id, h.score, h.snippet.text) for h in vectorised]
    assert pure.total == vectorised.total


FRESH_PROCESS = """
import json, sys
import search.index as index_module
index_module.FAST_SCORING_MIN_DOCS = 0
from search import Index
with Index.open(sys.argv[1]) as ix:
    hits = [(h.id, h.score) for h in ix.search(sys.argv[2], limit=20)]
print(json.dumps({"numpy": "numpy" in sys.modules, "hits": hits}))
"""


def test_a_fresh_process_answers_a_query_without_importing_numpy(built_index, index, monkeypatch):
    import search.index as index_module

    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, str(built_index), "визит министра"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    answer = json.loads(done.stdout)
    assert answer["numpy"] is False
    monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    index._fast = None
    expected = [[h.id, h.score] for h in index.search("визит министра", limit=20)]
    assert answer["hits"] == expected and expected


class _PausingDeadline:
    """Not yet expired when first asked, but answering only once the test lets
    it (its query is held between two of its words meanwhile); expired after."""

    def __init__(self):
        self.asked = threading.Event()
        self.answer = threading.Event()

    def expired(self) -> bool:
        if self.asked.is_set():
            return True
        self.asked.set()
        self.answer.wait(timeout=30)
        return False


@pytest.mark.parametrize("kind", ["pure", "vectorised"])
def test_threads_sharing_a_scorer_keep_their_own_deadlines(index, kind):
    pure, vectorised = both(index.searcher())
    scorer = pure if kind == "pure" else vectorised
    query = plan_query("Лавров переговоры Япония Ташкент", "any", reader=index.searcher().reader()).query
    whole = scorer.score(query).top(1000)
    deadline = _PausingDeadline()
    outcome = {}

    def out_of_time():
        found = scorer.score(query, deadline=deadline)
        outcome["cut"] = (scorer.cut_short, found.top(1000))

    held = threading.Thread(target=out_of_time)
    held.start()
    assert deadline.asked.wait(timeout=30)
    # Meanwhile another thread scores the same query with no deadline at all.
    assert scorer.score(query).top(1000) == whole and scorer.cut_short is False
    deadline.answer.set()
    held.join(timeout=30)
    cut_short, partial = outcome["cut"]
    assert cut_short is True and partial != whole


def test_postings_within_a_set_either_way():
    from array import array

    ids, weights = array("q", range(0, 200, 2)), array("f", [float(n) for n in range(100)])
    for within in ({4, 5, 198, 300}, set(range(0, 400, 3))):  # few: looked up; many: the list walked
        expected = [(d, w) for d, w in zip(ids, weights) if d in within]
        assert sorted(purescore._postings_within(ids, weights, within)) == expected
    assert list(purescore._postings_within(ids, weights, None)) == list(zip(ids, weights))


def test_an_and_scores_its_rarest_part_first_and_the_others_only_where_it_matches(index, monkeypatch):
    searcher = index.searcher()
    pure, vectorised = both(searcher)
    query = plan_query("визит министра Ташкент", "all", reader=searcher.reader()).query
    seen = []
    score = purescore.Scorer._score

    def recording(self, part, weights, within=None):
        seen.append((str(part), None if within is None else len(within)))
        return score(self, part, weights, within)

    monkeypatch.setattr(purescore.Scorer, "_score", recording)
    found = pure.score(query)
    assert found.top(100) == vectorised.score(query).top(100)
    parts = [(text, size) for text, size in seen if text in {str(p) for p in query.subqueries}]
    assert parts[0][1] is None and all(size is not None for _, size in parts[1:])
