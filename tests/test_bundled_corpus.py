"""The sample corpus in corpus/ builds cleanly and answers the README's query."""

from pathlib import Path

import pytest

from search import Index
from search.corpus import CorpusReader, Record

from conftest import build_index

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    return build_index(tmp_path_factory, "bundled", [CORPUS])


def test_every_release_is_indexed_without_problems(bundled):
    _, report = bundled
    assert report.problems == []
    assert report.added >= 40


def test_releases_are_complete_and_span_the_decade():
    documents = [item.document for item in CorpusReader([CORPUS]) if isinstance(item, Record)]
    assert all(doc.title and doc.body and doc.date and doc.source and doc.url for doc in documents)
    assert {doc.date.year for doc in documents} >= set(range(2015, 2026))


def test_readme_query_finds_the_visit_to_japan_first(bundled):
    path, _ = bundled
    with Index.open(path) as ix:
        hit = ix.search("визит Лаврова в Японию").hits[0]
    assert "Японию" in hit.title and "Лаврова" in hit.title
    words = {hit.snippet.text[s:e] for s, e in hit.snippet.highlights}
    assert {"Японию", "визитом", "Лавров"} <= words
