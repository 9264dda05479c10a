"""Text fields that read a document's words once for all four of its fields.

A document is indexed in four positional fields: ``title``, ``head`` (title
and lead), ``body`` and ``exact`` (surface forms of title and body). Through
Whoosh's analyzers the body would be tokenized twice, the title three times
and every word lemmatised once per field. :class:`DocumentText` instead
tokenizes each text once (a memo of the last few texts: fields
are indexed one after the other for the same document), looks each distinct word up once
(a process-wide table of surface form and lemmas), and encodes the postings
itself. ``head`` and ``exact`` take the pair ``(title, body)``; the postings
are exactly what the field's analyzer gives for ``title + "\\n" + body``
(with the body cut to its lead for ``head``), which
``tests/test_field_text.py`` checks on real text.

The class is pickled with the schema: it holds only plain settings (older indexes name
it ``search.field_text.DocumentText``; :mod:`search.legacy` resolves that path).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from typing import Iterator

from whoosh.fields import TEXT
from whoosh.system import pack_uint

from search.text.analysis import RussianTokenizer
from search.text.morphology import CASE_BLIND_POLICIES, fold_yo, lemmas

# What the analyzers make of a word, by its text as tokenized, per policy:
# (exact form, its lemmas), both as UTF-8 term bytes. Cleared when full (news
# repeats its words, so the table stays small in practice).
Entry = tuple[bytes, tuple[bytes, ...]]
_WORDS: dict[str, dict[str, Entry]] = {}
_WORDS_LIMIT = 500_000
# The texts indexed last, by (text, policy): (positions, entries, positions used).
_TOKENS: dict[tuple[str, str], tuple[list[int], list[Entry], int]] = {}
_TOKENIZER = RussianTokenizer()
# Encoded posting values of words that occur once, by position.
_SINGLE: dict[int, bytes] = {}
# The lemmas of each exact form lemmatised since the last take_learned(), by
# policy (only those where capitalisation does not matter): the index's lemma
# table is filled from them.
_LEARNED: dict[str, dict[str, tuple[str, ...]]] = {}


def tokens_of(text: str, policy: str) -> tuple[list[int], list[Entry], int]:
    """(positions, entries, positions used) of ``text``: each token's position
    as the tokenizer gives it and what the analyzers make of its word;
    memoised for the last few texts (a document's fields are indexed in turn)."""
    found = _TOKENS.get((text, policy))
    if found is None:
        table = _WORDS.setdefault(policy, {})
        if len(table) >= _WORDS_LIMIT:
            table.clear()
        positions: list[int] = []
        entries: list[Entry] = []
        for token in _TOKENIZER(text, positions=True, mode="index"):
            positions.append(token.pos)
            entries.append(table.get(token.text) or _learn(table, token.text, policy))
        found = (positions, entries, positions[-1] + 1 if positions else 0)
        if len(_TOKENS) >= 4:
            _TOKENS.clear()
        _TOKENS[(text, policy)] = found
    return found


def _learn(table: dict[str, Entry], word: str, policy: str) -> Entry:
    """What the analyzers make of a word: ``exact``'s form (lowercased, ё
    folded) and the lemma fields' lemmas."""
    form = fold_yo(word.lower())
    # Past lemmas' own cache: this table is the cache here, and a second copy
    # of every word would only cost memory in the indexing processes.
    found = lemmas.__wrapped__(form, policy, word[:1].isupper())
    entry = table[word] = (form.encode("utf-8"), tuple(lemma.encode("utf-8") for lemma in found))
    if policy in CASE_BLIND_POLICIES:
        _LEARNED.setdefault(policy, {})[form] = found
    return entry


def take_learned(policy: str) -> dict[str, tuple[str, ...]]:
    """The lemmas of each exact form this process worked out for ``policy``
    since the last call."""
    return _LEARNED.pop(policy, {})


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
        positions_of: defaultdict[bytes, list[int]] = defaultdict(list)
        offset = 0
        for number, text in enumerate(texts):
            positions, entries, used = tokens_of(text, self.policy)
            if number == 1 and self.lead_words is not None:
                kept = bisect_left(positions, self.lead_words)
                positions, entries, used = positions[:kept], entries[:kept], min(used, self.lead_words)
            if self.lemmatised:
                for pos, (_, terms) in zip(positions, entries):
                    for term in terms:
                        positions_of[term].append(pos + offset)
            else:
                for pos, (form, _) in zip(positions, entries):
                    positions_of[form].append(pos + offset)
            offset += used
        return self._postings(positions_of)

    def _postings(self, positions_of: dict[bytes, list[int]]) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded value), as Whoosh's
        ``Positions`` format encodes them (or ``Frequency``, for a field
        without positions)."""
        boost = self.format.field_boost
        if not self.format.supports("positions"):
            # Whoosh's Frequency format: the count, without the positions.
            for term, positions in positions_of.items():
                count = len(positions)
                yield term, count, float(count) * boost, pack_uint(count)
            return
        encode = self.format.encode
        for term, positions in positions_of.items():
            count = len(positions)
            if count == 1:
                value = _SINGLE.get(positions[0])
                if value is None:
                    value = _SINGLE[positions[0]] = encode(positions)
            else:
                value = encode(positions)
            yield term, count, float(count) * boost, value
