"""The query language: Whoosh's query parser, configured for Russian users.

Parsing yields a tree over *surface* words (field ``text`` for plain words);
:mod:`search.query.planner` then rewrites it onto index terms. Supported syntax
(documented in README.md):

- implicit AND; ``AND``/``И``, ``OR``/``ИЛИ``/``|``, ``NOT``/``НЕ``/``-слово``, ``( )``;
- ``"фраза"`` and ``"фраза"~N``; ``!слово`` and ``!"фраза"`` (exact forms);
- ``слово*`` (prefix, or ``*`` anywhere in a word), ``слово~`` / ``слово~2``
  (typo-tolerant); ``?`` is punctuation (questions), not a wildcard;
- ``title:``, ``source:``, ``lang:``, ``id:``, ``date:2017``, ``date:2017-05``,
  ``date:2017-05-01..2017-06-30``.

Anything the parser cannot read degrades to plain words, with a notice.
"""

from __future__ import annotations

import re

from whoosh import query as wq
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import (
    AndGroup,
    FuzzyTermPlugin,
    OperatorsPlugin,
    OrGroup,
    PlusMinusPlugin,
    QueryParser,
    TaggingPlugin,
    syntax,
)

from search.text.analysis import RussianTokenizer
from search.limits import MAX_CLAUSES, MAX_FUZZY_DISTANCE, MAX_NESTING, MAX_QUERY_LENGTH, MAX_WORD_LENGTH

# The schema the parser sees: plain words land in ``text``; ``exact`` receives
# ``!`` words; ``date`` values are kept whole for :mod:`search.query.planner`.
_PARSE_SCHEMA = Schema(
    text=TEXT(analyzer=RussianTokenizer()),
    title=TEXT(analyzer=RussianTokenizer()),
    exact=TEXT(analyzer=RussianTokenizer()),
    id=ID(),
    source=ID(),
    lang=ID(),
    date=ID(),
)

# Operators are recognised only as whole words between spaces, in capitals,
# so that the conjunction «и» and the particle «не» stay ordinary words.
_BEFORE = r"(?<=\s)"
_AFTER = r"(?=\s)"
_LEADING = r"(?:^|(?<=[\s(]))"
OPERATORS = {
    "And": rf"{_BEFORE}(?:AND|И){_AFTER}",
    "Or": rf"{_BEFORE}(?:OR|ИЛИ|\|){_AFTER}",
    "Not": rf"{_LEADING}(?:NOT|НЕ){_AFTER}",
    "AndNot": rf"{_BEFORE}ANDNOT{_AFTER}",
    "AndMaybe": rf"{_BEFORE}ANDMAYBE{_AFTER}",
}
_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "И", "ИЛИ", "НЕ"})
_WORDS = re.compile(RussianTokenizer.expression.pattern)
_PIPE = re.compile(r"\s*\|\s*")
_FUZZY_DISTANCE = re.compile(r"(?<![\w-])(?P<word>[^\W_][\w-]*)~(?P<distance>\d+)")
# Anything that makes a query more than plain words.
_SYNTAX = re.compile(
    r'["()\[\]{}:*~!^|]|(?:^|(?<=[\s(]))[-+](?=\w)|(?<!\w)(?:AND|OR|NOT|ANDNOT|ANDMAYBE|И|ИЛИ|НЕ)(?!\w)'
)


class _ExactNode(syntax.SyntaxNode):
    """``!слово`` or ``!"фраза"``: match these surface forms only."""

    def __init__(self, word: str | None = None, phrase: str | None = None):
        self.words = plain_words(phrase if phrase is not None else word or "")
        self.is_phrase = phrase is not None

    def r(self) -> str:
        return f"!{self.words!r}"

    def query(self, parser) -> wq.Query:
        if not self.words:
            return wq.NullQuery
        if len(self.words) == 1 and not self.is_phrase:
            return wq.Term("exact", self.words[0])
        return wq.Phrase("exact", self.words)


class ExactFormPlugin(TaggingPlugin):
    """Tags ``!слово`` and ``!"фраза"`` (Yandex's exact-form operator)."""

    expr = r'(?:^|(?<=[\s(]))!(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s()"!]+))'
    nodetype = _ExactNode
    priority = -10


def all_words(text: str) -> list[str]:
    """Every word of a query string, however long."""
    return _WORDS.findall(text[: MAX_QUERY_LENGTH * 10])


def plain_words(text: str) -> list[str]:
    """The words of a query string, all syntax (operators included) ignored;
    words too long to be indexed (see :mod:`search.limits`) left out."""
    return [word for word in _WORDS.findall(text) if word not in _OPERATOR_WORDS and len(word) <= MAX_WORD_LENGTH]


