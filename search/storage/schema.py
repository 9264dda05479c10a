"""The index schema and its version.

Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or the meaning of an
indexed value changes: indexes built with another version must be rebuilt.
"""

from __future__ import annotations

from whoosh.fields import COLUMN, DATETIME, ID, STORED, Schema

from search.text.analysis import DEFAULT_POLICY, lemma_analyzer, surface_analyzer
from search.indexer.field_text import DocumentText

SCHEMA_VERSION = 5

# The head of a document (its title and lead) weighs more than its body in
# BM25F ranking; the lead is this many first words (tokens) of the body.
HEAD_BOOST = 2.0
LEAD_WORDS = 60


def build_schema(policy: str = DEFAULT_POLICY) -> Schema:
    """The fields of every index.

    ``head`` (title and lead), ``body`` and ``title`` hold lemmas: ranked
    search uses the first two, ``title:`` queries the third; ``exact`` holds the
    surface forms of both (lowercased, ё folded) for exact-form and prefix
    search (``head`` and ``exact`` are given the pair ``(title, body)``, see
    :mod:`search.indexer.field_text`), without positions (an exact-form phrase
    reads its candidates again: :mod:`search.query.exact_phrase`); ``year`` serves facet counts; ``dup_group`` names the group of
    near-duplicates a document belongs to and ``minhash`` holds its signature
    (see :mod:`search.indexer.duplicates`); ``origin`` is the file it was read from; ``policy`` is the lemma ambiguity policy
    (see :func:`search.text.morphology.lemmas`); ``content_hash`` lets incremental builds skip unchanged documents.
    """
    return Schema(
        id=ID(unique=True, stored=True, sortable=True),
        title=DocumentText(lemma_analyzer(policy), lemmatised=True, policy=policy, stored=True),
        head=DocumentText(
            lemma_analyzer(policy), lemmatised=True, policy=policy, lead_words=LEAD_WORDS, field_boost=HEAD_BOOST
        ),
        body=DocumentText(lemma_analyzer(policy), lemmatised=True, policy=policy, stored=True),
        exact=DocumentText(surface_analyzer(), lemmatised=False, policy=policy, phrase=False),
        date=DATETIME(stored=True, sortable=True),
        year=ID(sortable=True),
        source=ID(stored=True, sortable=True),
        url=STORED(),
        lang=ID(stored=True),
        content_hash=ID(stored=True, sortable=True),
        dup_group=ID(stored=True, sortable=True),
        minhash=COLUMN(),
        origin=ID(sortable=True),
    )
