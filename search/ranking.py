"""Scoring: the BM25F model, then re-ranking the best candidates.

Whoosh scores each query word on its own; documents in which the query words
stand close together, and documents that contain more of them, are far more
often the ones the user meant, so the top candidates get a boost for the
tightest window holding several query words and for their coverage of the
query. With ``recent``, newer documents get a boost that halves every year.
The constants were tuned on ../shared/eval with bench/relevance.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from whoosh import scoring
from whoosh.searching import Searcher

from search.columns import column

if TYPE_CHECKING:
    from search.postings import PostingReader

# BM25F parameters: length normalisation and term-frequency saturation.
BM25_B = 0.9
BM25_K1 = 0.8
# Length normalisation of the (short) head field.
HEAD_B = 0.3
# How many top BM25F candidates are re-ranked.
RERANK_DEPTH = 100
# A window of this many positions counts as "close together".
PROXIMITY_WINDOW = 8
# Score multiplier for a document whose window holds every query word.
PROXIMITY_WEIGHT = 0.5
# Score multiplier for a document containing every query word (of several).
COVERAGE_WEIGHT = 1.0
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 365.0

Candidate = tuple[int, float]  # (document number, score)


def weighting() -> scoring.WeightingModel:
    """The first-stage scoring model."""
    return scoring.BM25F(B=BM25_B, K1=BM25_K1, head_B=HEAD_B)


def best_window(occurrences: list[tuple[int, int]], concepts: int, window: int) -> int:
    """Most distinct concepts among (position, concept) pairs within ``window`` positions."""
    occurrences.sort()
    best = 0
    counts: dict[int, int] = {}
    start = 0
    for position, concept in occurrences:
        counts[concept] = counts.get(concept, 0) + 1
        while position - occurrences[start][0] >= window:
            old = occurrences[start][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            start += 1
        best = max(best, len(counts))
        if best == concepts:
            break
    return best


def evidence(
    postings: "PostingReader", docnums: list[int], concepts: Sequence[frozenset[str]]
) -> dict[int, tuple[float, float]]:
    """For each document, (proximity, coverage), each 0–1: how many query words
    share its tightest window, and how many of them it contains at all."""
    if len(concepts) < 2:
        return {}
    ordered = sorted(docnums)
    per_doc: dict[int, list[tuple[int, int]]] = {}
    for index, lemmas in enumerate(concepts):
        for field in ("body", "head"):
            offset = 0 if field == "body" else -1_000_000  # keep head and body apart
            for lemma in lemmas:
                for docnum, positions in postings.postings(field, lemma).positions(ordered).items():
                    per_doc.setdefault(docnum, []).extend((p + offset, index) for p in positions)
    spread = len(concepts) - 1
    return {
        docnum: (
            (best_window(occurrences, len(concepts), PROXIMITY_WINDOW) - 1) / spread,
            len({concept for _, concept in occurrences}) / len(concepts),
        )
        for docnum, occurrences in per_doc.items()
    }


def recency(searcher: Searcher, docnums: list[int]) -> dict[int, float]:
    """0–1 per document: 1 for the newest candidate, halving every year older."""
    dated = column(searcher.reader(), "date")
    dates: dict[int, dt.datetime] = {}
    for docnum in docnums:
        value = dated.get(docnum)
        if isinstance(value, dt.datetime) and value.year > 1:
            dates[docnum] = value
    if not dates:
        return {}
    newest = max(dates.values())
    return {
        docnum: 0.5 ** ((newest - value).days / RECENCY_HALF_LIFE_DAYS) for docnum, value in dates.items()
    }


def rerank(
    searcher: Searcher,
    postings: "PostingReader",
    candidates: list[Candidate],
    concepts: Sequence[frozenset[str]],
    recent: bool = False,
) -> list[Candidate]:
    """Re-score the candidates by proximity and coverage (and recency), and
    sort them again."""
    docnums = [docnum for docnum, _ in candidates]
    found = evidence(postings, docnums, concepts)
    new = recency(searcher, docnums) if recent else {}
    rescored = []
    for docnum, score in candidates:
        close, covered = found.get(docnum, (0.0, 0.0))
        boost = (1 + PROXIMITY_WEIGHT * close) * (1 + COVERAGE_WEIGHT * covered)
        rescored.append((docnum, score * boost * (1 + RECENCY_WEIGHT * new.get(docnum, 0.0))))
    rescored.sort(key=lambda item: (-item[1], item[0]))
    return rescored
