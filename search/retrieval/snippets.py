"""Snippets: the passages of a document that best show why it matched.

Matching works on the document's own words: each word is lemmatised (through
the shared cache) and compared with the query's lemmas, so a query «визит
министра» highlights «визита» and «министром» exactly where they stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from search.text.analysis import HYPHENS, IGNORABLE, RussianTokenizer, strip_ignorable
from search.text.morphology import CYRILLIC, MAX_WORD_LENGTH, SINGLE_LEMMA_POLICY, fold_yo, known_lemmas, lemmas
from search.query.planner import MatchTerms

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


# Document words already analysed, for the whole process (news repeats its
# words constantly): word -> normal form, and per policy a Vocabulary.
_NORMALS: dict[str, str] = {}
_MAX_WORDS = 500_000


def _normal(word: str) -> str:
    found = _NORMALS.get(word)
    if found is None:
        if len(_NORMALS) > _MAX_WORDS:
            _NORMALS.clear()
        found = _NORMALS[word] = fold_yo(strip_ignorable(word).lower())
    return found


def _lemmatise(word: str, policy: str) -> tuple[str, ...]:
    """A document word's lemmas as typed (capitalisation matters to some policies)."""
    return lemmas(_normal(word), policy, word[:1].isupper())


class Vocabulary:
    """The document words of one policy analysed so far: each word's lemmas,
    and for each lemma the words that have it. A query's lemmas then pick
    out the matching words of a text by set intersections, instead of a
    Python step for every distinct word of every text.

    Threads share it without a lock: a word's lemmas are stored after the
    words of its lemmas, so a word seen as known is always found by lemma;
    emptying it (past ``_MAX_WORDS``) counts a new ``generation``, and a
    reader that saw the generation change starts over."""

    def __init__(self) -> None:
        self.lemmas: dict[str, tuple[str, ...]] = {}
        self.words: dict[str, set[str]] = {}
        self.generation = 0

    def add(self, word: str, found: tuple[str, ...]) -> None:
        self.add_many([word], [found])

    def add_many(self, new: list[str], found: list[tuple[str, ...]]) -> None:
        """Store the lemmas ``found`` of each of the ``new`` words."""
        if len(self.lemmas) + len(new) > _MAX_WORDS:
            self.generation += 1
            self.lemmas, self.words = {}, {}
        lemmas_of, words_of = self.lemmas, self.words
        for word, lemmas_found in zip(new, found):
            for lemma in lemmas_found:
                having = words_of.get(lemma)
                if having is None:
                    having = words_of.setdefault(lemma, set())
                having.add(word)
            lemmas_of[word] = lemmas_found

    def matching(self, candidates: set[str], wanted: frozenset[str]) -> set[str]:
        """Those of ``candidates`` (all known) with a lemma in ``wanted``."""
        words = self.words
        found: set[str] = set()
        for lemma in wanted:
            having = words.get(lemma)
            if having:
                found.update(candidates.intersection(having))
        return found


_VOCABULARIES: dict[str, Vocabulary] = {}


def _vocabulary(policy: str) -> Vocabulary:
    found = _VOCABULARIES.get(policy)
    if found is None:
        found = _VOCABULARIES.setdefault(policy, Vocabulary())
    return found