def syntax_problem(text: str) -> str | None:
    """What makes ``text`` unreadable as a query: unbalanced quotes or
    parentheses, or parentheses nested deeper than ``MAX_NESTING`` (the
    parser and the query tree recurse on nesting)."""
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = deepest = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(depth, deepest)
        if depth < 0:
            return "an unmatched parenthesis"
    if depth:
        return "an unclosed parenthesis"
    if deepest > MAX_NESTING:
        return f"parentheses nested more than {MAX_NESTING} deep"
    return None


def _clamped_fuzziness(text: str) -> tuple[str, list[str]]:
    """``слово~N`` with N over ``MAX_FUZZY_DISTANCE`` rewritten to that distance,
    with a notice (Whoosh's parser would read ``~99`` as ``~9`` and a word «9»)."""
    notices: list[str] = []

    def clamp(match: re.Match) -> str:
        distance = match.group("distance")
        if len(distance) == 1 and int(distance) <= MAX_FUZZY_DISTANCE:
            return match.group()
        typed = match.group() if len(match.group()) <= 40 else match.group()[:40] + "…"
        notices.append(
            f"Typo tolerance is at most {MAX_FUZZY_DISTANCE} letters; searched for "
            f"«{match.group('word')}~{MAX_FUZZY_DISTANCE}» instead of «{typed}»."
        )
        return f"{match.group('word')}~{MAX_FUZZY_DISTANCE}"

    return _FUZZY_DISTANCE.sub(clamp, text), notices


def _shortened(text: str) -> tuple[str, list[str]]:
    """The query cut to ``MAX_QUERY_LENGTH`` characters at a space, with a notice."""
    if len(text) <= MAX_QUERY_LENGTH:
        return text, []
    cut = text[:MAX_QUERY_LENGTH]
    space = cut.rfind(" ")
    cut = cut[:space] if space > MAX_QUERY_LENGTH // 2 else cut
    return cut, [f"The query is longer than {MAX_QUERY_LENGTH:,} characters; searched for its first {len(cut):,}."]


def _leaf_count(query: wq.Query) -> int:
    """How many terms a parsed tree holds, counted without recursion."""
    count, stack = 0, [query]
    while stack:
        node = stack.pop()
        children = [] if node.is_leaf() else list(node.children())
        if children:
            stack.extend(children)
        else:
            count += 1
    return count


def _parser(match: str) -> QueryParser:
    parser = QueryParser("text", _PARSE_SCHEMA, group=AndGroup if match == "all" else OrGroup)
    parser.remove_plugin_class(OperatorsPlugin)
    parser.add_plugin(OperatorsPlugin(**OPERATORS))
    parser.add_plugin(PlusMinusPlugin(_LEADING + r"\+(?=\w)", _LEADING + r"-(?=[\w\"(])"))
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(ExactFormPlugin())
    return parser


_PARSERS = {match: _parser(match) for match in ("all", "any")}


def parse(text: str, match: str) -> tuple[wq.Query, list[str]]:
    """Parse ``text`` into a tree over surface words, and notices for the user.

    Never raises: unreadable syntax gives the plain words, grouped by
    ``match`` (``all`` → AND, ``any`` → OR), with a notice saying so. Text
    with no syntax at all (most queries) skips Whoosh's parser, which costs
    a couple of milliseconds.
    """
    group = wq.And if match == "all" else wq.Or
    text, notices = _shortened(text)
    overlong = [word for word in _WORDS.findall(text) if len(word) > MAX_WORD_LENGTH]
    if overlong:
        notices.append(
            f"Words over {MAX_WORD_LENGTH} characters are not indexed; left out «{overlong[0][:20]}…»"
            + (f" and {len(overlong) - 1} more." if len(overlong) > 1 else ".")
        )
    if not _SYNTAX.search(text):
        words = plain_words(text)
        if len(words) > MAX_CLAUSES:
            notices.append(_too_many(len(words)))
            words = words[:MAX_CLAUSES]
        return (group([wq.Term("text", word) for word in words]) if words else wq.NullQuery), notices
    text, clamped = _clamped_fuzziness(text)
    notices += clamped
    problem = syntax_problem(text)
    if problem is None:
        try:
            parsed = _PARSERS[match].parse(_PIPE.sub(" | ", text.replace("?", " ")))
            if not getattr(parsed, "error", None):
                if _leaf_count(parsed) <= MAX_CLAUSES:
                    return parsed, notices
                problem = f"more than {MAX_CLAUSES} terms"
        except Exception:  # Whoosh's parser raises assorted errors on odd input
            pass
        problem = problem or "syntax it could not read"
    words = plain_words(text)
    if not words:
        return wq.NullQuery, notices
    notice = f"The query has {problem}; searched for the plain words instead."
    if len(words) > MAX_CLAUSES:
        notice = f"The query has {problem}; searched for its first {MAX_CLAUSES} plain words instead."
        words = words[:MAX_CLAUSES]
    return group([wq.Term("text", word) for word in words]), notices + [notice]


def _too_many(count: int) -> str:
    return f"The query has {count} words; searched for the first {MAX_CLAUSES} (at most {MAX_CLAUSES} terms)."
