"""Near-duplicates: detected at build time, collapsed in results."""

from search.duplicates import DuplicateFinder, shingles, signature

BASE = (
    "Министр иностранных дел Республики Казахстан провёл переговоры с министром иностранных дел "
    "Японии. Стороны обсудили развитие торгово-экономического сотрудничества, реализацию совместных "
    "инвестиционных проектов, взаимодействие в рамках ООН и подготовку очередного заседания диалога "
    "«Центральная Азия + Япония». По итогам встречи подписан меморандум о сотрудничестве в сфере "
    "образования и науки."
)
REPUBLISHED = "Казинформ. " + BASE + " Об этом сообщает пресс-служба внешнеполитического ведомства."
OTHER = (
    "Официальный представитель МИД ответила на вопросы журналистов о ситуации на Ближнем Востоке, "
    "о подготовке визита делегации в Ташкент и о работе консульских учреждений в летний период. "
    "Отдельно прокомментированы итоги голосования в Генеральной Ассамблее ООН по ряду резолюций."
)


def test_republished_text_joins_the_group_of_the_original():
    finder = DuplicateFinder()
    assert finder.assign("original", signature(BASE)) == "original"
    assert finder.assign("copy", signature(REPUBLISHED)) == "original"
    assert finder.assign("other", signature(OTHER)) == "other"


def test_groups_survive_a_reload_from_stored_signatures():
    first = DuplicateFinder()
    first.assign("original", signature(BASE))
    reloaded = DuplicateFinder([("original", "original", signature(BASE))])
    assert reloaded.assign("copy", signature(REPUBLISHED)) == "original"


def test_short_texts_are_never_duplicates():
    assert shingles("Коротко.") == set() and signature("Коротко.") == b""
    finder = DuplicateFinder()
    assert finder.assign("a", b"") == "a" and finder.assign("b", b"") == "b"


def documents():
    return [
        {"id": "mfa", "source": "mfa.gov.kz", "title": "Переговоры с Японией", "body": BASE},
        {"id": "agency", "source": "kazinform.kz", "title": "Казахстан и Япония провели переговоры", "body": REPUBLISHED},
        {"id": "briefing", "source": "mid.ru", "title": "Брифинг", "body": OTHER},
    ]


def test_build_reports_duplicates_and_search_collapses_them(fresh_index):
    report = fresh_index.add(documents())
    assert report.duplicates == 1
    results = fresh_index.search("переговоры Япония")
    assert len(results.hits) == 1 and results.total == 2
    hit = results.hits[0]
    assert [(c.id, c.source) for c in hit.copies] == [("agency" if hit.id == "mfa" else "mfa", "kazinform.kz" if hit.id == "mfa" else "mfa.gov.kz")]
    everything = fresh_index.search("переговоры Япония", collapse=False)
    assert {h.id for h in everything} == {"mfa", "agency"} and all(not h.copies for h in everything)


def test_incremental_build_finds_duplicates_of_indexed_documents(fresh_index):
    fresh_index.add(documents()[:1])
    report = fresh_index.add(documents()[1:])
    assert report.duplicates == 1
    assert len(fresh_index.search("переговоры Япония").hits) == 1


def test_bundled_corpus_pairs_are_found(tmp_path):
    from pathlib import Path

    from search import Index
    from search.corpus import CorpusReader

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    with Index.create(tmp_path / "ix") as ix:
        assert ix.add(CorpusReader([corpus])).duplicates == 5
