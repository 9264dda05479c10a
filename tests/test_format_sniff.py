"""Telling JSON, HTML, CSV/TSV and plain text apart from a file's first bytes."""

import gzip

import pytest

from search.corpus.reader import READERS
from search.corpus.sniff import sniff_format

from conftest import FIXTURES

FORMATS = FIXTURES / "formats"


@pytest.mark.parametrize("path, expected", [
    (FIXTURES / "releases.jsonl", "json"),
    (FIXTURES / "bad_records.jsonl", "json"),
    (FORMATS / "mid_ru_sample.csv", "csv"),
    (FORMATS / "releases.tsv", "tsv"),
    (FORMATS / "html" / "mid_japan_consultations.html", "html"),
    (FORMATS / "html" / "mid_2005_barents.html", "html"),
    (FORMATS / "html" / "heldout_kg_meeting.html", "html"),
    (FORMATS / "text" / "kazinform_summit.txt", "text"),
    (FORMATS / "text" / "kg_meeting.txt", "text"),
    (FIXTURES / "texts" / "statement.txt", "text"),
])
def test_fixture_files(path, expected):
    assert sniff_format(path.read_bytes()[:4096]) == expected


@pytest.mark.parametrize("head, expected", [
    ('{"id": "1", "body": "Текст"}\n{"id": "2", "bo', "json"),  # cut inside the second record
    ('[\n  {\n    "id": "1",', "json"),
    ('\ufeff{"id": "1", "body": "Текст"}\n', "json"),
    ("<!-- saved from url=(0014)about:internet -->\n<html lang=ru>", "html"),
    ("<!DOCTYPE html>\n<html>", "html"),
    ("id;title;text\r\n1;Заявление;Текст заявления\r\n2;Брифинг;Текст брифинга\r\n", "csv"),
    ('id,text\n1,"Первая строка\nвторая строка"\n2,Текст\n', "csv"),
    ("Москва, 10 сентября\nМинистр, выступая на форуме, отметил важность диалога.\nСтороны, в частности, обсудили вопросы.\n", "text"),
    ("[1] Сноска к тексту заявления\nТекст", "text"),
    ("Лавров: Россия готова к диалогу\n\nМинистр заявил, что…", "text"),
])
def test_heads(head, expected):
    assert sniff_format(head.encode("utf-8")) == expected


def test_code_pages_are_sniffed_too():
    assert sniff_format("id;title;text\n1;Заявление;Текст заявления\n".encode("cp1251")) == "csv"
    assert sniff_format("Лавров провёл переговоры с министром иностранных дел Японии.".encode("koi8_r")) == "text"


@pytest.mark.parametrize("head", [b"", b"  \n\n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", gzip.compress(b"text"), bytes(range(256))])
def test_empty_or_binary_is_none(head):
    assert sniff_format(head) is None


def test_every_answer_names_a_reader():
    heads = [b'{"a": 1}', b"<html>", b"a,text\n1,2\n3,4\n", b"a\ttext\n1\t2\n", b"plain words"]
    assert {sniff_format(h) for h in heads} <= set(READERS)
