"""The index's own word forms and lemmas, kept so that queries need not load the dictionaries."""

import subprocess
import sys

from search import Index
from search.storage.lemma_table import (
    LemmaTable,
    learned_files,
    read_learned,
    remove_learned,
    save_learned,
    table_path,
    update,
)
from search.text.morphology import lemmas


def test_table_holds_the_lemmas_pymorphy_gives(tmp_path):
    path = tmp_path / "lemmas.sqlite"
    forms = sorted(["визита", "лаврова", "переговоры", "стали"])
    assert update(path, forms, "top") == 4
    assert update(path, sorted(forms + ["японию"]), "top") == 1
    table = LemmaTable(path)
    for form in forms + ["японию"]:
        assert table.lookup(form) == lemmas(form, "top")
    assert table.lookup("неизвестное") is None


def test_building_writes_the_table_and_rebuilding_replaces_it(tmp_path, releases_path):
    from search.corpus import CorpusReader

    with Index.create(tmp_path / "ix") as ix:
        ix.add(CorpusReader([releases_path]))
        first = table_path(ix.path, "gen1")
        assert LemmaTable(first).lookup("переговоры") == ("переговоры",)
        assert LemmaTable(first).lookup("ташкенте") == ("ташкент",)
        ix.rebuild(CorpusReader([releases_path]))
        assert not first.exists() and table_path(ix.path, "gen2").exists()


