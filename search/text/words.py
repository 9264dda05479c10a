"""Words as typed, reduced to what the index holds: one entry point for every caller.

The query planner and the thesaurus both turn typed words into lemmas; doing it in one
place (here, in the text layer) keeps their lemmas identical and spares the thesaurus an
import of the query layer.
"""

from __future__ import annotations

from search.text.analysis import DEFAULT_POLICY, RussianTokenizer, strip_ignorable
from search.text.morphology import fold_yo, lemmas


def words(text: str) -> list[str]:
    """The words of a text as the tokenizer finds them."""
    return RussianTokenizer.expression.findall(text)


def normal_form(word: str) -> str:
    """A word as the exact-forms field holds it: lowercase, ё folded, no stress marks."""
    return fold_yo(strip_ignorable(word).lower())


def word_lemmas(word: str, policy: str = DEFAULT_POLICY) -> tuple[str, ...]:
    """Lemmas of a word as typed (capitalisation matters to some policies)."""
    return lemmas(normal_form(word), policy, word[:1].isupper())
