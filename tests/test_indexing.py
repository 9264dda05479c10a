"""Writing: incremental replacement, unchanged documents, bad records, atomicity."""

import datetime as dt

import pytest

from search import Document, Index
from search.corpus import CorpusReader

from conftest import FIXTURES


def ids(results):
    return [hit.id for hit in results]


def test_add_reports_counts_and_documents(fresh_index, releases_path):
    report = fresh_index.add(CorpusReader([releases_path]))
    assert (report.added, report.updated, report.unchanged) == (8, 0, 0)
    assert report.documents == len(fresh_index) == 8
    assert report.problems == []


def test_second_add_of_the_same_data_changes_nothing(fresh_index, releases_path):
    fresh_index.add(CorpusReader([releases_path]))
    report = fresh_index.add(CorpusReader([releases_path]))
    assert (report.added, report.updated, report.unchanged) == (0, 0, 8)
    assert len(fresh_index) == 8


def test_known_id_replaces_the_old_document(fresh_index):
    fresh_index.add([{"id": "d1", "title": "Старый заголовок", "body": "Переговоры в Минске"}])
    report = fresh_index.add([{"id": "d1", "title": "Новый заголовок", "body": "Переговоры в Ташкенте"}])
    assert (report.added, report.updated) == (0, 1)
    assert len(fresh_index) == 1
    assert ids(fresh_index.search("Минск")) == []
    hit = fresh_index.search("Ташкент").hits[0]
    assert (hit.id, hit.title) == ("d1", "Новый заголовок")


def test_documents_and_dicts_are_both_accepted(fresh_index):
    report = fresh_index.add(
        [
            Document(id="a", title="Заявление", body="Текст заявления", date=dt.date(2020, 1, 2), source="mid.ru"),
            {"doc_id": "b", "text": "Текст коммюнике", "published": "03.01.2020"},
        ]
    )
    assert report.added == 2
    hit = fresh_index.search("коммюнике").hits[0]
    assert (hit.id, hit.date) == ("b", dt.date(2020, 1, 3))


def test_unusable_dicts_are_reported_and_skipped(fresh_index):
    report = fresh_index.add([{"id": "ok", "body": "Текст"}, {"id": "empty", "body": "  "}, "not a record"])
    assert report.added == 1
    assert [p.location for p in report.skipped] == ["document #2", "document #3"]


def test_bad_records_are_skipped_and_good_ones_indexed(fresh_index):
    report = fresh_index.add(CorpusReader([FIXTURES / "bad_records.jsonl"]))
    assert report.added == 3
    assert len(report.skipped) == 5  # four broken records and one repeated id
    duplicate = report.skipped[-1]
    assert duplicate.location.endswith(":9") and "duplicate id 'b-good-1'" in duplicate.reason
    assert len(report.warnings) == 1
    assert fresh_index.search("коллегой").hits[0].title == "Заявление для прессы"


def test_delete(fresh_index, releases_path):
    fresh_index.add(CorpusReader([releases_path]))
    assert fresh_index.delete(["t-japan", "no-such-id"]) == 1
    assert len(fresh_index) == 7
    assert "t-japan" not in ids(fresh_index.search("Япония", match="any"))


def test_failure_during_a_write_leaves_the_index_as_it_was(fresh_index, releases_path):
    fresh_index.add(CorpusReader([releases_path]))

    def documents():
        yield {"id": "new-1", "body": "Новый документ"}
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        fresh_index.add(documents())
    assert len(fresh_index) == 8
    assert fresh_index.document("new-1") is None
    assert fresh_index.add([{"id": "new-2", "body": "Ещё один"}]).added == 1


def test_rebuild_replaces_everything_and_searchers_follow(tmp_path, releases_path):
    path = tmp_path / "index"
    with Index.create(path) as writer, Index.open(path) as reader:
        writer.add(CorpusReader([releases_path]))
        assert len(reader.search("Лавров").hits) == 2
        report = writer.rebuild([{"id": "only", "title": "Единственный", "body": "Лавров в Минске"}])
        assert report.added == 1 and len(writer) == 1
        assert ids(reader.search("Лавров")) == ["only"]
    files = {p.name for p in path.iterdir()}
    assert not any(name.startswith("_gen1_") for name in files)


def test_failed_rebuild_keeps_the_old_index(tmp_path, releases_path):
    path = tmp_path / "index"
    with Index.create(path) as ix:
        ix.add(CorpusReader([releases_path]))

        def documents():
            yield {"id": "x", "body": "текст"}
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            ix.rebuild(documents())
    with Index.open(path) as ix:
        assert len(ix) == 8
    assert not any(p.name.startswith("_gen2_") for p in path.iterdir())


def test_parallel_writer_indexes_everything(tmp_path):
    documents = [
        {"id": f"d{n}", "title": f"Сообщение номер {n}", "body": f"Министр провёл встречу номер {n} в Минске."}
        for n in range(600)
    ]
    with Index.create(tmp_path / "index") as ix:
        report = ix.add(documents, procs=2)
        assert report.added == 600 and len(ix) == 600
        assert ix.search("Минск", limit=1).total == 600
        again = ix.add(documents[:10] + [{"id": "d0", "body": "Изменённый текст"}], procs=2)
        assert again.unchanged == 10 and len(again.skipped) == 1
        changed = ix.add([{"id": "d1", "body": "Изменённый текст"}], procs=2)
        assert changed.updated == 1 and len(ix) == 600


