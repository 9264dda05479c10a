"""Term entries read straight from a segment's term file are Whoosh's own."""

import pytest

from search import Index
from search.storage import term_frequencies
from search.storage.term_frequencies import entry

from conftest import build_index
from test_document_lemmas import CORPUS


@pytest.mark.parametrize("guess", [64, 1])  # the value read with its key, or read again when longer
def test_every_term_entry_is_the_one_whoosh_reads(tmp_path_factory, monkeypatch, guess):
    monkeypatch.setattr(term_frequencies, "_VALUE_GUESS", guess)
    path, _ = build_index(tmp_path_factory, "entries", [CORPUS])
    with Index.open(path) as ix:
        for segment, _ in ix.searcher().reader().leaf_readers():
            terms = segment._terms
            assert terms._direct is not None  # the layout read directly
            items = list(terms._tindex.items())
            assert len(items) > 1000
            for key, value in items:
                assert entry(terms._tindex, terms._direct, key) == value
            for missing in (b"\x00\x01nowhere", items[0][0] + b"x", b""):
                assert entry(terms._tindex, terms._direct, missing) is None


def test_the_term_table_answers_as_whooshs(tmp_path_factory):
    from whoosh.codec.whoosh3 import W3TermInfo

    path, _ = build_index(tmp_path_factory, "table", [CORPUS])
    with Index.open(path) as ix:
        reader = ix.searcher().reader()
        for segment, _ in reader.leaf_readers():
            terms = segment._terms
            for fieldname, text in list(segment.all_terms())[::7]:
                key = terms._keycoder(fieldname, text)
                assert vars(terms.term_info(fieldname, text)) == vars(W3TermInfo.from_bytes(terms._tindex[key]))
                assert (fieldname, text) in terms
            assert ("body", "нет-такого-слова".encode()) not in terms


@pytest.mark.parametrize("chunk", [4 * 1024 * 1024, 37])  # whole runs, or items split across reads
def test_distinct_term_counts_are_whooshs_across_segments(fresh_index, monkeypatch, chunk):
    monkeypatch.setattr(term_frequencies, "_WALK_CHUNK", chunk)
    fresh_index.add([{"id": f"a{n}", "title": f"Визит номер {n}", "body": f"переговоры министров {n} раз"} for n in range(40)])
    fresh_index.add([{"id": "b", "title": "Итоги", "body": "итоги переговоров и новые слова " * 30}])
    fresh_index.delete(["a3"])
    reader = fresh_index.searcher().reader()
    assert len(reader.leaf_readers()) == 2
    fields = ["title", "body", "exact", "head"]
    expected = {name: sum(1 for _ in reader.lexicon(name)) for name in fields}
    assert term_frequencies.distinct_terms(reader, fields) == expected
    assert expected["body"] > 40
    assert term_frequencies.distinct_terms(reader, ["nosuchfield"]) == {"nosuchfield": 0}
