"""The relevance protocol: every judged family, leave-one-collection-out, baselines.

Usage, from the repo root (after ``bench/families.py``)::

    .venv/bin/python bench/protocol.py [--family-dir bench/out/families] [--out bench/out/protocol]
                                       [--sweep] [--procs 2] [--differ FAMILY]

Each collection of ``bench/families.py`` gets one engine index and two
baseline indexes (plain and Snowball Whoosh), built once and cached. The
engine's ranking constants are query-time settings (module constants of
``search.ranking.rerank``, ``search.query.planner`` and ``search.query.thesaurus``), so a sweep
re-runs queries against the same indexes and never rebuilds them; every run
is cached on disk by its settings.

A configuration maps each *query shape* (see ``search.ranking.rerank.query_shape``)
to a set of constants. Its score on a family is the mean of the family's
measure over its queries (nDCG@10 for tag families, MRR@10 for known-item
ones), each query ranked with the constants of its shape.

Printed:

- the per-family table: baselines, the plain engine, the configuration as
  shipped, and (with ``--sweep``) the best configuration found, each with
  the usual score and the judged-only score (unjudged documents dropped from
  the ranked list before scoring; it differs only for tag families);
- the leave-one-collection-out table: for each collection, the configuration
  that maximises the mean over the *other* collections' families, scored on
  the held-out collection's families; once per choice rule: ``best_shared``
  (the rule: every shape shares BM25's B and K1 and the proximity and
  coverage factors, only the head field and the first-mention factor differ
  by shape; near-ties go to plain BM25), the same with only B and K1 shared
  (near-ties to plain BM25, or to the best worst family), and
  ``best_by_shape`` (each shape chosen on its own, the first rule);
- each constant of the best configuration re-decided, and other shape rules
  (word counts, the rarest word's document share, quotes);
- the shipping rule: a configuration ships only if it raises the mean over
  families and loses more than 1 % on none, against the shipped one.

``ru_kw_eval/rt.jsonl.gz`` is not used by any family.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ir_measures  # noqa: E402
from ir_measures import RR, nDCG  # noqa: E402

from bench.relevance import LIMIT, Baseline, Engine, build_or_load, read_queries  # noqa: E402
from search.query import planner as querying  # noqa: E402
from search.query import thesaurus  # noqa: E402
from search.ranking import rerank as ranking  # noqa: E402

COLLECTIONS = ("md", "ng", "wn", "tg")
SHIP_TOLERANCE = 0.01  # no family may lose more than 1 %
QUOTES = re.compile("[\"«»„“”]")
TIE = 0.005  # settings within 0.5 % of the best count as tied (a family mean's standard error here is several %)

# Settings of one query shape (fields of ranking.Profile) and global ones
# (module constants: the frequent-word share and the thesaurus weights).
PROFILE_KEYS = tuple(field.name for field in dataclasses.fields(ranking.Profile))
GLOBAL_SETTINGS = {
    "frequent": (querying, "FREQUENT_WORD_SHARE"),
    "synonym": (thesaurus, "SYNONYM_WEIGHT"),
    "related": (thesaurus, "RELATED_WEIGHT"),
    "rarity": (ranking, "COVERAGE_BY_RARITY"),
}

PLAIN = {"B": 0.75, "K1": 1.2, "head_B": 0.75, "head_weight": 0.0, "proximity": 0.0, "coverage": 0.0,
         "early": 0.0, "frequent": 2.0, "synonym": 0.5, "related": 0.3, "rarity": False}
# What main shipped before issue 15, for every query.
OLD = {"B": 0.9, "K1": 0.8, "head_B": 0.3, "head_weight": 1.0, "proximity": 0.5, "coverage": 1.0,
       "early": 0.03, "frequent": 0.5, "synonym": 0.5, "related": 0.3, "rarity": False}


def measure_for(family: str):
    return nDCG @ 10 if family.endswith("-tag") else RR @ 10


def family_of(qid: str) -> str:
    return qid.rsplit("-", 1)[0]


class Collection:
    """One collection's queries, judgments and the systems over its corpus."""

    def __init__(self, folder: Path, out: Path, procs: int):
        self.name = folder.name
        self.folder = folder
        self.queries = read_queries(folder / "queries.tsv")
        self.qrels = list(ir_measures.read_trec_qrels(str(folder / "qrels.tsv")))
        self.judged: dict[str, set[str]] = {}
        for line in (folder / "judged.tsv").read_text(encoding="utf-8").splitlines():
            family, doc_id = line.split("\t")
            self.judged.setdefault(family, set()).add(doc_id)
        self.families = sorted({family_of(q) for q, _ in self.queries})
        self.out = out / self.name
        self.out.mkdir(parents=True, exist_ok=True)
        self.procs = procs
        self._systems: dict[str, object] = {}

    def system(self, name: str):
        if name not in self._systems:
            path = self.out / f"index-{name}"
            system = Engine(name, path, "top") if name == "engine" else Baseline(name, path, name == "snowball")
            build_or_load(system, self.folder / "corpus.jsonl.gz", self.out, self.procs, False)
            self._systems[name] = system
        return self._systems[name]

    def close(self) -> None:
        for system in self._systems.values():
            system.close()


