"""Keyword in context: every occurrence of a query's words in the matching documents.

Each occurrence becomes one line: the word as written, so many characters of
text to its left and right (whitespace collapsed), and the document's date,
source and id. Occurrences are found in the body text.

Finding them word by word through the lemmatiser (as snippets do) costs
seconds over a thousand documents. Instead the index's lemma table gives
every form its corpus has of the query's lemmas («Приднестровье»,
«Приднестровья», «Приднестровью» …), and one regular expression of those
forms scans each text. Texts holding stress marks or soft hyphens inside words
(which the expression would not see through), and indexes without a lemma
table, go through the snippet matcher instead: same answer, slower.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from whoosh.searching import Searcher

from search.limits import Deadline
from search.text.analysis import strip_ignorable
from search.retrieval.matching import MatchingSet
from search.query.planner import MatchTerms
from search.retrieval.snippets import Matcher

SORT_KEYS = ("date", "source", "left", "right")
DEFAULT_WIDTH = 40
MAX_WIDTH = 500
# Characters that the analyzer drops from inside words (stress marks, soft
# hyphens, zero-width characters): a text holding any goes through the matcher.
_IGNORABLE = re.compile("[\u0300\u0301\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ConcordanceLine:
    """One occurrence: ``left`` + ``match`` + ``right`` as they stand in the text."""

    id: str
    date: dt.date | None
    source: str
    left: str
    match: str
    right: str
    offset: int  # where the match starts in the body

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source or None,
            "left": self.left,
            "match": self.match,
            "right": self.right,
            "offset": self.offset,
        }


@dataclass
class Concordance:
    """Every occurrence in the matching documents (``lines`` may be cut to a
    limit: ``total`` counts them all)."""

    query: str
    documents: int
    lines: list[ConcordanceLine] = field(default_factory=list)
    total: int = 0
    width: int = DEFAULT_WIDTH
    notices: list[str] = field(default_factory=list)


def occurrence_finder(terms: MatchTerms, forms: set[str] | None) -> Callable[[str], list[tuple[int, int]]]:
    """A function giving the (start, end) of every occurrence in a text.

    ``forms``: every indexed form of the query's lemmas (lowercase, ё folded),
    or None to match through the lemmatiser. Either way a hyphenated compound
    matches whole or by its parts, as in the index.
    """
    matcher = Matcher(terms)

    def by_matcher(text: str) -> list[tuple[int, int]]:
        return [(start, end) for start, end, _ in matcher.spans(text)]

    if forms is None:
        return by_matcher
    forms = forms | terms.forms
    if not forms and not terms.prefixes:
        return lambda text: []
    alternatives = [_trie_pattern(forms)] if forms else []
    alternatives += [re.escape(prefix) + r"\w*" for prefix in terms.prefixes]
    expression = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
    exact_matcher = Matcher(MatchTerms(terms.policy, frozenset(), frozenset(forms), terms.prefixes))

    def find(text: str) -> list[tuple[int, int]]:
        folded = _fold(text)
        if len(folded) != len(text) or _IGNORABLE.search(text):
            return [(start, end) for start, end, _ in exact_matcher.spans(text)]
        return [match.span() for match in expression.finditer(folded)]

    return find


def _fold(text: str) -> str:
    """Lowercase, ё as е, every hyphen as ``-``: how the lemma table writes
    forms (``replace`` rather than ``translate``: many times faster on Cyrillic)."""
    folded = text.lower().replace("ё", "е")
    if "\u2010" in folded or "\u2011" in folded:
        folded = folded.replace("\u2010", "-").replace("\u2011", "-")
    return folded


def _trie_pattern(words: set[str]) -> str:
    """One regular expression for a set of words, common beginnings factored
    out («приднестровь(?:е|ем|ю|я)»): Python's engine tries alternatives one by
    one, so a flat list of hundreds of forms is slow to scan with."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return pattern(trie)


