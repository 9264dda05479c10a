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

import heapq
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

from search.limits import MAX_EXPANSIONS, MAX_WORD_LENGTH, SCAN_CHECK_EVERY, Deadline, unlimited

if TYPE_CHECKING:
    from whoosh.reading import IndexReader


# How Whoosh's hash files frame an entry (filetables._lengths) and a term's
# document frequency in it (W3TermInfo).
_LENGTHS = struct.Struct("!ii")
_FREQUENCY = struct.Struct("!I")


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


def _words(segment: "IndexReader", field: str, prefix: str) -> Iterator[tuple[bytes, int]]:
    """(word, document frequency) for the words of one segment starting with ``prefix``.

    Reads the stretch of the Whoosh 3 word table holding those words in one
    piece and walks it in memory: Whoosh's own iteration makes several small
    file reads per word and decodes each word's whole entry (unpickling the
    postings of rare words), some twenty times the cost.
    """
    terms = getattr(segment, "_terms", None)
    table = getattr(terms, "_tindex", None)
    if table is None or not all(hasattr(table, name) for name in ("closest_key_pos", "endofdata", "dbfile")):
        for raw, info in segment.iter_prefix(field, prefix):
            yield raw, info.doc_frequency()
        return
    start = terms._keycoder(field, prefix.encode("utf-8"))
    skip = len(terms._keycoder(field, b""))
    begin = table.closest_key_pos(start)
    if begin is None:
        return
    after = _successor(start)
    end = (table.closest_key_pos(after) if after else None) or table.endofdata
    block = table.dbfile.get(begin, end - begin)
    position = 0
    lengths, frequency = _LENGTHS.unpack_from, _FREQUENCY.unpack_from
    while position < len(block):
        key_length, data_length = lengths(block, position)
        key_start = position + _LENGTHS.size
        data_start = key_start + key_length
        key = block[key_start:data_start]
        position = data_start + data_length
        if not key.startswith(start):
            return
        # A Whoosh 3 term entry starts with a flag byte and the weight (a
        # float), then the document frequency (see W3TermInfo.read_doc_freq).
        yield key[skip:], frequency(block, data_start + 5)[0]


def _successor(key: bytes) -> bytes | None:
    """The smallest key after every key starting with ``key`` (None: none)."""
    key = key.rstrip(b"\xff")
    return key[:-1] + bytes([key[-1] + 1]) if key else None


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
    frequencies: dict[bytes, int] = {}
    complete = True
    seen = 0
    for segment in _segments(reader):
        for raw, doc_frequency in _words(segment, field, prefix):
            seen += 1
            if seen % SCAN_CHECK_EVERY == 0 and deadline.expired():
                complete = False
                break
            if accept is _always or accept(raw.decode("utf-8")):
                frequencies[raw] = frequencies.get(raw, 0) + doc_frequency
        if not complete:
            break
    best = heapq.nsmallest(limit, frequencies.items(), key=lambda item: (-item[1], item[0]))
    return Expansion(tuple(raw.decode("utf-8") for raw, _ in best), len(frequencies), complete)


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
    from rapidfuzz.distance import OSA  # only fuzzy words and suggestions need it (import ~10 ms)

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
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b)
