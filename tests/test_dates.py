"""Dates as corpora and users write them."""

import datetime as dt

import pytest

from search.text.dates import month_number, parse_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2017-05-01", dt.date(2017, 5, 1)),
        ("2017-05-01T10:30:00+03:00", dt.date(2017, 5, 1)),
        ("2017-05-01 10:30", dt.date(2017, 5, 1)),
        ("01.05.2017", dt.date(2017, 5, 1)),
        ("1/5/2017", dt.date(2017, 5, 1)),
        ("10.09.17", dt.date(2017, 9, 10)),
        ("10 сентября 2017 года", dt.date(2017, 9, 10)),
        ("10 сентября 2017 г.", dt.date(2017, 9, 10)),
        ("2 марта 2019", dt.date(2019, 3, 2)),
        ("сентябрь 2017", dt.date(2017, 9, 1)),
        ("Май 2015", dt.date(2015, 5, 1)),
    ],
)
def test_parses(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [None, "", "вчера", "31.02.2017", "мартовский 2017", "2017", "13.13.2013"])
def test_rejects(text):
    assert parse_date(text) is None


def test_month_names_in_every_case():
    assert [month_number(w) for w in ("января", "феврале", "март", "мая", "декабрь")] == [1, 2, 3, 5, 12]
    assert month_number("маяк") is None
