"""Searching an index: inflected forms, ranking order, fallback, paging, sorting."""

import datetime as dt

import pytest


def ids(results):
    return [hit.id for hit in results]


def test_query_in_one_form_finds_documents_in_other_forms(index):
    # «визит Лаврова в Японию»: the text says «посетил Японию», «Лавров», «визита».
    results = index.search("визит Лаврова в Японию")
    assert ids(results)[0] == "t-japan"
    assert results.match == "all"


def test_all_terms_are_required_by_default(index):
    assert ids(index.search("Ташкент Лавров")) == ["t-sco"]
    assert ids(index.search("Лавров")) and set(ids(index.search("Лавров"))) == {"t-japan", "t-sco"}


def test_falls_back_to_any_term_ranking_with_a_notice(index):
    results = index.search("Ташкент Бишкек Минск")
    assert results.match == "any"
    assert set(ids(results)) == {"t-sco", "t-minsk-cis"}
    assert any("any of them" in notice for notice in results.notices)


def test_any_mode_ranks_documents_with_more_query_words_first(index):
    results = index.search("Лавров переговоры Япония Ташкент", match="any")
    assert ids(results)[0] == "t-japan"
    assert "t-sco" in ids(results)


def test_title_matches_outrank_body_matches(index):
    # Both mention Минск/СНГ-related words; only one has «заседание» in the title.
    results = index.search("заседание", match="any")
    assert ids(results)[:2] == ["t-minsk-cis", "t-sco"]


def test_function_words_alone_still_search(index):
    results = index.search("в и на")
    assert results.total > 0


def test_hit_fields(index):
    hit = index.search("Ростов-на-Дону").hits[0]
    assert hit.id == "t-rostov"
    assert hit.title == "Консульский приём в Ростове-на-Дону"
    assert hit.date == dt.date(2016, 5, 12)
    assert hit.source == "mid.ru"
    assert hit.url == "https://example.org/t-rostov"
    assert hit.score > 0
    assert hit.rank == 1


def test_compound_part_finds_the_compound(index):
    assert ids(index.search("Дону")) == ["t-rostov"]
    assert ids(index.search("северо-западный")) == ["t-rostov"]
    assert ids(index.search("западный")) == ["t-rostov"]
    assert ids(index.search("ЭКСПО-2017")) == ["t-stress"]


def test_text_with_stress_marks_is_found_by_plain_words(index):
    assert ids(index.search("замок")) == ["t-stress"]
    assert ids(index.search("реставрации")) == ["t-stress"]


def test_yo_and_e_are_the_same_letter(index):
    assert ids(index.search("провел переговоры")) == ids(index.search("провёл переговоры"))
    assert "t-minsk-cis" in ids(index.search("пройдет"))


def test_sort_by_date_puts_newest_first(index):
    results = index.search("министр", sort="date", limit=50, match="any")
    dates = [hit.date for hit in results]
    assert len(dates) >= 3
    assert dates == sorted(dates, reverse=True)


