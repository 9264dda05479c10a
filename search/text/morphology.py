"""Russian lemmatisation with pymorphy3, loaded lazily and cached.

The MorphAnalyzer holds large dictionaries and cannot be pickled, so it is
never stored on an analyzer object: it is created on first use, once per
process, and every lookup goes through a bounded LRU cache because news text
repeats the same words constantly.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Callable, Iterable

from search.limits import MAX_WORD_LENGTH

# Parses whose tag carries one of these grammemes name a person, place or
# organisation; for a capitalised word they beat a common-noun reading
# («Токаева» is the surname Токаев, not a female first name).
PROPER_GRAMMEMES = frozenset({"Surn", "Geox", "Orgn", "Trad"})

AMBIGUITY_POLICIES = ("top", "all", "proper")
# The policies under which a word's lemmas do not depend on its capitalisation.
CASE_BLIND_POLICIES = ("top", "all")
# The policy that gives every word one lemma.
SINGLE_LEMMA_POLICY = "top"

# Words with Cyrillic letters: the only ones lemmatised (others are their own lemma).
CYRILLIC = re.compile("[а-яё]")
_morph = None
_morph_lock = threading.Lock()
# Lemma lookups known in advance (an index's own words), by policy.
_known: dict[str, Callable[[str], "tuple[str, ...] | None"]] = {}
_known_many: dict[str, Callable[[Iterable[str]], "dict[str, tuple[str, ...]]"]] = {}


def use_known_lemmas(
    policy: str,
    lookup: Callable[[str], "tuple[str, ...] | None"],
    lookup_many: "Callable[[Iterable[str]], dict[str, tuple[str, ...]]] | None" = None,
) -> None:
    """Consult ``lookup`` (and, for many words at once, ``lookup_many``) before
    pymorphy3 for words under ``policy``.

    The lookups must give what :func:`lemmas` itself would (they are built by
    it); they only save loading the dictionaries.
    """
    _known[policy] = lookup
    if lookup_many is not None:
        _known_many[policy] = lookup_many


def known_lemmas(words: Iterable[str], policy: str) -> dict[str, tuple[str, ...]]:
    """The lemmas of those lowercase, ё-folded ``words`` known in advance, in one
    lookup (a document's new words cost one table query, not one each); the
    others are left to :func:`lemmas`."""
    lookup_many = _known_many.get(policy)
    return lookup_many(words) if lookup_many is not None else {}


def analyzer():
    """Return the process-wide pymorphy3 analyzer, creating it on first use
    (once, even when several threads ask at the same moment)."""
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3

                _morph = pymorphy3.MorphAnalyzer()
    return _morph


def fold_yo(text: str) -> str:
    """Fold ё to е: Russian writers use the two letters interchangeably."""
    return text.replace("ё", "е")


@lru_cache(maxsize=300_000)
def lemmas(word: str, policy: str = "top", capitalised: bool = False) -> tuple[str, ...]:
    """Normal forms of a lowercase, ё-folded word, ё folded, most likely first.

    ``policy`` decides what an ambiguous word yields: ``top`` the most likely
    lemma only; ``all`` every distinct lemma among its parses; ``proper`` the
    most likely lemma, except that a capitalised word prefers a surname,
    place or organisation reading when pymorphy3 offers one.
    Words without Cyrillic letters (Latin, numbers) are returned unchanged,
    and so are words over ``MAX_WORD_LENGTH`` characters (pymorphy3 recurses
    on a word's length and fails on a few thousand letters).
    """
    if len(word) > MAX_WORD_LENGTH or not CYRILLIC.search(word):
        return (word,)
    lookup = _known.get(policy)
    found = lookup(word) if lookup is not None else None
    if found:
        return found
    parses = analyzer().parse(word)
    if not parses:
        return (fold_yo(word),)
    if policy == "all":
        seen: dict[str, None] = {}
        for parse in parses:
            seen.setdefault(fold_yo(parse.normal_form), None)
        return tuple(seen)
    best = parses[0]
    if policy == "proper" and capitalised:
        for parse in parses:
            if PROPER_GRAMMEMES & parse.tag.grammemes:
                best = parse
                break
    return (fold_yo(best.normal_form),)