def current_settings(shape: str) -> dict:
    """The settings the engine uses for queries of ``shape``."""
    settings = dataclasses.asdict(ranking.PROFILES[shape])
    settings.update({key: getattr(module, name) for key, (module, name) in GLOBAL_SETTINGS.items()})
    return settings


def apply(settings: dict) -> None:
    """Every query shape ranked with ``settings``."""
    chosen = ranking.Profile(**{key: settings[key] for key in PROFILE_KEYS})
    ranking.PROFILES = {shape: chosen for shape in ranking.QUERY_SHAPES}
    for key, (module, name) in GLOBAL_SETTINGS.items():
        setattr(module, name, settings[key])


def settings_key(settings: dict) -> str:
    return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def run_engine(collection: Collection, settings: dict) -> dict[str, list[str]]:
    """Ranked doc ids per query with every query under ``settings`` (cached)."""
    cache = collection.out / "runs" / f"engine-{settings_key(settings)}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    engine = collection.system("engine")
    saved_profiles = ranking.PROFILES
    saved = {key: getattr(module, name) for key, (module, name) in GLOBAL_SETTINGS.items()}
    apply(settings)
    try:
        run = {qid: [doc_id for doc_id, _ in engine.search(text)] for qid, text in collection.queries}
    finally:
        ranking.PROFILES = saved_profiles
        for key, (module, name) in GLOBAL_SETTINGS.items():
            setattr(module, name, saved[key])
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(run, ensure_ascii=False))
    return run


def run_baseline(collection: Collection, name: str) -> dict[str, list[str]]:
    cache = collection.out / "runs" / f"{name}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    system = collection.system(name)
    run = {qid: [doc_id for doc_id, _ in system.search(text)] for qid, text in collection.queries}
    cache.parent.mkdir(exist_ok=True)
    cache.write_text(json.dumps(run, ensure_ascii=False))
    return run


def per_query(collection: Collection, run: dict[str, list[str]], judged_only: bool) -> dict[str, float]:
    """Each query's measure (nDCG@10 or MRR@10); unanswered queries score 0."""
    values = {}
    for family in collection.families:
        pool = collection.judged.get(family) if judged_only else None
        qrels = [q for q in collection.qrels if family_of(q.query_id) == family]
        scored = []
        for qid, docs in run.items():
            if family_of(qid) != family:
                continue
            kept = [d for d in docs if pool is None or d in pool]
            scored.extend(ir_measures.ScoredDoc(qid, d, float(LIMIT - rank)) for rank, d in enumerate(kept))
        family_values = {q: 0.0 for q, _ in collection.queries if family_of(q) == family}
        for metric in ir_measures.iter_calc([measure_for(family)], qrels, scored):
            family_values[metric.query_id] = metric.value
        values.update(family_values)
    return values


def family_scores(values: dict[str, float]) -> dict[str, float]:
    grouped: dict[str, list[float]] = {}
    for qid, value in values.items():
        grouped.setdefault(family_of(qid), []).append(value)
    return {family: statistics.fmean(v) for family, v in sorted(grouped.items())}


