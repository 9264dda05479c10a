"""Snippets: the passages of a document that best show why it matched.

Matching works on the document's own words: each word is lemmatised (through
the shared cache) and compared with the query's lemmas, so a query «визит
министра» highlights «визита» and «министром» exactly where they stand.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.analysis import RussianTokenizer
from search.morphology import fold_yo, lemmas
from search.querying import MatchTerms

SEPARATOR = " … "
_WORD_RE = RussianTokenizer.expression


@dataclass(frozen=True)
class Snippet:
    """Plain text with the character spans (start, end) of highlighted words."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict:
        return {"text": self.text, "highlights": [list(span) for span in self.highlights]}


class Matcher:
    """Decides, word by word, whether a document word matches the query."""

    def __init__(self, terms: MatchTerms):
        self.terms = terms
        self._memo: dict[str, bool] = {}

    def matches(self, word: str) -> bool:
        known = self._memo.get(word)
        if known is None:
            known = self._memo[word] = self._decide(word)
        return known

    def _decide(self, word: str) -> bool:
        normal = fold_yo(word.lower())
        terms = self.terms
        if normal in terms.forms or any(normal.startswith(p) for p in terms.prefixes):
            return True
        if not terms.lemmas:
            return False
        found = lemmas(normal, terms.policy, word[:1].isupper())
        return any(lemma in terms.lemmas for lemma in found)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of matching words in ``text``; compounds match as a whole or by part."""
        found = []
        for match in _WORD_RE.finditer(text):
            word = match.group()
            if self.matches(word):
                found.append(match.span())
            elif "-" in word or "\u2010" in word or "\u2011" in word:
                offset = match.start()
                for part in _split_parts(word):
                    if part and self.matches(part):
                        found.append((offset, offset + len(part)))
                    offset += len(part) + 1
        return found


def _split_parts(word: str) -> list[str]:
    return word.replace("\u2010", "-").replace("\u2011", "-").split("-")


def highlight_all(text: str, matcher: Matcher) -> Snippet:
    """The whole text (a title, say) with every match highlighted."""
    return Snippet(text, tuple(matcher.spans(text)))


def make_snippet(text: str, matcher: Matcher, fragments: int = 3, width: int = 220) -> Snippet:
    """Up to ``fragments`` passages of about ``width`` characters around matches.

    Passages are chosen greedily by how many distinct query words they show,
    then put back in document order; whitespace is collapsed. With no match,
    the opening of the text.
    """
    spans = matcher.spans(text)
    if not spans:
        start, end = _word_bounds(text, 0, width)
        return Snippet(_squeeze(text[start:end]) + ("…" if end < len(text) else ""))
    chosen: list[tuple[int, int]] = []
    remaining = spans
    for _ in range(fragments):
        if not remaining:
            break
        start, end = _best_window(text, remaining, width)
        chosen.append((start, end))
        remaining = [s for s in remaining if s[1] <= start or s[0] >= end]
    windows = _merge(sorted(chosen))
    snippet = SEPARATOR.join(_squeeze(text[start:end]) for start, end in windows)
    if windows[0][0] > 0:
        snippet = "…" + snippet
    if windows[-1][1] < len(text):
        snippet += "…"
    return Snippet(snippet, tuple(matcher.spans(snippet)))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    best_score, best = -1.0, spans[0]
    for i, (start, _) in enumerate(spans):
        window_end = start + width
        inside = [s for s in spans[i:] if s[1] <= window_end] or [spans[i]]
        distinct = len({fold_yo(text[s:e].lower()) for s, e in inside})
        score = distinct + 0.1 * len(inside)
        if score > best_score:
            best_score, best = score, (start, inside[-1][1])
    core_start, core_end = best
    slack = max(0, width - (core_end - core_start))
    return _word_bounds(text, core_start - slack // 3, core_end + slack - slack // 3, best)


def _word_bounds(
    text: str, start: int, end: int, core: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Move [start, end) to whitespace so that no word is cut, keeping ``core`` inside."""
    core_start, core_end = core if core else (end, start)
    start, end = max(0, start), min(len(text), end)
    if start > 0 and not text[start - 1].isspace():
        limit = max(start, min(core_start, start + 30)) if core else start + 30
        space = _find_space(text, start, limit)
        start = space + 1 if space != -1 else start
    if end < len(text) and not text[end].isspace():
        space = _rfind_space(text, max(core_end, end - 30), end)
        end = space if space != -1 else end
    return start, end


def _find_space(text: str, start: int, end: int) -> int:
    for i in range(start, min(end, len(text))):
        if text[i].isspace():
            return i
    return -1


def _rfind_space(text: str, start: int, end: int) -> int:
    for i in range(end - 1, start - 1, -1):
        if text[i].isspace():
            return i
    return -1


def _merge(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clip(text: str, start: int, width: int) -> tuple[str, int]:
    start, end = _word_bounds(text, start, start + width)
    return text[start:end].replace("\n", " ") + ("…" if end < len(text) else ""), start
