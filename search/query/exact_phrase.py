"""``!"фраза"``: a phrase of exact forms, on an index that keeps no positions for them.

The ``exact`` field (surface forms) is there for ``!слово``, prefixes,
wildcards and fuzzy words; none of these needs positions, and positions were
three quarters of the field's postings, the largest field of the index. The
one query that does need them, an exact-form phrase, is answered instead from
the documents that hold every form of the phrase: each is read again (its
stored title and body, tokenized as the indexer tokenizes them) and kept if the
forms stand in order, each 1 to ``slop`` positions after the one before, as
Whoosh's ``Phrase`` would match them on positions. Indexes built before keep
their positions and are matched by Whoosh's ``Phrase`` as before.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from search.storage.postings import in_order
from search.text.analysis import RussianTokenizer
from search.text.morphology import fold_yo

_TOKENIZER = RussianTokenizer()


class ExactPhrase(wq.Phrase):
    """A phrase in the ``exact`` field, matched without stored positions when the
    index has none (scored as the AND of its forms, for the documents that have
    the phrase). Reading documents again is bounded by ``deadline`` (a
    :class:`search.limits.Deadline`, kept through Whoosh's copies): past it,
    the documents read so far are the matches, and the search is partial."""

    def __init__(self, fieldname, words, slop=1, boost=1.0, char_ranges=None, deadline=None):
        super().__init__(fieldname, words, slop=slop, boost=boost, char_ranges=char_ranges)
        self.deadline = deadline

    def normalize(self):
        found = super().normalize()
        if isinstance(found, ExactPhrase):
            found.deadline = self.deadline
        return found

    def __deepcopy__(self, memo):
        return ExactPhrase(
            self.fieldname, list(self.words), self.slop, self.boost, self.char_ranges, deadline=self.deadline
        )

    def matcher(self, searcher, context=None):
        field = searcher.schema[self.fieldname]
        if field.format.supports("positions"):
            return super().matcher(searcher, context)
        words = [w for w in self.words if w is not None]
        if not words:
            return NullMatcher()
        every_form = wq.And([wq.Term(self.fieldname, word) for word in words])
        candidates = every_form.matcher(searcher, context)
        found, scores = [], []
        while candidates.is_active():
            if self.deadline is not None and self.deadline.expired():
                break
            docnum = candidates.id()
            stored = searcher.stored_fields(docnum)
            if has_phrase((stored.get("title") or "", stored.get("body") or ""), words, self.slop):
                found.append(docnum)
                scores.append(candidates.score() * self.boost)
            candidates.next()
        if not found:
            return NullMatcher()
        return ListMatcher(found, weights=scores)


def surface_forms(texts: tuple[str, ...]) -> list[tuple[int, str]]:
    """(position, exact form) of every token of ``texts``, positions running on
    from one text to the next as the indexer counts them for a (title, body) pair."""
    forms: list[tuple[int, str]] = []
    offset = 0
    for text in texts:
        last = -1
        for token in _TOKENIZER(text, positions=True, mode="index"):
            forms.append((token.pos + offset, fold_yo(token.text.lower())))
            last = token.pos
        offset += last + 1
    return forms


def has_phrase(texts: tuple[str, ...], words: list[str], slop: int = 1) -> bool:
    """Whether ``words`` (exact forms) occur in ``texts`` in this order, each 1 to
    ``slop`` positions after the one before."""
    where: dict[str, list[int]] = {}
    for position, form in surface_forms(texts):
        where.setdefault(form, []).append(position)
    return in_order([where.get(word, []) for word in words], slop)
