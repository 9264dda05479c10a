"""Posting blocks as arrays: written for new segments, read beside Whoosh's pickled blocks."""

import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from whoosh import query as wq
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter

from search import Index
from search.storage import directory, posting_blocks
from search.storage.postings import PostingReader, decode_positions

from test_postings import whoosh_postings

INDEX_BEFORE_LAYOUT = Path(__file__).parent / "fixtures" / "index_before_layout"


def _documents(count, start=0):
    return [
        {"id": f"d{n}", "body": f"переговоры {'министра ' * (n % 4)}в городе номер {n} прошли {'визит ' * (n % 3)}"}
        for n in range(start, start + count)
    ]


def list_magic(reader, field, text):
    """The first four bytes of the term's posting list in each segment that has it."""
    found = []
    for segment, _ in reader.leaf_readers():
        if (field, text.encode()) in segment:
            start, _ = segment.term_info(field, text.encode()).extent()
            found.append(segment._terms._postfile.get(start, 4))
    return found


@pytest.fixture
def pickled_blocks(monkeypatch):
    """Write segments as the previous version did: Whoosh's pickled blocks."""

    def postings_writer(self, dbfile, byteids=False):
        return W3PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression)

    monkeypatch.setattr(directory.Codec, "postings_writer", postings_writer)


def assert_reads_as_whoosh(reader, field, lemma):
    postings = PostingReader(reader).postings(field, lemma)
    expected = whoosh_postings(reader, field, lemma)
    assert expected
    assert list(postings.ids) == [docnum for docnum, _, _ in expected]
    assert list(postings.weights) == pytest.approx([weight for _, weight, _ in expected])
    positions = postings.positions(list(postings.ids))
    assert [positions[docnum] for docnum, _, _ in expected] == [decode_positions(value) for _, _, value in expected]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 2**31), min_size=1, max_size=300, unique=True).map(sorted),
    st.data(),
    st.sampled_from([0, 1]),
)
def test_a_block_round_trips(ids, data, compression):
    weights = data.draw(st.lists(st.floats(0, 1000, width=32), min_size=len(ids), max_size=len(ids)))
    values = data.draw(st.lists(st.binary(max_size=40), min_size=len(ids), max_size=len(ids)))
    block = posting_blocks.encode_block(ids, weights, values, compression)
    deltas, read_weights, read_values = posting_blocks.decode_block(block)
    assert [sum(deltas[: i + 1]) for i in range(len(deltas))] == ids
    assert list(read_weights) == weights
    assert read_values == values
    count, last, _, chunk = posting_blocks.split_block(block)
    assert (count, last) == (len(ids), ids[-1])
    assert posting_blocks.chunk_values(chunk) == b"".join(values)


def test_block_values_are_decompressed_only_when_read(fresh_index):
    fresh_index.add(_documents(700))
    with fresh_index._ix.reader() as reader:
        postings = PostingReader(reader).postings("body", "переговоры")
        assert not any(isinstance(part, bytes) for part in postings.values.parts)  # six blocks, all as stored
        postings.positions([300])
        assert [isinstance(part, bytes) for part in postings.values.parts] == [False, False, True, False, False, False]


def test_missing_values_read_as_empty():
    # Whoosh leaves out the empty value of a posting (formats that store none).
    deltas, _, values = posting_blocks.decode_block(posting_blocks.encode_block([3, 9], [1.0, 1.0], [], 1))
    assert list(deltas) == [3, 6] and values == [b"", b""]


def test_new_segments_are_written_as_arrays(fresh_index):
    fresh_index.add(_documents(300))
    with fresh_index._ix.reader() as reader:
        assert set(list_magic(reader, "body", "переговоры")) == {posting_blocks.MAGIC}
        assert set(list_magic(reader, "exact", "переговоры")) == {posting_blocks.MAGIC}


@pytest.mark.parametrize("field, lemma", [("body", "переговоры"), ("body", "министр"), ("head", "визит"), ("title", "город")])
def test_array_blocks_read_the_same_by_whoosh_and_by_the_posting_reader(fresh_index, field, lemma):
    fresh_index.add([{**doc, "title": doc["body"][:40]} for doc in _documents(300)])
    with fresh_index._ix.reader() as reader:
        assert_reads_as_whoosh(reader, field, lemma)


