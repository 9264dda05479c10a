"""Postings read a block at a time: the same as Whoosh's matcher, cached within a budget."""

import pytest
from whoosh import query as wq

from hypothesis import given, settings, strategies as st

from search.storage.postings import PostingReader, decode_positions, in_order, phrase_documents


@pytest.fixture
def long_postings_index(fresh_index):
    # Whoosh writes 128 postings to a block: 300 documents give three blocks.
    fresh_index.add(
        [
            {"id": f"d{n}", "body": f"переговоры {'министра ' * (n % 4)}в городе номер {n} прошли"}
            for n in range(300)
        ]
    )
    return fresh_index


def whoosh_postings(reader, field, text):
    """(docnum, weight, value) of every posting, through Whoosh's own matchers."""
    found = []
    for segment, offset in reader.leaf_readers():
        if (field, text.encode()) not in segment:
            continue
        matcher = segment.postings(field, text.encode())
        while matcher.is_active():
            found.append((matcher.id() + offset, matcher.weight(), matcher.value()))
            matcher.next()
    return found


@pytest.mark.parametrize("lemma", ["переговоры", "министр", "город", "пройти"])
def test_blocks_read_as_whoosh_reads_them(long_postings_index, lemma):
    with long_postings_index._ix.reader() as reader:
        postings = PostingReader(reader).postings("body", lemma)
        expected = whoosh_postings(reader, "body", lemma)
        assert len(expected) > 128  # several blocks
        assert list(postings.ids) == [docnum for docnum, _, _ in expected]
        assert list(postings.weights) == pytest.approx([weight for _, weight, _ in expected])
        positions = postings.positions(list(postings.ids))
        assert [positions[docnum] for docnum, _, _ in expected] == [
            decode_positions(value) for _, _, value in expected
        ]


def test_least_recently_used_postings_leave_the_budget_first(long_postings_index):
    with long_postings_index._ix.reader() as reader:
        postings = PostingReader(reader, budget=700)  # room for two lists of 300
        first = postings.postings("body", "переговоры")
        postings.postings("body", "город")
        assert postings.postings("body", "переговоры") is first  # kept, and now most recent
        postings.postings("body", "пройти")  # evicts «город», the least recently used
        assert set(postings._kept) == {("body", "переговоры"), ("body", "пройти")}
        assert postings.postings("body", "переговоры") is first


@pytest.mark.parametrize(
    "words, slop",
    [
        (["переговоры", "министр"], 1),
        (["министр", "министр"], 1),
        (["министр", "город"], 1),
        (["министр", "город"], 2),
        (["переговоры", "в", "город"], 5),
        (["город", "переговоры"], 3),
        (["переговоры", "отсутствующее"], 1),
    ],
)
def test_phrase_documents_are_whooshs_phrase_matches(long_postings_index, words, slop):
    with long_postings_index._ix.searcher() as searcher:
        expected = set(searcher.docs_for_query(wq.Phrase("body", words, slop=slop)))
        found = phrase_documents(PostingReader(searcher.reader()), "body", words, slop)
        assert found == expected


def test_a_phrase_search_counts_every_match(long_postings_index):
    long_postings_index.delete(["d1", "d5"])
    results = long_postings_index.search('"переговоры министра"', limit=5)
    # Every document but d0, d4, d8 … has «переговоры министра»; two are deleted.
    assert results.total == len([n for n in range(300) if n % 4]) - 2
    phrase = wq.Or([wq.Phrase(field, ["переговоры", "министр"]) for field in ("head", "body")])
    with long_postings_index._ix.searcher() as searcher:  # and so says Whoosh
        assert results.total == len(list(searcher.docs_for_query(phrase)))


def _first_block_compression(reader, field, text):
    """The compression level in the header of a term's first posting block."""
    import io
    import pickle

    segment, _ = reader.leaf_readers()[0]
    terms = segment._terms
    start, length = terms.term_info(field, text.encode()).extent()
    length = length[0] if isinstance(length, tuple) else length
    raw = terms._postfile.get(start, length)
    return pickle.load(io.BytesIO(raw[8:]))[3]  # after the magic and the block length


def test_small_blocks_stay_plain_and_large_ones_are_compressed(fresh_index):
    fresh_index.add([{"id": f"d{n}", "body": f"переговоры особое{n} слово"} for n in range(300)])
    reader = fresh_index.searcher().reader()
    assert _first_block_compression(reader, "body", "переговоры") > 0
    assert _first_block_compression(reader, "body", "особое7") == 0
    postings = PostingReader(reader)
    assert len(postings.postings("body", "переговоры").ids) == 300
    assert list(postings.postings("body", "особое7").ids) == list(reader.postings("body", "особое7").all_ids())


def _in_order_pairwise(positions, slop):
    ends = positions[0] if positions else []
    for later in positions[1:]:
        ends = [p for p in later if any(1 <= p - end <= slop for end in ends)]
        if not ends:
            return False
    return bool(ends)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), max_size=8).map(sorted), max_size=4), st.integers(0, 7))
def test_in_order_is_the_pairwise_comparison(positions, slop):
    assert in_order(positions, slop) == _in_order_pairwise(positions, slop)
