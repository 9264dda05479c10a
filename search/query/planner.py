"""Turning what the user typed into a Whoosh query over index terms.

:mod:`search.query.syntax` parses the text into a tree over surface words;
this module rewrites it: each word becomes its lemma(s) in ``head`` (title
and lead) and ``body``, phrases become phrases of lemmas, ``!`` words, prefixes and
wildcards go to the surface-forms field ``exact``, ``word~`` becomes the
indexed words within its edit distance, ``date:`` becomes a date range, and
function words are dropped outside phrases (they match nearly every document
and make any-term queries slow).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from whoosh import query as wq

from search.query import expansion
from search.text.analysis import DEFAULT_POLICY
from search.ranking.bestof import BestOf
from search.text.dates import parse_range
from search.limits import MAX_EXPANDED_WORDS, MAX_EXPANSIONS, MAX_FUZZY_DISTANCE, MAX_WORD_LENGTH, Deadline
from search.text.morphology import fold_yo, lemmas
from search.query.exact_phrase import ExactPhrase
from search.query.syntax import parse, plain_words
from search.text.words import normal_form, word_lemmas

if TYPE_CHECKING:
    from whoosh.reading import IndexReader

    from search.query.thesaurus import Thesaurus

# Ranked search looks in the head (title and lead) and the body; query-time
# weights multiply the index-time head boost (schema.HEAD_BOOST).
RANKED_FIELDS = ("head", "body")
QUERY_FIELD_WEIGHTS = {"head": 1.0, "body": 1.0}
KEYWORD_FIELDS = ("id", "source", "lang")
# In any-term queries, words found in more than this share of the documents
# are left to the re-ranker (see _without_frequent_words).
FREQUENT_WORD_SHARE = 0.5
# A typed word that the index also holds as a lemma joins the word's lemmas
# when it is a lemma in at least this share as many documents (see _Rewriter._lemmas).
TYPED_LEMMA_SHARE = 0.2
# Typo-tolerant matching considers at most this many indexed words per query word.
FUZZY_EXPANSIONS = 30

# Function words: prepositions, conjunctions, particles and the commonest
# pronouns. Dropped from queries outside phrases, never from the index.
STOP_WORDS = frozenset(
    """
    а без более бы был была были было быть в вам вас весь во вот все всего всех вы
    где да даже для до его ее если есть еще же за здесь и из или им их к как ко
    когда который кто ли либо лишь между меня мне может мы на над надо наш не него
    нее нет ни них но ну о об обо однако он она они оно от очень перед по под после
    при про с со так также такой там те тем то того тоже той только том ты у уже
    хотя чего чей чем что чтобы чье чья эта эти это этого этой этом этот я
    """.split()
)

_HYPHEN = re.compile("[-\u2010\u2011]")

__all__ = ["MatchTerms", "QueryPlan", "plan_query", "plain_words", "STOP_WORDS"]


@dataclass(frozen=True)
class MatchTerms:
    """What a document word must be to be highlighted for a query."""

    policy: str = DEFAULT_POLICY
    lemmas: frozenset[str] = frozenset()
    forms: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.lemmas or self.forms or self.prefixes)


@dataclass
class QueryPlan:
    """A parsed query, ready to run, and what the user should be told about it."""

    text: str
    query: wq.Query
    terms: MatchTerms
    notices: list[str] = field(default_factory=list)
    # The lemmas of each positive query word, in query order (for proximity).
    concepts: tuple[frozenset[str], ...] = ()
    # Plain query words with their lemmas, for spelling suggestions.
    words: tuple[tuple[str, frozenset[str]], ...] = ()
    # The time budget ran out while expanding a term: some words may be missing.
    partial: bool = False

    @property
    def empty(self) -> bool:
        return isinstance(self.query, type(wq.NullQuery))


def _weight(field: str) -> float:
    return QUERY_FIELD_WEIGHTS.get(field, 1.0)


def _date_range(text: str) -> wq.Query | None:
    found = parse_range(text)
    if found is None:
        return None
    start, end = found
    return wq.DateRange(
        "date",
        dt.datetime.combine(start, dt.time.min) if start else None,
        dt.datetime.combine(end, dt.time.max) if end else None,
    )


class _Rewriter:
    """Rewrites a parsed tree over surface words into one over index terms."""

    def __init__(
        self,
        match: str,
        drop_stop_words: bool,
        policy: str,
        reader: "IndexReader | None",
        thesaurus: "Thesaurus | None",
        deadline: Deadline | None = None,
    ):
        self.deadline = deadline
        self.partial = False
        self.expanded = 0
        self.drop_stop_words = drop_stop_words
        self.policy = policy
        self.reader = reader
        self.thesaurus = thesaurus
        self.match = match
        self.lemmas: set[str] = set()
        self.forms: set[str] = set()
        self.prefixes: list[str] = []
        self.notices: list[str] = []
        self.concepts: list[frozenset[str]] = []
        self.words: list[tuple[str, frozenset[str]]] = []

    def terms(self) -> MatchTerms:
        return MatchTerms(self.policy, frozenset(self.lemmas), frozenset(self.forms), tuple(self.prefixes))

    def rewrite(self, node: wq.Query) -> wq.Query | None:
        if isinstance(node, wq.FuzzyTerm):  # a Term subclass: test it first
            return self._fuzzy(node)
        if isinstance(node, wq.Term):
            return self._term(node)
        if isinstance(node, wq.Phrase):
            return self._phrase(node)
        if isinstance(node, (wq.Prefix, wq.Wildcard)):
            return self._wildcard(node)
        if isinstance(node, wq.Every):
            return wq.Every()
        if isinstance(node, wq.Not):
            child = self._rewrite_negated(node.query)
            return wq.Not(child) if child is not None else None
        if isinstance(node, wq.BinaryQuery):
            a = self.rewrite(node.a)
            b = self._rewrite_negated(node.b) if isinstance(node, wq.AndNot) else self.rewrite(node.b)
            if a is None or b is None:
                return a if b is None else (None if isinstance(node, wq.AndNot) else b)
            return type(node)(a, b)
        if isinstance(node, wq.CompoundQuery):
            children = [c for c in self._rewrite_children(node) if c is not None]
            if not children:
                return None
            return children[0] if len(children) == 1 else type(node)(children, boost=node.boost)
        if getattr(node, "fieldname", None) == "text":
            # Ranges and other term-level queries run on the surface forms.
            node = copy.copy(node)
            node.fieldname = "exact"
        return node

    def _rewrite_children(self, node: wq.CompoundQuery) -> list[wq.Query | None]:
        """Rewrite the children of a group, replacing runs of plain words that
        form a multi-word thesaurus entry («Кыргызская Республика») as a whole.
        In an any-term OR, the words of a quotation join it one by one, so that
        a frequent word among them (see _without_frequent_words) drops itself,
        not the quotation."""
        children = list(node.subqueries)
        rewritten: list[wq.Query | None] = []
        position = 0
        while position < len(children):
            entry = self._multiword_entry(children, position)
            if entry is not None:
                query, length = entry
                rewritten.append(query)
                position += length
            else:
                child = children[position]
                found = self.rewrite(child)
                quotation = isinstance(child, wq.Phrase) and type(found) is wq.Or
                if quotation and self.match == "any" and type(node) is wq.Or:
                    rewritten.extend(found.subqueries)
                else:
                    rewritten.append(found)
                position += 1
        return rewritten

    def _multiword_entry(self, children: list[wq.Query], start: int) -> tuple[wq.Query, int] | None:
        if self.thesaurus is None or self.thesaurus.longest < 2:
            return None
        run: list[str] = []
        for child in children[start : start + self.thesaurus.longest]:
            if type(child) is not wq.Term or child.fieldname != "text":
                break
            run.append(child.text)
        for length in range(len(run), 1, -1):
            entry = tuple(word_lemmas(word, self.policy)[0] for word in run[:length])
            if entry in self.thesaurus:
                return self._with_synonyms(entry, RANKED_FIELDS, 1.0), length
        return None

    def _with_synonyms(self, entry: tuple[str, ...], fields: tuple[str, ...], boost: float) -> wq.Query:
        """The entry typed (full weight) or any of its thesaurus alternatives.

        A document scores by its best alternative, so that mentioning several
        variants of a name does not outweigh the name the user typed. In
        any-term queries multi-word alternatives are left out.
        """
        alternatives = [(entry, boost)] + [
            (expansion.lemmas, boost * expansion.weight)
            for expansion in self.thesaurus.expansions(entry)
            if self.match == "all" or len(expansion.lemmas) == 1
        ]
        queries: list[wq.Query] = []
        single: set[str] = set()
        for lemmas_, weight in alternatives:
            self.lemmas.update(lemmas_)
            if len(lemmas_) == 1:
                single.add(lemmas_[0])
                per_field = [wq.Term(f, lemmas_[0], boost=weight * _weight(f)) for f in fields]
            elif self.match == "any":
                # As with quotations: in any-term ranking the words count.
                per_field = [wq.Term(f, lemma, boost=weight * _weight(f)) for lemma in lemmas_ for f in fields]
            else:
                # Every word of a multi-word name, anywhere; the re-ranker
                # rewards them standing together (phrase matching is slow).
                words = [wq.Or([wq.Term(f, lemma, boost=_weight(f)) for f in fields]) for lemma in lemmas_]
                per_field = [wq.And(words, boost=weight)]
            queries.append(per_field[0] if len(per_field) == 1 else wq.Or(per_field))
        if len(entry) == 1:
            self.concepts.append(frozenset(single))
        else:
            # Each word of a multi-word name is a query word of its own (for
            # proximity and coverage), which a one-word variant also stands for.
            self.concepts.extend(frozenset({word, *single}) for word in entry)
        return queries[0] if len(queries) == 1 else BestOf(queries)

    def _rewrite_negated(self, node: wq.Query) -> wq.Query | None:
        """Rewrite an excluded part without adding its words to the highlights.

        An excluded quotation stays a phrase even in any-term queries: «-"Илан
        Шор"» excludes the name, not every document with «Шор» in it.
        """
        kept = (set(self.lemmas), set(self.forms), list(self.prefixes), list(self.concepts), list(self.words))
        match, self.match = self.match, "all"
        try:
            result = self.rewrite(node)
        finally:
            self.match = match
        self.lemmas, self.forms, self.prefixes, self.concepts, self.words = kept
        return result

    def _lemma_query(self, found: tuple[str, ...], fields: tuple[str, ...], boost: float) -> wq.Query:
        self.lemmas.update(found)
        self.concepts.append(frozenset(found))
        terms = [wq.Term(f, lemma, boost=boost * _weight(f)) for lemma in found for f in fields]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def _term(self, node: wq.Term) -> wq.Query | None:
        if node.fieldname in KEYWORD_FIELDS:
            return node
        if node.fieldname == "date":
            found = _date_range(node.text)
            if found is None:
                self.notices.append(
                    f"date:{node.text} is not a date or range (try date:2017, date:2017-05 "
                    "or date:2017-05-01..2017-06-30); ignored it."
                )
            return found
        if node.fieldname == "exact":
            form = normal_form(node.text)
            self.forms.add(form)
            return wq.Term("exact", form, boost=node.boost)
        word = node.text
        if self.drop_stop_words and normal_form(word) in STOP_WORDS:
            return None
        fields = RANKED_FIELDS if node.fieldname == "text" else (node.fieldname,)
        if _HYPHEN.search(word) and self._unknown_compound(word):
            # «санду-президент»: a compound the index has never seen whole is
            # searched as the phrase of its parts.
            parts = [part for part in _HYPHEN.split(word) if part]
            return self._phrase(wq.Phrase(node.fieldname, parts, boost=node.boost))
        found = self._lemmas(word)
        self.words.append((word, frozenset(found)))
        if self.thesaurus is not None and found[:1] in self.thesaurus:
            return self._with_synonyms(found[:1], fields, node.boost)
        return self._lemma_query(found, fields, node.boost)

    def _lemmas(self, word: str) -> tuple[str, ...]:
        """The word's lemmas, and the word itself where the index holds it as
        a lemma: a name pymorphy reads as some other word in one case and as
        itself in the others («Шор» → шоры, but «Шора», «Шору» → шор)."""
        found = word_lemmas(word, self.policy)
        typed = normal_form(word)
        if self.reader is None or typed in found:
            return found
        as_lemma = self.reader.doc_frequency("body", typed)
        # A stray parse of a rare form would weigh as a rare word: the typed
        # word must be a lemma in a good share of the documents.
        if as_lemma and as_lemma >= TYPED_LEMMA_SHARE * sum(self.reader.doc_frequency("body", x) for x in found):
            found = (*found, typed)
        return found

    def _unknown_compound(self, word: str) -> bool:
        if self.reader is None:
            return False
        return not any(
            (field, lemma) in self.reader for lemma in word_lemmas(word, self.policy) for field in RANKED_FIELDS
        )

    def _wildcard(self, node: wq.Prefix | wq.Wildcard) -> wq.Query | None:
        """``слово*`` or ``с*во``: the most frequent indexed surface forms
        matching the pattern (at most ``MAX_EXPANSIONS``, with a notice
        naming the cut)."""
        pattern = fold_yo(node.text.lower()) + ("*" if isinstance(node, wq.Prefix) else "")
        shown = f"«{node.text}{'*' if isinstance(node, wq.Prefix) else ''}»"
        if len(pattern) > MAX_WORD_LENGTH:
            self.notices.append(f"{shown[:20]}…» is longer than any indexed word; ignored it.")
            return None
        if not expansion.literal_prefix(pattern):
            self.notices.append(
                f"{shown} starts with *, which would scan every indexed word; "
                "put at least one letter before the first * (ignored it)."
            )
            return None
        if isinstance(node, wq.Prefix) or pattern.endswith("*") and pattern.count("*") == 1:
            self.prefixes.append(pattern.rstrip("*"))
        if self.reader is None:
            return type(node)("exact", pattern.rstrip("*") if isinstance(node, wq.Prefix) else pattern, boost=node.boost)
        limit = self._expansion_limit(MAX_EXPANSIONS)
        if not limit:
            self._out_of_expansions(shown)
            return None
        found = expansion.wildcard(self.reader, "exact", pattern, self.deadline, limit)
        self._report(shown, found, limit)
        if not found.words:
            self.notices.append(f"No indexed word matches {shown}.")
            return wq.NullQuery
        self.forms.update(found.words)
        terms = [wq.Term("exact", word, boost=node.boost) for word in found.words]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def _expansion_limit(self, limit: int) -> int:
        """How many words the next expanded term may stand for: its own cap,
        within what is left of the query's (``MAX_EXPANDED_WORDS``)."""
        return min(limit, MAX_EXPANDED_WORDS - self.expanded)

    def _out_of_expansions(self, shown: str) -> None:
        self.notices.append(
            f"The query's prefixes, wildcards and typo-tolerant words already stand for "
            f"{MAX_EXPANDED_WORDS} indexed words, the most a query may; left out {shown}."
        )

    def _report(self, shown: str, found: "expansion.Expansion", limit: int) -> None:
        self.expanded += len(found.words)
        if not found.complete:
            self.partial = True
            self.notices.append(f"Ran out of time looking up the words for {shown}; some may be missing.")
        if found.cut:
            self.notices.append(
                f"{shown} matches {found.matched:,} indexed words; searched for the {limit} most frequent."
            )

    def _fuzzy(self, node: wq.FuzzyTerm) -> wq.Query | None:
        """Typo-tolerant word: the indexed surface forms within the edit
        distance (at most ``MAX_FUZZY_DISTANCE``), the ``FUZZY_EXPANSIONS``
        most frequent, each searched through its lemmas."""
        form = normal_form(node.text)
        if len(form) > MAX_WORD_LENGTH:
            self.notices.append(f"«{node.text[:20]}…» is longer than any indexed word; ignored it.")
            return None
        maxdist = node.maxdist
        shown = f"«{node.text}~{maxdist}»"
        if maxdist > MAX_FUZZY_DISTANCE:
            self.notices.append(
                f"Typo tolerance is at most {MAX_FUZZY_DISTANCE} letters; searched for "
                f"«{node.text}~{MAX_FUZZY_DISTANCE}» instead of {shown}."
            )
            maxdist = MAX_FUZZY_DISTANCE
            shown = f"«{node.text}~{maxdist}»"
        if self.reader is None:
            return wq.FuzzyTerm("exact", form, maxdist=maxdist, prefixlength=max(1, node.prefixlength))
        limit = self._expansion_limit(FUZZY_EXPANSIONS)
        if not limit:
            self._out_of_expansions(shown)
            return None
        found = expansion.close_words(self.reader, "exact", form, maxdist, node.prefixlength, self.deadline, limit)
        self._report(shown, found, limit)
        candidates = found.words
        if not candidates:
            self.notices.append(f"No indexed word is close to «{node.text}».")
            return wq.NullQuery
        self.forms.update(candidates)
        found = tuple(dict.fromkeys(lemma for c in candidates for lemma in lemmas(c, self.policy)))
        fields = RANKED_FIELDS if node.fieldname == "text" else (node.fieldname,)
        return self._lemma_query(found, fields, node.boost)

    def _phrase(self, node: wq.Phrase) -> wq.Query | None:
        if node.fieldname == "exact":
            forms = [normal_form(w) for w in node.words]
            self.forms.update(forms)
            return ExactPhrase("exact", forms, slop=node.slop, boost=node.boost, deadline=self.deadline)
        per_word = [self._lemmas(w) for w in node.words]
        for found in per_word:
            self.lemmas.update(found)
            self.concepts.append(frozenset(found))
        fields = RANKED_FIELDS if node.fieldname == "text" else (node.fieldname,)
        queries: list[wq.Query] = []
        for f in fields:
            if all(len(found) == 1 for found in per_word):
                words = [found[0] for found in per_word]
                queries.append(wq.Phrase(f, words, slop=node.slop, boost=node.boost * _weight(f)))
            else:
                steps = [wq.Or([wq.Term(f, lemma) for lemma in found]) for found in per_word]
                queries.append(wq.Sequence(steps, slop=node.slop, boost=node.boost * _weight(f)))
        if self.match == "any":
            # Ranking by any of the words: the words of a quotation count on
            # their own; the re-ranker rewards them standing together (a
            # phrase query here costs much and adds little).
            words = [
                wq.Or([wq.Term(f, lemma, boost=_weight(f)) for lemma in found for f in fields])
                for word, found in zip(node.words, per_word)
                if not (self.drop_stop_words and normal_form(word) in STOP_WORDS)
            ]
            if words:
                return wq.Or(words)
        return queries[0] if len(queries) == 1 else wq.Or(queries)