def test_create_refuses_to_overwrite_an_index(tmp_path):
    from search.errors import SearchError

    Index.create(tmp_path / "index").close()
    with pytest.raises(SearchError, match="already exists"):
        Index.create(tmp_path / "index")
    Index.create(tmp_path / "index", overwrite=True).close()


def test_segments_without_some_columns_are_read_correctly(fresh_index):
    # First commit: no dates, no sources, no origins; second: all of them.
    fresh_index.add([{"id": f"u{n}", "body": f"Сообщение без даты номер {n}"} for n in range(3)])
    fresh_index.add([{"id": "dated", "date": "2020-01-01", "source": "mid.ru", "body": "Сообщение с датой"}])
    assert fresh_index.add([{"id": "u0", "body": "Сообщение без даты номер 0"}]).unchanged == 1
    hits = fresh_index.search("сообщение", recent=True, limit=10).hits
    assert hits[0].id == "dated" and hits[0].source == "mid.ru"


def interrupting(documents, after):
    import os
    import signal

    for number, document in enumerate(documents, 1):
        yield document
        if number == after:
            os.kill(os.getpid(), signal.SIGINT)


def many(count):
    return [{"id": f"d{n}", "body": f"Министр провёл встречу номер {n}."} for n in range(count)]


def test_ctrl_c_with_keep_partial_commits_what_was_read(fresh_index):
    report = fresh_index.add(interrupting(many(50), after=20), keep_partial=True)
    # The signal arrives while the 21st document is being read; it is finished.
    assert report.interrupted and report.added == 21
    assert len(fresh_index) == 21


def test_ctrl_c_without_keep_partial_writes_nothing(fresh_index):
    with pytest.raises(KeyboardInterrupt):
        fresh_index.add(interrupting(many(50), after=20))
    assert len(fresh_index) == 0


def test_prune_removes_documents_of_vanished_files(tmp_path, fresh_index):
    import json

    folder = tmp_path / "releases"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.jsonl").write_text(
            json.dumps({"id": name, "body": f"Текст документа {name}"}, ensure_ascii=False), encoding="utf-8"
        )
    fresh_index.add(CorpusReader([folder]))
    (folder / "b.jsonl").unlink()
    kept = fresh_index.add(CorpusReader([folder]))
    assert kept.removed == 0 and len(fresh_index) == 2
    pruned = fresh_index.add(CorpusReader([folder]), prune=True)
    assert pruned.removed == 1 and pruned.unchanged == 1
    assert fresh_index.document("b") is None and fresh_index.document("a")


def test_small_builds_keep_few_segments_and_leave_the_large_one_alone(fresh_index):
    # Whoosh's MERGE_SMALL policy (a commit's default): small segments are merged
    # with each other once a few accumulate, the large one is never rewritten.
    fresh_index.add([{"id": f"big{n}", "body": f"переговоры о сотрудничестве номер {n}"} for n in range(60)])
    (large,) = [s.segment_id() for s in fresh_index._current()._segments()]
    counts = []
    for n in range(25):
        fresh_index.add([{"id": f"small{n}", "body": f"визит министра номер {n}"}])
        segments = fresh_index._current()._segments()
        counts.append(len(segments))
        assert large in {s.segment_id() for s in segments}
    assert max(counts) <= 8 and counts[-1] < 8
    assert len(fresh_index) == 85


@pytest.mark.parametrize("cutoff", [2**15, 2])  # offsets derived from the lengths, and stored
def test_variable_bytes_column_lengths_read_as_whoosh_reads_them(cutoff):
    import io

    from whoosh.columns import VarBytesColumn
    from whoosh.filedb.structfile import StructFile

    from search.indexer.writer import _varbytes_lengths

    values = [b"", b"abc", b"", b"x" * 300, b"de"]
    buffer = io.BytesIO()
    column = VarBytesColumn(write_offsets_cutoff=cutoff)
    writer = column.writer(StructFile(buffer))
    for docnum, value in enumerate(values):
        if value:
            writer.add(docnum, value)
    writer.finish(len(values))
    data = buffer.getvalue()
    whooshs = column.reader(StructFile(io.BytesIO(data)), 0, len(data), len(values))
    lengths, offsets = _varbytes_lengths(StructFile(io.BytesIO(data)), 0, len(data), len(values))
    assert whooshs.had_stored_offsets == (cutoff == 2)
    assert lengths.tolist() == list(whooshs._lengths) and offsets.tolist() == list(whooshs._offsets)


def test_a_build_that_changes_nothing_commits_nothing(fresh_index):
    documents = [{"id": f"d{n}", "body": f"визит министра номер {n}"} for n in range(3)]
    fresh_index.add(documents)
    generation = fresh_index._current().latest_generation()
    report = fresh_index.add(documents)
    assert report.unchanged == 3 and report.documents == 3
    assert fresh_index._current().latest_generation() == generation
    assert len(fresh_index.search("визит").hits) == 3
