"""HTML pages: headline, date, canonical URL and the article without the page
around it (menus, share buttons, related news, comments, footers)."""

import gzip
import json
import os
import re
from collections import Counter

import pytest

from search.corpus import CorpusReader, Problem, Record

from conftest import FIXTURES

PAGES = FIXTURES / "formats" / "html"
TRUTH = json.loads((FIXTURES / "formats" / "html_truth.json").read_text(encoding="utf-8"))


def read(*sources):
    items = list(CorpusReader(sources))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


def document(name):
    records, problems = read(PAGES / name)
    assert not problems
    return records[0].document


def weighted_words(text):
    return Counter(re.findall(r"\w+", text.lower()))


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_metadata_of_each_page(name):
    page, want = document(name), TRUTH[name]
    assert page.title == want["title"]
    assert page.date.isoformat() == want["date"]
    assert page.url == want["url"]
    assert page.id == name  # a page is known by its path, like a text file


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_body_is_the_article_and_little_else(name):
    page, want = document(name), TRUTH[name]
    got, expected = weighted_words(page.body), weighted_words(want["body"])
    common = sum(len(w) * n for w, n in (got & expected).items())
    precision = common / sum(len(w) * n for w, n in got.items())
    recall = common / sum(len(w) * n for w, n in expected.items())
    assert precision >= 0.9 and recall >= 0.85, (precision, recall)


def test_boilerplate_stays_out():
    page = document("mid_japan_consultations.html")
    for phrase in ("Поделиться", "Версия для печати", "Дополнительные материалы", "телефонном разговоре",
                   "Смоленская-Сенная", "Внешняя политика", "Поиск по сайту"):
        assert phrase not in page.body
    agency = document("agency_astana_summit.html")
    assert "Читайте также" not in agency.body and "Самое читаемое" not in agency.body and "Курс доллара" not in agency.body


def test_lists_and_quotes_are_part_of_the_article():
    assert "Соглашение о сотрудничестве в области образования" in document("by_minsk_agreements.html").body
    assert "последовательно наращивают взаимодействие" in document("uz_consultations.html").body


def test_reader_comments_are_not_the_article():
    body = document("heldout_mid_statement_comments.html").body
    assert "загранпаспорт" not in body and "Ответственность за последствия" in body


def test_a_windows_1251_page_reads_as_cyrillic():
    page = document("mid_2005_barents.html")
    assert "министерская сессия Совета Баренцева" in page.body


def test_htm_and_gzip_are_read(tmp_path):
    source = (PAGES / "uz_consultations.html").read_bytes()
    (tmp_path / "page.htm").write_bytes(source)
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(source))
    records, problems = read(tmp_path)
    assert not problems
    assert [r.document.title for r in records] == [TRUTH["uz_consultations.html"]["title"]] * 2


def test_a_page_without_text_is_reported(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>Пусто</title></head><body><nav><a href='/'>Главная</a></nav></body></html>", encoding="utf-8")
    records, problems = read(path)
    assert not records and "no body text" in problems[0].reason


@pytest.mark.parametrize("seed", range(5))
def test_garbage_never_raises(tmp_path, seed):
    path = tmp_path / "noise.html"
    path.write_bytes(b"<html><body><p>" + os.urandom(3000 + seed) + b"</div></table><p>")
    list(CorpusReader([path]))
