"""Real data from ../shared (CC BY 4.0 sample); skipped where that folder is absent."""

import pytest

from search import Index
from search.corpus import CorpusReader, Record

from conftest import SHARED, build_index

FIXTURE = SHARED / "corpus" / "derived" / "fixture_ccby_50.jsonl"

pytestmark = pytest.mark.skipif(
    not FIXTURE.is_file(), reason=f"shared corpus not available at {FIXTURE}"
)


@pytest.fixture(scope="module")
def real_index(tmp_path_factory):
    return build_index(tmp_path_factory, "real", [FIXTURE])


def test_every_record_is_indexed(real_index):
    _, report = real_index
    records = [item for item in CorpusReader([FIXTURE]) if isinstance(item, Record)]
    assert report.added == len(records) == 50
    assert report.skipped == []


def test_inflected_query_finds_and_highlights_real_news(real_index):
    path, _ = real_index
    with Index.open(path) as ix:
        results = ix.search("санкциями против России")
        assert results.total >= 2
        for hit in results:
            words = {hit.snippet.text[s:e].lower() for s, e in hit.snippet.highlights}
            assert any(word.startswith("санкци") for word in words), hit.snippet.text


def test_surname_in_any_case(real_index):
    path, _ = real_index
    with Index.open(path) as ix:
        nominative = {hit.id for hit in ix.search("Лавров", limit=50)}
        genitive = {hit.id for hit in ix.search("Лаврова", limit=50)}
        assert nominative == genitive and len(nominative) >= 5