def test_paging(index):
    everything = ids(index.search("министр", limit=50, match="any"))
    assert len(everything) >= 4
    first = index.search("министр", limit=2, page=1, match="any")
    second = index.search("министр", limit=2, page=2, match="any")
    assert ids(first) + ids(second) == everything[:4]
    assert first.total == len(everything)
    assert first.pages == -(-len(everything) // 2)
    assert [hit.rank for hit in second] == [3, 4]


def test_page_past_the_end_is_empty(index):
    results = index.search("Лавров", limit=10, page=5)
    assert results.hits == [] and results.total == 2


def test_phrase_query_over_lemmas(index):
    assert set(ids(index.search('"совета министров"'))) == {"t-minsk-cis", "t-sco"}
    # No exact phrase: the visible fallback ranks documents with any of the words.
    loose = index.search('"министров СНГ"')
    assert loose.match == "any" and "t-minsk-cis" in ids(loose)
    assert ids(index.search('"министров СНГ"~6')) == ["t-minsk-cis"]
    assert index.search('"министров совет"').match == "any"  # no such phrase: fallback


def test_boolean_operators_and_fields(index):
    assert ids(index.search("Лавров NOT Ташкент")) == ["t-japan"]
    assert set(ids(index.search("Ташкент OR Минск"))) == {"t-sco", "t-minsk-cis"}
    assert ids(index.search("title:заседание")) == ["t-minsk-cis"]
    assert set(ids(index.search("source:mfa.gov.by"))) == {"t-minsk-cis", "t-stress"}


def test_prefix_matches_surface_forms(index):
    assert set(ids(index.search("Кыргыз*"))) == {"t-steel"}


@pytest.mark.parametrize(
    "text",
    ['"unclosed', "(a OR", ")(", "title:", "AND", "NOT", "*", "[a TO", "a^x", "::", "^^^", '""', "\\", "{}", "-", "ИЛИ"],
)
def test_odd_query_syntax_never_raises(index, text):
    results = index.search(text)
    assert results.total >= 0


def test_unreadable_syntax_falls_back_to_plain_words_with_a_notice(index):
    results = index.search('"визит Лаврова')
    assert ids(results)[:1] == ["t-japan"]
    assert any("plain words" in notice for notice in results.notices)


def test_ambiguous_word_policy_all_finds_both_readings(tmp_path, releases_path):
    from search import Index
    from search.corpus import CorpusReader

    with Index.create(tmp_path / "all", ambiguity="all") as ix:
        ix.add(CorpusReader([releases_path]))
        # «стали» is стать (verb) and сталь (steel); under "all" the noun
        # «сталь» finds the text that only says «стали».
        assert ids(ix.search("сталь")) == ["t-steel"]


def test_invalid_arguments_raise_value_error(index):
    for kwargs in ({"limit": 0}, {"page": 0}, {"sort": "size"}, {"match": "some"}):
        with pytest.raises(ValueError):
            index.search("МИД", **kwargs)


def test_total_of_an_any_term_query_counts_every_match(fresh_index):
    fresh_index.add([{"id": f"d{n}", "body": f"{word} номер {n}"} for n, word in enumerate(["визит", "переговоры", "встреча"] * 10)])
    fresh_index.delete(["d0", "d1"])
    results = fresh_index.search("визит переговоры", match="any", limit=1)
    assert results.total == 18
    filtered = fresh_index.search("визит переговоры", match="any", limit=1, since="2020")
    assert filtered.total == 0


def test_words_in_most_documents_are_left_out_of_any_term_queries(fresh_index):
    from search.query.planner import plan_query

    fresh_index.add([{"id": f"d{n}", "body": f"Молдова сообщение {n}" + (" визит" if n == 3 else "")} for n in range(10)])
    reader = fresh_index.searcher().reader()
    terms = {text for _, text in plan_query("Молдова визит", "any", reader=reader).query.iter_all_terms()}
    assert terms == {"визит"}
    only_frequent = {text for _, text in plan_query("Молдова", "any", reader=reader).query.iter_all_terms()}
    assert only_frequent == {"молдова"}
    assert [hit.id for hit in fresh_index.search("Молдова визит", match="any")] == ["d3"]


def test_a_frequent_word_is_kept_when_the_other_words_are_unknown(fresh_index):
    """«Молдова визитт»: dropping «Молдова» would leave only a typo."""
    fresh_index.add([{"id": f"d{n}", "body": f"Молдова сообщение {n}"} for n in range(10)])
    assert len(fresh_index.search("Молдова визитт", match="any").hits) == 10


def test_a_one_word_query_of_a_frequent_word_searches_the_body_too(fresh_index):
    filler = " ".join(["сообщение"] * 70)  # past the lead (the head field)
    fresh_index.add([{"id": f"lead{n}", "body": f"Переговоры {n}."} for n in range(5)])
    fresh_index.add([{"id": "late", "body": f"{filler} Переговоры."}])
    assert "late" in {hit.id for hit in fresh_index.search("переговоры", match="any", collapse=False)}


def test_a_name_read_as_another_word_still_finds_its_other_forms(fresh_index):
    """pymorphy reads «Шор» as «шоры» (blinkers) but «Шора», «Шору» as «шор»:
    the typed word, a lemma of the index, joins the query's lemmas."""
    fresh_index.add([
        {"id": "nominative", "body": "Илан Шор заявил о новом блоке."},
        {"id": "genitive", "body": "Суд рассмотрит дело Илана Шора."},
    ])
    assert sorted(hit.id for hit in fresh_index.search("Шор")) == ["genitive", "nominative"]
    assert sorted(hit.id for hit in fresh_index.search("Шора")) == ["genitive"]


def test_a_typed_word_that_is_a_rare_lemma_is_not_added(fresh_index):
    """A stray reading in a few documents would outweigh the word's real lemma."""
    fresh_index.add([{"id": f"n{n}", "body": f"Илан Шор заявил {n}."} for n in range(10)])
    fresh_index.add([{"id": "genitive", "body": "Суд рассмотрит дело Илана Шора."}])
    assert "genitive" not in {hit.id for hit in fresh_index.search("Шор", limit=20)}


def test_a_frequent_word_in_a_quotation_drops_only_itself(fresh_index):
    """A headline quoting someone: the quotation's rarer words still count."""
    from search.query.planner import plan_query

    fresh_index.add([{"id": f"d{n}", "body": f"Молдова сообщение {n}" + (" визит" if n == 3 else "")} for n in range(10)])
    reader = fresh_index.searcher().reader()
    for text in ('Заявление: "Молдова ждёт визит"', '"Молдова ждёт визит"', '"не той Молдовы" визит'):
        terms = {term for _, term in plan_query(text, "any", reader=reader).query.iter_all_terms()}
        assert "визит" in terms and "молдова" not in terms, text
    assert [hit.id for hit in fresh_index.search('Заявление: "Молдова ждёт визит"', match="any")] == ["d3"]


@pytest.mark.parametrize("text, match", [("визит переговоры", "any"), ('"визит" переговоры', "any"), ("визит", "all")])
def test_results_keep_their_total_after_the_index_is_closed(tmp_path, text, match):
    from search import Index

    with Index.create(tmp_path / "index") as ix:
        # More matches than a search collects (it ranks the best 100 or so).
        ix.add([{"id": f"d{n}", "body": f"{word} номер {n}"} for n, word in enumerate(["визит", "переговоры"] * 150)])
    with Index.open(tmp_path / "index") as ix:
        results = ix.search(text, match=match, limit=1)
    assert results.total == (300 if match == "any" else 150)


def test_snippets_are_made_when_first_read_and_only_then(index, monkeypatch):
    from search.retrieval import snippets

    made = []
    real = snippets.make_snippet
    monkeypatch.setattr(snippets, "make_snippet", lambda *args, **kwargs: made.append(1) or real(*args, **kwargs))
    results = index.search("Лавров", match="any", limit=100)
    assert len(results.hits) >= 2 and made == []
    first = results.hits[0].snippet
    assert made == [1] and first.highlights
    assert results.hits[0].snippet is first and made == [1]


def test_without_snippets_hits_have_empty_snippets(index):
    results = index.search("Лавров", snippets=False)
    assert results.hits and not results.snippets
    assert all(hit.snippet.text == "" and hit.title_highlights == () for hit in results)
    assert "snippet" not in results.hits[0].to_json(snippets=False)
