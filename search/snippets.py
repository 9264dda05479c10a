"""Snippets: the passages of a document that best show why it matched.

Matching works on the document's own words: each word is lemmatised (through
the shared cache) and compared with the query's lemmas, so a query «визит
министра» highlights «визита» and «министром» exactly where they stand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from search.analysis import RussianTokenizer, strip_ignorable
from search.morphology import fold_yo, lemmas
from search.querying import MatchTerms

SEPARATOR = " … "
SCAN_CHARS = 12_000
_WORD_RE = RussianTokenizer.expression


@dataclass(frozen=True)
class Snippet:
    """Plain text with the character spans (start, end) of highlighted words."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict:
        return {"text": self.text, "highlights": [list(span) for span in self.highlights]}


@lru_cache(maxsize=200_000)
def _analysed(word: str, policy: str, with_lemmas: bool) -> tuple[str, tuple[str, ...]]:
    """A document word's normal form and (if asked for) lemmas, whatever the
    query: cached for the whole process, since news repeats its words."""
    normal = fold_yo(strip_ignorable(word).lower())
    return normal, lemmas(normal, policy, word[:1].isupper()) if with_lemmas else ()


_UNSEEN = object()


class Matcher:
    """Decides, word by word, which query term (if any) a document word matches."""

    def __init__(self, terms: MatchTerms):
        self.terms = terms
        self._memo: dict[str, str | None] = {}

    def term_of(self, word: str) -> str | None:
        """The query term ``word`` matches (a lemma, form or prefix), else ``None``."""
        try:
            return self._memo[word]
        except KeyError:
            found = self._memo[word] = self._decide(word)
            return found

    def _decide(self, word: str) -> str | None:
        terms = self.terms
        normal, word_lemmas = _analysed(word, terms.policy, bool(terms.lemmas))
        if normal in terms.forms:
            return normal
        for prefix in terms.prefixes:
            if normal.startswith(prefix):
                return prefix + "*"
        for lemma in word_lemmas:
            if lemma in terms.lemmas:
                return lemma
        return None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of matching words; compounds match whole or by part."""
        found = []
        memo, decide = self._memo, self._decide
        for match in _WORD_RE.finditer(text):
            word = match.group()
            term = memo.get(word, _UNSEEN)
            if term is _UNSEEN:
                term = memo[word] = decide(word)
            if term is not None:
                found.append((match.start(), match.end(), term))
            elif "-" in word or "\u2010" in word or "\u2011" in word:
                offset = match.start()
                for part in _split_parts(word):
                    term = self.term_of(part) if part else None
                    if term is not None:
                        found.append((offset, offset + len(part), term))
                    offset += len(part) + 1
        return found


def _split_parts(word: str) -> list[str]:
    return word.replace("\u2010", "-").replace("\u2011", "-").split("-")


def _highlights(spans: list[tuple[int, int, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((start, end) for start, end, _ in spans)


def highlight_all(text: str, matcher: Matcher) -> Snippet:
    """The whole text (a title, say) with every match highlighted."""
    return Snippet(text, _highlights(matcher.spans(text)))


def make_snippet(text: str, matcher: Matcher, fragments: int = 3, width: int = 220) -> Snippet:
    """Up to ``fragments`` passages of about ``width`` characters around matches.

    Passages are chosen greedily by how many query terms they show that no
    earlier passage showed, then put back in document order; whitespace is
    collapsed. With no match, the opening of the text. Only the first
    ``SCAN_CHARS`` characters are searched unless they hold no match: long
    documents say what matters early, and scanning them whole is slow.
    """
    spans = matcher.spans(_opening(text))
    if not spans and len(text) > SCAN_CHARS:
        spans = matcher.spans(text)
    if not spans:
        start, end = _word_bounds(text, 0, width)
        return Snippet(_squeeze(text[start:end]) + ("…" if end < len(text) else ""))
    chosen: list[tuple[int, int]] = []
    shown: set[str] = set()
    remaining = spans
    for _ in range(fragments):
        if not remaining:
            break
        start, end = _best_window(text, remaining, width, shown)
        chosen.append((start, end))
        shown.update(term for s, e, term in remaining if s >= start and e <= end)
        remaining = [span for span in remaining if span[1] <= start or span[0] >= end]
    windows = _merge(sorted(chosen))
    snippet = SEPARATOR.join(_squeeze(text[start:end]) for start, end in windows)
    if windows[0][0] > 0:
        snippet = "…" + snippet
    if windows[-1][1] < len(text):
        snippet += "…"
    return Snippet(snippet, _highlights(matcher.spans(snippet)))


def _opening(text: str) -> str:
    """The first ``SCAN_CHARS`` characters, ending at a space."""
    if len(text) <= SCAN_CHARS:
        return text
    cut = text.rfind(" ", 0, SCAN_CHARS)
    return text[: cut if cut > 0 else SCAN_CHARS]


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _best_window(
    text: str, spans: list[tuple[int, int, str]], width: int, shown: set[str]
) -> tuple[int, int]:
    """The window of about ``width`` characters, starting at a match, that shows
    the most terms not yet shown (already shown ones count a little)."""
    best_score, best = -1.0, spans[0][:2]
    for i, (start, _, _) in enumerate(spans):
        inside = [span for span in spans[i:] if span[1] <= start + width] or [spans[i]]
        terms = {term for _, _, term in inside}
        score = sum(0.2 if term in shown else 1.0 for term in terms) + 0.05 * len(inside)
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
