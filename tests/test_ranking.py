"""Re-ranking: proximity of the query words, coverage, first mention, and recency."""

from search.storage.postings import PostingReader
from search.ranking.rerank import NOT_MENTIONED, best_window, evidence


def ids(results):
    return [hit.id for hit in results]


FILLER = " ".join(["сотрудничество"] * 30)


def test_documents_with_the_words_together_rank_first(fresh_index):
    fresh_index.add(
        [
            {"id": "apart", "body": f"Визит состоялся. {FILLER} Министр выступил."},
            {"id": "together", "body": f"Визит министра состоялся. {FILLER} Итоги подведены."},
        ]
    )
    assert ids(fresh_index.search("визит министра")) == ["together", "apart"]


def test_best_window_counts_distinct_concepts():
    occurrences = [(0, 0), (1, 0), (20, 1), (22, 2), (25, 1)]
    assert best_window(list(occurrences), 3, window=8) == 2
    assert best_window(list(occurrences), 3, window=30) == 3
    assert best_window([(5, 0)], 2, window=8) == 1


def test_best_of_scores_each_document_by_its_own_best_alternative(fresh_index):
    from whoosh import query as wq

    from search.ranking.bestof import BestOf

    fresh_index.add([{"id": "a", "body": "Кыргызстан"}, {"id": "b", "body": "Киргизия"}])
    searcher = fresh_index.searcher()
    alone = {h["id"]: h.score for h in searcher.search(wq.Term("body", "кыргызстан", boost=0.5))}
    best = {h["id"]: h.score for h in searcher.search(BestOf([wq.Term("body", "кыргызстан", boost=0.5), wq.Term("body", "киргизия")]))}
    assert best["a"] == alone["a"] and best["b"] > best["a"]


def test_documents_with_more_of_the_query_words_rank_first(fresh_index):
    fresh_index.add(
        [
            {"id": "one-word", "body": "Переговоры. " * 6 + FILLER},
            {"id": "both-words", "body": f"Переговоры прошли. {FILLER} В Ташкенте."},
        ]
    )
    assert ids(fresh_index.search("переговоры Ташкент", match="any"))[0] == "both-words"


def test_a_document_naming_the_subject_early_ranks_first(fresh_index):
    """Same words, same length: only where «Япония» first appears differs."""
    fresh_index.add(
        [
            {"id": "in-passing", "body": f"{FILLER} Делегация вернулась. Япония."},
            {"id": "about-it", "body": f"Япония. {FILLER} Делегация вернулась."},
        ]
    )
    assert ids(fresh_index.search("Япония", synonyms=False, collapse=False)) == ["about-it", "in-passing"]


def test_the_subject_is_the_rarest_query_word_and_a_title_counts_as_first(fresh_index):
    fresh_index.add(
        [
            {"id": "title", "title": "Визит в Токио", "body": "Переговоры. Итоги визита."},
            {"id": "body", "body": "Переговоры. Итоги визита в Токио."},
            {"id": "none", "body": "Визит завершён."},
            {"id": "more", "body": "Визит министра."},
        ]
    )
    searcher = fresh_index.searcher()
    docnum = {searcher.stored_fields(n)["id"]: n for n in range(searcher.doc_count_all())}
    # «визит» is in four documents, «токио» in two: the subject is «токио».
    found = evidence(PostingReader(searcher.reader()), list(docnum.values()), [frozenset({"визит"}), frozenset({"токио"})])
    assert found[docnum["title"]].first == 0
    assert found[docnum["body"]].first == 4  # переговоры итоги визит в токио
    assert found[docnum["none"]].first == NOT_MENTIONED


def test_a_query_word_in_no_document_is_not_the_subject(fresh_index):
    """A typo is the rarest word of all, but names nothing."""
    fresh_index.add([{"id": "a", "body": "Итоги. Министр выступил."}, {"id": "b", "body": "Министр."}])
    searcher = fresh_index.searcher()
    docnum = {searcher.stored_fields(n)["id"]: n for n in range(searcher.doc_count_all())}
    found = evidence(PostingReader(searcher.reader()), list(docnum.values()), [frozenset({"xyzqq"}), frozenset({"министр"})])
    assert found[docnum["a"]].first == 1


def test_query_shape_is_short_for_one_or_two_words():
    from search.ranking.rerank import query_shape

    assert query_shape("госдума") == "short"
    assert query_shape("«Молдова» Иран") == "short"
    assert query_shape("Лавров провёл переговоры") == "long"
    assert query_shape("") == "short"


def test_each_query_is_ranked_with_the_constants_of_its_shape(fresh_index, monkeypatch):
    """A short query and a long one use their own profile: with strong length
    normalisation the short document wins, without it the one naming the word
    most often does."""
    import dataclasses

    from search.ranking import rerank as ranking

    long_doc = "Иран " * 6 + FILLER * 4
    fresh_index.add([{"id": "short", "body": "Иран"}, {"id": "long", "body": long_doc}])
    base = ranking.PROFILES["long"]
    strong = dataclasses.replace(base, B=1.0, K1=1.2, proximity=0.0, coverage=0.0, early=0.0)
    none = dataclasses.replace(strong, B=0.0)
    monkeypatch.setattr(ranking, "PROFILES", {"short": none, "long": strong})
    assert ids(fresh_index.search("Иран", match="any"))[0] == "long"
    assert ids(fresh_index.search("Иран доклад отчёт", match="any"))[0] == "short"
    monkeypatch.setattr(ranking, "PROFILES", {"short": strong, "long": none})
    assert ids(fresh_index.search("Иран", match="any"))[0] == "short"
    assert ids(fresh_index.search("Иран доклад отчёт", match="any"))[0] == "long"


def _evidence_of(index, concepts):
    searcher = index.searcher()
    docnum = {searcher.stored_fields(n)["id"]: n for n in range(searcher.doc_count_all())}
    found = evidence(PostingReader(searcher.reader()), list(docnum.values()), concepts)
    return {doc_id: found[n] for doc_id, n in docnum.items()}


def test_coverage_counts_a_rare_word_for_more_than_a_common_one(fresh_index):
    """«Токио» is in one document, «визит» in four: holding the rare name
    covers more of the query than holding the common word."""
    fresh_index.add(
        [
            {"id": "rare", "body": "Итоги в Токио."},
            {"id": "common", "body": "Визит завершён."},
            *({"id": f"other{n}", "body": "Визит министра."} for n in range(3)),
        ]
    )
    found = _evidence_of(fresh_index, [frozenset({"визит"}), frozenset({"токио"})])
    assert found["rare"].coverage > 0.5 > found["common"].coverage


def test_coverage_by_word_count_when_rarity_is_off(fresh_index, monkeypatch):
    from search.ranking import rerank

    monkeypatch.setattr(rerank, "COVERAGE_BY_RARITY", False)
    fresh_index.add([{"id": "rare", "body": "Итоги в Токио."}, {"id": "common", "body": "Визит завершён."},
                     {"id": "other", "body": "Визит министра."}])
    found = _evidence_of(fresh_index, [frozenset({"визит"}), frozenset({"токио"})])
    assert found["rare"].coverage == found["common"].coverage == 0.5


def test_a_word_in_no_document_does_not_lower_coverage(fresh_index):
    fresh_index.add([{"id": "both", "body": "Визит в Токио."}, {"id": "none", "body": "Итоги."}])
    found = _evidence_of(fresh_index, [frozenset({"xyzqq"}), frozenset({"визит"}), frozenset({"токио"})])
    assert found["both"].coverage == 1.0
