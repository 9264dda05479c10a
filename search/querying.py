"""Turning what the user typed into a Whoosh query over lemmas.

The query string is parsed by Whoosh's query parser against a parse-only
schema whose words keep their surface form. The parsed tree is then
rewritten: each word becomes its lemma(s) in ``title`` and ``body``, phrases
become phrases of lemmas, prefixes and wildcards go to the surface-forms
field, and function words are dropped outside phrases (they match nearly
every document and make any-term queries slow).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from whoosh import query as wq
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import AndGroup, OrGroup, PlusMinusPlugin, QueryParser

from search.analysis import DEFAULT_POLICY, RussianTokenizer
from search.morphology import fold_yo, lemmas

RANKED_FIELDS = ("title", "body")
KEYWORD_FIELDS = ("id", "source", "lang")

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

_PARSE_SCHEMA = Schema(
    text=TEXT(analyzer=RussianTokenizer()),
    title=TEXT(analyzer=RussianTokenizer()),
    id=ID(),
    source=ID(),
    lang=ID(),
)
# «+» and «-» are operators only at the start of a word, never inside one
# («Ростов-на-Дону»).
_LEADING = r"(?:^|(?<=[\s(]))"
_WORDS = re.compile(RussianTokenizer.expression.pattern)


@dataclass(frozen=True)
class MatchTerms:
    """What a document must contain to be highlighted for a query."""

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

    @property
    def empty(self) -> bool:
        return self.query is wq.NullQuery or isinstance(self.query, type(wq.NullQuery))


def _normal(word: str) -> str:
    return fold_yo(word.lower())


def word_lemmas(word: str, policy: str = DEFAULT_POLICY) -> tuple[str, ...]:
    """Lemmas of a word as typed (capitalisation matters to some policies)."""
    return lemmas(_normal(word), policy, word[:1].isupper())


class _Rewriter:
    """Rewrites a parsed tree over surface words into one over index terms."""

    def __init__(self, drop_stop_words: bool, policy: str):
        self.drop_stop_words = drop_stop_words
        self.policy = policy
        self.lemmas: set[str] = set()
        self.forms: set[str] = set()
        self.prefixes: list[str] = []

    def terms(self) -> MatchTerms:
        return MatchTerms(self.policy, frozenset(self.lemmas), frozenset(self.forms), tuple(self.prefixes))

    def rewrite(self, node: wq.Query) -> wq.Query | None:
        if isinstance(node, wq.Term):
            return self._term(node)
        if isinstance(node, wq.Phrase):
            return self._phrase(node)
        if isinstance(node, (wq.Prefix, wq.Wildcard)):
            pattern = _normal(node.text)
            if isinstance(node, wq.Prefix):
                self.prefixes.append(pattern)
            return type(node)("exact", pattern, boost=node.boost)
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
            children = [c for c in (self.rewrite(q) for q in node.subqueries) if c is not None]
            if not children:
                return None
            return children[0] if len(children) == 1 else type(node)(children, boost=node.boost)
        if getattr(node, "fieldname", None) == "text":
            # Ranges and other term-level queries run on the surface forms.
            node = copy.copy(node)
            node.fieldname = "exact"
        return node

    def _rewrite_negated(self, node: wq.Query) -> wq.Query | None:
        """Rewrite an excluded part without adding its words to the highlights."""
        kept = (set(self.lemmas), set(self.forms), list(self.prefixes))
        result = self.rewrite(node)
        self.lemmas, self.forms, self.prefixes = kept
        return result

    def _term(self, node: wq.Term) -> wq.Query | None:
        if node.fieldname in KEYWORD_FIELDS:
            return node
        word = node.text
        if self.drop_stop_words and _normal(word) in STOP_WORDS:
            return None
        fields = RANKED_FIELDS if node.fieldname == "text" else (node.fieldname,)
        found = word_lemmas(word, self.policy)
        self.lemmas.update(found)
        terms = [wq.Term(f, lemma, boost=node.boost) for lemma in found for f in fields]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def _phrase(self, node: wq.Phrase) -> wq.Query | None:
        per_word = [word_lemmas(w, self.policy) for w in node.words]
        for found in per_word:
            self.lemmas.update(found)
        fields = RANKED_FIELDS if node.fieldname == "text" else (node.fieldname,)
        queries: list[wq.Query] = []
        for f in fields:
            if all(len(found) == 1 for found in per_word):
                queries.append(wq.Phrase(f, [found[0] for found in per_word], slop=node.slop, boost=node.boost))
            else:
                steps = [wq.Or([wq.Term(f, lemma) for lemma in found]) for found in per_word]
                queries.append(wq.Sequence(steps, slop=node.slop, boost=node.boost))
        return queries[0] if len(queries) == 1 else wq.Or(queries)


def _syntax_problem(text: str) -> str | None:
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "an unmatched parenthesis"
    return "an unclosed parenthesis" if depth else None


_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})


def plain_words(text: str) -> list[str]:
    """The words of a query string, all syntax (operators included) ignored."""
    return [word for word in _WORDS.findall(text) if word not in _OPERATORS]


def plan_query(text: str, match: str = "all", policy: str = DEFAULT_POLICY) -> QueryPlan:
    """Parse ``text`` into a :class:`QueryPlan`; never raises on odd input.

    ``match`` is ``all`` (every word must occur) or ``any`` (ranked by how
    many words occur and how often). ``policy`` must be the lemma ambiguity
    policy the index was built with.
    """
    if match not in ("all", "any"):
        raise ValueError(f"match must be 'all' or 'any', not {match!r}")
    group = AndGroup if match == "all" else OrGroup
    notices: list[str] = []
    parsed: wq.Query | None = None
    problem = _syntax_problem(text)
    if problem is None:
        try:
            parser = QueryParser("text", _PARSE_SCHEMA, group=group)
            parser.add_plugin(PlusMinusPlugin(_LEADING + r"\+", _LEADING + "-"))
            parsed = parser.parse(text)
        except Exception:  # Whoosh's parser raises assorted errors on odd input
            problem = "syntax it could not read"
        if parsed is not None and getattr(parsed, "error", None):
            problem = "syntax it could not read"
    if problem is not None or parsed is None:
        words = plain_words(text)
        if words and problem:
            notices.append(f"The query has {problem}; searched for the plain words instead.")
        parsed = group.qclass([wq.Term("text", w) for w in words]) if words else wq.NullQuery

    rewriter = _Rewriter(drop_stop_words=True, policy=policy)
    rewritten = rewriter.rewrite(parsed)
    if rewritten is None:
        # Nothing but function words: search for them after all.
        rewriter = _Rewriter(drop_stop_words=False, policy=policy)
        rewritten = rewriter.rewrite(parsed)
    if rewritten is None:
        rewritten = wq.NullQuery
    return QueryPlan(text=text, query=rewritten.normalize(), terms=rewriter.terms(), notices=notices)