class Protocol:
    """Per-query scores of baselines and engine settings over every collection."""

    def __init__(self, collections: list[Collection]):
        self.collections = collections
        self.texts = {qid: text for c in collections for qid, text in c.queries}
        self._cache: dict[tuple[str, bool], dict[str, float]] = {}
        self._rarest: dict[str, float] | None = None

    def baseline(self, name: str, judged_only: bool = False) -> dict[str, float]:
        key = (name, judged_only)
        if key not in self._cache:
            values = {}
            for collection in self.collections:
                values.update(per_query(collection, run_baseline(collection, name), judged_only))
            self._cache[key] = values
        return self._cache[key]

    def engine(self, settings: dict, judged_only: bool = False) -> dict[str, float]:
        key = (settings_key(settings), judged_only)
        if key not in self._cache:
            values = {}
            for collection in self.collections:
                values.update(per_query(collection, run_engine(collection, settings), judged_only))
            self._cache[key] = values
        return self._cache[key]

    def configured(self, configuration: dict[str, dict], judged_only: bool = False, shape_of=None) -> dict[str, float]:
        """Per-query scores, each query under the settings of its shape
        (``shape_of(qid)``, by default the engine's rule on its text)."""
        shape_of = shape_of or self.shape
        values = {}
        for shape, settings in configuration.items():
            scores = self.engine(settings, judged_only)
            values.update({q: v for q, v in scores.items() if shape_of(q) == shape})
        return values

    def shape(self, qid: str) -> str:
        return ranking.query_shape(self.texts[qid])

    def rarest_share(self) -> dict[str, float]:
        """Per query: the share of its collection's documents holding its
        rarest word (1.0 for a query with no word in the index)."""
        if self._rarest is None:
            from search.query.planner import plan_query

            self._rarest = {}
            for collection in self.collections:
                engine = collection.system("engine")
                reader = engine.ix.searcher().reader()
                total = max(reader.doc_count(), 1)
                for qid, text in collection.queries:
                    plan = plan_query(text, "any", engine.ix.ambiguity, reader)
                    sizes = [sum(reader.doc_frequency("body", lemma) for lemma in lemmas) for lemmas in plan.concepts]
                    present = [size for size in sizes if size]
                    self._rarest[qid] = min(present) / total if present else 1.0
        return self._rarest


def mean_over(scores: dict[str, float], families: list[str] | None = None) -> float:
    chosen = [v for f, v in scores.items() if families is None or f in families]
    return statistics.fmean(chosen) if chosen else 0.0


def ships(candidate: dict[str, float], current: dict[str, float]) -> bool:
    """Raises the mean over families and loses more than 1 % on none."""
    worst = min((candidate[f] - current[f]) / current[f] for f in current if current[f])
    return mean_over(candidate) > mean_over(current) and worst >= -SHIP_TOLERANCE


# -- the sweep --------------------------------------------------------------

def grid_settings() -> list[dict]:
    """Candidate settings per shape: BM25's B against the head field's weight
    (K1 1.2, every re-ranking factor on), then K1 and each re-ranking factor
    varied around the middle; the frequent-word drop stays on throughout
    (a query-speed measure, tried on its own afterwards)."""
    base = dict(PLAIN, frequent=0.5, coverage=1.0, proximity=0.5, early=0.03, rarity=True)
    candidates = [dict(PLAIN), dict(OLD)]
    for b, head in itertools.product((0.5, 0.75, 0.9), (0.0, 0.5, 1.0)):
        candidates.append(dict(base, B=b, head_weight=head, head_B=0.3 if head else 0.75))
    middle = dict(base, head_weight=0.5, head_B=0.3)
    candidates += [dict(middle, K1=0.8), dict(middle, K1=1.6)]
    candidates += [dict(middle, proximity=0.0, early=0.0), dict(middle, coverage=0.0, proximity=0.0, early=0.0)]
    candidates += [dict(middle, early=0.0), dict(middle, proximity=0.0)]
    candidates += [dict(base, K1=0.8), dict(base, K1=1.6), dict(middle, K1=2.0), dict(base, proximity=0.0, early=0.0)]
    return candidates


def departures(settings: dict) -> int:
    """How many settings differ from plain BM25."""
    return sum(1 for key, value in settings.items() if PLAIN[key] != value)


