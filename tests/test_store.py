"""The index directory: missing, incompatible and locked indexes give clear errors."""

import json
import os

import pytest

from search import Index
from search import store
from search.errors import IndexLockedError, IndexNotFoundError, IndexVersionError
from search.schema import SCHEMA_VERSION


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
    data = toc.read_bytes().replace(b"search.analysis", b"search.analysiz")
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
