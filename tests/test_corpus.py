"""Reading corpus files: formats, aliases, and bad records reported with locations."""

import gzip
import json

import pytest

from search.corpus import CorpusReader, Problem, Record
from search.errors import SourceError

from conftest import FIXTURES


def read(*sources):
    items = list(CorpusReader(sources))
    records = [item for item in items if isinstance(item, Record)]
    problems = [item for item in items if isinstance(item, Problem)]
    return records, problems


def test_jsonl_with_field_aliases():
    records, _ = read(FIXTURES / "bad_records.jsonl")
    aliased = next(r.document for r in records if r.document.id == "b-good-2")
    assert aliased.title == "Совместное коммюнике"
    assert aliased.body.startswith("Стороны подписали")
    assert aliased.url == "https://example.org/b2"
    assert aliased.date.isoformat() == "2020-03-15"


def test_bad_records_are_reported_with_file_and_line_and_the_rest_is_read():
    records, problems = read(FIXTURES / "bad_records.jsonl")
    assert [r.document.id for r in records] == ["b-good-1", "b-good-2", "b-good-3", "b-good-1"]
    skipped = {p.location.rsplit(":", 1)[1]: p.reason for p in problems if p.skipped}
    assert set(skipped) == {"2", "3", "5", "7"}
    assert "broken JSON" in skipped["2"]
    assert "no body text" in skipped["3"]
    assert "not valid UTF-8" in skipped["5"]
    assert "expected an object" in skipped["7"]
    assert all(p.location.startswith(str(FIXTURES / "bad_records.jsonl")) for p in problems)


def test_unparseable_date_is_a_warning_not_a_rejection():
    records, problems = read(FIXTURES / "bad_records.jsonl")
    warning = next(p for p in problems if not p.skipped)
    assert warning.location.endswith(":8") and "вчера вечером" in warning.reason
    assert next(r.document for r in records if r.document.id == "b-good-3").date is None


def test_gzip_reads_like_the_plain_file():
    plain, _ = read(FIXTURES / "releases.jsonl")
    packed, _ = read(FIXTURES / "releases.jsonl.gz")
    assert [r.document for r in plain] == [r.document for r in packed]
    assert len(plain) == 8


def test_directories_are_walked_recursively_and_text_files_read():
    records, problems = read(FIXTURES / "texts")
    by_id = {r.document.id: r.document for r in records}
    assert set(by_id) == {"texts/statement.txt", "texts/sub/visit.txt"}
    assert by_id["texts/statement.txt"].title == "Заявление МИД Кыргызстана"
    assert by_id["texts/sub/visit.txt"].body == "Делегация посетила Душанбе и провела консультации."
    assert [p.location for p in problems] == [str(FIXTURES / "texts/sub/empty_body.txt")]


def test_json_array_file(tmp_path):
    path = tmp_path / "items.json"
    path.write_text(json.dumps([{"id": "a", "body": "Текст"}, {"id": "b"}], ensure_ascii=False), encoding="utf-8")
    records, problems = read(path)
    assert [r.document.id for r in records] == ["a"]
    assert problems[0].location == f"{path}[2]"


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "x", "body": "Текст"}, ensure_ascii=False).encode())
    records, problems = read(path)
    assert [r.document.id for r in records] == ["x"] and not problems


def test_truncated_gzip_keeps_the_records_before_the_cut(tmp_path):
    lines = (FIXTURES / "releases.jsonl").read_bytes()
    data = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    records, problems = read(path)
    whole = len([line for line in lines.splitlines() if line.strip()])
    assert 0 < len(records) < whole
    assert problems and "truncated" in problems[-1].reason and "before the cut were kept" in problems[-1].reason


def test_missing_source_is_an_error():
    with pytest.raises(SourceError, match="no such file"):
        CorpusReader([FIXTURES / "nope.jsonl"])


def test_unsupported_file_given_directly_is_an_error(tmp_path):
    path = tmp_path / "data.xml"
    path.write_text("<a/>")
    with pytest.raises(SourceError, match="unsupported file type"):
        CorpusReader([path])


def test_unsupported_files_in_a_directory_are_listed_documentation_is_not(tmp_path):
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / "SHA256SUMS").write_text("9f86d081884c7d65  corpus.jsonl.gz\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG")
    reader = CorpusReader([tmp_path])
    assert reader.ignored == [str(tmp_path / "photo.png")]
    assert reader.files == []


def test_licence_and_readme_text_files_in_a_directory_are_not_documents(tmp_path):
    (tmp_path / "Licence.txt").write_text("Attribution 4.0 International\nCreative Commons …", encoding="utf-8")
    (tmp_path / "README.txt").write_text("О корпусе\nЧто здесь лежит", encoding="utf-8")
    (tmp_path / "visit.txt").write_text("Визит министра\nМинистр посетил Токио.", encoding="utf-8")
    records = [item for item in CorpusReader([tmp_path]) if isinstance(item, Record)]
    assert [record.document.title for record in records] == ["Визит министра"]
    given = [item for item in CorpusReader([tmp_path / "README.txt"]) if isinstance(item, Record)]
    assert [record.document.title for record in given] == ["О корпусе"]  # named explicitly: read


def test_progress_reaches_total_bytes():
    reader = CorpusReader([FIXTURES / "releases.jsonl.gz", FIXTURES / "texts"])
    list(reader)
    assert reader.bytes_done == reader.total_bytes > 0


def test_missing_id_is_derived_stably(tmp_path):
    path = tmp_path / "noid.jsonl"
    path.write_text(json.dumps({"title": "Т", "body": "Текст без идентификатора"}, ensure_ascii=False), encoding="utf-8")
    first, _ = read(path)
    second, _ = read(path)
    assert first[0].document.id == second[0].document.id
    assert first[0].document.id.startswith("sha:")


def test_field_overrides_name_the_columns_to_use(tmp_path):
    from search.corpus import ReadOptions

    path = tmp_path / "custom.jsonl"
    path.write_text(json.dumps({"id": "c1", "заголовок": "Заявление", "текст": "Текст заявления"}, ensure_ascii=False), encoding="utf-8")
    items = list(CorpusReader([path], ReadOptions({"title": "заголовок", "body": "текст"})))
    assert [(r.document.title, r.document.body) for r in items] == [("Заявление", "Текст заявления")]
    assert items[0].origin == str(path.resolve())