def test_an_index_of_both_layouts_reads_as_one(tmp_path, monkeypatch, pickled_blocks):
    with Index.create(tmp_path / "index") as ix:
        ix.add(_documents(200))
        monkeypatch.undo()  # the next segment in the new layout
        ix.add(_documents(200, start=200))
        with ix._ix.reader() as reader:
            assert set(list_magic(reader, "body", "переговоры")) == {WHOOSH3_HEADER_MAGIC, posting_blocks.MAGIC}
            for lemma in ("переговоры", "министр", "визит", "номер"):
                assert_reads_as_whoosh(reader, "body", lemma)


def test_the_index_of_the_previous_layout_reads_as_before(tmp_path):
    path = tmp_path / "index"
    shutil.copytree(INDEX_BEFORE_LAYOUT, path)
    with Index.open(path) as ix, ix._ix.reader() as reader:
        assert set(list_magic(reader, "body", "лавров")) == {WHOOSH3_HEADER_MAGIC}
        assert_reads_as_whoosh(reader, "body", "лавров")


def _whoosh_results(ix, query):
    with ix._ix.searcher() as searcher:
        return [(hit["id"], round(hit.score, 5)) for hit in searcher.search(query, limit=None)]


@pytest.mark.parametrize(
    "query",
    [
        wq.And([wq.Term("body", "министр"), wq.Term("body", "визит")]),
        wq.Or([wq.Term("body", "министр"), wq.Term("head", "визит")]),
        wq.Phrase("body", ["министр", "в"]),
        wq.And([wq.Term("body", "номер"), wq.Not(wq.Term("body", "визит"))]),
        wq.Term("exact", "министра"),  # a field without positions (frequencies only)
        wq.Or([wq.Term("id", "d7"), wq.Term("id", "d301")]),  # a field without values
    ],
)
def test_whooshs_own_matchers_find_and_score_the_same_in_both_layouts(tmp_path, monkeypatch, pickled_blocks, query):
    # Whoosh's matchers serve the queries the vectorised scorer does not:
    # skipping, block quality and values must read new blocks as old ones.
    documents = _documents(400)
    with Index.create(tmp_path / "old") as old:
        old.add(documents)
        monkeypatch.undo()
        with Index.create(tmp_path / "new") as new:
            new.add(documents)
            expected = _whoosh_results(old, query)
            assert expected
            assert _whoosh_results(new, query) == expected


def test_sums_are_the_same_with_and_without_numpy(fresh_index, monkeypatch):
    import numpy  # noqa: F401 (loaded: the sums may use it)

    fresh_index.add(_documents(700))  # six blocks, more postings than numpy is used from
    with fresh_index._ix.reader() as reader:
        (segment, _), = reader.leaf_readers()
        start, length = segment.term_info("body", "переговоры".encode()).extent()
        raw = segment._terms._postfile.get(start, length[0] if isinstance(length, tuple) else length)
        with_numpy = posting_blocks.decode_list(raw, offset=1000)
        sizes_with_numpy = posting_blocks.running_sum(with_numpy[2])
        monkeypatch.delitem(sys.modules, "numpy")
        without = posting_blocks.decode_list(raw, offset=1000)
        assert with_numpy[:4] == without[:4]
        assert sizes_with_numpy == posting_blocks.running_sum(without[2])
        assert list(with_numpy[0]) == [1000 + n for n in range(700)]
        assert list(with_numpy[3]) == [0, 128, 256, 384, 512, 640]  # where each block starts


def test_merging_segments_of_both_layouts_writes_arrays(tmp_path, monkeypatch, pickled_blocks):
    with Index.create(tmp_path / "index") as ix:
        ix.add(_documents(200))
        monkeypatch.undo()
        ix.add(_documents(200, start=200))
        with ix._ix.reader() as reader:
            before = {lemma: whoosh_postings(reader, "body", lemma) for lemma in ("переговоры", "министр", "визит")}
        writer = ix._ix.writer(codec=directory.codec())
        writer.commit(optimize=True)  # one segment, read through both layouts' matchers
        with ix._ix.reader() as reader:
            assert len(reader.leaf_readers()) == 1
            assert set(list_magic(reader, "body", "переговоры")) == {posting_blocks.MAGIC}
            for lemma, postings in before.items():
                assert whoosh_postings(reader, "body", lemma) == postings
                assert_reads_as_whoosh(reader, "body", lemma)
