"""bench/protocol.py: judged-only scoring, the shipping rule, the tie-break to plain BM25."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("ir_measures", reason="the bench extra (ir-measures) is not installed")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import protocol  # noqa: E402


@pytest.fixture
def collection(tmp_path):
    folder = tmp_path / "xx"
    folder.mkdir()
    (folder / "queries.tsv").write_text("xx-tag-000\tиран\nxx-headline-000\tвизит министра в Иран\n")
    (folder / "qrels.tsv").write_text("xx-tag-000\t0\tb\t1\nxx-headline-000\t0\tc\t1\n")
    (folder / "judged.tsv").write_text("xx-tag\ta\nxx-tag\tb\n")
    return protocol.Collection(folder, tmp_path / "out", 1)


def test_judged_only_drops_unjudged_documents_before_scoring(collection):
    run = {"xx-tag-000": ["u", "b"], "xx-headline-000": ["u", "c"]}
    usual = protocol.per_query(collection, run, judged_only=False)
    judged = protocol.per_query(collection, run, judged_only=True)
    assert usual["xx-tag-000"] < 1.0 and judged["xx-tag-000"] == pytest.approx(1.0)
    # a known-item family judges every document: both scorings agree
    assert usual["xx-headline-000"] == judged["xx-headline-000"] == pytest.approx(0.5)


def test_a_change_ships_only_if_it_raises_the_mean_and_loses_at_most_one_percent_anywhere():
    current = {"a": 0.50, "b": 0.80}
    assert protocol.ships({"a": 0.56, "b": 0.795}, current)  # b loses 0.6 %
    assert not protocol.ships({"a": 0.60, "b": 0.78}, current)  # b loses 2.5 %
    assert not protocol.ships({"a": 0.50, "b": 0.80}, current)  # the mean does not rise


def test_departures_count_settings_away_from_plain_bm25():
    assert protocol.departures(protocol.PLAIN) == 0
    assert protocol.departures(dict(protocol.PLAIN, B=0.9, K1=0.8)) == 2


def test_a_noise_sized_gain_is_a_tie_not_a_change():
    current = {"a": 0.50, "b": 0.80}
    assert protocol.verdict({"a": 0.501, "b": 0.80}, current) == "tie"
    assert protocol.verdict({"a": 0.55, "b": 0.80}, current) == "ships"
    assert protocol.verdict({"a": 0.60, "b": 0.70}, current) == "no"


class _FakeProtocol:
    """Per-query scores of each candidate setting, without any index."""

    def __init__(self, texts, scores):
        self.texts, self.scores = texts, scores

    def engine(self, settings):
        return self.scores[settings["B"], settings["head_weight"]]

    def shape(self, qid):
        return protocol.ranking.query_shape(self.texts[qid])


def test_shared_bm25_pairs_shapes_only_with_the_same_b_and_k1():
    texts = {"t-tag-0": "иран", "t-headline-0": "визит министра в Иран"}
    strong, flat, flat_head = (dict(protocol.PLAIN, B=0.9), dict(protocol.PLAIN),
                               dict(protocol.PLAIN, head_weight=0.5))
    scores = {
        (0.9, 0.0): {"t-tag-0": 0.9, "t-headline-0": 0.1},  # B 0.9: best for the short query only
        (0.75, 0.0): {"t-tag-0": 0.5, "t-headline-0": 0.5},
        (0.75, 0.5): {"t-tag-0": 0.4, "t-headline-0": 0.7},  # the head: best for the long one
    }
    fake = _FakeProtocol(texts, scores)
    chosen = protocol.best_shared(fake, [strong, flat, flat_head], ["t-tag", "t-headline"])
    # B 0.9 for short with B 0.75 for long would score 0.8; it is not allowed.
    assert chosen == {"short": flat, "long": flat_head}
    by_shape = protocol.best_by_shape(fake, [strong, flat, flat_head], ["t-tag", "t-headline"])
    assert by_shape == {"short": strong, "long": flat_head}


def test_differences_list_only_the_family_s_queries_scored_differently(capsys):
    class Fake(_FakeProtocol):
        def configured(self, configuration):
            return {"t-headline-0": 0.5, "t-headline-1": 1.0, "u-headline-0": 0.2}

        def baseline(self, name):
            return {"t-headline-0": 1.0, "t-headline-1": 1.0, "u-headline-0": 1.0}

    texts = {"t-headline-0": "визит министра", "t-headline-1": "переговоры в Иране", "u-headline-0": "выборы"}
    protocol.print_differences(Fake(texts, {}), {}, "t-headline")
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines == ["t-headline-0  0.500  1.000  визит министра"]


def test_learned_ranker_trains_only_on_judged_candidates(collection):
    import numpy as np

    from bench import ltr

    features = {
        "xx-tag-000": (["u", "b", "a"], np.zeros((3, len(ltr.FEATURES)))),
        "xx-headline-000": (["u", "c"], np.zeros((2, len(ltr.FEATURES)))),
    }
    found = ltr.labelled(collection, features)
    ids, _, labels, judged = found["xx-tag-000"]
    assert ids == ["u", "b", "a"]  # every candidate is still ranked
    assert labels.tolist() == [0.0, 1.0, 0.0] and judged.tolist() == [False, True, True]
    _, _, labels, judged = found["xx-headline-000"]
    assert labels.tolist() == [0.0, 1.0] and judged.all()  # a known-item family judges every document


def test_the_rule_shares_the_re_ranking_factors_too():
    texts = {"t-tag-0": "иран", "t-headline-0": "визит министра в Иран"}
    flat, near = dict(protocol.PLAIN), dict(protocol.PLAIN, proximity=0.5)

    class Fake(_FakeProtocol):
        def engine(self, settings):
            return self.scores[settings["proximity"]]

    scores = {0.0: {"t-tag-0": 0.6, "t-headline-0": 0.4}, 0.5: {"t-tag-0": 0.5, "t-headline-0": 0.7}}
    fake = Fake(texts, scores)
    families = ["t-tag", "t-headline"]
    # Proximity on for long queries only would score best, but shapes share it.
    assert protocol.best_shared(fake, [flat, near], families) == {"short": near, "long": near}
    assert protocol.best_shared(fake, [flat, near], families, shared=protocol.SHARED_BM25_KEYS) == {
        "short": flat, "long": near}
