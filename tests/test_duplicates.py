"""Near-duplicates: detected at build time, collapsed in results."""

from search.indexer.duplicates import DuplicateFinder, shingles, signature

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


def test_bands_are_datasketchs_own_for_the_threshold():
    from datasketch import MinHashLSH

    from search.indexer.duplicates import BANDS, NUM_PERM, ROWS, THRESHOLD

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert (lsh.b, lsh.r) == (BANDS, ROWS)


def _bundled_bodies():
    import json
    from pathlib import Path

    corpus = Path(__file__).resolve().parents[1] / "corpus"
    bodies = []
    for file in sorted(corpus.glob("*.jsonl")):
        bodies += [json.loads(line)["body"] for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return bodies


def test_candidates_from_the_index_matrix_are_datasketchs_lsh_candidates():
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from search.indexer.duplicates import DTYPE, NUM_PERM, SCHEME, THRESHOLD, IndexedSignatures

    signatures = [s for s in (signature(body) for body in _bundled_bodies()) if s]
    assert len(signatures) > 20
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for n, packed in enumerate(signatures):
        lsh.insert(n, LeanMinHash(seed=1, hashvalues=np.frombuffer(packed, dtype=DTYPE), scheme=SCHEME))
    matrix = np.stack([np.frombuffer(s, dtype=DTYPE) for s in signatures])
    indexed = IndexedSignatures(np.arange(len(signatures)), matrix, str, str)
    pairs = 0
    for packed in signatures:
        values = np.frombuffer(packed, dtype=DTYPE)
        expected = set(lsh.query(LeanMinHash(seed=1, hashvalues=values, scheme=SCHEME)))
        assert set(indexed.matching(values)) == expected
        pairs += len(expected) - 1
    assert pairs >= 10  # the corpus's republished pairs are among them


def test_large_builds_hash_the_indexed_documents_with_the_same_groups(tmp_path, monkeypatch):
    from search import Index
    from search.indexer import duplicates

    bodies = _bundled_bodies()
    groups = []
    for limit in (duplicates.SCAN_LIMIT, 3):
        monkeypatch.setattr(duplicates, "SCAN_LIMIT", limit)
        with Index.create(tmp_path / f"ix{limit}") as ix:
            ix.add([{"id": f"d{n}", "body": body} for n, body in enumerate(bodies[:20])])
            ix.add([{"id": f"d{n}", "body": body} for n, body in enumerate(bodies) if n >= 20 or n % 7 == 0])
            ix.add([{"id": "d3", "body": bodies[3] + " Дополнено."}])
            groups.append({doc: ix.document(doc)["dup_group"] for doc in (f"d{n}" for n in range(len(bodies)))})
    assert groups[0] == groups[1]
    assert sum(1 for doc, group in groups[0].items() if group != doc) >= 5


def test_indexed_signatures_are_the_live_documents_stored_ones(fresh_index):
    """The matrix read from a segment's column in one piece: short texts (no
    signature) and deleted documents left out, every other row its document's own."""
    import numpy as np

    from search.indexer.duplicates import DTYPE
    from search.indexer.writer import _segment_signatures

    bodies = {f"d{n}": (OTHER if n % 3 else BASE) + f" Номер {n}." if n % 4 else "Коротко." for n in range(12)}
    fresh_index.add([{"id": key, "body": body} for key, body in bodies.items()])
    fresh_index.delete(["d5", "d6"])
    reader = fresh_index.searcher().reader()
    (segment, _), = reader.leaf_readers()
    numbers, matrix = _segment_signatures(segment)
    ids = [segment.stored_fields(int(n))["id"] for n in numbers]
    expected = [key for key in bodies if signature(bodies[key]) and key not in ("d5", "d6")]
    assert sorted(ids) == sorted(expected)
    for key, row in zip(ids, matrix):
        assert np.array_equal(row, np.frombuffer(signature(bodies[key]), dtype=DTYPE))


def test_signatures_with_the_permutations_drawn_once_are_datasketchs_own():
    import zlib

    from search.indexer import duplicates

    for body in (BASE, REPUBLISHED, OTHER):
        fresh = duplicates._minhash_class()(num_perm=duplicates.NUM_PERM, hashfunc=zlib.crc32, scheme=duplicates.SCHEME)
        fresh.update_batch(shingles(body))
        assert signature(body) == fresh.hashvalues.astype(duplicates.DTYPE).tobytes()
