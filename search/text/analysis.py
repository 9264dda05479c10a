"""Whoosh analyzers for Russian text: a tokenizer and small composable filters.

Whoosh pickles the schema, analyzers included, into the index. Everything
here is therefore a module-level class holding only plain data; the
morphology dictionaries live in :mod:`search.text.morphology` and are loaded
lazily in each process. Indexes built before the package was laid out by layer
name these classes ``search.analysis.*``; :mod:`search.legacy` resolves that path.
"""

from __future__ import annotations

import re

from whoosh.analysis import Filter, LowercaseFilter, Token, Tokenizer

from search.limits import MAX_WORD_LENGTH
from search.text.morphology import fold_yo, lemmas

# Characters that may sit inside a word without being part of it: combining
# acute and grave accents (stress marks), soft hyphen, zero-width spaces and
# joiners, word joiner and byte-order mark.
IGNORABLE = "\u0300\u0301\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Hyphen-minus, Unicode hyphen and non-breaking hyphen join compound words;
# en and em dashes are punctuation and never do.
HYPHENS = "-\u2010\u2011"

_WORD = rf"[^\W_][^\W_{IGNORABLE}]*(?:[{IGNORABLE}]+[^\W_]+)*"
WORD_PATTERN = rf"{_WORD}(?:[{HYPHENS}]{_WORD})*"
_IGNORABLE_RE = re.compile(f"[{IGNORABLE}]")
_PART_SPLIT_RE = re.compile(f"[{HYPHENS}]")
_HYPHEN_FOLD = str.maketrans({"\u2010": "-", "\u2011": "-"})


def strip_ignorable(text: str) -> str:
    """Remove stress marks and invisible characters from a word."""
    return _IGNORABLE_RE.sub("", text) if _IGNORABLE_RE.search(text) else text


class RussianTokenizer(Tokenizer):
    """Split text into words, numbers and hyphenated compounds.

    A compound («Ростов-на-Дону», «ЭКСПО-2017») is yielded whole and then part
    by part, all at the same position, so that either form finds it; in query
    mode only the whole compound is yielded. Stress marks and invisible
    characters are dropped from the token text, while ``startchar`` and
    ``endchar`` still point into the original string, so highlights cover
    exactly the characters the reader sees.

    A word (or compound part) longer than ``MAX_WORD_LENGTH`` characters is
    not yielded (Lucene drops over-long tokens too): no Russian word is that
    long, and such strings would cost the lemmatiser time and recursion. It
    still takes up its position, so that a phrase does not match across it.
    """

    expression = re.compile(WORD_PATTERN)

    def __eq__(self, other):
        return self.__class__ is other.__class__

    def __hash__(self):
        return hash(self.__class__)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            yield from self._yield_whole(token, value, start_pos, start_char, keeporiginal)
            return
        split_compounds = mode != "query"
        # Most texts have no invisible characters or Unicode hyphens: then the
        # per-word clean-up is skipped (this loop runs for every word indexed).
        plain = not (_IGNORABLE_RE.search(value) or "\u2010" in value or "\u2011" in value)
        token.boost = 1.0
        token.stopped = False
        for pos, match in enumerate(self.expression.finditer(value), start_pos):
            raw = match.group()
            start = start_char + match.start()
            token.capitalised = raw[0].isupper()
            compound = split_compounds and ("-" in raw if plain else _PART_SPLIT_RE.search(raw))
            if len(raw) > MAX_WORD_LENGTH:
                if compound:
                    yield from self._parts(token, raw, pos, start, keeporiginal)
                continue
            if plain:
                token.text = raw
                if keeporiginal:
                    token.original = raw
                token.pos = pos
                token.startchar = start
                token.endchar = start + len(raw)
                yield token
            else:
                yield self._fill(token, raw, pos, start, keeporiginal)
            if compound:
                yield from self._parts(token, raw, pos, start, keeporiginal)

    def _parts(self, token, raw, pos, start, keeporiginal):
        """The parts of a hyphenated compound, at its position."""
        offset = 0
        for part in _PART_SPLIT_RE.split(raw):
            if len(part) <= MAX_WORD_LENGTH:
                token.capitalised = part[:1].isupper()
                yield self._fill(token, part, pos, start + offset, keeporiginal)
            offset += len(part) + 1

    @staticmethod
    def _fill(token, raw, pos, start, keeporiginal):
        text = strip_ignorable(raw)
        token.text = text.translate(_HYPHEN_FOLD)
        if keeporiginal:
            token.original = text
        token.boost = 1.0
        token.stopped = False
        token.pos = pos
        token.startchar = start
        token.endchar = start + len(raw)
        return token

    def _yield_whole(self, token, value, start_pos, start_char, keeporiginal):
        token.capitalised = value[:1].isupper()
        yield self._fill(token, value, start_pos, start_char, keeporiginal)


class YoFilter(Filter):
    """Fold ё to е so that «ещё» and «еще» are the same word."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold_yo(token.text)
            yield token


class LemmaFilter(Filter):
    """Replace each word by its pymorphy3 lemma(s), ё folded.

    ё is folded before lemmatising too, so that «её» and «ее» (which pymorphy3
    reads differently) always agree.

    With an ambiguity policy that yields several lemmas («стали» → стать,
    сталь), they are all yielded at the same position.
    """

    def __init__(self, policy: str = "top"):
        self.policy = policy

    def __eq__(self, other):
        return self.__class__ is other.__class__ and self.policy == other.policy

    def __hash__(self):
        return hash((self.__class__, self.policy))

    def __call__(self, tokens):
        policy = self.policy
        for token in tokens:
            found = lemmas(fold_yo(token.text), policy, getattr(token, "capitalised", False))
            if len(found) == 1:
                token.text = found[0]
                yield token
            else:
                for lemma in found:
                    token.text = lemma
                    yield token


# The ambiguity policy chosen by measurement on ../shared/eval (see README).
DEFAULT_POLICY = "top"


def lemma_analyzer(policy: str = DEFAULT_POLICY):
    """Analyzer for the ranked fields: words reduced to their lemmas."""
    return RussianTokenizer() | LowercaseFilter() | LemmaFilter(policy)


def surface_analyzer():
    """Analyzer for the exact-forms field: lowercased words, ё folded."""
    return RussianTokenizer() | LowercaseFilter() | YoFilter()