def best_by_shape(protocol: Protocol, candidates: list[dict], families: list[str]) -> dict[str, dict]:
    """For each shape, the settings maximising the mean over ``families`` of
    that shape's queries' contributions (family means are sums over queries);
    among those within TIE of the best, the one closest to plain BM25 (a
    difference that small is noise, and every departure is a chance to overfit)."""
    sizes: dict[str, int] = {}
    for qid in protocol.texts:
        sizes[family_of(qid)] = sizes.get(family_of(qid), 0) + 1
    chosen = {}
    for shape in ranking.QUERY_SHAPES:
        def gain(settings: dict) -> float:
            scores = protocol.engine(settings)
            return sum(
                value / sizes[family_of(qid)]
                for qid, value in scores.items()
                if family_of(qid) in families and ranking.query_shape(protocol.texts[qid]) == shape
            )

        gains = [(gain(settings), settings) for settings in candidates]
        top = max(value for value, _ in gains)
        near = [(departures(settings), -value, index) for index, (value, settings) in enumerate(gains)
                if value >= top * (1 - TIE)]
        chosen[shape] = gains[min(near)[2]][1]
    return chosen


# Settings every shape shares under the choice rule: the first-stage model,
# the proximity and coverage factors and the global switches. Only what has
# a reason to differ by shape may: the head field (it rewards short
# documents, which topics do not want) and the first-mention factor (a
# topic's subject is one word, a headline's is not).
SHARED_KEYS = ("B", "K1", "proximity", "coverage", *GLOBAL_SETTINGS)
# The rule before: only BM25 and the global switches shared.
SHARED_BM25_KEYS = ("B", "K1", *GLOBAL_SETTINGS)


def best_shared(
    protocol: Protocol, candidates: list[dict], families: list[str], tie_break: str = "plain",
    shared: tuple[str, ...] = SHARED_KEYS,
) -> dict[str, dict]:
    """The pair of per-shape settings (from ``candidates``) that agree on
    every ``shared`` setting, maximising the mean over ``families``. A shared
    setting is chosen on every family, not on the one or two that hold nearly
    all queries of one shape. Among pairs within TIE of the best mean,
    ``tie_break`` takes the one with the fewest departures from plain BM25
    (``plain``) or the one whose worst family fares best against plain BM25
    (``worst``)."""
    sizes: dict[str, int] = {}
    for qid in protocol.texts:
        sizes[family_of(qid)] = sizes.get(family_of(qid), 0) + 1
    # Each setting's contribution to each family's mean, from each shape's queries.
    parts = []
    for settings in candidates:
        part = {shape: dict.fromkeys(families, 0.0) for shape in ranking.QUERY_SHAPES}
        for qid, value in protocol.engine(settings).items():
            family = family_of(qid)
            if family in families:
                part[protocol.shape(qid)][family] += value / sizes[family]
        parts.append(part)
    plain = next((i for i, settings in enumerate(candidates) if settings == PLAIN), None)
    pairs = []
    for (i, short), (j, long) in itertools.product(enumerate(candidates), repeat=2):
        if any(short[key] != long[key] for key in shared):
            continue
        scores = {f: parts[i]["short"][f] + parts[j]["long"][f] for f in families}
        if tie_break == "worst" and plain is not None:
            base = {f: parts[plain]["short"][f] + parts[plain]["long"][f] for f in families}
            cost = -min((scores[f] - base[f]) / base[f] for f in families if base[f])
        else:
            cost = departures(short) + departures(long)
        pairs.append((statistics.fmean(scores.values()), cost, i, j))
    top = max(mean for mean, *_ in pairs)
    _, _, i, j = min((cost, -mean, i, j) for mean, cost, i, j in pairs if mean >= top * (1 - TIE))
    return {"short": candidates[i], "long": candidates[j]}