def _without_frequent_words(query: wq.Query, reader: "IndexReader") -> wq.Query:
    """An any-term query without the words found in most documents.

    Such words barely change the ranking (their IDF is near zero) but make
    Whoosh score most of the index; the proximity re-ranker still sees them.
    Kept when no other word is in the index at all.
    """
    if type(query) is not wq.Or:
        return query
    total = max(reader.doc_count(), 1)

    def frequent(part: wq.Query) -> bool:
        # Judged by the body, whichever field the part searches (a one-word
        # query's parts are its head and body terms); a word with its thesaurus
        # variants goes when the word itself is that common.
        words = {text for field, text in part.iter_all_terms() if field in RANKED_FIELDS}
        return any(reader.doc_frequency("body", word) / total > FREQUENT_WORD_SHARE for word in words)

    def found(part: wq.Query) -> bool:
        return any(reader.doc_frequency(*t) for t in part.iter_all_terms())

    kept = [part for part in query.subqueries if not frequent(part)]
    # Nothing left that the index has (the rare word was a typo): keep them all.
    return wq.Or(kept) if any(found(part) for part in kept) else query


def plan_query(
    text: str,
    match: str = "all",
    policy: str = DEFAULT_POLICY,
    reader: "IndexReader | None" = None,
    thesaurus: "Thesaurus | None" = None,
    deadline: Deadline | None = None,
) -> QueryPlan:
    """Parse ``text`` into a :class:`QueryPlan`; never raises on odd input.

    ``match`` is ``all`` (every word must occur) or ``any`` (ranked by how
    many words occur and how often). ``policy`` must be the lemma ambiguity
    policy the index was built with. With a ``reader``, typo-tolerant words
    (``word~``) expand to the index's words; without one they match surface
    forms only. With a ``thesaurus``, names are expanded to their variants
    («Киргизия» also finds «Кыргызстан»), at a lower weight.
    """
    if match not in ("all", "any"):
        raise ValueError(f"match must be 'all' or 'any', not {match!r}")
    parsed, notices = parse(text, match)
    rewriter = _Rewriter(match, True, policy, reader, thesaurus, deadline)
    rewritten = rewriter.rewrite(parsed)
    if rewritten is None and not rewriter.notices:
        # Nothing but function words: search for them after all.
        rewriter = _Rewriter(match, False, policy, reader, thesaurus, deadline)
        rewritten = rewriter.rewrite(parsed)
    if rewritten is None:
        rewritten = wq.NullQuery
    if match == "any" and reader is not None:
        rewritten = _without_frequent_words(rewritten, reader)
    return QueryPlan(
        text=text,
        query=rewritten.normalize(),
        terms=rewriter.terms(),
        notices=notices + rewriter.notices,
        concepts=tuple(rewriter.concepts),
        words=tuple(rewriter.words),
        partial=rewriter.partial,
    )
