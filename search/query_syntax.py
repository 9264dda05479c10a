"""The query language: Whoosh's query parser, configured for Russian users.

Parsing yields a tree over *surface* words (field ``text`` for plain words);
:mod:`search.querying` then rewrites it onto index terms. Supported syntax
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

from search.analysis import RussianTokenizer

# The schema the parser sees: plain words land in ``text``; ``exact`` receives
# ``!`` words; ``date`` values are kept whole for :mod:`search.querying`.
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


def plain_words(text: str) -> list[str]:
    """The words of a query string, all syntax (operators included) ignored."""
    return [word for word in _WORDS.findall(text) if word not in _OPERATOR_WORDS]


def syntax_problem(text: str) -> str | None:
    """What makes ``text`` unreadable as a query (unbalanced quotes or parentheses)."""
    if text.count('"') % 2:
        return "an unclosed quote"
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return "an unmatched parenthesis"
    return "an unclosed parenthesis" if depth else None


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
    if not _SYNTAX.search(text):
        words = plain_words(text)
        return (group([wq.Term("text", word) for word in words]) if words else wq.NullQuery), []
    problem = syntax_problem(text)
    if problem is None:
        try:
            parsed = _PARSERS[match].parse(_PIPE.sub(" | ", text.replace("?", " ")))
            if not getattr(parsed, "error", None):
                return parsed, []
        except Exception:  # Whoosh's parser raises assorted errors on odd input
            pass
        problem = "syntax it could not read"
    words = plain_words(text)
    if not words:
        return wq.NullQuery, []
    notice = f"The query has {problem}; searched for the plain words instead."
    return group([wq.Term("text", word) for word in words]), [notice]