class Matcher:
    """Decides which query term (if any) each document word matches.

    ``forms_by_lemma``, where the index can say which of its forms have
    given lemmas (and holds every form of the texts shown), turns matching by
    lemma around: the query's lemmas are looked up once, and a text's words
    are compared with their forms, where otherwise every word new to the
    process is lemmatised (through the lemma table, about 1.5 µs a word)."""

    def __init__(self, terms: MatchTerms, forms_by_lemma: Callable[[list[str]], dict[str, str]] | None = None):
        self.terms = terms
        self._memo: dict[str, str | None] = {}
        single = terms.policy == SINGLE_LEMMA_POLICY
        self._forms_by_lemma = forms_by_lemma if single else None
        self._forms: dict[str, str] | None = None
        self._form_prefixes: list[str] = []

    def term_of(self, word: str) -> str | None:
        """The query term ``word`` matches (a lemma, form or prefix), else ``None``."""
        try:
            return self._memo[word]
        except KeyError:
            found = self._memo[word] = self._decide(word)
            return found

    def _decide(self, word: str) -> str | None:
        terms = self.terms
        normal = _normal(word)
        if normal in terms.forms:
            return normal
        for prefix in terms.prefixes:
            if normal.startswith(prefix):
                return prefix + "*"
        if not terms.lemmas:
            return None
        for lemma in self._lemmas(word):
            if lemma in terms.lemmas:
                return lemma
        return None

    def _lemmas(self, word: str) -> tuple[str, ...]:
        vocabulary = _vocabulary(self.terms.policy)
        found = vocabulary.lemmas.get(word)
        if found is None:
            found = _lemmatise(word, self.terms.policy)
            vocabulary.add(word, found)
        return found

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, term) of matching words; compounds match whole or by part."""
        if self._forms_by_lemma is not None and not (self.terms.forms or self.terms.prefixes):
            found = self._spans_by_form_search(text)
            if found is not None:
                return found
        words = set(_WORD_RE.findall(text))
        compounds = _compounds(words)
        if self.terms.forms or self.terms.prefixes:
            matching: dict[str, str | None] = {}
            for word in words:
                term = self.term_of(word)
                if term is not None:
                    matching[word] = term
            return _spans(text, matching, compounds, self.term_of)
        return self._lemma_spans(text, words, compounds)

    def _lemma_spans(self, text: str, words: set[str], compounds: list[str]) -> list[tuple[int, int, str]]:
        """Lemmas only, the usual case: the text's words new to the process
        are looked up together (one table query per text instead of one per
        word), then the vocabulary names the ones with a query lemma."""
        candidates = words.union(*map(_split_parts, compounds)) if compounds else words
        candidates.discard("")
        if self._forms_by_lemma is not None and not _IGNORABLE_RE.search(text):
            # (A word with characters the tokenizer skips may be too long
            # for the index as written, yet not once they are stripped.)
            return self._form_spans(text, words, candidates, compounds)
        wanted = self.terms.lemmas
        vocabulary = _vocabulary(self.terms.policy)
        for _ in range(2):
            generation = vocabulary.generation
            new = candidates.difference(vocabulary.lemmas)
            if new:
                self._learn(new, vocabulary)
            found = vocabulary.matching(candidates, wanted)
            if vocabulary.generation == generation:
                break
        else:  # emptied twice meanwhile (a text of more words than it keeps): word by word
            found = {word for word in candidates if not wanted.isdisjoint(self._lemmas(word))}
        if not found:
            return []
        term_of = self._lemma_term(found)
        matching = {word: term_of(word) for word in words.intersection(found)}
        return _spans(text, matching, compounds, term_of)

    def _spans_by_form_search(self, text: str) -> list[tuple[int, int, str]] | None:
        """As :meth:`_form_spans`, without reading the text word by word: the
        query forms' first letters are searched for in the lowercased text,
        and only the tokens starting there are compared with the forms.
        ``None`` where that reading could differ from the tokenizer's: a
        compound at a hit (its parts match on their own), characters the
        tokenizer skips inside words, or lowercasing that moves characters."""
        forms = self._query_forms()
        if not forms:
            return []
        if "Σ" in text or _IGNORABLE_RE.search(text):  # Σ lowercases by context
            return None
        lowered = fold_yo(text.lower())
        if len(lowered) != len(text):
            return None
        found: dict[int, tuple[int, int, str]] = {}
        for prefix in self._form_prefixes:
            start = lowered.find(prefix)
            while start != -1:
                if start and _LETTER_RE.match(text[start - 1]):
                    start = lowered.find(prefix, start + 1)  # inside a word
                    continue
                if start > 1 and text[start - 1] in _HYPHEN_CHARS and _LETTER_RE.match(text[start - 2]):
                    return None  # a compound's later part
                end = _WORD_RE.match(text, start).end()
                if _has_hyphen(text, start, end):
                    return None
                term = forms.get(lowered[start:end])
                if term is not None:
                    found[start] = (start, end, term)
                start = lowered.find(prefix, start + 1)
        return sorted(found.values())

    def _form_spans(
        self, text: str, words: set[str], candidates: set[str], compounds: list[str]
    ) -> list[tuple[int, int, str]]:
        """As :meth:`_lemma_spans`, by the forms of the query's lemmas."""
        forms = self._query_forms()
        listed = list(candidates)
        term_of = {word: forms[normal] for word, normal in zip(listed, _normals(listed)) if normal in forms}
        if not term_of:
            return []
        matching = {word: term for word, term in term_of.items() if word in words}
        return _spans(text, matching, compounds, term_of.get)

    def _query_forms(self) -> dict[str, str]:
        """Each form with a query lemma, with that lemma (asked once per
        query). Words :func:`lemmas` leaves as they are (no Cyrillic letter,
        or too long) are their own only form; the table has the others."""
        if self._forms is None:
            wanted = self.terms.lemmas
            # Every lemma is asked about: Cyrillic forms may have a Latin lemma («COVIDа»).
            forms = self._forms_by_lemma(sorted(wanted))
            forms.update((lemma, lemma) for lemma in wanted if len(lemma) > MAX_WORD_LENGTH or not CYRILLIC.search(lemma))
            # The forms' openings to search for: few, each shared by a lemma's forms.
            self._form_prefixes = sorted({form[:_FORM_PREFIX] for form in forms})
            self._forms = forms
        return self._forms

    def word_by_word(self) -> "Matcher":
        """This matcher without the index's forms, for text that is not the
        documents' own (a snippet's passages, which may cut a word)."""
        return self if self._forms_by_lemma is None else Matcher(self.terms)

    def _lemma_term(self, found: set[str]):
        """The query lemma each word of ``found`` matches (its first in its own order), else None."""
        wanted = self.terms.lemmas
        lemmas_of = _vocabulary(self.terms.policy).lemmas

        def term_of(word: str) -> str | None:
            if word not in found:
                return None
            for lemma in lemmas_of.get(word) or self._lemmas(word):
                if lemma in wanted:
                    return lemma
            return None

        return term_of

    def _learn(self, words: set[str], vocabulary: Vocabulary) -> None:
        """Put the lemmas of ``words`` in ``vocabulary``, known ones in one lookup."""
        policy = self.terms.policy
        new = list(words)
        normals = _normals(new)
        found = known_lemmas(set(normals), policy)
        vocabulary.add_many(
            new,
            [
                found.get(normal) or lemmas(normal, policy, word[:1].isupper())
                for word, normal in zip(new, normals)
            ],
        )


