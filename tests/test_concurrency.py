"""One Index shared by many threads: same results as one thread, writers
committing meanwhile, and read failures never mistaken for damage."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from search import Index, SearchError, index as index_module
from search.corpus import CorpusReader
from search.errors import IndexDamagedError
from search.storage.shared_files import PositionalFile

BUNDLED = Path(__file__).resolve().parents[1] / "corpus" / "press_releases.jsonl"
THREADS = 8
# Every query shape: words, ANDs and ORs, phrases, exact forms, prefixes,
# typos, field and date filters, NOT, long any-term text.
QUERIES = [
    ("визит Лаврова в Японию", {}),
    ("Япония", {"sort": "newest"}),
    ("Центральная Азия Япония", {"since": "2017", "until": "2019"}),
    ('"совет министров"', {}),
    ("!Японию", {}),
    ("Кыргыз*", {"facets": True}),
    ("Лаврав~", {}),
    ("Ташкент OR Бишкек", {"sort": "oldest"}),
    ("Лавров NOT Япония", {"limit": 3, "page": 2}),
    ("title:визит", {}),
    ("date:2017..2020 переговоры", {}),
    ("заявление МИД о ситуации на Ближнем Востоке", {"match": "any"}),
    ("Киргизия визит", {"facets": True, "recent": True}),
    ("министр иностранных дел", {"collapse": False}),
    ("Лаврав", {}),
]


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bundled")
    with Index.create(path) as ix:
        ix.add(CorpusReader([BUNDLED]))
    return path


def outcome(results) -> tuple:
    """Everything a search answers, comparable between runs."""
    return (
        [(hit.id, hit.score, hit.snippet, hit.title_highlights, hit.copies) for hit in results],
        results.total,
        results.match,
        results.suggestion,
        results.facets,
        tuple(results.notices),
    )


def run_all(ix: Index, rounds: int = 1) -> list[tuple]:
    return [outcome(ix.search(text, **options)) for _ in range(rounds) for text, options in QUERIES]


@pytest.mark.parametrize("fast_scoring", [False, True], ids=["whoosh", "numpy"])
def test_threads_sharing_one_index_get_the_single_thread_results(bundled_index, monkeypatch, fast_scoring):
    if fast_scoring:  # the vectorised scorer, normally only from 5,000 documents on
        monkeypatch.setattr(index_module, "FAST_SCORING_MIN_DOCS", 0)
    with Index.open(bundled_index) as ix:
        expected = run_all(ix)
    with Index.open(bundled_index) as shared:  # a fresh one: its caches fill under contention
        start = threading.Barrier(THREADS)

        def worker(_):
            start.wait(timeout=60)
            return run_all(shared, rounds=4)

        with ThreadPoolExecutor(THREADS) as pool:
            answers = list(pool.map(worker, range(THREADS)))
    for answer in answers:
        assert answer == expected * 4


def test_similar_show_timeline_and_stats_from_threads(bundled_index):
    with Index.open(bundled_index) as ix:
        first = ix.search("Япония").hits[0].id
        expected = (
            [hit.id for hit in ix.similar(first)],
            ix.show(first, "Япония"),
            ix.timeline("Япония", by="year").counts,
            ix.stats().to_json(),
        )

        def worker(_):
            return [
                (
                    [hit.id for hit in ix.similar(first)],
                    ix.show(first, "Япония"),
                    ix.timeline("Япония", by="year").counts,
                    ix.stats().to_json(),
                )
                for _ in range(5)
            ]

        with ThreadPoolExecutor(4) as pool:
            for answer in pool.map(worker, range(4)):
                assert answer == [expected] * 5


def marker_documents(batch: int, count: int) -> list[dict]:
    return [
        {
            "id": f"batch{batch}-{n}",
            "title": f"Сообщение номер {n} о переговорах",
            "date": "2024-01-0%d" % (batch + 1),
            "body": f"Текст сообщения {n}: состоялись консультации, отмеченные словом маркеробщий.",
        }
        for n in range(count)
    ]


@pytest.mark.parametrize("writer", ["same Index", "another Index"])
def test_searching_while_a_writer_commits(tmp_path, writer):
    """Readers see only committed states, never go back to an older one, and
    see the last commit once the writer is done; nothing fails meanwhile."""
    path = tmp_path / "index"
    batches, per_batch = 4, 5
    with Index.create(path) as ix:
        ix.add(CorpusReader([BUNDLED]))
    committed = {per_batch * k for k in range(batches + 1)}
    shared = Index.open(path)
    done = threading.Event()
    seen: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def read(number: int) -> None:
        totals = seen.setdefault(number, [])
        try:
            for _ in range(2000):  # bounded; the writer ends long before
                totals.append(shared.search("маркеробщий", limit=3).total)
                if done.is_set():
                    totals.append(shared.search("маркеробщий", limit=3).total)
                    return
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for thread in readers:
        thread.start()
    try:
        target = shared if writer == "same Index" else Index.open(path)
        for batch in range(batches):
            target.add(marker_documents(batch, per_batch))
        if target is not shared:
            target.close()
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=120)
    shared.close()
    assert not errors, errors
    for totals in seen.values():
        assert set(totals) <= committed
        assert totals == sorted(totals)  # a later search never sees an older commit
        assert totals[-1] == per_batch * batches


def test_a_rebuild_while_threads_search(tmp_path):
    """A rebuild switches generations; searches running on the old one finish on it."""
    path = tmp_path / "index"
    with Index.create(path) as ix:
        ix.add(CorpusReader([BUNDLED]))
        before = ix.search("Япония").total
        results: list[int] = []

        def read(_):
            return [ix.search("Япония").total for _ in range(30)]

        with ThreadPoolExecutor(3) as pool:
            running = [pool.submit(read, n) for n in range(3)]
            ix.rebuild(CorpusReader([BUNDLED]))
            for future in running:
                results += future.result(timeout=120)
        assert set(results) == {before}
        assert ix.search("Япония").total == before


def test_a_read_that_fails_once_is_retried_not_called_damage(index, monkeypatch):
    expected = [hit.id for hit in index.search("Лавров")]
    original = PositionalFile.read
    failures = []

    def flaky(self, size=-1):
        if not failures:
            failures.append(self.name)
            raise OSError("simulated read failure")
        return original(self, size)

    fresh = Index.open(index.path)  # its segments are read from the first search on
    monkeypatch.setattr(PositionalFile, "read", flaky)
    assert [hit.id for hit in fresh.search("Лавров")] == expected
    assert failures
    fresh.close()


def test_repeated_read_errors_on_an_intact_index_are_not_called_damage(index, monkeypatch):
    def failing(*args, **kwargs):
        raise EOFError("simulated")

    monkeypatch.setattr(index_module, "run_search", failing)
    with pytest.raises(SearchError) as raised:
        index.search("Лавров")
    assert not isinstance(raised.value, IndexDamagedError)
    assert "intact" in str(raised.value) and "damaged" not in str(raised.value)


def test_positional_files_keep_a_position_per_thread(tmp_path):
    data = bytes(range(256)) * 100
    (tmp_path / "f").write_bytes(data + b"line one\nline two\n")
    shared = PositionalFile.open(str(tmp_path / "f"))
    part = shared.subset(1000, 50)
    turns = threading.Barrier(2)
    found = {}

    def use(name, where):
        shared.seek(where)
        part.seek(where // 100)
        turns.wait(timeout=10)  # both threads have moved before either reads
        found[name] = (shared.read(4), shared.tell(), part.read(3), part.read(1000))
        turns.wait(timeout=10)

    threads = [threading.Thread(target=use, args=(name, where)) for name, where in (("a", 10), ("b", 2000))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert found["a"] == (data[10:14], 14, data[1000:1003], data[1003:1050])
    part.seek(60)
    assert part.read(5) == b""  # past the end of its window
    assert found["b"] == (data[2000:2004], 2004, data[1020:1023], data[1023:1050])
    shared.seek(len(data))
    assert shared.readline() == b"line one\n" and shared.readline() == b"line two\n" and shared.read() == b""
    shared.close()
    assert shared.closed
    part.seek(0)
    with pytest.raises(ValueError):
        part.read(1)
