"""Query planning: lemma rewriting, stop words, syntax fallback."""

from whoosh import query as wq

from search.query.planner import STOP_WORDS, plain_words, plan_query


def terms(plan):
    return sorted({(field, text) for field, text in plan.query.iter_all_terms()})


def test_words_become_lemmas_in_head_and_body():
    plan = plan_query("визитом Лаврова")
    assert terms(plan) == [
        ("body", "визит"), ("body", "лавров"), ("head", "визит"), ("head", "лавров"),
    ]
    assert isinstance(plan.query, wq.And)


def test_any_mode_uses_or():
    assert isinstance(plan_query("визит Лаврова", "any").query, wq.Or)


def test_function_words_are_dropped_outside_phrases():
    plan = plan_query("визит в Японию и на Кубу")
    texts = {text for _, text in plan.query.iter_all_terms()}
    assert not texts & STOP_WORDS
    phrase = plan_query('"визит в Японию"')
    assert "в" in {text for _, text in phrase.query.iter_all_terms()}


def test_only_function_words_are_kept():
    plan = plan_query("в и на")
    assert {text for _, text in plan.query.iter_all_terms()} == {"в", "и", "на"}


def test_prefix_and_wildcard_go_to_surface_forms():
    assert plan_query("Кыргыз*").query == wq.Prefix("exact", "кыргыз")
    assert plan_query("ми*стр").query == wq.Wildcard("exact", "ми*стр")
    # «?» ends questions; it is not a wildcard.
    assert plan_query("исполнились ли желания?", "any").terms.lemmas == {"исполниться", "желание"}


def test_any_mode_counts_the_words_of_a_quotation_too():
    plan = plan_query('Зеленский: "Сейчас не время для выборов"', "any")
    single_words = {q.text for q in plan.query.leaves() if isinstance(q, wq.Term)}
    assert {"время", "выборы", "зеленский"} <= single_words
    assert "не" not in single_words  # function words count only inside the phrase
    strict = plan_query('"время для выборов"', "all")
    assert isinstance(strict.query, wq.Or) and all(isinstance(q, wq.Phrase) for q in strict.query.subqueries)


def test_keyword_fields_are_not_lemmatised():
    plan = plan_query("source:mid.ru")
    assert plan.query == wq.Term("source", "mid.ru")


def test_minus_inside_a_compound_is_not_an_operator():
    plan = plan_query("Ростов-на-Дону")
    assert not isinstance(plan.query, (wq.AndNot, wq.Not))
    assert ("body", "ростов-на-дону") in terms(plan)


def test_leading_minus_excludes():
    plan = plan_query("визит -Япония")
    assert isinstance(plan.query, wq.AndNot)
    assert plan.terms.lemmas == {"визит"}


def test_unbalanced_syntax_gives_plain_words_and_a_notice():
    for text in ('"визит Лаврова', "(визит OR Лавров", "визит) Лавров"):
        plan = plan_query(text)
        assert plan.notices, text
        assert {t for _, t in plan.query.iter_all_terms()} == {"визит", "лавров"}


def test_plain_words():
    assert plain_words('title:"Визит (Лаврова)" -Япония*') == ["title", "Визит", "Лаврова", "Япония"]
