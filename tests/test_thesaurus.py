"""The domain thesaurus: shipped file, expansion at query time, user files."""

import pytest

from search.query import thesaurus
from search.query.planner import plan_query
from search.query.thesaurus import Thesaurus, ThesaurusError, read_groups


def ids(results):
    return [hit.id for hit in results]


DOCS = [
    {"id": "kg", "title": "Визит в Кыргызстан", "body": "Министр посетил Кыргызстан и провёл переговоры."},
    {"id": "kirg", "title": "Новости Киргизии", "body": "В Киргизии прошли консультации министров."},
    {"id": "adj", "title": "Киргизская делегация", "body": "Киргизская делегация прибыла на переговоры."},
    {"id": "full", "title": "Сообщение", "body": "Кыргызская Республика и Россия подписали соглашение."},
    {"id": "mfa", "title": "Заявление", "body": "Министерство иностранных дел выступило с заявлением."},
]


@pytest.fixture
def synonyms_index(fresh_index):
    fresh_index.add(DOCS)
    return fresh_index


def test_shipped_thesaurus_is_valid_and_has_no_entry_twice():
    groups = read_groups(thesaurus.SHIPPED)
    assert len(groups) >= 150
    seen = {}
    for number, group in enumerate(groups):
        for entry in group.get("terms", []) + group.get("related", []):
            key = entry.lower().replace("ё", "е")
            assert key not in seen, f"{entry!r} in groups {seen[key]} and {number}"
            seen[key] = number
    for required in ("Кыргызстан", "Белоруссия", "МИД", "ООН", "ШОС", "ЕАЭС", "ОДКБ", "НАТО", "БРИКС", "МАГАТЭ"):
        assert required.lower() in seen


# Groups whose people have no name of their own.
WITHOUT_DEMONYM = {"Ватикан", "НАТО"}


def test_every_country_with_an_adjective_names_its_people():
    from search.text.morphology import analyzer

    morph = analyzer()
    lacking = []
    for group in read_groups(thesaurus.SHIPPED):
        related = group.get("related", [])
        if not related or group["terms"][0] in WITHOUT_DEMONYM:
            continue
        if not any(" " not in entry and morph.parse(entry)[0].tag.POS == "NOUN" for entry in related):
            lacking.append(group["terms"][0])
    assert lacking == []


def test_a_demonym_finds_its_country_and_adjective(fresh_index):
    fresh_index.add([
        {"id": "country", "title": "Сборная Испании", "body": "Сборная Испании выиграла чемпионат мира."},
        {"id": "adjective", "title": "Тренер", "body": "Испанский тренер продлил контракт с клубом."},
        {"id": "people", "title": "Туристы", "body": "Двое испанцев поднялись на вершину."},
        {"id": "other", "title": "Италия", "body": "Сборная Италии сыграла вничью."},
    ])
    found = ids(fresh_index.search("испанцы", limit=10))
    assert set(found) == {"country", "adjective", "people"}
    assert found[0] == "people"  # the word typed weighs more than its group
    assert ids(fresh_index.search("испанцы", limit=10, synonyms=False)) == ["people"]


def test_a_demonym_expands_to_its_country_as_a_related_word():
    groups = [{"terms": ["Аргентина"], "related": ["аргентинский", "аргентинец"]}]
    found = {e.text: e.weight for e in Thesaurus(groups).expansions(("аргентинец",))}
    assert found == {"Аргентина": thesaurus.RELATED_WEIGHT, "аргентинский": thesaurus.SYNONYM_WEIGHT}


def test_a_country_name_finds_its_other_names_and_adjective(synonyms_index):
    found = ids(synonyms_index.search("Киргизия", limit=10))
    assert set(found) == {"kg", "kirg", "adj", "full"}
    assert found[0] == "kirg"  # the name typed weighs more than its variants


def test_synonyms_can_be_switched_off(synonyms_index):
    assert ids(synonyms_index.search("Киргизия", synonyms=False)) == ["kirg"]


def test_multiword_entry_in_a_query(synonyms_index):
    found = set(ids(synonyms_index.search("Кыргызская Республика")))
    assert {"full", "kg", "kirg"} <= found
    assert "mfa" in ids(synonyms_index.search("МИД"))


def test_each_word_of_a_multiword_entry_is_a_query_word_for_ranking():
    """Proximity and coverage count «Кыргызская» and «Республика» apart; a
    one-word variant (Кыргызстан) stands for either."""
    plan = plan_query("Кыргызская Республика", "any", thesaurus=thesaurus.default())
    assert len(plan.concepts) == 2
    assert {"кыргызский", "республика"} == {lemma for concept in plan.concepts for lemma in concept} & {"кыргызский", "республика"}
    assert all("кыргызстан" in concept for concept in plan.concepts)


def test_expansions_are_highlighted(synonyms_index):
    hit = next(h for h in synonyms_index.search("Киргизия") if h.id == "kg")
    assert "Кыргызстан" in {hit.snippet.text[s:e] for s, e in hit.snippet.highlights}


def test_explanation_shows_the_expansion(synonyms_index):
    assert "кыргызстан^0.5" in synonyms_index.search("Киргизия").explanation


def test_groups_sharing_an_entry_are_merged():
    merged = Thesaurus([{"terms": ["Бирма", "Мьянма"]}, {"terms": ["Мьянма", "Республика Союз Мьянма"]}])
    assert len(merged) == 1
    texts = {e.text for e in merged.expansions(("бирма",))}
    assert texts == {"Мьянма", "Республика Союз Мьянма"}


def test_related_words_weigh_less_than_synonyms():
    small = Thesaurus([{"terms": ["Япония", "Страна восходящего солнца"], "related": ["японский"]}])
    weights = {e.text: e.weight for e in small.expansions(("япония",))}
    assert weights["Страна восходящего солнца"] > weights["японский"]


def test_user_thesaurus_from_the_environment(tmp_path, monkeypatch, synonyms_index):
    user = tmp_path / "mine.toml"
    user.write_text('[[group]]\nterms = ["соглашение", "договорённость"]\n', encoding="utf-8")
    monkeypatch.setenv(thesaurus.USER_ENV, str(user))
    assert thesaurus.user_thesaurus_path() == user
    plan = plan_query("договорённость", thesaurus=thesaurus.default())
    assert ("body", "соглашение") in set(plan.query.iter_all_terms())


def test_broken_user_thesaurus_is_a_clear_error(tmp_path, monkeypatch, synonyms_index):
    user = tmp_path / "broken.toml"
    user.write_text("[[group]\nterms = [", encoding="utf-8")
    monkeypatch.setenv(thesaurus.USER_ENV, str(user))
    with pytest.raises(ThesaurusError, match="not valid TOML"):
        synonyms_index.search("Киргизия")
    user.write_text('[[group]]\nwords = ["a"]\n', encoding="utf-8")
    with pytest.raises(ThesaurusError, match="only 'terms' and 'related'"):
        thesaurus.load(user_file=user)


def test_lemmatised_thesaurus_is_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCH_CACHE", str(tmp_path))
    first = thesaurus.load.__wrapped__()
    assert list((tmp_path / "thesaurus").glob("thesaurus-*.json"))

    def no_lemmatising(*args):
        raise AssertionError("the cached thesaurus should have been used")

    monkeypatch.setattr(thesaurus, "lemmatise_groups", no_lemmatising)
    second = thesaurus.load.__wrapped__()
    assert len(second) == len(first)
    assert {e.text for e in second.expansions(("киргизия",))} == {e.text for e in first.expansions(("киргизия",))}
