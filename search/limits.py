"""The bounds every input is held to, and the time budget of one search.

A hostile or careless query must answer or be refused quickly, and a
hostile corpus file must not abort a build. The figures follow the
anchors: Lucene caps fuzzy distance at 2 and boolean clauses at 1,024,
Elasticsearch expands a fuzzy or prefix term to at most 50 words and stops
a search at its timeout with the hits found so far, Lucene's analyzers drop
over-long tokens. README.md, "Limits", documents them.
"""

from __future__ import annotations

import time
from typing import Callable

# Words longer than this are neither lemmatised nor indexed, in documents
# and queries alike (no Russian word comes near it; pymorphy3 recurses on
# the length of what it is given).
MAX_WORD_LENGTH = 64
# The largest edit distance of a typo-tolerant word (``слово~N``).
MAX_FUZZY_DISTANCE = 2
# How many indexed words a prefix, wildcard or typo-tolerant term may stand
# for, the most frequent kept.
MAX_EXPANSIONS = 50
# How many indexed words all the expanded terms of one query may stand for
# together (Lucene's cap on a query's clauses after expansion is 1,024; each
# word here is searched in one field).
MAX_EXPANDED_WORDS = 200
# A query longer than this many characters is cut at a word boundary.
MAX_QUERY_LENGTH = 1000
# Queries with more words (terms of any kind) than this keep the first ones.
MAX_CLAUSES = 64
# Parentheses nested deeper than this are read as plain words.
MAX_NESTING = 16
# How long one search may take before it returns what it has found so far.
DEFAULT_TIMEOUT = 2.0
# How long ``search kwic`` may read documents before it returns the lines
# found so far: a concordance of a common word reads thousands of bodies,
# legitimately longer than one search.
CONCORDANCE_TIMEOUT = 10.0
# How many words of the index's word list a wildcard or fuzzy scan reads
# between two looks at the clock.
SCAN_CHECK_EVERY = 2048


class Deadline:
    """The time left for one search; ``clock`` may be injected by tests.

    ``seconds=None`` means no limit. ``expired()`` also records that the
    budget ran out, so that the results can be marked partial.
    """

    def __init__(self, seconds: float | None = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.monotonic):
        if seconds is not None and seconds <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.seconds = seconds
        self.clock = clock
        self.end = None if seconds is None else clock() + seconds
        self.ran_out = False

    def remaining(self) -> float | None:
        """Seconds left (never below zero), or ``None`` without a limit."""
        if self.end is None:
            return None
        return max(0.0, self.end - self.clock())

    def expired(self) -> bool:
        if self.end is not None and self.clock() >= self.end:
            self.ran_out = True
        return self.ran_out


def unlimited() -> Deadline:
    return Deadline(None)
