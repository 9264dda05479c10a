"""A disjunction scored by its best-matching alternative.

Whoosh's DisjunctionMax query would do, but its matcher scores a document
with the maximum over *all* active sub-matchers, including those standing on
other documents; this one takes only the sub-matchers on the current one.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import DisjunctionMaxMatcher


class _BestOfMatcher(DisjunctionMaxMatcher):
    def score(self) -> float:
        current = self.id()
        return max(m.score() for m in (self.a, self.b) if m.is_active() and m.id() == current)

    def copy(self) -> "_BestOfMatcher":
        return self.__class__(self.a.copy(), self.b.copy(), tiebreak=self.tiebreak)


class BestOf(wq.DisjunctionMax):
    """Matches any alternative; scores a document by its best one."""

    def _matcher(self, subs, searcher, context):
        reader = searcher.reader()
        return self._tree_matcher(subs, _BestOfMatcher, searcher, context, lambda q: q.estimate_size(reader))
