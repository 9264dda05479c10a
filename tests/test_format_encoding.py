"""Files in Windows-1251 and KOI8-R (and UTF-8 with or without a BOM) read as
correct Cyrillic, short texts included; undecodable bytes cost one record."""

import io
import json

import pytest


from search.corpus import CorpusReader, Problem, Record
from search.corpus.encoding import SAMPLE_SIZE, TextLines, decode, detect

from conftest import FIXTURES

# Short lines, where detectors are weakest: charset-normalizer alone reads
# most of these in KOI8-R as Shift-JIS, CP932 or Hebrew.
SHORT = [
    "Лавров провёл переговоры с министром иностранных дел Японии.",  # 60 bytes
    "Заявление МИД России о ситуации в Сирии",
    "О визите министра в Ташкент",
    "Брифинг официального представителя",
    "МИД РФ: ответ на вопрос СМИ",
    "О ВВЕДЕНИИ МИГРАЦИОННОЙ КАРТЫ",
    "СОВМЕСТНОЕ ЗАЯВЛЕНИЕ ПРЕЗИДЕНТОВ",
    "Послу вручена нота протеста.",
    "Ёлка, щётка, объём, подъезд - въезд",
    "Встреча с послом Эфиопии",
    "Цель - укрепление доверия",
    "ТАСС, 10 сентября. Встреча прошла в Минске.",
    "id;title;text\n1;Заявление МИД;Министр принял посла.\n",
    "Мир",
]


def read(*sources):
    items = list(CorpusReader(sources))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Problem)]


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
@pytest.mark.parametrize("text", SHORT)
def test_short_russian_texts_are_decoded_right(text, encoding):
    data = text.encode(encoding)
    assert data.decode(detect(data)) == text


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_snippets_of_the_bundled_corpus_are_decoded_right(encoding):
    """The measurement behind the tie-breaker: 20–120 character snippets."""
    releases = [json.loads(line) for line in (FIXTURES.parent.parent / "corpus" / "press_releases.jsonl").open(encoding="utf-8")]
    snippets = [s.strip()[:n] for r in releases for s in r["body"].split(". ") for n in (20, 40, 80, 120) if len(s) > 20]
    wrong = [s for s in snippets if (b := s.encode(encoding, "replace")).decode(detect(b)) != b.decode(encoding)]
    assert len(wrong) <= len(snippets) // 200, wrong[:5]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(bom):
    assert decode(bom + "Текст заявления".encode()) == "Текст заявления"


def test_latin_text_keeps_the_detectors_answer():
    assert detect("Grüße aus München, schöne Straße".encode("cp1252")) != "koi8_r"
    assert detect(b"Plain ASCII only") == "utf-8"


def records(count: int, start: int = 1) -> list[dict]:
    return [{"id": f"r{i}", "title": f"Заявление МИД {i}", "body": f"Министр иностранных дел принял посла. Запись {i}."}
            for i in range(start, start + count)]


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_jsonl_in_a_cyrillic_code_page(tmp_path, encoding):
    path = tmp_path / f"{encoding}.jsonl"
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records(3)).encode(encoding))
    found, problems = read(path)
    assert not problems
    assert [r.document.title for r in found] == ["Заявление МИД 1", "Заявление МИД 2", "Заявление МИД 3"]


def test_json_array_in_koi8r(tmp_path):
    path = tmp_path / "items.json"
    path.write_bytes(json.dumps(records(2), ensure_ascii=False).encode("koi8_r"))
    found, problems = read(path)
    assert not problems and found[1].document.body.startswith("Министр иностранных дел")


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_text_page_in_a_cyrillic_code_page(tmp_path, encoding):
    path = tmp_path / "page.txt"
    path.write_bytes("Послу вручена нота\n\nМИД России вручил послу ноту протеста.\n".encode(encoding))
    found, _ = read(path)
    assert found[0].document.title == "Послу вручена нота"


def test_the_encoding_chosen_from_the_sample_holds_past_it(tmp_path):
    """A file longer than the sample, its lines crossing the sample's end."""
    path = tmp_path / "long.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records(1500)]
    path.write_bytes("".join(lines).encode("cp1251"))
    assert path.stat().st_size > 2 * SAMPLE_SIZE
    found, problems = read(path)
    assert not problems
    assert len(found) == 1500 and found[-1].document.title == "Заявление МИД 1500"
    assert found[-1].location.endswith(":1500")


def test_undecodable_bytes_cost_only_their_record(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps(r, ensure_ascii=False).encode("cp1251") for r in records(5)]
    bad = json.dumps({"id": "bad", "body": "Текст"}, ensure_ascii=False).encode("cp1251").replace(b"\xd2", b"\x98")  # 0x98 is no character in cp1251
    path.write_bytes(b"\n".join(good[:2] + [bad] + good[2:]) + b"\n")
    found, problems = read(path)
    assert [r.document.id for r in found] == ["r1", "r2", "r3", "r4", "r5"]
    assert [p.location for p in problems] == [f"{path}:3"]
    assert "not valid cp1251" in problems[0].reason and "0x98" in problems[0].reason


def test_a_bad_byte_does_not_turn_a_utf8_file_into_another_encoding(tmp_path):
    path = tmp_path / "utf8.jsonl"
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in records(4)]
    lines[1] = lines[1].replace("Запись".encode(), b"\xff\xfe")
    path.write_bytes(b"\n".join(lines))
    found, problems = read(path)
    assert [r.document.title for r in found] == ["Заявление МИД 1", "Заявление МИД 3", "Заявление МИД 4"]
    assert problems[0].location.endswith(":2") and "not valid UTF-8" in problems[0].reason


def test_text_lines_split_at_newlines_only():
    stream = io.BufferedReader(io.BytesIO("первая\rвсё ещё первая\nвторая\r\nтретья".encode("cp1251")))
    assert list(TextLines(stream, sample_size=10)) == ["первая\rвсё ещё первая\n", "вторая\r\n", "третья"]


def test_cp1251_and_koi8r_files_index_with_correct_cyrillic(tmp_path, fresh_index):
    """End to end: found by an inflected form of a word that was in a code page."""
    (tmp_path / "cp1251.jsonl").write_bytes(json.dumps(
        {"id": "w1", "title": "О переговорах с Японией", "body": "Министр провёл переговоры с японским коллегой в Токио."},
        ensure_ascii=False).encode("cp1251"))
    (tmp_path / "koi8.txt").write_bytes("Посол вручил ноту\n\nПослу Финляндии вручена нота протеста в связи с инцидентом.\n".encode("koi8_r"))
    fresh_index.add(CorpusReader([tmp_path / "cp1251.jsonl", tmp_path / "koi8.txt"]))
    assert [hit.id for hit in fresh_index.search("переговор Японии")] == ["w1"]
    hits = list(fresh_index.search("ноты протеста"))
    assert [hit.id for hit in hits] == ["koi8.txt"] and hits[0].title == "Посол вручил ноту"
