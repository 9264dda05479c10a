"""A learned re-ranker (LightGBM LambdaMART), judged leave-one-collection-out.

Usage, from the repo root (after ``bench/protocol.py`` has built its indexes)::

    .venv/bin/python bench/ltr.py [--family-dir bench/out/families] [--out bench/out/protocol]

Issue 15 allows a learned ranker only if it beats the hand-set one under the
leave-one-collection-out protocol. For every query of every family this
script takes the engine's top 100 candidates (the shipped first stage) and
describes each by features the engine can compute at query time:

- BM25 of the body (B 0.75 and B 0.3) and of the head field, raw and as a
  share of the query's best;
- the re-ranker's evidence: proximity, coverage, the first mention of the
  rarest word;
- the body's length;
- the query's shape: its number of words, the largest and mean IDF of its
  words, whether it has quotes.

For each of the four collections, a LambdaMART model is trained on the other
three collections' families and ranks the held-out one's candidates; the
table compares it, family by family, with the shipped ranking and Snowball.
LightGBM is in the ``bench`` extra only: nothing ships unless it wins.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import protocol  # noqa: E402
from bench._common import query_words  # noqa: E402
from search import index as engine_index  # noqa: E402
from search.limits import Deadline  # noqa: E402
from search.query import thesaurus  # noqa: E402
from search.query.planner import plan_query  # noqa: E402
from search.ranking import rerank as ranking  # noqa: E402
from search.storage.columns import column  # noqa: E402

DEPTH = ranking.RERANK_DEPTH
FEATURES = (
    "body", "body_share", "body_flat", "body_flat_share", "head", "head_share", "first_stage_share",
    "proximity", "coverage", "first_mention", "length", "words", "max_idf", "mean_idf", "quoted",
)
_QUOTES = re.compile("[\"«»„“”]")
SEED = 15


def _share(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def query_features(collection: protocol.Collection) -> dict[str, tuple[list[int], np.ndarray]]:
    """Per query: its candidates (document ids) and their feature rows."""
    engine = collection.system("engine")
    ix = engine.ix
    ix._use_lemma_table()
    searcher = ix.searcher()
    scorer = ix._scorer(searcher)
    reader = searcher.reader()
    synonyms = thesaurus.default(ix.ambiguity)
    lengths = scorer.stats.lengths("body")
    ids = column(reader, "id")
    size = max(reader.doc_count_all(), 1)
    body_only = ranking.Profile(B=0.75, K1=1.2, head_B=0.75, head_weight=0.0, proximity=0, coverage=0, early=0)
    body_flat = ranking.Profile(B=0.3, K1=1.2, head_B=0.75, head_weight=0.0, proximity=0, coverage=0, early=0)
    with_head = ranking.Profile(B=0.75, K1=1.2, head_B=0.3, head_weight=1.0, proximity=0, coverage=0, early=0)
    found = {}
    for qid, text in collection.queries:
        # Plain words: the vectorised scorer takes word queries (no phrases).
        words = " ".join(query_words(text))
        plan = plan_query(words, "any", ix.ambiguity, reader, synonyms, Deadline(None))
        if plan.empty:
            found[qid] = ([], np.zeros((0, len(FEATURES))))
            continue
        shipped = scorer.score(plan.query, weights=ranking.profile(text))
        candidates = [docnum for docnum, _ in shipped.top(DEPTH)]
        if not candidates:
            found[qid] = ([], np.zeros((0, len(FEATURES))))
            continue
        picked = np.array(candidates)
        body = scorer.score(plan.query, weights=body_only).scores[picked]
        flat = scorer.score(plan.query, weights=body_flat).scores[picked]
        head = scorer.score(plan.query, weights=with_head).scores[picked] - body
        first_stage = shipped.scores[picked]
        seen = ranking.evidence(scorer.stats.posting_reader, candidates, plan.concepts)
        idfs = [math.log(size / (1 + sum(reader.doc_frequency("body", lemma) for lemma in lemmas)))
                for lemmas in plan.concepts] or [0.0]
        rows = []
        for n, docnum in enumerate(candidates):
            evidence = seen[docnum]
            rows.append((
                body[n], 0, flat[n], 0, head[n], 0, 0,
                evidence.proximity, evidence.coverage, math.log1p(evidence.first),
                math.log1p(float(lengths[docnum])), len(plan.concepts), max(idfs), sum(idfs) / len(idfs),
                float(bool(_QUOTES.search(text))),
            ))
        matrix = np.array(rows, dtype=np.float64)
        matrix[:, 1] = _share(body)
        matrix[:, 3] = _share(flat)
        matrix[:, 5] = _share(np.maximum(head, 0))
        matrix[:, 6] = _share(first_stage)
        found[qid] = ([ids[d] for d in candidates], matrix)
    return found


def labelled(collection: protocol.Collection, features) -> dict[str, tuple[list[str], np.ndarray, np.ndarray, np.ndarray]]:
    """Per query: candidate ids, feature rows, relevance labels and which
    candidates are judged (in a tag family, unjudged ones are not known to be
    irrelevant: they are ranked, but not trained on)."""
    relevant: dict[str, set[str]] = {}
    for qrel in collection.qrels:
        if qrel.relevance > 0:
            relevant.setdefault(qrel.query_id, set()).add(qrel.doc_id)
    out = {}
    for qid, (doc_ids, matrix) in features.items():
        pool = collection.judged.get(protocol.family_of(qid))
        labels = np.array([1.0 if d in relevant.get(qid, ()) else 0.0 for d in doc_ids])
        judged = np.array([pool is None or d in pool for d in doc_ids], dtype=bool)
        out[qid] = (doc_ids, matrix, labels, judged)
    return out


def train(groups: list[tuple[np.ndarray, np.ndarray]]):
    import lightgbm

    usable = [(x, y) for x, y in groups if len(y) and y.max() > 0]
    features = np.vstack([x for x, _ in usable])
    labels = np.concatenate([y for _, y in usable])
    params = {
        "objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 20,
        "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "seed": SEED,
        "deterministic": True, "num_threads": 1, "verbose": -1, "lambdarank_truncation_level": 10,
    }
    dataset = lightgbm.Dataset(features, labels, group=[len(y) for _, y in usable], feature_name=list(FEATURES))
    return lightgbm.train(params, dataset, num_boost_round=200)


def main(argv: list[str] | None = None) -> None:
    engine_index.FAST_SCORING_MIN_DOCS = 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family-dir", type=Path, default=ROOT / "bench" / "out" / "families")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "protocol")
    args = parser.parse_args(argv)
    collections = [protocol.Collection(args.family_dir / name, args.out, 1) for name in protocol.COLLECTIONS
                   if (args.family_dir / name / "queries.tsv").exists()]
    data = {c.name: labelled(c, query_features(c)) for c in collections}
    families = sorted({f for c in collections for f in c.families})
    shipped_protocol = protocol.Protocol(collections)
    shipped = {shape: protocol.current_settings(shape) for shape in ranking.QUERY_SHAPES}
    rows_usual: dict[str, float] = {}
    rows_judged: dict[str, float] = {}
    for held_out in collections:
        training = [(x[judged], y[judged]) for name, queries in data.items() if name != held_out.name
                    for _, x, y, judged in queries.values()]
        model = train(training)
        run = {}
        for qid, (doc_ids, matrix, _, _) in data[held_out.name].items():
            if not doc_ids:
                run[qid] = []
                continue
            scores = model.predict(matrix)
            order = sorted(range(len(doc_ids)), key=lambda n: (-scores[n], n))
            run[qid] = [doc_ids[n] for n in order]
        rows_usual.update(protocol.family_scores(protocol.per_query(held_out, run, False)))
        rows_judged.update(protocol.family_scores(protocol.per_query(held_out, run, True)))
        importance = sorted(zip(model.feature_importance("gain"), FEATURES), reverse=True)[:6]
        print(f"held out {held_out.name}: top features by gain "
              + ", ".join(f"{name} {gain:.0f}" for gain, name in importance))
    for judged_only, learned in ((False, rows_usual), (True, rows_judged)):
        rows = [("Whoosh snowball", protocol.family_scores(shipped_protocol.baseline("snowball", judged_only))),
                ("as shipped", protocol.family_scores(shipped_protocol.configured(shipped, judged_only))),
                ("LambdaMART, trained on the other collections", learned)]
        protocol.print_rows("Learned re-ranker, leave one collection out, "
                            + ("judged-only" if judged_only else "usual") + " scoring", families, rows)
    for collection in collections:
        collection.close()


if __name__ == "__main__":
    main()
