"""Reading column values across segments, with the quicker variable-bytes reader."""

import json

from whoosh.columns import VarBytesColumn
from whoosh.filedb.filestore import RamStorage

from search import Index
from search.corpus import CorpusReader
from search.storage.columns import _QuickVarBytesColumn, column

from conftest import build_index
from test_document_lemmas import CORPUS


def test_quick_variable_bytes_reader_reads_what_whooshs_reads():
    values = [b"", b"a", b"bcd", "ё".encode(), b"", b"xyz" * 100, b"q"]
    for cutoff in (2**15, 2):  # offsets summed from the lengths; offsets stored by the writer
        storage = RamStorage()
        with storage.create_file("column") as out:
            writer = VarBytesColumn(write_offsets_cutoff=cutoff).writer(out)
            for docnum, value in enumerate(values):
                writer.add(docnum, value)
            writer.finish(len(values))
        length = storage.file_length("column")
        quick = _QuickVarBytesColumn().reader(storage.open_file("column"), 0, length, len(values))
        stock = VarBytesColumn().reader(storage.open_file("column"), 0, length, len(values))
        assert quick.had_stored_offsets == (cutoff == 2)
        assert [quick[n] for n in range(len(values))] == [stock[n] for n in range(len(values))] == values
        assert list(quick) == values


def test_columns_across_segments_give_each_documents_value(tmp_path_factory, tmp_path):
    path, _ = build_index(tmp_path_factory, "columns", [CORPUS])
    more = tmp_path / "more.jsonl"
    more.write_text("".join(
        json.dumps({"id": f"more-{n}", "title": f"Визит {n}", "body": "Переговоры.", "source": f"src{n}"},
                   ensure_ascii=False) + "\n" for n in range(3)), encoding="utf-8")
    with Index.open(path) as ix:
        ix.add(CorpusReader([more]))
        reader = ix.searcher().reader()
        assert len(reader.leaf_readers()) >= 2
        for fieldname in ("id", "source", "dup_group"):
            expected = [fields.get(fieldname) for fields in (reader.stored_fields(n) for n in range(reader.doc_count_all()))]
            values = column(reader, fieldname)
            assert [values[n] or None for n in range(reader.doc_count_all())] == [value or None for value in expected]


def test_stored_fields_read_with_quick_offsets_are_whooshs(tmp_path_factory):
    from whoosh.codec.whoosh3 import W3PerDocReader

    from search.storage.directory import _PerDocumentReader

    path, _ = build_index(tmp_path_factory, "stored", [CORPUS])
    with Index.open(path) as ix:
        for segment, _ in ix.searcher().reader().leaf_readers():
            assert isinstance(segment._perdoc, _PerDocumentReader)
            stock = W3PerDocReader(segment._storage, segment._segment)
            for docnum in range(segment.doc_count_all()):
                assert segment.stored_fields(docnum) == stock.stored_fields(docnum)
                assert segment.stored_fields(docnum)["id"]


def test_quick_compressed_bytes_reader_reads_what_whooshs_reads():
    from whoosh.columns import CompressedBytesColumn

    from search.storage.columns import _QuickCompressedBytesColumn

    values = [b"", "Визит министра".encode() * 20, b"x", b""]
    for cutoff in (2**15, 2):
        storage = RamStorage()
        with storage.create_file("column") as out:
            writer = CompressedBytesColumn().writer(out)
            writer.cutoff = cutoff  # offsets written past this many documents
            for docnum, value in enumerate(values):
                writer.add(docnum, value)
            writer.finish(len(values))
        length = storage.file_length("column")
        quick = _QuickCompressedBytesColumn().reader(storage.open_file("column"), 0, length, len(values))
        assert quick.had_stored_offsets == (cutoff == 2)
        assert [quick[n] for n in range(len(values))] == values
