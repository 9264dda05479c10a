"""Baseline analyzers and schema for the benchmarks.

Whoosh pickles the schema, analyzers included, into the index, so the
filters here are module-level classes holding no unpicklable state. Import
this module as ``bench._common`` (with the repo root on ``sys.path``) so that
the pickled path resolves whenever an index is reopened.
"""

from __future__ import annotations

import re

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer
from whoosh.fields import DATETIME, ID, TEXT, Schema

# A word: letters/digits, optionally joined by hyphens («северо-запад»).
WORD_PATTERN = r"\w+(?:-\w+)*"
WORD_RE = re.compile(WORD_PATTERN)

TITLE_BOOST = 2.0

_stemmer = None  # one PyStemmer object per process, created on first use


def _russian_stemmer():
    global _stemmer
    if _stemmer is None:
        import Stemmer

        _stemmer = Stemmer.Stemmer("russian")
    return _stemmer


class YoFoldFilter(Filter):
    """Fold «ё» to «е» (run after lowercasing)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = token.text.replace("ё", "е")
            yield token


class SnowballRussianFilter(Filter):
    """Stem tokens with the Snowball Russian stemmer (PyStemmer)."""

    def __call__(self, tokens):
        stem = _russian_stemmer().stemWord
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


def baseline_analyzer(stem: bool):
    """Word tokenizer | lowercase | ё→е, plus Snowball stemming if ``stem``."""
    analyzer = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | YoFoldFilter()
    if stem:
        analyzer = analyzer | SnowballRussianFilter()
    return analyzer


def baseline_schema(stem: bool, dated: bool = False) -> Schema:
    """The engine's ranked-field layout: boosted title, body, stored id (and a
    sortable date, for the speed benchmark's date-sorted and filtered queries)."""
    analyzer = baseline_analyzer(stem)
    schema = Schema(
        id=ID(unique=True, stored=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=analyzer, stored=True),
    )
    if dated:
        schema.add("date", DATETIME(stored=True, sortable=True))
    return schema


def query_words(text: str) -> list[str]:
    """The words of ``text``, all punctuation and query syntax dropped."""
    return WORD_RE.findall(text)


def baseline_fields(doc) -> dict:
    """A document's fields for :func:`baseline_schema` (a date as Whoosh's datetime)."""
    import datetime as dt

    fields = {"id": doc.id, "title": doc.title, "body": doc.body}
    if doc.date:
        fields["date"] = dt.datetime.combine(doc.date, dt.time())
    return fields
