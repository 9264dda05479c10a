"""DocumentText fields index exactly what their analyzers would, reading each text once."""

from pathlib import Path

import pytest
from whoosh.fields import TEXT

from search.text.analysis import RussianTokenizer, lemma_analyzer, surface_analyzer
from search.corpus import CorpusReader, Record
from search.indexer.field_text import DocumentText
from search.storage.schema import HEAD_BOOST, LEAD_WORDS, build_schema

from conftest import FIXTURES, SHARED

BUNDLED = Path(__file__).resolve().parents[1] / "corpus"
REAL = SHARED / "corpus" / "derived" / "fixture_ccby_50.jsonl"

TRICKY = [
    ("", "Текст без заголовка."),
    ("Заголовок без текста", ""),
    ("", ""),
    (
        "Визит в Ростов-на-Дону",
        "Министр посети\u0301л Ростов-на-Дону и ЭКСПО-2017; её и ее, Её Величество. "
        "Стали\u00adлитейные заводы стали больше\u2011чем вчера — «Кыргызско-российский» форум.",
    ),
    ("Лавров", " ".join(["Лаврова", "встретился", "с", "Токаевым", "в", "Астане"] * 15) + " конец-ввода"),
]


def pairs(*sources):
    return [
        (item.document.title, item.document.body)
        for item in CorpusReader(list(sources))
        if isinstance(item, Record)
    ]


def lead_text(body: str) -> str:
    """The body up to the end of its LEAD_WORDS-th token, as a plain string."""
    ends = [match.end() for match in RussianTokenizer.expression.finditer(body)]
    return body[: ends[LEAD_WORDS - 1]] if len(ends) >= LEAD_WORDS else body


def postings(field, value):
    return sorted(field.index(value))


def reference_fields(policy):
    """Stock Whoosh text fields with the same analyzers: the expected postings."""
    return {
        "lemmas": TEXT(analyzer=lemma_analyzer(policy)),
        "head": TEXT(analyzer=lemma_analyzer(policy), field_boost=HEAD_BOOST),
        "exact": TEXT(analyzer=surface_analyzer(), phrase=False),
    }


def assert_same_postings(schema, reference, title, body):
    assert postings(schema["title"], title) == postings(reference["lemmas"], title)
    assert postings(schema["body"], body) == postings(reference["lemmas"], body)
    assert postings(schema["exact"], (title, body)) == postings(reference["exact"], f"{title}\n{body}")
    assert postings(schema["head"], (title, body)) == postings(reference["head"], f"{title}\n{lead_text(body)}")


@pytest.mark.parametrize("policy", ["top", "all", "proper"])
def test_tricky_texts_index_as_their_analyzers_do(policy):
    schema, reference = build_schema(policy), reference_fields(policy)
    for title, body in TRICKY:
        assert_same_postings(schema, reference, title, body)


def test_bundled_and_fixture_releases_index_as_their_analyzers_do():
    schema, reference = build_schema(), reference_fields("top")
    documents = pairs(BUNDLED, FIXTURES / "releases.jsonl")
    assert len(documents) > 50
    for title, body in documents:
        assert_same_postings(schema, reference, title, body)


@pytest.mark.skipif(not REAL.is_file(), reason=f"shared corpus not available at {REAL}")
def test_real_news_index_as_their_analyzers_do():
    schema, reference = build_schema(), reference_fields("top")
    for title, body in pairs(REAL):
        assert_same_postings(schema, reference, title, body)


def test_head_holds_title_and_only_the_lead():
    head = build_schema()["head"]
    body = " ".join(f"слово{n}" for n in range(200))
    terms = {term.decode() for term, *_ in head.index(("Заголовок", body))}
    assert "заголовок" in terms
    assert f"слово{LEAD_WORDS - 1}" in terms and f"слово{LEAD_WORDS}" not in terms


def test_anything_but_a_text_or_a_pair_is_refused():
    field = DocumentText(surface_analyzer(), lemmatised=False)
    with pytest.raises(ValueError):
        list(field.index(("a", "b", "c")))
    with pytest.raises(ValueError):
        list(field.index(42))


def test_only_case_blind_policies_record_the_lemmas_they_work_out(monkeypatch):
    from search.indexer import field_text

    monkeypatch.setattr(field_text, "_WORDS", {})
    monkeypatch.setattr(field_text, "_LEARNED", {})
    monkeypatch.setattr(field_text, "_TOKENS", {})
    for policy in ("top", "proper"):
        list(build_schema(policy)["body"].index("Стали стали сталью. Лавров"))
    assert field_text.take_learned("proper") == {}
    learned = field_text.take_learned("top")
    assert set(learned) == {"стали", "сталью", "лавров"}  # «Стали» and «стали»: one form
    assert field_text.take_learned("top") == {}