def _normals(words: list[str]) -> list[str]:
    """Each word's normal form (as :func:`_normal`), made for all of them at
    once on one joined string: no word holds a line break, and lowercasing
    treats one as it treats a string's end."""
    if not words:
        return []
    joined = "\n".join(words)
    if _IGNORABLE_RE.search(joined):
        joined = _IGNORABLE_RE.sub("", joined)
    return fold_yo(joined.lower()).split("\n")


def _compounds(words: set[str]) -> list[str]:
    """The hyphenated ones of ``words``, picked out of them joined by line
    breaks (no word holds one) in one regular-expression pass instead of a
    Python step for every word."""
    joined = "\n".join(words)
    if "-" not in joined and "\u2010" not in joined and "\u2011" not in joined:
        return []
    return _HYPHENATED_RE.findall(joined)


def _spans(
    text: str, matching: dict[str, str | None], compounds: list[str], term_of
) -> list[tuple[int, int, str]]:
    """(start, end, term) of every token of ``text`` that is a word of
    ``matching`` (its term), or a compound with a matching part (each such
    part), in text order. The few matching words are found with ``str.find``
    and checked to stand as tokens where found (see :func:`_token_at`): the
    text's words are not walked one by one."""
    for word in compounds:
        if word not in matching and any(part and term_of(part) is not None for part in _split_parts(word)):
            matching[word] = None
    found = []
    for word, term in matching.items():
        start = text.find(word)
        while start != -1:
            if _token_at(text, start, word):
                if term is not None:
                    found.append((start, start + len(word), term))
                else:
                    offset = start
                    for part in _split_parts(word):
                        part_term = term_of(part) if part else None
                        if part_term is not None:
                            found.append((offset, offset + len(part), part_term))
                        offset += len(part) + 1
            start = text.find(word, start + len(word))
    found.sort()
    return found


_LETTER_RE = re.compile(r"[^\W_]")
_IGNORABLE_RE = re.compile(f"[{IGNORABLE}]")
_IGNORABLE_CHARS = frozenset(IGNORABLE)
_HYPHEN_CHARS = frozenset(HYPHENS)
_HYPHENATED_RE = re.compile(f"^.*[{HYPHENS}].*$", re.MULTILINE)
# How many first letters of each query form are searched for in a text.
_FORM_PREFIX = 4


def _has_hyphen(text: str, start: int, end: int) -> bool:
    return any(text.find(hyphen, start, end) != -1 for hyphen in HYPHENS)


def _token_at(text: str, start: int, word: str) -> bool:
    """Whether the tokenizer reads ``word`` at ``start``: a token begins there
    (a letter or digit not carried on from the word before by a letter, an
    ignorable character or a hyphen) and reaches exactly its end."""
    if start:
        before = text[start - 1]
        if _LETTER_RE.match(before):
            return False
        if before in _IGNORABLE_CHARS:
            at = start - 1
            while at > 0 and text[at - 1] in _IGNORABLE_CHARS:
                at -= 1
            if at > 0 and _LETTER_RE.match(text[at - 1]):
                return False
        elif before in _HYPHEN_CHARS and start > 1 and _LETTER_RE.match(text[start - 2]):
            return False
    token = _WORD_RE.match(text, start)
    return token is not None and token.end() == start + len(word)


