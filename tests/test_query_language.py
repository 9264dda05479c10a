"""Every form of the query language, on the test fixtures."""

import datetime as dt

import pytest


def ids(results):
    return [hit.id for hit in results]


@pytest.mark.parametrize("text", ["Ташкент OR Минск", "Ташкент | Минск", "Ташкент|Минск", "Ташкент ИЛИ Минск"])
def test_or_in_every_spelling(index, text):
    assert set(ids(index.search(text))) == {"t-sco", "t-minsk-cis"}


@pytest.mark.parametrize("text", ["Лавров AND переговоры", "Лавров И переговоры", "Лавров переговоры"])
def test_and_in_every_spelling(index, text):
    assert ids(index.search(text)) == ["t-japan"]


@pytest.mark.parametrize("text", ["Лавров NOT Ташкент", "Лавров НЕ Ташкент", "Лавров -Ташкент"])
def test_not_in_every_spelling(index, text):
    assert ids(index.search(text)) == ["t-japan"]


def test_lowercase_i_and_ne_are_words_not_operators(index):
    plan_text = index.search("Лавров и Ташкент", match="all")
    assert ids(plan_text) == ["t-sco"]


def test_parentheses_group(index):
    assert set(ids(index.search("(Ташкент OR Токио) AND Лавров"))) == {"t-sco", "t-japan"}
    assert ids(index.search("(Ташкент OR Токио) -Лавров")) == []


def test_phrase_in_any_inflection_and_proximity(index):
    assert "t-minsk-cis" in ids(index.search('"совет министров"'))
    assert ids(index.search('"заседании совета"')) != []
    # No exact phrase: the visible fallback ranks documents with any of the words.
    loose = index.search('"министров СНГ"')
    assert loose.match == "any" and "t-minsk-cis" in ids(loose)
    assert ids(index.search('"министров СНГ"~6')) == ["t-minsk-cis"]


def test_exact_form_matches_only_that_form(index):
    # «Японию» occurs in t-japan's title; «Японии» elsewhere.
    assert ids(index.search("!Японию")) == ["t-japan"]
    assert "t-japan" in ids(index.search("Японией"))  # any form without «!»
    assert ids(index.search("!Японией")) == []


def test_exact_phrase(index):
    assert ids(index.search('!"совета министров"')) and ids(index.search('!"совет министров"')) == []


def test_prefix_on_surface_forms(index):
    assert set(ids(index.search("Кыргыз*"))) == {"t-steel"}
    assert "t-rostov" in ids(index.search("консульск*"))


def test_fuzzy_word_tolerates_a_typo_and_still_lemmatises(index):
    results = index.search("Лаврав~")
    assert set(ids(results)) == {"t-japan", "t-sco"}
    spans = {hit.snippet.text[s:e] for hit in results for s, e in hit.snippet.highlights}
    assert "Лавров" in spans


def test_fields(index):
    assert ids(index.search("title:заседание")) == ["t-minsk-cis"]
    assert set(ids(index.search("source:mfa.gov.by"))) == {"t-minsk-cis", "t-stress"}
    assert len(ids(index.search("lang:ru", limit=50))) == 8
    assert ids(index.search("id:t-steel")) == ["t-steel"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("министр date:2017", {"t-japan"}),
        ("министр date:2019-09", {"t-kz-un"}),
        ("министр date:2019-01-01..2021-12-31", {"t-kz-un", "t-minsk-cis"}),
        ("министр date:..2017", {"t-japan"}),
        ("министр date:2022..", {"t-sco"}),
    ],
)
def test_date_filters_in_the_query(index, text, expected):
    assert set(ids(index.search(text, limit=50))) == expected


def test_bad_date_filter_is_ignored_with_a_notice(index):
    results = index.search("Лавров date:вчера")
    assert set(ids(results)) == {"t-japan", "t-sco"}
    assert any("date:вчера" in notice for notice in results.notices)


@pytest.mark.parametrize(
    "since, until, expected",
    [
        ("2019", None, {"t-kz-un", "t-minsk-cis", "t-sco"}),
        (None, "2017", {"t-japan"}),
        ("сентябрь 2019", "14.10.2021", {"t-kz-un", "t-minsk-cis"}),
        (dt.date(2022, 7, 29), "29 июля 2022", {"t-sco"}),
    ],
)
def test_since_and_until(index, since, until, expected):
    results = index.search("министр", match="any", limit=50, since=since, until=until)
    assert set(ids(results)) == expected


def test_since_after_until_and_unreadable_dates_are_errors(index):
    with pytest.raises(ValueError):
        index.search("министр", since="2020", until="2019")
    with pytest.raises(ValueError):
        index.search("министр", since="когда-то")


def test_sort_by_date_both_ways_without_scores(index):
    newest = index.search("министр", match="any", sort="newest", limit=50)
    oldest = index.search("министр", match="any", sort="oldest", limit=50)
    assert ids(newest) == list(reversed(ids(oldest)))
    dates = [hit.date for hit in newest]
    assert dates == sorted(dates, reverse=True)
    assert all(hit.score is None for hit in newest)


