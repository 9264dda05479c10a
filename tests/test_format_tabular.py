"""CSV and TSV files: columns matched by name, the mid.ru corpus layout read
without options, bad rows reported at the line they start on."""

import gzip
import shutil

from search.corpus import CorpusReader, Problem, ReadOptions, Record

from conftest import FIXTURES

MID = FIXTURES / "formats" / "mid_ru_sample.csv"


def read(*sources, options=ReadOptions()):
    items = list(CorpusReader(sources, options))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def test_the_mid_ru_layout_indexes_without_options():
    records, _ = read(MID)
    by_id = {r.document.id: r.document for r in records}
    assert list(by_id) == ["mid.ru_ru_1551234", "mid.ru_ru_1602231", "mid.ru_ru_1655200", "mid.ru_ru_1700107"]
    first = by_id["mid.ru_ru_1551234"]
    assert first.title == "О российско-японских консультациях по вопросам стратегической стабильности"
    assert first.url == "https://mid.ru/ru/foreign_policy/news/1551234/"
    assert first.date.isoformat() == "2017-09-10"
    assert first.body.startswith("8 сентября в Токио") and "\nСтороны обменялись мнениями" in first.body


def test_date_falls_back_to_datetime_when_date_does_not_parse():
    records, _ = read(MID)
    statement = next(r.document for r in records if r.document.id == "mid.ru_ru_1602231")
    assert statement.date.isoformat() == "2022-03-14"  # date is «NA», datetime 2022-03-14 18:05:00


def test_rows_are_located_by_the_line_they_start_on():
    records, problems = read(MID)
    assert [r.location for r in records] == [f"{MID}:2", f"{MID}:4", f"{MID}:6", f"{MID}:7"]
    skipped = [p for p in problems if p.skipped]
    assert [(p.location, "no body text" in p.reason) for p in skipped] == [(f"{MID}:5", True)]
    warning = next(p for p in problems if not p.skipped)
    assert warning.location == f"{MID}:7" and "на прошлой неделе" in warning.reason


def test_quoted_quotes_in_a_title():
    records, _ = read(MID)
    assert not any("\"\"" in r.document.title for r in records)


def test_gzipped_release_file_reads_like_the_plain_one(tmp_path):
    packed = tmp_path / "mid.ru_ru_2024.csv.gz"
    with MID.open("rb") as plain, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(plain, out)
    assert [r.document for r in read(packed)[0]] == [r.document for r in read(MID)[0]]


def test_tsv_headers_match_ignoring_case_and_spaces():
    records, problems = read(FIXTURES / "formats" / "releases.tsv")
    assert not problems
    kg = records[0].document
    assert (kg.id, kg.source, kg.url, kg.date.isoformat()) == (
        "kg-2020-0203", "mfa.gov.kg", "https://mfa.gov.kg/ru/news/2020/0203", "2020-02-03")
    assert records[1].document.date.isoformat() == "2019-04-12"


def test_excel_export_with_semicolons_in_windows_1251(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes("Заголовок;Текст;Дата\r\nО визите в Ташкент;Министр посетил Ташкент, где провёл переговоры.;01.06.2021\r\n".encode("cp1251"))
    records, problems = read(path, options=ReadOptions({"title": "Заголовок", "body": "Текст", "date": "Дата"}))
    assert not problems
    document = records[0].document
    assert (document.title, document.date.isoformat()) == ("О визите в Ташкент", "2021-06-01")
    assert document.body == "Министр посетил Ташкент, где провёл переговоры."


def test_ambiguous_delimiter_is_sniffed(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text('"id";"title, short";"text"\n"a1";"Брифинг, кратко";"Текст брифинга, с запятыми; и точкой с запятой"\n', encoding="utf-8")
    records, problems = read(path)
    assert not problems
    assert records[0].document.body == "Текст брифинга, с запятыми; и точкой с запятой"


def test_large_fields_are_read(tmp_path):
    body = "Министр иностранных дел провёл переговоры. " * 5000  # about 220 KB
    path = tmp_path / "big.csv"
    path.write_text(f'id,text\nbig,"{body}"\nsmall,Короткий текст\n', encoding="utf-8")
    records, problems = read(path)
    assert not problems
    assert [len(r.document.body) for r in records] == [len(body.strip()), len("Короткий текст")]


def test_a_row_with_too_many_fields_is_reported_and_the_rest_read(tmp_path):
    path = tmp_path / "shifted.csv"
    path.write_text("id,title,text\n1,Заявление,Текст заявления\n2,Брифинг,Текст,лишнее поле\n3,Коммюнике,Текст коммюнике\n", encoding="utf-8")
    records, problems = read(path)
    assert [r.document.id for r in records] == ["1", "3"]
    assert problems[0].location == f"{path}:3" and "4 fields where the header has 3" in problems[0].reason


def test_a_row_with_bytes_that_do_not_decode_is_reported(tmp_path):
    path = tmp_path / "bad.csv"
    rows = ["id,text", "1,Первый текст", "2,Второй текст", "3,Третий текст"]
    data = "\n".join(rows).encode()
    path.write_bytes(data.replace("Второй".encode(), b"\xff\xfe"))
    records, problems = read(path)
    assert [r.document.id for r in records] == ["1", "3"]
    assert problems[0].location == f"{path}:3" and "not valid UTF-8" in problems[0].reason and "'text'" in problems[0].reason


def test_a_file_without_a_text_column_is_reported_once(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text("id,title,url\n1,Заявление,https://example.org/1\n2,Брифинг,https://example.org/2\n", encoding="utf-8")
    records, problems = read(path)
    assert not records
    assert len(problems) == 1 and problems[0].location == f"{path}:1" and "no text column" in problems[0].reason


def test_missing_value_markers_are_empty_not_unreadable(tmp_path):
    path = tmp_path / "r_export.csv"
    path.write_text("doc_id,text,date,datetime,title,url\nx1,Текст заявления,NA,NA,NA,\n", encoding="utf-8")
    records, problems = read(path)
    assert not problems
    assert (records[0].document.date, records[0].document.title) == (None, "")
