"""Text fields that read a document's words once for all four of its fields.

A document is indexed in four positional fields: ``title``, ``head`` (title
and lead), ``body`` and ``exact`` (surface forms of title and body). Through
Whoosh's analyzers the body would be tokenized twice, the title three times
and every word lemmatised once per field. :class:`DocumentText` instead
tokenizes each text once per process (a two-text memo: fields are indexed
one after the other for the same document), looks each distinct word up once
(a process-wide table of surface form and lemmas), and encodes the postings
itself. ``head`` and ``exact`` take the pair ``(title, body)``; the postings
are exactly what the field's analyzer gives for ``title + "\\n" + body``
(with the body cut to its lead for ``head``), which
``tests/test_field_text.py`` checks on real text.

The class is pickled with the schema: it holds only plain settings.
"""

from __future__ import annotations

from pickle import dumps
from typing import Iterator

from whoosh.fields import TEXT
from whoosh.system import pack_uint

from search.analysis import RussianTokenizer
from search.morphology import fold_yo, lemmas

# A word's (exact form, lemmas) by its text as tokenized, per policy; cleared
# when full (news repeats its words, so the table stays small in practice).
_WORDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {}
_WORDS_LIMIT = 500_000
# Tokens of the texts indexed last: (positions, words, positions used).
_TOKENS: dict[str, tuple[list[int], list[str], int]] = {}
_TOKENIZER = RussianTokenizer()
# Encoded posting values of words that occur once, by position.
_SINGLE: dict[int, bytes] = {}
# (exact form, lemmas) of the words lemmatised since the last take_learned(),
# by policy: the index's lemma table is filled from them.
_LEARNED: dict[str, list[tuple[str, tuple[str, ...]]]] = {}


def tokens_of(text: str) -> tuple[list[int], list[str], int]:
    """(positions, words, positions used) of ``text`` as the tokenizer gives
    them, memoised for the last few texts."""
    found = _TOKENS.get(text)
    if found is None:
        positions: list[int] = []
        words: list[str] = []
        for token in _TOKENIZER(text, positions=True, mode="index"):
            positions.append(token.pos)
            words.append(token.text)
        found = (positions, words, positions[-1] + 1 if positions else 0)
        if len(_TOKENS) >= 4:
            _TOKENS.clear()
        _TOKENS[text] = found
    return found


def _word_table(policy: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    table = _WORDS.setdefault(policy, {})
    if len(table) >= _WORDS_LIMIT:
        table.clear()
    return table


def _learn(table: dict, word: str, policy: str) -> tuple[str, tuple[str, ...]]:
    """What the analyzers make of a word: ``exact``'s form (lowercased, ё
    folded) and the lemma fields' lemmas."""
    form = fold_yo(word.lower())
    entry = (form, lemmas(form, policy, word[:1].isupper()))
    table[word] = entry
    _LEARNED.setdefault(policy, []).append(entry)
    return entry


def take_learned(policy: str) -> list[tuple[str, tuple[str, ...]]]:
    """The (exact form, lemmas) pairs this process worked out for ``policy``
    since the last call; a word may appear more than once."""
    return _LEARNED.pop(policy, [])


class DocumentText(TEXT):
    """A positional text field indexed without a per-field analyzer pass.

    ``lemmatised``: lemmas (``policy``) or exact forms; ``lead_words``: of a
    ``(title, body)`` pair, only the body's first this many words. Queries,
    highlighting and plain string values still go through ``analyzer``.
    """

    def __init__(self, analyzer, *, lemmatised: bool, policy: str = "top", lead_words: int | None = None, **kwargs):
        super().__init__(analyzer=analyzer, **kwargs)
        self.lemmatised = lemmatised
        self.policy = policy
        self.lead_words = lead_words

    def index(self, value, **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, tuple) and len(value) == 2:
            texts = list(value)
        else:
            raise ValueError(f"{value!r} is neither a text nor a (title, body) pair")
        positions_of: dict[str, list[int]] = {}
        table = _word_table(self.policy)
        offset = 0
        for number, text in enumerate(texts):
            positions, words, used = tokens_of(text)
            limit = self.lead_words if number == 1 and self.lead_words is not None else None
            for pos, word in zip(positions, words):
                if limit is not None and pos >= limit:
                    break
                entry = table.get(word) or _learn(table, word, self.policy)
                for term in entry[1] if self.lemmatised else (entry[0],):
                    found = positions_of.get(term)
                    if found is None:
                        positions_of[term] = [pos + offset]
                    else:
                        found.append(pos + offset)
            offset += used if limit is None else min(used, limit)
        return self._postings(positions_of)

    def _postings(self, positions_of: dict[str, list[int]]) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded positions), as Whoosh's
        ``Positions`` format encodes them."""
        boost = self.format.field_boost
        encode = self.format.encode
        for term, positions in positions_of.items():
            count = len(positions)
            if count == 1:
                value = _SINGLE.get(positions[0])
                if value is None:
                    value = _SINGLE[positions[0]] = pack_uint(1) + dumps(positions, 2)
            else:
                value = encode(positions)
            yield term.encode("utf-8"), count, float(count) * boost, value
