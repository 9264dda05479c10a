"""Each document's body lemmas, kept in a file beside a segment's postings."""

import json
import shutil
from array import array
from pathlib import Path

import numpy as np
import pytest

from search import Index
from search.corpus import CorpusReader
from search.storage.document_lemmas import DocumentLemmasWriter, segment_lemmas

from conftest import build_index

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
INDEX_BEFORE_LAYOUT = Path(__file__).parent / "fixtures" / "index_before_layout"


def _releases(path: Path, first: int, count: int) -> Path:
    path.write_text("".join(
        json.dumps({"id": f"extra-{n}", "title": f"Визит {n}", "date": f"2024-05-{1 + n % 28:02d}",
                    "source": "mid.ru",
                    "body": f"Лавров провёл переговоры о визите номер {n}; Северо-Западный округ, 2019 год."},
                   ensure_ascii=False) + "\n"
        for n in range(first, first + count)
    ), encoding="utf-8")
    return path


def _assert_kept_lemmas_are_the_postings(searcher) -> int:
    """Every segment's kept lemmas, document by document, are the body terms
    whose postings hold that document; the number of segments checked."""
    segments = 0
    for segment, _ in searcher.reader().leaf_readers():
        kept = segment_lemmas(segment)
        assert kept is not None
        lexicon = [term.decode() for term in segment.lexicon("body")]
        assert kept.lemmas() == lexicon
        holders: dict[int, set[str]] = {}
        for term in lexicon:
            for docnum in segment.postings("body", term.encode()).all_ids():
                holders.setdefault(docnum, set()).add(term)
        # (Whoosh's postings leave deleted documents out; the file keeps them,
        # and no set of matching documents holds one.)
        live = [docnum for docnum in range(segment.doc_count_all()) if not segment.is_deleted(docnum)]
        for docnum in live:
            ordinals = kept.ordinals(np.array([docnum]))
            assert list(ordinals) == sorted(ordinals)
            assert {lexicon[o] for o in ordinals} == holders.get(docnum, set()), docnum
        everything = np.array(live)
        expected: dict[str, int] = {}
        for terms in holders.values():
            for term in terms:
                expected[term] = expected.get(term, 0) + 1
        assert kept.counts(everything) == expected  # one read of the whole file
        assert kept.counts(everything[::9]) == _tally(holders, live[::9])  # a read per document
        kept.close()
        segments += 1
    return segments


def _tally(holders: dict[int, set[str]], docnums) -> dict[str, int]:
    counts: dict[str, int] = {}
    for docnum in docnums:
        for term in holders.get(docnum, ()):
            counts[term] = counts.get(term, 0) + 1
    return counts


def test_kept_lemmas_match_the_postings_across_segments_and_deletions(tmp_path_factory, tmp_path):
    path, _ = build_index(tmp_path_factory, "kept", [CORPUS])
    with Index.open(path) as ix:
        ix.add(CorpusReader([_releases(tmp_path / "more.jsonl", 0, 6)]))
        assert ix.delete(["extra-2"]) == 1
        assert _assert_kept_lemmas_are_the_postings(ix.searcher()) >= 2


def test_kept_lemmas_of_merged_segments_match_the_postings(tmp_path):
    """Segments merged into one go through the grouped pool again: the
    merged segment's file is written anew, with the documents renumbered."""
    from whoosh.index import create_in

    from search.indexer.posting_pool import use_term_pool
    from search.indexer.writer import document_fields
    from search.storage.directory import codec
    from search.storage.schema import build_schema

    documents = [item.document for item in CorpusReader([CORPUS, _releases(tmp_path / "more.jsonl", 0, 5)])
                 if hasattr(item, "document")]
    raw = create_in(str(tmp_path), build_schema())
    for batch, optimize in ((documents[::2], False), (documents[1::2], True)):
        writer = raw.writer(codec=codec())
        use_term_pool(writer)
        if optimize:  # a document of the first segment deleted, then left out of the merge
            writer.delete_by_term("id", documents[0].id)
        for document in batch:
            writer.add_document(**document_fields(document))
        writer.commit(optimize=optimize)
    with raw.searcher() as searcher:
        assert searcher.doc_count() == len(documents) - 1
        assert _assert_kept_lemmas_are_the_postings(searcher) == 1


def test_terms_of_an_index_without_kept_lemmas_come_from_the_bodies(tmp_path):
    """An index written before the file existed still answers, as it did."""
    path = tmp_path / "index"
    shutil.copytree(INDEX_BEFORE_LAYOUT, path)
    with Index.open(path) as ix:
        leaves = ix.searcher().reader().leaf_readers()
        assert all(segment_lemmas(segment) is None for segment, _ in leaves)
        found = ix.significant_terms("Лавров", top=5, match="any")
        assert found.documents == 2