def knob_checks(configuration: dict[str, dict]) -> list[tuple[str, dict[str, dict]]]:
    """One constant of ``configuration`` changed at a time, for every shape:
    what each constant is worth, judged by the shipping rule."""
    def changed(**values):
        return {shape: dict(settings, **values) for shape, settings in configuration.items()}

    def scaled(key, factor):
        return {shape: dict(settings, **{key: settings[key] * factor}) for shape, settings in configuration.items()}

    checks = [
        ("frequent-word drop off", changed(frequent=2.0)),
        ("thesaurus weights x0.5", {s: dict(c, synonym=c["synonym"] / 2, related=c["related"] / 2)
                                    for s, c in configuration.items()}),
        ("thesaurus weights x2", {s: dict(c, synonym=min(1.0, c["synonym"] * 2), related=c["related"] * 2)
                                  for s, c in configuration.items()}),
        ("head B 0.75", changed(head_B=0.75)),
        ("head B 0.0", changed(head_B=0.0)),
        ("first mention x2", scaled("early", 2)),
        ("proximity x2", scaled("proximity", 2)),
        ("coverage x0.5", scaled("coverage", 0.5)),
        ("coverage by word count, not rarity", changed(rarity=False)),
    ]
    return checks


def verdict(candidate: dict[str, float], current: dict[str, float]) -> str:
    """``ships`` (the rule holds and the mean rises by more than TIE), ``tie``
    (the rule holds, but the gain is noise-sized: not adopted) or ``no``."""
    if not ships(candidate, current):
        return "no"
    return "ships" if mean_over(candidate) > mean_over(current) * (1 + TIE) else "tie"


def print_checks(protocol: "Protocol", families: list[str], best: dict[str, dict]) -> None:
    chosen = family_scores(protocol.configured(best))
    rows = [("best on all families", chosen)]
    for label, configuration in knob_checks(best):
        scores = family_scores(protocol.configured(configuration))
        rows.append((f"{label} ({verdict(scores, chosen)})", scores))
    # The shape rule itself: one profile for every query, or another word limit.
    for label, limit in (("one profile (the long one) for all", 0), ("short = 1 word", 1), ("short <= 3 words", 3)):
        saved = ranking.SHORT_QUERY_WORDS
        ranking.SHORT_QUERY_WORDS = limit
        try:
            scores = family_scores(protocol.configured(best))
        finally:
            ranking.SHORT_QUERY_WORDS = saved
        rows.append((f"{label} ({verdict(scores, chosen)})", scores))
    # Shapes by the rarity of the words and by quotes (a rule needs the index's
    # document frequencies, so these are tried here before any is built in).
    rarest = protocol.rarest_share()
    words = {qid: len(ranking._WORD.findall(text)) for qid, text in protocol.texts.items()}
    quoted = {qid: bool(QUOTES.search(text)) for qid, text in protocol.texts.items()}
    rules = (
        ("short also: 3-4 words with a word in < 0.5 % of documents",
         lambda q: "short" if words[q] <= 2 or (words[q] <= 4 and rarest[q] < 0.005) else "long"),
        ("short only with a word in < 1 % of documents (common topics long)",
         lambda q: "short" if words[q] <= 2 and rarest[q] < 0.01 else "long"),
        ("short only with a word in >= 1 % of documents (rare names long)",
         lambda q: "short" if words[q] <= 2 and rarest[q] >= 0.01 else "long"),
        ("quoted queries long", lambda q: "long" if quoted[q] else protocol.shape(q)),
        ("quoted queries short", lambda q: "short" if quoted[q] else protocol.shape(q)),
    )
    for label, rule in rules:
        scores = family_scores(protocol.configured(best, shape_of=rule))
        rows.append((f"{label} ({verdict(scores, chosen)})", scores))
    print_rows("Each constant of the best configuration re-decided (ships: would replace it; "
               "tie: passes the rule by less than TIE, not adopted)", families, rows)


# -- output -----------------------------------------------------------------


def print_rows(title: str, families: list[str], rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    headers = ["system", *families, "mean"]
    lines = [[name, *(f"{scores.get(f, float('nan')):.4f}" for f in families), f"{mean_over(scores):.4f}"]
             for name, scores in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))


def print_differences(protocol: Protocol, shipped: dict[str, dict], family: str) -> None:
    """Each query of ``family`` scored differently as shipped and by Snowball:
    where to look for what a family loses."""
    engine, snowball = protocol.configured(shipped), protocol.baseline("snowball")
    print(f"{family}: queries scored differently (as shipped, Snowball)")
    for qid, text in sorted(protocol.texts.items()):
        if family_of(qid) == family and abs(engine[qid] - snowball[qid]) > 1e-9:
            print(f"{qid}  {engine[qid]:.3f}  {snowball[qid]:.3f}  {text}")


