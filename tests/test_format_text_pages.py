"""Plain-text pages saved from news sites: outlet prefixes become the source,
site lines are dropped, dates and datelines are recognised."""

import datetime as dt

import pytest

from search.corpus import CorpusReader, Problem, Record
from search.text.dates import find_date, parse_date

from conftest import FIXTURES, SHARED

PAGES = FIXTURES / "formats" / "text"


def document(path):
    items = list(CorpusReader([path]))
    assert not [i for i in items if isinstance(i, Problem)]
    return next(i for i in items if isinstance(i, Record)).document


def test_outlet_prefix_becomes_the_source_and_leaves_headline_and_body():
    page = document(PAGES / "kazinform_summit.txt")
    assert page.title == "Саммит ОИС по науке и технологиям открылся в Астане"
    assert page.source == "Kazinform"
    assert page.body.startswith("АСТАНА, 10 сентября. КАЗИНФОРМ – В Астане открылся")
    assert page.date == dt.date(2017, 9, 10)  # the line «10 сентября 2017, 12:47»


def test_site_lines_are_removed():
    body = document(PAGES / "kazinform_summit.txt").body
    for line in ("Новости Казахстана 0", "Читайте и смотрите нас в", "Поделиться", "Просмотров", "Комментарии",
                 "Оставить комментарий", "12:47"):
        assert line not in body
    assert body.endswith("водной и продовольственной безопасности.")


def test_timestamp_line_tags_and_share_row():
    page = document(PAGES / "belta_talks.txt")
    assert (page.title, page.source, page.date) == (
        "Беларусь и Китай выходят на новый уровень сотрудничества", "БелТА", dt.date(2019, 3, 12))
    assert page.body.startswith("ПЕКИН, 12 марта (БЕЛТА) - ")
    assert "Теги" not in page.body and "Одноклассники" not in page.body


def test_a_speaker_is_not_an_outlet_but_a_dateline_outlet_is():
    page = document(PAGES / "tass_briefing.txt")
    assert page.title == "Захарова: Москва ответит на закрытие генконсульства"
    assert page.source == "ТАСС"
    assert page.date is None  # «ТАСС, 14 марта.» has no year
    assert "Подписывайтесь" not in page.body


def test_dateline_with_a_year_gives_the_date_and_short_lines_inside_the_article_stay():
    page = document(PAGES / "kg_meeting.txt")
    assert page.date == dt.date(2020, 2, 3) and page.source == ""
    assert "Приложение 1" in page.body and "Просмотров" not in page.body


def test_a_page_without_furniture_reads_as_before(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("\n\nЗаявление МИД\n\nМинистерство выражает соболезнования.\n\nВторой абзац.\n", encoding="utf-8")
    page = document(path)
    assert (page.title, page.body, page.source, page.date) == (
        "Заявление МИД", "Министерство выражает соболезнования.\n\nВторой абзац.", "", None)


@pytest.mark.skipif(not (SHARED / "seeds" / "kazinform_central_asia_japan.txt").exists(), reason="needs ../shared")
def test_the_saved_kazinform_page():
    page = document(SHARED / "seeds" / "kazinform_central_asia_japan.txt")
    assert page.title == "Дорожную карту сотрудничества приняли главы МИД ЦА и Японии"
    assert page.source == "Kazinform"
    assert page.body.startswith("В Ашхабаде казахстанская делегация")
    assert "Новости стран ЦА" not in page.body and "Комментарии" not in page.body and "Читайте и смотрите" not in page.body


@pytest.mark.parametrize("text, expected", [
    ("10.09.2017 14:30", dt.date(2017, 9, 10)),
    ("10 сентября 2017 года, 14:30", dt.date(2017, 9, 10)),
    ("10 сентября 2017, 14:30", dt.date(2017, 9, 10)),
    ("2017-09-10 14:30:00", dt.date(2017, 9, 10)),
    ("14:30 10.09.2017", dt.date(2017, 9, 10)),
    ("10.09.2017 | 14:30", dt.date(2017, 9, 10)),
    ("10 сентября 2017 года, в 14:30 (мск)", dt.date(2017, 9, 10)),
    ("10.09.17", dt.date(2017, 9, 10)),
    ("14:30", None),
])
def test_dates_with_a_time_of_day(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Токио, 12 апреля 2019 года. В рамках визита", dt.date(2019, 4, 12)),
    ("Дата публикации: 12.04.2019, 11:05", dt.date(2019, 4, 12)),
    ("Опубликовано 31.02.2017, исправлено 01.03.2017", dt.date(2017, 3, 1)),
    ("в ноябре 2016 года и 10-11 сентября", None),
    ("Информационный бюллетень | 2353-10-11-2005", None),
])
def test_dates_in_running_text(text, expected):
    assert find_date(text) == expected
