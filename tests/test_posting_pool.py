"""The term-grouped posting pool writes the same segment files as Whoosh's own pool."""

import hashlib
import multiprocessing
from dataclasses import replace
from pathlib import Path

from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import create_in, open_dir

from search.storage import directory as store
from search.corpus import CorpusReader, Record
from search.indexer.writer import document_fields
from search.indexer.posting_pool import TermPool, use_term_pool
from search.storage.schema import build_schema

from conftest import FIXTURES

BUNDLED = Path(__file__).resolve().parents[1] / "corpus"


def documents():
    """The bundled and fixture releases, six copies of each: frequent words
    then fill several Whoosh blocks (128 postings each)."""
    originals = [
        item.document
        for item in CorpusReader([BUNDLED, FIXTURES / "releases.jsonl"])
        if isinstance(item, Record)
    ]
    return [replace(document, id=f"{document.id}-{copy}") for copy in range(6) for document in originals]


def segment_files(path: Path) -> dict[str, str]:
    """Digest of each segment file by its kind (the name without the random segment id)."""
    return {
        name.split(".", 1)[1]: hashlib.sha256((path / name).read_bytes()).hexdigest()
        for name in (p.name for p in path.iterdir())
        if name.startswith("MAIN_") and "." in name
    }


def stock_fields(document):
    """A document for a schema of stock Whoosh fields (no shared value objects)."""
    return {"id": document.id, "title": document.title, "body": document.body}


STOCK_SCHEMA = Schema(id=ID(stored=True), title=TEXT(stored=True), body=TEXT(stored=True))


def write(path: Path, batches, grouped: bool, limit=None, optimize=False, schema=None, fields=stock_fields):
    """Index ``batches`` (one commit each), files uncompounded to compare them."""
    path.mkdir()
    ix = create_in(str(path), schema or STOCK_SCHEMA)
    for batch in batches:
        writer = ix.writer(codec=store.codec(), compound=False)
        if grouped:
            use_term_pool(writer)
            if limit:
                writer.pool.limit = limit
        for document in batch:
            writer.add_document(**fields(document))
        writer.commit(optimize=optimize)
    return segment_files(path)


def test_same_segment_files_as_whoosh_pool(tmp_path):
    docs = documents()
    stock = write(tmp_path / "stock", [docs], grouped=False)
    assert {"pst", "trm", "_body_len.col"} <= set(stock)
    with open_dir(str(tmp_path / "stock")).reader() as reader:
        assert max(reader.doc_frequency("body", term) for term in reader.lexicon("body")) > 2 * 128
    assert write(tmp_path / "grouped", [docs], grouped=True) == stock


def test_same_files_when_terms_spill_to_runs(tmp_path):
    docs = documents()
    stock = write(tmp_path / "stock", [docs], grouped=False)
    # A few kilobytes: dozens of runs, most terms split across several.
    assert write(tmp_path / "grouped", [docs], grouped=True, limit=30_000) == stock