class _NoFiles:
    def create_file(self, storage, extension):
        raise AssertionError("no file may be written")


def test_a_term_that_cannot_be_listed_means_no_file():
    writer = DocumentLemmasWriter()
    writer.add_term(b"one", array("I", [0, 1]))
    writer.add_term(b"two\nlines", array("I", [1]))
    writer.write(_NoFiles(), None)  # nothing written: terms would come from the bodies


class _Segment:
    def make_filename(self, extension):
        return "seg" + extension

    def create_file(self, storage, extension):
        return storage.create_file(self.make_filename(extension))


class _Reader:
    def __init__(self, storage):
        self._storage, self._segment = storage, _Segment()


def _written(storage) -> bytes:
    writer = DocumentLemmasWriter()
    writer.add_term(b"alpha", array("I", [0, 2]))
    writer.add_term(b"beta", array("I", [1]))
    writer.add_term(b"beta", array("I", [2]))  # the same term, a later chunk
    writer.write(_Segment(), storage)
    with storage.open_file("seg.dlm") as file:
        return file.read()


def test_a_damaged_file_is_not_used():
    from whoosh.filedb.filestore import RamStorage

    storage = RamStorage()
    good = _written(storage)
    kept = segment_lemmas(_Reader(storage))
    assert kept.counts(np.array([0, 1, 2])) == {"alpha": 2, "beta": 2}
    assert kept.counts(np.array([1])) == {"beta": 1}
    truncated = (good[:-3], good[:20], good[:3])
    altered = (good[:8] + b"\xff" + good[9:], good[:21] + b"\x09" + good[22:], b"DLM0" + good[4:])  # count, offset, magic
    for damaged in truncated + altered:
        storage = RamStorage()
        with storage.create_file("seg.dlm") as file:
            file.write(damaged)
        assert segment_lemmas(_Reader(storage)) is None, damaged
    # An ordinal past the list (the offsets and list still agree): refused when counting.
    storage = RamStorage()
    ordinals_at = 20 + 4 * 4  # the header, then four offsets
    with storage.create_file("seg.dlm") as file:
        file.write(good[:ordinals_at] + (7).to_bytes(4, "little") + good[ordinals_at + 4:])
    with pytest.raises(ValueError):
        segment_lemmas(_Reader(storage)).counts(np.array([0]))


class _CheckedReader(_Reader):
    def __init__(self, storage, lexicon):
        super().__init__(storage)
        self._lexicon = lexicon

    def storage(self):
        return self._storage

    def segment(self):
        return self._segment

    def lexicon(self, fieldname):
        return iter(self._lexicon)


def test_search_check_names_damaged_or_mismatched_document_lemmas():
    from whoosh.filedb.filestore import RamStorage

    from search.storage.checking import _check_document_lemmas

    storage = RamStorage()
    good = _written(storage)
    assert _check_document_lemmas(_CheckedReader(storage, [b"alpha", b"beta"])) is None
    assert "other words" in _check_document_lemmas(_CheckedReader(storage, [b"alpha", b"gamma"]))
    assert _check_document_lemmas(_CheckedReader(RamStorage(), [b"alpha"])) is None  # no file: an older segment
    damaged = RamStorage()
    with damaged.create_file("seg.dlm") as file:
        file.write(good[:-2])
    assert "do not hold together" in _check_document_lemmas(_CheckedReader(damaged, [b"alpha", b"beta"]))


def test_pairs_placed_a_run_of_terms_at_a_time_land_where_one_sort_puts_them(monkeypatch):
    from search.storage import document_lemmas

    rng = np.random.default_rng(7)
    writer = DocumentLemmasWriter()
    for number in range(300):
        holders = np.sort(rng.choice(50, size=int(rng.integers(1, 20)), replace=False))
        half = len(holders) // 2
        writer.add_term(b"t%03d" % number, array("I", holders[:half].tolist()))  # a term in two chunks
        writer.add_term(b"t%03d" % number, array("I", holders[half:].tolist()))
    docnums = np.frombuffer(writer._docnums, np.uint32)
    terms = np.repeat(np.arange(300), np.frombuffer(writer._lengths, np.uint32))
    expected = terms[np.argsort(docnums, kind="stable")]
    for chunk in (1, 7, 64, 1 << 21):
        monkeypatch.setattr(document_lemmas, "CHUNK_PAIRS", chunk)
        offsets, ordinals = writer.by_document()
        assert list(ordinals) == list(expected), chunk
        assert list(np.diff(offsets)) == list(np.bincount(docnums, minlength=50))
