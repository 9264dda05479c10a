"""One scorer per searcher that picks, query by query, how to score.

Both ways give Whoosh's BM25F scores bit for bit: :mod:`search.ranking.purescore`
scores posting by posting in pure Python, :mod:`search.ranking.fastscore`
whole posting lists at once with numpy. The pure one is taken while the
process has not loaded numpy and the query's postings are few: a fresh
``search query`` process then answers without importing numpy at all. Once
numpy is loaded (a long-running process, a large query), the vectorised one
scores everything.
"""

from __future__ import annotations

import sys
import threading

from whoosh import query as wq
from whoosh.searching import Searcher

from search.ranking import purescore

# Up to this many postings a query is scored in pure Python while numpy is not
# loaded. Pure scoring costs about 0.5–1.5 µs a posting on this project's
# 2-core machine, importing numpy 50–140 ms (idle to busy) before the first
# vectorised query: they break even near 100,000 postings.
PURE_SCORING_MAX_POSTINGS = 80_000


def numpy_loaded() -> bool:
    return "numpy" in sys.modules


class Scorer:
    """Scores plain word queries against one searcher (see the module's
    docstring); raises :class:`search.ranking.purescore.Unsupported` for other
    shapes, which Whoosh's matchers score."""

    cut_short = purescore.ThreadOwn(False)  # whether this thread's last query ran out of time

    def __init__(self, searcher: Searcher):
        self._per_thread = threading.local()
        self.stats = purescore.Statistics(searcher)
        self._pure = purescore.Scorer(self.stats)
        self._vectorised = None
        self._lock = threading.Lock()

    def dated(self, low: int, high: int) -> purescore.DateBounds:
        """The documents dated within ``low``..``high`` (inclusive), as a mask for :meth:`score`."""
        return purescore.DateBounds(low, high)

    def score(self, query: wq.Query, bounds: purescore.DateBounds | None = None, weights=None, deadline=None):
        """The matching documents and their scores (``top``, ``by_date``, ``total``)."""
        if not numpy_loaded():
            if purescore.posting_count(self.stats, query, PURE_SCORING_MAX_POSTINGS) is not None:
                try:
                    scored = self._pure.score(query, bounds, weights, deadline)
                except purescore.Unhandled:
                    pass
                else:
                    self.cut_short = self._pure.cut_short
                    return scored
        vectorised = self.vectorised()
        mask = vectorised.dated(*bounds) if bounds is not None else None
        scored = vectorised.score(query, mask, weights, deadline)
        self.cut_short = vectorised.cut_short
        return scored

    def vectorised(self):
        """The numpy scorer, made on first need; it shares the posting lists read so far."""
        with self._lock:
            if self._vectorised is None:
                from search.ranking import fastscore

                statistics = fastscore.Statistics(self.stats.searcher, self.stats.posting_reader)
                self._vectorised = fastscore.Scorer(statistics)
            return self._vectorised
