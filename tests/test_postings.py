"""Postings read a block at a time: the same as Whoosh's matcher, cached within a budget."""

import pytest

from search.postings import PostingReader, decode_positions


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