def test_facets_count_all_matches_by_source_and_year(index):
    results = index.search("министр", match="any", limit=1, facets=True)
    assert sum(results.facets.sources.values()) == results.total
    assert sum(results.facets.years.values()) == results.total
    from_mid = index.search("министр source:mid.ru", limit=50)
    assert results.facets.sources["mid.ru"] == from_mid.total >= 1
    assert list(results.facets.years) == sorted(results.facets.years)


def test_did_you_mean_for_unknown_words(index):
    results = index.search("Ташкнет Лавров")
    assert results.suggestion == "ташкенте Лавров"  # the only form the index has
    assert index.search("Ташкент Лавров").suggestion is None


def test_similar_documents(index):
    results = index.similar("t-minsk-cis", limit=3)
    assert "t-minsk-cis" not in ids(results)
    assert ids(results)[0] == "t-sco"  # the other council of foreign ministers
    assert results.explanation.startswith("key terms:")


def test_similar_to_unknown_id_is_an_error(index):
    from search.errors import SearchError

    with pytest.raises(SearchError, match="no document"):
        index.similar("nope")


def test_recent_favours_newer_documents(fresh_index):
    old = {"id": "old", "date": "2015-01-01", "title": "Заявление", "body": "Заявление о сотрудничестве."}
    new = {"id": "new", "date": "2024-01-01", "title": "Заявление", "body": "Заявление о сотрудничестве."}
    fresh_index.add([old, new])
    assert ids(fresh_index.search("заявление", recent=True)) == ["new", "old"]


def test_a_dash_between_words_is_not_a_minus(index):
    assert ids(index.search("Лавров - Ташкент")) == ["t-sco"]


def test_an_unknown_compound_is_searched_as_its_parts(index):
    # The index has «Совета министров» but never the compound «совет-министр».
    assert "t-minsk-cis" in ids(index.search("совета-министров"))
    assert ids(index.search("Ростов-на-Дону")) == ["t-rostov"]


@pytest.mark.parametrize(
    "text",
    ["title:совета-министров", "совета-министров ANDNOT Лавров", "Лавров -совета-министров",
     "NOT совета-министров", "(совета-министров)", "Лавров ANDMAYBE совета-министров"],
)
@pytest.mark.parametrize("match", ["any", "all"])
def test_an_unknown_compound_anywhere_in_a_query_is_searched(index, text, match):
    index.search(text, match=match)  # no error, whatever the compound's place


def test_an_excluded_quotation_stays_a_phrase_in_any_term_queries(fresh_index):
    fresh_index.add([
        {"id": "surname-only", "body": "Министр и Шор выступили."},
        {"id": "full-name", "body": "Министр выступил. Илан Шор ответил."},
    ])
    assert ids(fresh_index.search('министр -"Илан Шор"', match="any")) == ["surname-only"]


@pytest.mark.parametrize("fast", [False, True], ids=["whoosh-scoring", "vectorised-scoring"])
def test_date_options_keep_boundary_days_and_leave_out_undated_documents(fresh_index, monkeypatch, fast):
    import search.index as index_module

    fresh_index.add([
        {"id": "first-day", "date": "2020-01-01", "body": "переговоры министров"},
        {"id": "last-day", "date": "2020-12-31", "body": "переговоры министров"},
        {"id": "before", "date": "2019-12-31", "body": "переговоры министров"},
        {"id": "after", "date": "2021-01-01", "body": "переговоры министров"},
        {"id": "undated", "body": "переговоры министров"},
    ])
    if fast:
        monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    assert set(ids(fresh_index.search("переговоры", since="2020", until="2020"))) == {"first-day", "last-day"}
    assert set(ids(fresh_index.search("переговоры", since="2020"))) == {"first-day", "last-day", "after"}
    assert set(ids(fresh_index.search("переговоры", until="2020"))) == {"first-day", "last-day", "before"}
    assert fresh_index.search("переговоры", since="2020", until="2020").total == 2
    assert fresh_index.timeline("переговоры", by="year", since="2020").total == 3


@pytest.mark.parametrize("fast", [False, True], ids=["whoosh-scoring", "vectorised-scoring"])
def test_date_sorts_put_undated_documents_last(fresh_index, monkeypatch, fast):
    import search.index as index_module

    fresh_index.add([
        {"id": "2020", "date": "2020-01-01", "body": "переговоры министров"},
        {"id": "undated", "body": "переговоры министров"},
        {"id": "2021", "date": "2021-01-01", "body": "переговоры министров"},
        {"id": "2019", "date": "2019-06-01", "body": "переговоры"},
    ])
    if fast:
        monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    assert ids(fresh_index.search("переговоры", sort="newest")) == ["2021", "2020", "2019", "undated"]
    assert ids(fresh_index.search("переговоры", sort="oldest")) == ["2019", "2020", "2021", "undated"]
    assert ids(fresh_index.search("переговоры", sort="newest", limit=2)) == ["2021", "2020"]
    assert ids(fresh_index.search("переговоры министров", sort="newest")) == ["2021", "2020", "undated"]
    assert all(hit.score is None for hit in fresh_index.search("переговоры", sort="newest"))
