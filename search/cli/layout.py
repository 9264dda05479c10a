"""Fitting a hit's snippet into a few screen lines.

A snippet is up to three passages joined by « … ». On a terminal the
results show the densest passage (the most highlighted words for its length),
a second one when it still fits, in document order, cut at a word so that
the whole takes at most the lines allowed. Pure text work: the caller says
what fits.
"""

from __future__ import annotations

from typing import Callable

from search.retrieval.snippets import SEPARATOR, Snippet

ELLIPSIS = "…"


def passages(snippet: Snippet) -> list[tuple[int, int]]:
    """The (start, end) of each passage in ``snippet.text``, without the
    leading and trailing ellipses."""
    text = snippet.text
    ranges = []
    start = 0
    while True:
        cut = text.find(SEPARATOR, start)
        end = len(text) if cut == -1 else cut
        ranges.append((start, end))
        if cut == -1:
            break
        start = cut + len(SEPARATOR)
    first_start, first_end = ranges[0]
    if text.startswith(ELLIPSIS, first_start):
        ranges[0] = (first_start + len(ELLIPSIS), first_end)
    last_start, last_end = ranges[-1]
    if text.endswith(ELLIPSIS) and last_end - len(ELLIPSIS) >= last_start:
        ranges[-1] = (last_start, last_end - len(ELLIPSIS))
    return [(s, e) for s, e in ranges if e > s]


def _density(snippet: Snippet, start: int, end: int) -> float:
    inside = sum(1 for s, e in snippet.highlights if s >= start and e <= end)
    return inside / max(end - start, 1)


def compact_snippet(snippet: Snippet, fits: Callable[[str], bool]) -> Snippet:
    """The densest passage or two of ``snippet`` such that ``fits(text)``."""
    ranges = passages(snippet)
    if not ranges or fits(snippet.text):
        return snippet
    by_density = sorted(ranges, key=lambda r: (-_density(snippet, *r), r[0]))
    chosen = [by_density[0]]
    if len(by_density) > 1:
        two = sorted([by_density[0], by_density[1]])
        if fits(_compose(snippet, two)[0]):
            chosen = two
    text, spans = _compose(snippet, sorted(chosen))
    if fits(text):
        return Snippet(text, spans)
    return _cut(text, spans, fits)


def _compose(snippet: Snippet, ranges: list[tuple[int, int]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The passages joined, each marked with ellipses where text was left out,
    and the highlights moved along."""
    text = snippet.text
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for index, (start, end) in enumerate(ranges):
        if index:
            parts.append(SEPARATOR)
            length += len(SEPARATOR)
        elif start > 0:
            parts.append(ELLIPSIS)
            length += len(ELLIPSIS)
        for s, e in snippet.highlights:
            if s >= start and e <= end:
                spans.append((s - start + length, e - start + length))
        parts.append(text[start:end])
        length += end - start
    if ranges[-1][1] < len(text):
        parts.append(ELLIPSIS)
    return "".join(parts), tuple(spans)


def _cut(text: str, spans: tuple[tuple[int, int], ...], fits: Callable[[str], bool]) -> Snippet:
    """The longest beginning of ``text``, ended at a space, that fits with an ellipsis."""
    spaces = [i for i, char in enumerate(text) if char == " "]
    low, high = 0, len(spaces) - 1
    best = None
    while low <= high:
        middle = (low + high) // 2
        candidate = text[: spaces[middle]].rstrip(" …") + ELLIPSIS
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    if best is None:
        best = ELLIPSIS
    kept = len(best) - len(ELLIPSIS)
    return Snippet(best, tuple((s, e) for s, e in spans if e <= kept))
