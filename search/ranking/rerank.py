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
The constants depend on the query's shape (a one- or two-word topic, or a
longer query: :data:`PROFILES`); they were chosen with bench/protocol.py on
judged query families from four collections.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

from whoosh import scoring
from whoosh.searching import Searcher

from search.storage.columns import column

if TYPE_CHECKING:
    from search.storage.postings import PostingReader

# How many top BM25F candidates are re-ranked.
RERANK_DEPTH = 100
# A window of this many positions counts as "close together".
PROXIMITY_WINDOW = 8
# Where a document with no query word in its title or body is taken to mention it.
NOT_MENTIONED = 10_000
# Coverage counts each query word by its rarity (IDF), not as one of n: a
# document holding the rare name of a headline but not its common words is
# closer to it than one holding the common words only (see evidence()).
COVERAGE_BY_RARITY = True
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 365.0

Candidate = tuple[int, float]  # (document number, score)



@dataclass(frozen=True)
class Profile:
    """The ranking constants for one shape of query (see :func:`query_shape`)."""

    B: float  # BM25F length normalisation of the body
    K1: float  # BM25F term-frequency saturation
    head_B: float  # length normalisation of the (short) head field
    head_weight: float  # multiplies the head field's scores (its index-time boost is schema.HEAD_BOOST)
    proximity: float  # score multiplier for a window holding every query word
    coverage: float  # score multiplier for a document containing every query word (of several)
    early: float  # score multiplier (1 + p) ** -early for the body position p of the subject's first mention


# Query shapes: a topic query of one or two words, and anything longer.
QUERY_SHAPES = ("short", "long")
SHORT_QUERY_WORDS = 2
# Chosen with bench/protocol.py on seven judged families from four
# collections (bench/FAMILIES.md). A topic query wants plain BM25 over the
# body (the head, a copy of the title and lead, only rewards short
# documents); a long query wants the head at half weight and no first-mention
# factor (its subject is not one word). Everything else is shared by rule
# (bench/protocol.py, best_shared): fewer free settings held out better.
PROFILES = {
    "short": Profile(B=0.75, K1=1.2, head_B=0.75, head_weight=0.0, proximity=0.5, coverage=1.0, early=0.03),
    "long": Profile(B=0.75, K1=1.2, head_B=0.3, head_weight=0.5, proximity=0.5, coverage=1.0, early=0.0),
}
_WORD = re.compile(r"\w+")


def query_shape(text: str) -> str:
    """``short`` for a query of at most SHORT_QUERY_WORDS words, else ``long``."""
    return "short" if len(_WORD.findall(text)) <= SHORT_QUERY_WORDS else "long"


def profile(text: str) -> Profile:
    """The ranking constants for the query ``text``."""
    return PROFILES[query_shape(text)]


class _ScaledBM25FScorer(scoring.BM25FScorer):
    """Whoosh's BM25F scorer, its scores multiplied by a field weight."""

    def __init__(self, searcher, fieldname, text, B, K1, scale):
        self.scale = scale  # before Whoosh's setup, which scores already
        super().__init__(searcher, fieldname, text, B, K1)

    def _score(self, weight, length):
        return super()._score(weight, length) * self.scale


class ProfileBM25F(scoring.BM25F):
    """Whoosh's BM25F with a :class:`Profile`'s B, K1, head B and head weight."""

    def __init__(self, profile: Profile):
        super().__init__(B=profile.B, K1=profile.K1, head_B=profile.head_B)
        self.profile = profile

    def scorer(self, searcher, fieldname, text, qf=1):
        if fieldname == "head" and self.profile.head_weight != 1.0 and searcher.schema[fieldname].scorable:
            weight = self.profile.head_weight
            return _ScaledBM25FScorer(searcher, fieldname, text, self.profile.head_B, self.K1, weight)
        return super().scorer(searcher, fieldname, text, qf)


def weighting(chosen: Profile | None = None) -> scoring.WeightingModel:
    """The first-stage scoring model (for ``chosen``, by default long queries')."""
    return ProfileBM25F(chosen or PROFILES["long"])


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
    coverage: float = 0.0  # share of the query words it contains (by rarity, see COVERAGE_BY_RARITY), 0–1
    first: int = NOT_MENTIONED  # body position of the query's subject; 0 in the title


def evidence(
    postings: "PostingReader", docnums: list[int], concepts: Sequence[frozenset[str]]
) -> dict[int, Evidence]:
    """Each document's :class:`Evidence`. The query's subject is its rarest
    word found in the index (a word in no document, a typo, names nothing);
    proximity and coverage need two words."""
    ordered = sorted(docnums)
    # Document frequencies as the posting lists' lengths: these lists are read
    # below anyway (usually already decoded by the scorer), where each
    # doc_frequency call looks the word up again in every segment's term table.
    sizes = [sum(len(postings.postings("body", lemma).ids) for lemma in lemmas) for lemmas in concepts]
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
                    shifted = map(offset.__add__, positions) if offset else positions
                    per_doc.setdefault(docnum, []).extend(zip(shifted, repeat(index)))
                    if field == "body" and index == subject:
                        found[docnum].first = min(found[docnum].first, positions[0])
    if len(concepts) >= 2:
        spread = len(concepts) - 1
        weights = _concept_weights(sizes, postings.reader.doc_count_all())
        total = sum(weights) or 1.0
        for docnum, occurrences in per_doc.items():
            occurrences.sort()  # as best_window sorts them; the set is then made in the same order as before
            present = {concept for _, concept in occurrences}
            # No window holds more concepts than the document has: the search stops there.
            best = best_window(occurrences, len(present), PROXIMITY_WINDOW) if len(present) > 1 else 1
            found[docnum].proximity = (best - 1) / spread
            found[docnum].coverage = sum(weights[c] for c in present) / total
    return found


def _concept_weights(sizes: list[int], documents: int) -> list[float]:
    """How much each query word counts towards coverage: its BM25 IDF (as
    Whoosh computes it) with COVERAGE_BY_RARITY, else 1 each. With rarity,
    a word in no document (a typo) weighs nothing: no candidate holds it."""
    if not COVERAGE_BY_RARITY:
        return [1.0] * len(sizes)
    return [math.log(max(documents, 1) / (size + 1)) + 1 if size else 0.0 for size in sizes]


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
    chosen: Profile | None = None,
) -> list[Candidate]:
    """Re-score the candidates by proximity, coverage and the first mention
    (and recency) with ``chosen``'s weights (by default long queries'), and
    sort them again."""
    weights = chosen or PROFILES["long"]
    docnums = [docnum for docnum, _ in candidates]
    found = evidence(postings, docnums, concepts) if concepts else {}
    new = recency(searcher, docnums) if recent else {}
    rescored = []
    for docnum, score in candidates:
        boost = 1.0
        if docnum in found:
            seen = found[docnum]
            boost = (1 + weights.proximity * seen.proximity) * (1 + weights.coverage * seen.coverage)
            boost *= (1 + seen.first) ** -weights.early
        rescored.append((docnum, score * boost * (1 + RECENCY_WEIGHT * new.get(docnum, 0.0))))
    rescored.sort(key=lambda item: (-item[1], item[0]))
    return rescored
