"""The vectorised scorer gives Whoosh's own BM25F scores, faster."""

import numpy as np
import pytest
from whoosh import query as wq

from search.ranking import rerank as ranking
from search.query import thesaurus
from search.ranking.fastscore import Scorer, Statistics, Unsupported
from search.query.exact_phrase import ExactPhrase
from search.query.planner import plan_query


@pytest.fixture
def scorer_and_searcher(index):
    searcher = index.searcher()
    return Scorer(Statistics(searcher)), searcher


# Query shapes both scorers read: words, thesaurus alternatives, phrases (test_purescore too).
QUERIES = [
    ("Лавров переговоры Япония Ташкент", "any"),
    ("министр", "any"),
    ("визит министра", "all"),
    ("Киргизия Кыргызстан стали", "any"),
    ("совет министров иностранных дел СНГ Минск", "any"),
    ('"совет министров"', "all"),
    ('"министр иностранных дел" Лавров', "any"),
    ('"визит министра" OR "совет министров"', "all"),
    # An AND inside an OR or a best-of (a thesaurus phrase such as «Российская
    # Федерация»): a document lacking one of its words gets nothing from it.
    ("(визит AND министра) OR Ташкент", "all"),
    ("визит России", "all"),
]


@pytest.mark.parametrize("text, match", QUERIES)
def test_same_ranking_and_scores_as_whoosh(scorer_and_searcher, text, match):
    scorer, searcher = scorer_and_searcher
    query = plan_query(text, match, reader=searcher.reader(), thesaurus=thesaurus.default()).query
    expected = [(hit.docnum, hit.score) for hit in searcher.search(query, limit=None)]
    scored = scorer.score(query)
    found = scored.top(100)
    assert [d for d, _ in found] == [d for d, _ in expected]
    assert all(abs(a[1] - b[1]) < 1e-5 for a, b in zip(found, expected))
    assert scored.total == len(expected)


@pytest.mark.parametrize("head_weight", [0.0, 0.5, 1.0])
def test_each_profile_scores_as_whoosh_with_that_profile(scorer_and_searcher, head_weight):
    """Short and long queries are scored with different constants: the vectorised
    scorer must agree with Whoosh's matchers for any of them."""
    scorer, searcher = scorer_and_searcher
    weights = ranking.Profile(B=0.6, K1=1.4, head_B=0.5, head_weight=head_weight, proximity=0, coverage=0, early=0)
    query = plan_query("Лавров переговоры Япония", "any", reader=searcher.reader()).query
    from whoosh.searching import Searcher

    other = Searcher(searcher.reader(), weighting=ranking.weighting(weights), closereader=False)
    expected = [(hit.docnum, hit.score) for hit in other.search(query, limit=None)]
    found = scorer.score(query, weights=weights).top(100)
    assert [d for d, _ in found] == [d for d, _ in expected]
    assert all(abs(a[1] - b[1]) < 1e-5 for a, b in zip(found, expected))
    assert found != scorer.score(query).top(100)  # the constants do change the scores


def test_deleted_documents_and_masks(fresh_index):
    fresh_index.add([{"id": f"d{n}", "body": f"переговоры номер {n}"} for n in range(5)])
    fresh_index.delete(["d1"])
    searcher = fresh_index.searcher()
    scorer = Scorer(Statistics(searcher))
    query = wq.Term("body", "переговоры")
    assert scorer.score(query).total == 4
    only = np.zeros(searcher.doc_count_all(), dtype=bool)
    only[list(searcher.docs_for_query(wq.Term("id", "d3")))] = True
    assert [searcher.stored_fields(d)["id"] for d, _ in scorer.score(query, only).top(10)] == ["d3"]


def test_other_query_shapes_are_left_to_whoosh(scorer_and_searcher):
    scorer, _ = scorer_and_searcher
    for query in (
        ExactPhrase("exact", ["совета", "министров"]),
        wq.Prefix("exact", "кыргыз"),
        wq.Not(wq.Term("body", "а")),
    ):
        with pytest.raises(Unsupported):
            scorer.score(query)


@pytest.mark.parametrize(
    "text, match",
    [
        ("Лавров переговоры Ташкент", "any"),
        ("министр иностранных дел", "all"),
        ("Киргизия", "any"),
        ("министр date:2017..2021", "all"),
        ("министр OR date:2022", "all"),
        ("переговоры date:..2019-06", "any"),
        ('"совет министров"', "all"),
        ('"министр иностранных дел" переговоры', "any"),
    ],
)
def test_index_search_gives_the_same_results_on_either_path(index, monkeypatch, text, match):
    import search.index as index_module

    whoosh_path = index.search(text, match=match, limit=20)
    monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    index._fast = None
    fast_path = index.search(text, match=match, limit=20)
    assert [(h.id, round(h.score, 4)) for h in fast_path] == [(h.id, round(h.score, 4)) for h in whoosh_path]
    assert fast_path.total == whoosh_path.total


def test_field_lengths_read_whole_match_whooshs_own_per_document(fresh_index):
    # Two segments, and a document with no title: lengths read a column at a time
    # must be Whoosh's own, one document at a time, byte for byte.
    fresh_index.add([{"id": f"a{n}", "title": "визит " * n, "body": "переговоры " * (n * 7 + 1)} for n in range(6)])
    fresh_index.add([{"id": "b", "body": "итоги " * 300}])
    searcher = fresh_index.searcher()
    stats = Statistics(searcher)
    reader = searcher.reader()
    assert len(list(reader.leaf_readers())) == 2
    for field in ("title", "head", "body"):
        expected = [reader.doc_field_length(n, field) or 1 for n in range(reader.doc_count_all())]
        assert stats.lengths(field).tolist() == [float(v) for v in expected]
