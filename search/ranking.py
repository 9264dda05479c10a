"""Scoring: the BM25F model, then re-ranking the best candidates.

Whoosh scores each query word on its own; documents in which the query words
stand close together, and documents that contain more of them, are far more
often the ones the user meant, so the top candidates get a boost for the
tightest window holding several query words and for their coverage of the
query. A document that names the query's subject (its rarest word) early,
in its title or first lines, is more likely about it than one that mentions
it in passing further down, so the score also shrinks slowly with the
position of that first mention. With ``recent``, newer documents get a boost that halves
every year.
The constants were tuned on ../shared/eval with bench/relevance.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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
# Score multiplier (1 + p) ** -EARLY_WEIGHT for the body position p where the
# query's subject (its rarest word) is first named, 0 in the title: ×0.87 at
# the 100th word.
EARLY_WEIGHT = 0.03
# Where a document with no query word in its title or body is taken to mention it.
NOT_MENTIONED = 10_000
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


@dataclass
class Evidence:
    """What the positions of the query words say about one document."""

    proximity: float = 0.0  # share of the query words in its tightest window, 0–1
    coverage: float = 0.0  # share of the query words it contains, 0–1
    first: int = NOT_MENTIONED  # body position of the query's subject; 0 in the title


def evidence(
    postings: "PostingReader", docnums: list[int], concepts: Sequence[frozenset[str]]
) -> dict[int, Evidence]:
    """Each document's :class:`Evidence`. The query's subject is its rarest
    word found in the index (a word in no document, a typo, names nothing);
    proximity and coverage need two words."""
    ordered = sorted(docnums)
    reader = postings.reader
    sizes = [sum(reader.doc_frequency("body", lemma) for lemma in lemmas) for lemmas in concepts]
    present = [index for index, size in enumerate(sizes) if size]
    subject = min(present, key=sizes.__getitem__) if present else None
    # One query word needs only its first mention in the body.
    fields = ("body", "head") if len(concepts) >= 2 else ("body",)
    per_doc: dict[int, list[tuple[int, int]]] = {}
    found = {docnum: Evidence() for docnum in docnums}
    for index, lemmas in enumerate(concepts):
        for lemma in lemmas:
            if index == subject:
                for docnum in postings.postings("title", lemma).positions(ordered):
                    found[docnum].first = 0
            for field in fields:
                offset = 0 if field == "body" else -1_000_000  # keep head and body apart
                for docnum, positions in postings.postings(field, lemma).positions(ordered).items():
                    per_doc.setdefault(docnum, []).extend((p + offset, index) for p in positions)
                    if field == "body" and index == subject:
                        found[docnum].first = min(found[docnum].first, positions[0])
    if len(concepts) >= 2:
        spread = len(concepts) - 1
        for docnum, occurrences in per_doc.items():
            found[docnum].proximity = (best_window(occurrences, len(concepts), PROXIMITY_WINDOW) - 1) / spread
            found[docnum].coverage = len({concept for _, concept in occurrences}) / len(concepts)
    return found


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
    """Re-score the candidates by proximity, coverage and the first mention
    (and recency), and sort them again."""
    docnums = [docnum for docnum, _ in candidates]
    found = evidence(postings, docnums, concepts) if concepts else {}
    new = recency(searcher, docnums) if recent else {}
    rescored = []
    for docnum, score in candidates:
        boost = 1.0
        if docnum in found:
            seen = found[docnum]
            boost = (1 + PROXIMITY_WEIGHT * seen.proximity) * (1 + COVERAGE_WEIGHT * seen.coverage)
            boost *= (1 + seen.first) ** -EARLY_WEIGHT
        rescored.append((docnum, score * boost * (1 + RECENCY_WEIGHT * new.get(docnum, 0.0))))
    rescored.sort(key=lambda item: (-item[1], item[0]))
    return rescored
