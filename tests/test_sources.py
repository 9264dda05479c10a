"""Sources beyond plain files: zip archives, URLs (with a cache), binary and giant files."""

import json
import zipfile

import pytest

from search.corpus import CorpusReader, Problem, Record
from search.corpus import remote
from search.errors import SourceError

from conftest import FIXTURES


def read(*sources, **kwargs):
    reader = CorpusReader(sources, **kwargs)
    items = list(reader)
    return reader, [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def test_zip_members_are_read_by_their_own_format(tmp_path):
    archive = tmp_path / "releases.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "releases.jsonl", "2017/releases.jsonl")
        zf.writestr("statements/kg.txt", "Заявление МИД\nТекст заявления о сотрудничестве.")
        zf.writestr("README.md", "notes")
        zf.writestr("image.png", b"\x89PNG")
    reader, records, problems = read(archive)
    ids = [r.document.id for r in records]
    assert len(ids) == 9 and "t-japan" in ids and "releases.zip/statements/kg.txt" in ids
    assert records[0].location.startswith(f"{archive}!2017/releases.jsonl:")
    assert reader.ignored == [f"{archive}!image.png"]
    assert not problems
    assert all(r.origin == str(archive.resolve()) for r in records)


def test_broken_zip_is_reported(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK\x03\x04 not really a zip")
    _, records, problems = read(archive)
    assert not records and "cannot read file" in problems[0].reason


def test_binary_file_in_a_directory_is_skipped_with_a_reason(tmp_path):
    (tmp_path / "good.jsonl").write_text(json.dumps({"id": "g", "body": "Текст"}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _, records, problems = read(tmp_path)
    assert [r.document.id for r in records] == ["g"]
    assert problems[0].location.endswith("image.txt") and "binary file" in problems[0].reason


def test_giant_document_is_skipped(tmp_path):
    from search.documents import MAX_BODY_CHARS

    path = tmp_path / "giant.jsonl"
    lines = [{"id": "big", "body": "слово " * (MAX_BODY_CHARS // 6 + 10)}, {"id": "small", "body": "Текст"}]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    _, records, problems = read(path)
    assert [r.document.id for r in records] == ["small"]
    assert problems[0].location.endswith(":1") and "giant document" in problems[0].reason


def test_url_source_is_downloaded_cached_and_revalidated(server, tmp_path, monkeypatch):
    root, base = server
    monkeypatch.setenv(remote.CACHE_ENV, str(tmp_path / "cache"))
    (root / "releases.jsonl.gz").write_bytes((FIXTURES / "releases.jsonl.gz").read_bytes())
    url = f"{base}/releases.jsonl.gz"
    reader, records, problems = read(url)
    assert len(records) == 8 and not problems
    assert reader.downloads[0].status == "downloaded"
    assert records[0].location.startswith(url + ":") and records[0].origin == url
    again, records_again, _ = read(url)
    assert again.downloads[0].status == "unchanged" and len(records_again) == 8


def test_url_progress_is_reported(server, tmp_path):
    root, base = server
    (root / "r.jsonl").write_bytes((FIXTURES / "releases.jsonl").read_bytes())
    seen = []
    remote.fetch(f"{base}/r.jsonl", cache=tmp_path / "cache", on_progress=lambda done, total: seen.append((done, total)))
    size = (root / "r.jsonl").stat().st_size
    assert seen[-1] == (size, size)


def test_missing_url_is_a_clear_error(server, tmp_path):
    _, base = server
    with pytest.raises(SourceError, match="HTTP 404"):
        remote.fetch(f"{base}/nothing.csv.gz", cache=tmp_path / "cache")


def test_unreachable_server_uses_the_cached_copy(server, tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    root, base = server
    (root / "r.jsonl").write_bytes((FIXTURES / "releases.jsonl").read_bytes())
    cache = tmp_path / "cache"
    first = remote.fetch(f"{base}/r.jsonl", cache=cache)

    def unreachable(*args, **kwargs):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    second = remote.fetch(f"{base}/r.jsonl", cache=cache)
    assert (second.status, second.path) == ("offline", first.path)
    with pytest.raises(SourceError, match="cannot download"):
        remote.fetch(f"{base}/never-fetched.jsonl", cache=cache)


def test_files_without_an_extension_are_recognised_by_content(tmp_path):
    (tmp_path / "export").write_text("id,title,text\nr1,Заявление,Текст заявления МИД\n", encoding="utf-8")
    (tmp_path / "page").write_text("<!doctype html><html><head><title>Визит</title></head><body><article><p>"
                                   + "Министр посетил Ташкент с официальным визитом. " * 5 + "</p></article></body></html>", encoding="utf-8")
    reader, records, problems = read(tmp_path)
    assert {r.document.id for r in records} == {"r1", f"{tmp_path.name}/page"}
    assert not problems and not reader.ignored


def test_utf16_text_is_not_taken_for_binary(tmp_path):
    path = tmp_path / "releases.tsv"
    path.write_bytes("id\ttitle\ttext\nu1\tЗаявление\tТекст заявления\n".encode("utf-16"))
    _, records, problems = read(path)
    assert [r.document.title for r in records] == ["Заявление"] and not problems


def test_russian_column_names_need_no_options(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("идентификатор,заголовок,текст,дата\nk1,Заявление,Текст заявления,10.09.2017\n", encoding="utf-8")
    _, records, _ = read(path)
    assert records[0].document.id == "k1" and records[0].document.date.isoformat() == "2017-09-10"
