"""Score the shipped configuration with FORM_CLASS_WEIGHT variants per shape (issue 15 experiment).

Usage: python bench/forms_experiment.py SHORT,LONG ... (VERBS_ONLY=1: finite verbs only)."""
import sys
sys.path.insert(0, ".")
from pathlib import Path
from bench import protocol as P
from search import index as engine_index
engine_index.FAST_SCORING_MIN_DOCS = 0
ROOT = Path(".")
import search.text.morphology as M
import os
if os.environ.get("VERBS_ONLY"): M._CLASS_OF_WORD = {"VERB": "VERB"}
cols = [P.Collection(ROOT / "bench/out/families" / n, ROOT / "bench/out/protocol", 2) for n in P.COLLECTIONS]
pr = P.Protocol(cols)
fams = sorted({f for c in cols for f in c.families})
shipped = {s: P.current_settings(s) for s in P.ranking.QUERY_SHAPES}
base = P.family_scores(pr.configured(shipped))
rows = [("Whoosh snowball", P.family_scores(pr.baseline("snowball"))), ("as shipped", base)]
for spec in sys.argv[1:]:
    short_w, long_w = map(float, spec.split(","))
    conf = {"short": dict(shipped["short"], forms=short_w), "long": dict(shipped["long"], forms=long_w)}
    scores = P.family_scores(pr.configured(conf))
    rows.append((f"forms short {short_w} long {long_w} ({P.verdict(scores, base)})", scores))
    judged = P.family_scores(pr.configured(conf, True))
    print(spec, "judged-only md-tag", round(judged["md-tag"], 4), "mean", round(P.mean_over(judged), 4))
P.print_rows("forms bonus", fams, rows)