def _split_parts(word: str) -> list[str]:
    return word.replace("\u2010", "-").replace("\u2011", "-").split("-")


def _highlights(spans: list[tuple[int, int, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((start, end) for start, end, _ in spans)


def highlight_all(text: str, matcher: Matcher) -> Snippet:
    """The whole text (a title, say) with every match highlighted."""
    return Snippet(text, _highlights(matcher.spans(text)))


class Highlighter:
    """A hit's snippet and title highlights, made when first asked for."""

    def __init__(self, title: str, body: str, matcher: Matcher):
        self._title, self._body, self._matcher = title, body, matcher

    def snippet(self) -> Snippet:
        return make_snippet(self._body, self._matcher)

    def title_highlights(self) -> tuple[tuple[int, int], ...]:
        return highlight_all(self._title, self._matcher).highlights


def make_snippet(text: str, matcher: Matcher, fragments: int = 3, width: int = 220) -> Snippet:
    """Up to ``fragments`` passages of about ``width`` characters around matches.

    Passages are chosen greedily by how many query terms they show that no
    earlier passage showed, then put back in document order; whitespace is
    collapsed. With no match, the opening of the text. Only the first
    ``SCAN_CHARS`` characters are searched unless they hold no match: long
    documents say what matters early, and scanning them whole is slow.
    """
    opening = _opening(text)
    spans = matcher.spans(opening)
    scanned = len(opening)
    if not spans and len(text) > SCAN_CHARS:
        spans, scanned = matcher.spans(text), len(text)
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
    passages = [_squeeze(text[start:end]) for start, end in windows]
    snippet = SEPARATOR.join(passages)
    if windows[0][0] > 0:
        snippet = "…" + snippet
    if windows[-1][1] < len(text):
        snippet += "…"
    if windows[-1][1] > scanned:  # a passage reaches past the scanned text
        return Snippet(snippet, _highlights(matcher.word_by_word().spans(snippet)))
    first = 1 if windows[0][0] > 0 else 0
    return Snippet(snippet, _highlights_in_passages(text, windows, passages, spans, first))


def _highlights_in_passages(
    text: str,
    windows: list[tuple[int, int]],
    passages: list[str],
    spans: list[tuple[int, int, str]],
    offset: int,
) -> tuple[tuple[int, int], ...]:
    """The spans inside the passages, moved to where they stand in the snippet
    (passages joined by the separator, whitespace collapsed): the snippet is
    not scanned again."""
    found = []
    for (start, end), passage in zip(windows, passages):
        for span_start, span_end, _ in spans:
            if span_start >= start and span_end <= end:
                before = text[start:span_start]
                squeezed = " ".join(before.split())
                position = offset + len(squeezed) + (1 if squeezed and before[-1].isspace() else 0)
                found.append((position, position + span_end - span_start))
        offset += len(passage) + len(SEPARATOR)
    return tuple(found)


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
    the most terms not yet shown (already shown ones count a little).

    The spans within reach of each start are kept as a sliding run with a
    count per term, so a document matching hundreds of times costs one pass,
    not one set per start."""
    best_score, best = -1.0, spans[0][:2]
    counts: dict[str, int] = {}
    distinct = fresh = 0  # terms in the run; those of them not yet shown
    end = 0  # spans do not overlap, so those ending within reach form a run
    for i, (start, span_end, term) in enumerate(spans):
        if i and i - 1 < end:  # the run loses the span before this one
            left = spans[i - 1][2]
            if counts[left] == 1:
                del counts[left]
                distinct -= 1
                fresh -= left not in shown
            else:
                counts[left] -= 1
        end = max(end, i)
        while end < len(spans) and spans[end][1] <= start + width:
            added = spans[end][2]
            if added in counts:
                counts[added] += 1
            else:
                counts[added] = 1
                distinct += 1
                fresh += added not in shown
            end += 1
        if end > i:
            terms, new, inside, last = distinct, fresh, end - i, spans[end - 1][1]
        else:  # a match wider than the window stands alone
            terms, new, inside, last = 1, int(term not in shown), 1, span_end
        # Counted, then weighted: a float sum over the terms would depend on
        # their order (string hashing, different in every process) and break
        # ties differently from one process to the next.
        score = new + 0.2 * (terms - new) + 0.05 * inside
        if score > best_score:
            best_score, best = score, (start, last)
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
