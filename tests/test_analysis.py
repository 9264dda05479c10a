"""The Russian analyzer: lemmas, ё, compounds, invisible characters, offsets, pickling."""

import pickle

import pytest

from search.text.analysis import RussianTokenizer, lemma_analyzer, surface_analyzer
from search.storage.schema import build_schema


def lemmas_of(text, mode="index"):
    return [t.text for t in lemma_analyzer()(text, mode=mode)]


def tokens(text, analyzer=None):
    analyzer = analyzer or lemma_analyzer()
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True)]


@pytest.mark.parametrize(
    "forms, lemma",
    [
        (["визит", "визита", "визитом", "визиты"], "визит"),
        (["министр", "министра", "министром", "министров"], "министр"),
        (["Япония", "Японии", "Японию", "Японией"], "япония"),
        (["посетил", "посетила", "посетит", "посетили"], "посетить"),
        (["Лавров", "Лаврова", "Лаврову", "Лавровым"], "лавров"),
    ],
)
def test_inflected_forms_share_a_lemma(forms, lemma):
    assert lemmas_of(" ".join(forms)) == [lemma] * len(forms)


def test_abbreviations_keep_their_identity():
    assert lemmas_of("МИД ООН СНГ ШОС ЕАЭС") == ["мид", "оон", "снг", "шос", "еаэс"]
    assert lemmas_of("МИДа") == ["мид"]


def test_latin_words_and_numbers_are_lowercased_not_lemmatised():
    assert lemmas_of("NATO Reuters 2017") == ["nato", "reuters", "2017"]


def test_yo_is_folded_in_lemmas_and_surface_forms():
    assert lemmas_of("провёл ещё её") == lemmas_of("провел еще ее")
    assert "е" in lemmas_of("ёлка")[0] and "ё" not in lemmas_of("ёлка")[0]
    assert [t.text for t in surface_analyzer()("Провёл ЕЩЁ")] == ["провел", "еще"]


def test_compound_is_indexed_whole_and_by_parts_at_one_position():
    found = tokens("в Ростове-на-Дону сегодня")
    texts = [text for text, *_ in found]
    assert texts == ["в", "ростов-на-дону", "ростов", "на", "дон", "сегодня"]
    positions = [pos for _, pos, *_ in found]
    assert positions == [0, 1, 1, 1, 1, 2]


def test_query_mode_keeps_compounds_whole():
    assert lemmas_of("северо-западного ЭКСПО-2017", mode="query") == ["северо-западный", "экспо-2017"]


def test_unicode_hyphens_are_folded_to_ascii():
    assert lemmas_of("северо\u2011западный", mode="query") == ["северо-западный"]


def test_stress_marks_soft_hyphens_and_zero_width_characters_are_ignored():
    text = "за\u0301мок реставра\u00adция меж\u200bдународный"
    assert [t.text for t in surface_analyzer()(text)] == ["замок", "реставрация", "международный"]


def test_offsets_point_at_the_original_characters():
    text = "Глава МИД Лавров посетил Ростов-на-Дону и за\u0301мок «ЭКСПО-2017»."
    for _, _, start, end in tokens(text):
        original = text[start:end]
        assert original and original == original.strip(" «».")
    spans = {text[s:e] for _, _, s, e in tokens(text)}
    assert {"Лавров", "Ростов-на-Дону", "Дону", "за\u0301мок", "ЭКСПО-2017", "2017"} <= spans


def test_dashes_and_underscores_split_words():
    assert lemmas_of("Москва — Пекин – Дели snake_case") == ["москва", "пекин", "дели", "snake", "case"]


def test_tokenizer_accepts_text_without_tokenizing():
    token = next(RussianTokenizer()("Нур-Султан", tokenize=False, chars=True))
    assert (token.text, token.startchar, token.endchar) == ("Нур-Султан", 0, 10)


def test_schema_pickles_by_reference_without_morphology():
    from search.text import morphology

    lemmas_of("загрузка словаря")  # make sure the analyzer object exists in this process
    data = pickle.dumps(build_schema())
    assert b"pymorphy" not in data and b"MorphAnalyzer" not in data
    restored = pickle.loads(data)
    assert [t.text for t in restored["body"].analyzer("Лаврова")] == ["лавров"]
    assert morphology._morph is not None
