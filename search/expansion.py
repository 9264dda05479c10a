"""Expanding prefix, wildcard and typo-tolerant words to indexed words, within bounds.

Whoosh expands such terms itself, but without a cap: ``а*`` becomes every
one of thousands of words, a wildcard with a leading ``*`` walks the whole
word list through its matcher, and ``слово~N`` builds a Levenshtein
automaton whose size explodes with N and the word's length. Here each
expansion is one pass over the stretch of the word list that shares the
term's literal beginning, segment by segment (Whoosh's merged view of a
multi-segment word list costs several times more), keeping at most
``limit`` words, the most frequent first, and stopping when the search's
time budget runs out.
"""

from __future__ import annotations

import functools
import heapq
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from rapidfuzz.distance import OSA
from whoosh.codec.whoosh3 import W3TermInfo

from search.limits import MAX_EXPANSIONS, MAX_WORD_LENGTH, SCAN_CHECK_EVERY, Deadline, unlimited

if TYPE_CHECKING:
    from whoosh.reading import IndexReader


@dataclass(frozen=True)
class Expansion:
    """The indexed words a term stands for.

    ``words`` are the kept ones, most frequent first; ``matched`` counts every
    word that matched (more than ``len(words)`` when the cap cut the list);
    ``complete`` is false when the time budget stopped the pass early.
    """

    words: tuple[str, ...]
    matched: int
    complete: bool = True

    @property
    def cut(self) -> bool:
        return self.matched > len(self.words)


def _segments(reader: "IndexReader") -> list["IndexReader"]:
    return list(getattr(reader, "readers", None) or [reader])


def _words(segment: "IndexReader", field: str, prefix: str) -> Iterator[tuple[bytes, Callable[[], int]]]:
    """(word, its document frequency when asked) for the words of one segment
    starting with ``prefix``.

    Reads the Whoosh 3 word table directly where it can: Whoosh's own
    iteration decodes each word's whole entry (unpickling the postings of
    rare words), several times the cost of reading the words alone.
    """
    terms = getattr(segment, "_terms", None)
    table = getattr(terms, "_tindex", None)
    if table is None or not hasattr(table, "ranges_from") or not hasattr(terms, "_keycoder"):
        for raw, info in segment.iter_prefix(field, prefix):
            yield raw, info.doc_frequency
        return
    start = terms._keycoder(field, prefix.encode("utf-8"))
    skip = len(terms._keycoder(field, b""))
    dbfile = table.dbfile
    for keypos, keylen, datapos, _ in table.ranges_from(start):
        key = dbfile.get(keypos, keylen)
        if not key.startswith(start):
            return
        yield key[skip:], functools.partial(W3TermInfo.read_doc_freq, dbfile, datapos)


def scan(
    reader: "IndexReader",
    field: str,
    prefix: str,
    accept: Callable[[str], bool],
    deadline: Deadline | None = None,
    limit: int = MAX_EXPANSIONS,
) -> Expansion:
    """The words of ``field`` starting with ``prefix`` that ``accept`` takes,
    the ``limit`` most frequent (by document frequency) first."""
    deadline = deadline or unlimited()
    frequencies: dict[str, int] = {}
    complete = True
    seen = 0
    for segment in _segments(reader):
        for raw, doc_frequency in _words(segment, field, prefix):
            seen += 1
            if seen % SCAN_CHECK_EVERY == 0 and deadline.expired():
                complete = False
                break
            word = raw.decode("utf-8")
            if accept(word):
                frequencies[word] = frequencies.get(word, 0) + doc_frequency()
        if not complete:
            break
    best = heapq.nsmallest(limit, frequencies.items(), key=lambda item: (-item[1], item[0]))
    return Expansion(tuple(word for word, _ in best), len(frequencies), complete)


def literal_prefix(pattern: str) -> str:
    """What a wildcard pattern's words must start with: its text before the first ``*``."""
    return pattern.split("*", 1)[0]


def wildcard(
    reader: "IndexReader", field: str, pattern: str, deadline: Deadline | None = None, limit: int = MAX_EXPANSIONS
) -> Expansion:
    """The indexed words matching ``pattern`` (``*`` = any letters), which
    must start with at least one letter: a leading ``*`` would scan the
    whole word list (Lucene's query parser refuses it too)."""
    prefix = literal_prefix(pattern)
    if not prefix:
        raise ValueError("a wildcard pattern must start with a letter")
    if "*" not in pattern:
        accept = pattern.__eq__
    elif pattern.endswith("*") and pattern.count("*") == 1:
        accept = _always
    else:
        regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        accept = regex.fullmatch
    return scan(reader, field, prefix, accept, deadline, limit)


def _always(word: str) -> bool:
    return True


def close_words(
    reader: "IndexReader",
    field: str,
    word: str,
    maxdist: int,
    prefix_length: int = 1,
    deadline: Deadline | None = None,
    limit: int = MAX_EXPANSIONS,
) -> Expansion:
    """The indexed words within ``maxdist`` edits of ``word`` (a swap of two
    neighbouring letters counting as one edit) that share its first
    ``prefix_length`` letters (at least one: a typo in the first letter is
    rare, and the pass then reads a small part of the word list)."""
    prefix = word[: max(1, prefix_length)]
    length = len(word)

    def accept(candidate: str) -> bool:
        return (
            abs(len(candidate) - length) <= maxdist
            and len(candidate) <= MAX_WORD_LENGTH
            and OSA.distance(word, candidate, score_cutoff=maxdist) <= maxdist
        )

    return scan(reader, field, prefix, accept, deadline, limit)


def distance(a: str, b: str) -> int:
    """Edits between two words, a swap of neighbouring letters counting as one."""
    return OSA.distance(a, b)