def test_a_query_of_indexed_words_does_not_load_the_dictionaries(built_index, tmp_path):
    script = (
        "import sys; from search import Index; ix = Index.open(sys.argv[1]); "
        "hits = ix.search('Лавров провёл переговоры в Ташкенте', match='any'); "
        "print(len(hits.hits), 'pymorphy3' in sys.modules)"
    )
    env = {"SEARCH_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", script, str(built_index)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout.split()
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout.split()
    assert first[0] == second[0] and int(first[0]) > 0
    assert second[1] == "False"  # the thesaurus came from the cache, the words from the table


def test_many_forms_are_looked_up_at_once_as_one_by_one(tmp_path):
    path = tmp_path / "lemmas.sqlite"
    forms = sorted({"визит", "визита", "министра", "переговоры", "японию", "шора"})
    update(path, forms, "top")
    table = LemmaTable(path)
    asked = [*forms, "неизвестноеслово"] * 300  # several batches, duplicates and a miss
    found = table.lookup_many(asked)
    assert found == {form: table.lookup(form) for form in forms}
    table.close()


def test_snippets_of_a_fresh_process_use_the_table_and_match_word_by_word(built_index, tmp_path):
    # A new process: every document word is new to the snippet cache, so words are
    # looked up in batches; the highlights must equal a word-by-word reading.
    code = f"""
import sys
from search import Index
from search.retrieval import snippets
from search.query.planner import MatchTerms
with Index.open({str(built_index)!r}) as ix:
    hits = list(ix.search("Лавров провёл переговоры в Ташкенте", match="any"))
    assert hits
    terms = MatchTerms("top", frozenset({{"лавров", "провести", "переговоры", "ташкент"}}))
    for hit in hits:
        text = ix.show(hit.id).body
        batched = snippets.Matcher(terms).spans(text)
        term_of = snippets.Matcher(terms).term_of  # one word at a time, through the lemmatiser's cache
        one_by_one = []
        for token in snippets._WORD_RE.finditer(text):
            word, term = token.group(), term_of(token.group())
            if term is not None:
                one_by_one.append((token.start(), token.end(), term))
                continue
            offset = token.start()
            for part in snippets._split_parts(word) if "-" in word else ():
                if part and term_of(part) is not None:
                    one_by_one.append((offset, offset + len(part), term_of(part)))
                offset += len(part) + 1
        assert batched == one_by_one and batched, (batched, one_by_one)
    print("pymorphy3" in sys.modules)
"""
    env = {"SEARCH_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    for run in ("first", "second"):  # the first also caches the lemmatised thesaurus
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"  # the table answered; the dictionaries never loaded


def test_update_takes_lemmas_already_worked_out(tmp_path):
    path = tmp_path / "lemmas.sqlite"
    assert update(path, ["визита", "стали"], "top", [{"стали": ("сталь",), "2017": ("2017",)}]) == 2
    table = LemmaTable(path)
    assert table.lookup("стали") == ("сталь",)  # as given, though pymorphy3's top lemma is «стать»
    assert table.lookup("визита") == lemmas("визита", "top")
    assert table.lookup("2017") is None  # no Cyrillic letter: no lemma needed


def test_learned_pairs_round_trip_through_their_files(tmp_path):
    save_learned(tmp_path, "top", {"визита": ("визит",), "стали": ("стать",)})
    save_learned(tmp_path, "top", {"японию": ("япония",)})
    save_learned(tmp_path, "all", {"стали": ("стать", "сталь")})
    save_learned(tmp_path, "top", {})
    files = learned_files(tmp_path, "top")
    assert len(files) == 2  # a complete file per call, none for nothing
    assert list(read_learned(files)) == [{"визита": ("визит",), "стали": ("стать",)}, {"японию": ("япония",)}]
    assert list(read_learned(learned_files(tmp_path, "all"))) == [{"стали": ("стать", "сталь")}]


def test_damaged_learned_files_are_skipped_and_removed(tmp_path):
    save_learned(tmp_path, "top", {"визита": ("визит",)})
    # A killed build: a file cut inside a character, odd lines, an unfinished write.
    (tmp_path / "learned-top-1-0.tsv").write_bytes("японию\tяпо".encode()[:-1])
    (tmp_path / "learned-top-2-0.tsv").write_text("без табуляции\nдва\tтаба\tздесь\n\tпусто\n", encoding="utf-8")
    (tmp_path / "learned-top-3-0.tsv.partial").write_text("стали\tсталь\n", encoding="utf-8")
    assert [pairs for pairs in read_learned(learned_files(tmp_path, "top")) if pairs] == [{"визита": ("визит",)}]
    remove_learned(tmp_path, "top")
    assert not list(tmp_path.iterdir())


def test_two_process_build_fills_the_table_from_its_indexing_processes(tmp_path, releases_path, monkeypatch):
    from search.indexer import field_text
    from search.storage import lemma_table
    from search.corpus import CorpusReader

    given = {}
    real_update = lemma_table.update

    def recording_update(path, forms, policy, worked_out=()):
        forms, worked_out = list(forms), list(worked_out)
        given.update(forms=forms, worked_out={form for pairs in worked_out for form in pairs})
        return real_update(path, forms, policy, worked_out)

    monkeypatch.setattr(lemma_table, "update", recording_update)
    # As in a fresh process (this one has read these words for other tests).
    monkeypatch.setattr(field_text, "_WORDS", {})
    monkeypatch.setattr(field_text, "_LEARNED", {})
    # Files left by an earlier, killed build: whole ones are used, all are removed.
    (tmp_path / "ix").mkdir()
    save_learned(tmp_path / "ix", "top", {"ташкенте": ("ташкент",)})
    (tmp_path / "ix" / "learned-top-1-0.tsv").write_bytes("японию\tяпо".encode()[:-1])
    (tmp_path / "ix" / "learned-top-1-1.tsv.partial").write_text("стали\tсталь\n", encoding="utf-8")
    with Index.create(tmp_path / "ix", overwrite=True) as ix:
        ix.add(CorpusReader([releases_path]), procs=2)
        table = LemmaTable(table_path(ix.path, "gen1"))
        for form in given["forms"]:
            assert table.lookup(form) == lemmas(form, "top")
    assert set(given["forms"]) <= set(given["worked_out"])
    assert not list((tmp_path / "ix").glob("learned-*"))


def _table_forms(path):
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return {row[0] for row in connection.execute("SELECT form FROM forms")}
    finally:
        connection.close()


def test_a_build_reads_only_the_segments_it_wrote(fresh_index, monkeypatch):
    from search import index as index_module

    fresh_index.add([{"id": "a", "body": "Лавров провёл переговоры в Ташкенте"}])
    asked = []
    real = index_module.lemma_table.update
    monkeypatch.setattr(
        index_module.lemma_table, "update", lambda path, forms, *a, **k: real(path, asked.extend(forms) or asked, *a, **k)
    )
    fresh_index.add([{"id": "b", "body": "Захарова ответила журналистам"}])
    assert set(asked) == {"захарова", "ответила", "журналистам"}
    path = table_path(fresh_index.path, "gen1")
    assert {"ташкенте", "захарова", "журналистам"} <= _table_forms(path)
    asked.clear()
    fresh_index.add([{"id": "b", "body": "Захарова ответила журналистам"}])  # unchanged: nothing new to read
    assert asked == []


def test_a_table_left_behind_by_an_unfinished_build_is_completed_by_the_next(fresh_index):
    import sqlite3

    fresh_index.add([{"id": "a", "body": "Лавров провёл переговоры в Ташкенте"}])
    path = table_path(fresh_index.path, "gen1")
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("DELETE FROM forms WHERE form = 'ташкенте'")
    connection.close()
    # As if the build had been killed after Whoosh's commit, before the table was done.
    meta = fresh_index._meta
    meta.pop("lemmas_generation")
    from search.storage import directory as store

    store.write_meta(fresh_index.path, meta)
    fresh_index.add([{"id": "b", "body": "Захарова ответила журналистам"}])
    assert {"ташкенте", "журналистам"} <= _table_forms(path)


def test_forms_are_found_by_their_lemma(tmp_path):
    path = tmp_path / "lemmas.sqlite"
    update(path, sorted(["визит", "визита", "визитом", "министра", "стали"]), "top")
    table = LemmaTable(path)
    assert table.has_lemma_index()
    assert table.forms_by_lemma(["визит", "нет-такого"]) == {"визит": "визит", "визита": "визит", "визитом": "визит"}
    assert table.forms_by_lemma(["стать"]) == {"стали": "стать"}
    for wanted in (["визит"], ["стать", "министр"]):  # the index finds what reading the whole table finds
        assert set(table.forms_by_lemma(wanted)) == table.forms_of(wanted)
    assert table.forms_by_lemma([]) == {}
    table.close()


def test_a_table_without_the_lemma_index_gets_it_from_the_next_build(tmp_path):
    import sqlite3

    path = tmp_path / "lemmas.sqlite"
    connection = sqlite3.connect(path)  # as older versions wrote it
    with connection:
        connection.execute("CREATE TABLE forms (form TEXT PRIMARY KEY, lemmas TEXT NOT NULL) WITHOUT ROWID")
        connection.execute("INSERT INTO forms VALUES ('визита', 'визит')")
    connection.close()
    assert not LemmaTable(path).has_lemma_index()
    update(path, ["визитом"], "top")
    table = LemmaTable(path)
    assert table.has_lemma_index()
    assert table.forms_by_lemma(["визит"]) == {"визита": "визит", "визитом": "визит"}
    other = tmp_path / "all.sqlite"
    update(other, ["стали"], "all")  # forms with several lemmas: no index by lemma
    assert not LemmaTable(other).has_lemma_index()


def test_snippets_use_forms_by_lemma_only_where_the_table_is_complete(fresh_index):
    import sqlite3

    from search.storage import directory as store

    fresh_index.add([{"id": "a", "body": "Лавров провёл переговоры в Ташкенте"}])
    fresh_index.search("переговоры")
    assert fresh_index._forms_by_lemma(fresh_index.searcher()) is not None
    meta = dict(fresh_index._meta, lemmas_generation="gen1:0")  # as if the last build had not completed it
    store.write_meta(fresh_index.path, meta)
    fresh_index._meta = meta
    assert fresh_index._forms_by_lemma(fresh_index.searcher()) is None
    fresh_index.add([{"id": "b", "body": "Захарова ответила журналистам"}])
    assert fresh_index._forms_by_lemma(fresh_index.searcher()) is not None
    connection = sqlite3.connect(table_path(fresh_index.path, "gen1"))
    with connection:
        connection.execute("DROP INDEX forms_by_lemmas")
    connection.close()
    with Index.open(fresh_index.path) as reopened:
        reopened.search("переговоры")
        assert reopened._forms_by_lemma(reopened.searcher()) is None
    fresh_index.rebuild([{"id": "c", "body": "Лавров провёл переговоры в Ташкенте"}])
    fresh_index.search("переговоры")  # the new generation's table, complete and indexed by lemma
    assert fresh_index._forms_by_lemma(fresh_index.searcher()) is not None