def test_same_files_when_segments_are_merged(tmp_path):
    docs = documents()
    halves = [docs[: len(docs) // 2], docs[len(docs) // 2 :]]
    stock = write(tmp_path / "stock", halves, grouped=False, optimize=True)
    assert write(tmp_path / "grouped", halves, grouped=True, limit=30_000, optimize=True) == stock


def test_same_postings_and_term_statistics_with_the_engine_schema(tmp_path):
    """With the engine's fields, repeated position values are one shared bytes
    object, which Whoosh's block pickles store once while they stay in memory:
    the posting files then differ in size, never in what they decode to."""
    docs, engine = documents(), {"schema": build_schema(), "fields": document_fields}
    stock = write(tmp_path / "stock", [docs], grouped=False, **engine)
    grouped = write(tmp_path / "grouped", [docs], grouped=True, limit=30_000, **engine)
    # Only the grouped pool keeps each document's body lemmas (a file of its own).
    assert "dlm" in grouped and "dlm" not in stock
    assert {kind: digest for kind, digest in grouped.items() if kind not in ("pst", "trm", "dlm")} == {
        kind: digest for kind, digest in stock.items() if kind not in ("pst", "trm")
    }
    with open_dir(str(tmp_path / "stock")).reader() as expected, open_dir(str(tmp_path / "grouped")).reader() as got:
        assert list(got.iter_postings()) == list(expected.iter_postings())
        for fieldname, text in expected.all_terms():
            want, have = vars(expected.term_info(fieldname, text)), vars(got.term_info(fieldname, text))
            for extent in ("_offset", "_length"):
                want.pop(extent), have.pop(extent)
            assert have == want


def pool(limit_bytes: int | None = None) -> TermPool:
    storage = RamStorage()
    made = TermPool(storage, segment=None)
    if limit_bytes:
        made.limit = limit_bytes
    return made


def test_postings_come_out_sorted_by_field_term_and_docnum():
    made = pool(limit_bytes=600)
    added = [
        ("body", b"\xd0\xb1", 0, 1.0, b"x"),
        ("body", b"a", 0, 2.0, b"yy"),
        ("title", b"a", 1, 1.0, b""),
        ("body", b"a", 3, 1.0, b"z"),
        ("body", b"\xd0\xb1", 5, 3.0, b"w"),
        ("body", b"a", 7, 1.0, b"v"),
    ]
    for item in added:
        made.add(item)
    assert list(made.iter_postings()) == sorted(added)
    assert made.fieldnames == {"body", "title"}


def test_postings_fed_out_of_order_are_sorted():
    made = pool(limit_bytes=600)
    added = [("body", b"a", 9, 1.0, b"late"), ("body", b"a", 2, 1.0, b"early"), ("body", b"a", 5, 1.0, b"mid")]
    for item in added:
        made.add(item)
    assert [docnum for _, _, docnum, _, _ in made.iter_postings()] == [2, 5, 9]


def test_postings_fed_out_of_order_across_runs_are_sorted():
    made = pool(limit_bytes=600)
    made.add(("body", b"a", 10, 1.0, b"late"))
    for docnum in range(20, 40):  # enough to spill the first posting to a run
        made.add(("body", b"other%d" % docnum, docnum, 1.0, b"x"))
    made.add(("body", b"a", 5, 1.0, b"early"))
    assert made._runs
    assert [docnum for _, term, docnum, _, _ in made.iter_postings() if term == b"a"] == [5, 10]


def test_run_files_are_removed_when_read_or_cleaned_up():
    for finish in ("read", "cleanup"):
        made = pool(limit_bytes=600)
        for docnum in range(50):
            made.add(("body", b"term%d" % (docnum % 7), docnum, 1.0, b"value"))
        assert any(name.endswith(".run") for name in made.tempstore.list())
        if finish == "read":
            assert len(list(made.iter_postings())) == 50
        else:
            made.cleanup()
        assert not any(name.endswith(".run") for name in made.tempstore.list())


def _spill_and_read(folder: str, offset: int, both_spilled, results) -> None:
    made = TermPool(FileStorage(folder), segment=None)
    made.limit = 600
    expected = [("body", b"term%d" % (n % 7), n + offset, 1.0, b"value%d" % (n + offset)) for n in range(200)]
    for item in expected:
        made.add(item)
    both_spilled.wait(timeout=60)
    try:
        results.put(list(made.iter_postings()) == sorted(expected))
    except OSError as error:  # another process's pool removed this one's run
        results.put(repr(error))


def test_indexing_processes_sharing_a_temporary_folder_keep_their_own_runs(tmp_path):
    # Forked from one parent, two processes' pools once named their runs alike.
    context = multiprocessing.get_context("fork")
    results, both_spilled = context.Queue(), context.Barrier(2)
    processes = [
        context.Process(target=_spill_and_read, args=(str(tmp_path), n * 1000, both_spilled, results)) for n in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join()
    assert outcomes == [True, True]
    assert not list(tmp_path.glob("*.run"))
