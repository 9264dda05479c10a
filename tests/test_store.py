"""The index directory: missing, incompatible and locked indexes give clear errors."""

import json
import os

import pytest

from search import Index
from search.storage import directory as store
from search.errors import IndexLockedError, IndexNotFoundError, IndexVersionError
from search.storage.schema import SCHEMA_VERSION


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(IndexNotFoundError, match="run `search build` first"):
        Index.open(tmp_path / "nothing")


def test_other_schema_version_asks_for_a_rebuild(tmp_path):
    path = tmp_path / "index"
    Index.create(path).close()
    meta = json.loads((path / store.META_FILE).read_text())
    meta["schema_version"] = SCHEMA_VERSION + 1
    (path / store.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(IndexVersionError, match=r"search build --rebuild"):
        Index.open(path)


def test_unreadable_pickled_schema_asks_for_a_rebuild_not_a_traceback(tmp_path):
    path = tmp_path / "index"
    Index.create(path).close()
    toc = next(p for p in path.iterdir() if p.suffix == ".toc")
    data = toc.read_bytes().replace(b"search.text.analysis", b"search.analysiz")
    toc.write_bytes(data)
    with pytest.raises(IndexVersionError, match=r"cannot be opened.*search build --rebuild"):
        Index.open(path)


def test_whoosh_index_without_metadata_is_recognised(tmp_path):
    from whoosh.fields import TEXT, Schema
    from whoosh.index import create_in

    create_in(str(tmp_path), Schema(body=TEXT))
    with pytest.raises(IndexVersionError, match="older version"):
        Index.open(tmp_path)


def test_second_writer_is_refused_with_the_holders_pid(tmp_path):
    path = tmp_path / "index"
    with Index.create(path) as ix, store.write_lock(path):
        with pytest.raises(IndexLockedError, match=f"PID {os.getpid()}"):
            ix.add([{"id": "a", "body": "текст"}])
    with Index.open(path) as ix:
        assert ix.add([{"id": "a", "body": "текст"}]).added == 1


def test_metadata_records_updates(tmp_path):
    path = tmp_path / "index"
    with Index.create(path) as ix:
        ix.add([{"id": "a", "body": "текст"}])
    meta = json.loads((path / store.META_FILE).read_text())
    assert meta["schema_version"] == SCHEMA_VERSION
    assert meta["documents"] == 1
    assert meta["ambiguity"] in ("top", "all", "proper")


def test_a_count_recorded_for_the_current_commit_must_match(tmp_path):
    from search.storage.checking import check_index

    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "1", "body": "министр"}, {"id": "2", "body": "посол"}])
    meta = store.read_meta(tmp_path / "ix")
    assert check_index(tmp_path / "ix").ok
    store.write_meta(tmp_path / "ix", {**meta, "documents": 5})
    assert check_index(tmp_path / "ix").problems == [
        "the index holds 2 documents but its last build recorded 5"
    ]


def test_a_count_left_from_the_commit_before_is_not_damage(tmp_path):
    # A build killed between Whoosh's commit and the metadata write leaves the
    # previous commit's count and generation number behind.
    from search.storage.checking import check_index

    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "1", "body": "министр"}])
        before = store.read_meta(tmp_path / "ix")
        ix.add([{"id": "2", "body": "посол"}])
    assert before["documents"] == 1 and before["toc_generation"] >= 0
    store.write_meta(tmp_path / "ix", before)
    report = check_index(tmp_path / "ix")
    assert report.ok, report.problems
    assert report.documents == 2


def test_an_index_with_undated_documents_checks_clean(tmp_path):
    from search.storage.checking import check_index

    with Index.create(tmp_path / "ix") as ix:
        ix.add([{"id": "1", "body": "министр", "date": "2017-04-12"}, {"id": "2", "body": "посол"}])
    report = check_index(tmp_path / "ix")
    assert report.ok, report.problems
    assert report.documents == 2