def describe(configuration: dict[str, dict]) -> str:
    parts = []
    for shape, settings in configuration.items():
        changed = {k: v for k, v in settings.items() if PLAIN.get(k) != v}
        parts.append(f"{shape}: " + (", ".join(f"{k}={v}" for k, v in changed.items()) or "plain"))
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> None:
    from search import index as engine_index

    # Every index here scored by the vectorised scorer (same rankings as
    # Whoosh's matchers, tested), however small: sweeps take a third of the time.
    engine_index.FAST_SCORING_MIN_DOCS = 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family-dir", type=Path, default=ROOT / "bench" / "out" / "families")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "protocol")
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--sweep", action="store_true", help="search the grid and run leave-one-collection-out")
    parser.add_argument("--differ", metavar="FAMILY", help="list FAMILY's queries that the engine as shipped "
                        "and Snowball score differently")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    collections = [Collection(args.family_dir / name, args.out, args.procs) for name in COLLECTIONS
                   if (args.family_dir / name / "queries.tsv").exists()]
    if not collections:
        raise SystemExit(f"no families under {args.family_dir}: run bench/families.py first")
    protocol = Protocol(collections)
    families = sorted({f for c in collections for f in c.families})
    shipped = {shape: current_settings(shape) for shape in ranking.QUERY_SHAPES}
    old = {shape: OLD for shape in ranking.QUERY_SHAPES}
    plain = {shape: PLAIN for shape in ranking.QUERY_SHAPES}

    if args.differ:
        print_differences(protocol, shipped, args.differ)
        return
    configurations = [("plain engine", plain), ("before issue 15", old), ("as shipped", shipped)]
    if args.sweep:
        candidates = grid_settings()
        best = best_shared(protocol, candidates, families)
        configurations.append(("best on all families", best))
        configurations.append(("best on all families, each shape on its own",
                               best_by_shape(protocol, candidates, families)))
    for judged_only in (False, True):
        rows = [(name, family_scores(protocol.baseline(name, judged_only))) for name in ("plain", "snowball")]
        rows = [(f"Whoosh {name}", scores) for name, scores in rows]
        rows += [(name, family_scores(protocol.configured(c, judged_only))) for name, c in configurations]
        print_rows("Per family, " + ("judged-only" if judged_only else "usual") + " scoring "
                   "(tag: nDCG@10, headline/lead: MRR@10)", families, rows)
    current = family_scores(protocol.configured(old))
    for name, configuration in configurations[2:]:
        verdict = "ships" if ships(family_scores(protocol.configured(configuration)), current) else "does not ship"
        print(f"{name} against before issue 15: {verdict}  [{describe(configuration)}]")

    if args.sweep:
        print_checks(protocol, families, best)
        rules = (("only head and first mention by shape (the rule)", best_shared),
                 ("BM25 shared, re-ranking by shape", lambda p, c, f: best_shared(p, c, f, shared=SHARED_BM25_KEYS)),
                 ("BM25 shared, re-ranking by shape, ties to the best worst family",
                  lambda p, c, f: best_shared(p, c, f, tie_break="worst", shared=SHARED_BM25_KEYS)),
                 ("each shape on its own", best_by_shape))
        for rule_name, rule in rules:
            rows = []
            for held_out in collections:
                others = [f for f in families if f not in held_out.families]
                chosen = rule(protocol, candidates, others)
                scores = family_scores(protocol.configured(chosen))
                print(f"[{rule_name}] held out {held_out.name}: chosen on {', '.join(others)}: {describe(chosen)}")
                rows.append((f"{held_out.name} held out", {f: scores[f] for f in held_out.families}))
            merged = {f: s for _, scores in rows for f, s in scores.items()}
            rows.append(("all held-out scores", merged))
            for name, scores in (("as shipped", family_scores(protocol.configured(shipped))),
                                 ("Whoosh snowball", family_scores(protocol.baseline("snowball")))):
                rows.append((name, scores))
            print_rows(f"Leave one collection out, choice rule: {rule_name} "
                       "(each row: settings chosen on the other collections)", families, rows)
    for collection in collections:
        collection.close()
    print(f"\nTotal time {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