def build_concordance(
    searcher: Searcher,
    found: MatchingSet,
    terms: MatchTerms,
    forms: set[str] | None,
    width: int = DEFAULT_WIDTH,
    sort: str = "date",
    limit: int | None = None,
    deadline: Deadline | None = None,
) -> Concordance:
    """The occurrences of ``terms`` (``forms``: all their forms in the index,
    see :func:`occurrence_finder`) in ``found``'s documents, sorted by
    ``sort`` (date: oldest first; source; left: by the words just before the
    match, nearest first; right: by the words just after), at most ``limit``
    lines kept.

    Only the lines that will be returned are held: a query of common words
    has millions of occurrences, and ``total`` counts them all. A line is
    made only for the occurrences kept; ranking needs only their sort keys.
    Past ``deadline`` the documents not yet read are left out, with a notice."""
    if sort not in SORT_KEYS:
        raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}")
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"width must be from 1 to {MAX_WIDTH}")
    if limit is not None and limit < 0:
        raise ValueError("limit must not be negative")
    find = occurrence_finder(terms, forms)
    kept: list = []  # a heap of (negated key, tie, item): the worst kept line on top
    tie = itertools.count()
    total = 0
    read = 0
    notices = list(found.notices)
    for docnum in found.docnums:
        if deadline is not None and deadline.expired():
            notices.append(
                f"stopped after {deadline.seconds:g} s: occurrences from {read:,} of {len(found.docnums):,} "
                "documents (raise the time budget to see them all)"
            )
            break
        read += 1
        fields = searcher.stored_fields(docnum)
        body = fields.get("body", "")
        spans = find(body)
        total += len(spans)
        if not spans or limit == 0:
            continue
        date = fields.get("date")
        document = (fields["id"], date.date() if date else None, fields.get("source", ""))
        for start, end in spans:
            key = _sort_key(sort, document, body, start, end, width)
            entry = (_Reversed(key), next(tie), (document, body, start, end))
            if limit is None or len(kept) < limit:
                heapq.heappush(kept, entry)
            elif key < kept[0][0].key:
                heapq.heapreplace(kept, entry)
    chosen = [item for _, _, item in sorted(kept, key=lambda entry: (entry[0].key, entry[1]))]
    lines = [_line(document, body, start, end, width) for document, body, start, end in chosen]
    return Concordance(found.plan.text, len(found.docnums), lines, total, width, notices)


class _Reversed:
    """A sort key ordered backwards, so that a min-heap keeps the worst line on top."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __lt__(self, other: "_Reversed") -> bool:
        return other.key < self.key


def _line(document: tuple, body: str, start: int, end: int, width: int) -> ConcordanceLine:
    doc_id, date, source = document
    return ConcordanceLine(
        id=doc_id,
        date=date,
        source=source,
        left=_left(body, start, width),
        match=strip_ignorable(body[start:end]),
        right=_right(body, end, width),
        offset=start,
    )


def _sort_key(sort: str, document: tuple, body: str, start: int, end: int, width: int) -> tuple:
    """Where the occurrence ``body[start:end]`` of ``document`` (id, date,
    source) goes: by date (undated last), by source then date, or by the
    context words left of it (nearest first) or right of it, then the match
    and the date."""
    doc_id, date, source = document
    by_date = (date is None, date or dt.date.min, doc_id, start)
    if sort == "date":
        return by_date
    if sort == "source":
        return (source.casefold(), *by_date)
    match = strip_ignorable(body[start:end]).casefold()
    if sort == "left":
        return (_words(_left(body, start, width))[::-1], match, *by_date)
    return (_words(_right(body, end, width)), match, *by_date)


def _left(text: str, start: int, width: int) -> str:
    """The ``width`` characters before ``start``, whitespace collapsed."""
    return _SPACE.sub(" ", text[max(0, start - 3 * width) : start])[-width:]


def _right(text: str, end: int, width: int) -> str:
    return _SPACE.sub(" ", text[end : end + 3 * width])[:width]


def _words(text: str) -> list[str]:
    return [word.casefold() for word in re.findall(r"\w+", text)]
