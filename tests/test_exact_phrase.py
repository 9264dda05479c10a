"""Exact-form phrases (``!"…"``) on indexes with and without positions for the exact forms."""

import shutil
from pathlib import Path

from search import Index
from search.limits import Deadline
from search.query.exact_phrase import ExactPhrase, has_phrase, surface_forms

INDEX_BEFORE_LAYOUT = Path(__file__).parent / "fixtures" / "index_before_layout"

DOCUMENTS = [
    {"id": "adjacent", "title": "Заседание", "body": "Прошло заседание Совета министров иностранных дел СНГ."},
    {"id": "other-form", "title": "Совет", "body": "Совет министров иностранных дел собрался в Минске."},
    {"id": "apart", "title": "Министров", "body": "Решение совета о визите министров принято."},
    {"id": "in-title", "title": "Совета министров повестка", "body": "Обсудили вопросы."},
    {"id": "across", "title": "Итоги совета", "body": "министров не было."},
]


def ids(results):
    return sorted(hit.id for hit in results)


def test_surface_forms_count_positions_on_from_title_to_body():
    assert surface_forms(("Итоги совета", "министров не было")) == [
        (0, "итоги"), (1, "совета"), (2, "министров"), (3, "не"), (4, "было")
    ]


def test_has_phrase_in_order_within_slop():
    texts = ("", "Ёлка стоит у дома, ёлка зелёная.")
    assert has_phrase(texts, ["елка", "стоит"])
    assert not has_phrase(texts, ["стоит", "елка"])
    assert not has_phrase(texts, ["елка", "дома"])
    assert has_phrase(texts, ["елка", "дома"], slop=3)
    assert not has_phrase(texts, ["елка", "нет"])


def test_new_index_keeps_no_positions_for_exact_forms(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add(DOCUMENTS)
        schema = ix.searcher().schema
        assert not schema["exact"].format.supports("positions")
        assert schema["body"].format.supports("positions")


def test_exact_phrase_matches_the_forms_side_by_side_only(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add(DOCUMENTS)
        # A phrase across the end of the title and the start of the body
        # matches, as it did on the positions of the (title, body) pair.
        assert ids(ix.search('!"совета министров"')) == ["across", "adjacent", "in-title"]
        assert ids(ix.search('!"совет министров"')) == ["other-form"]
        assert ids(ix.search('!"министров совета"')) == []
        # Lemmas still match every form.
        assert "other-form" in ids(ix.search('"совет министров"'))


def test_exact_phrase_past_the_deadline_is_partial(tmp_path):
    with Index.create(tmp_path / "ix") as ix:
        ix.add(DOCUMENTS)
        ticks = iter(range(100))
        deadline = Deadline(5, clock=lambda: next(ticks) * 10.0)
        phrase = ExactPhrase("exact", ["совета", "министров"], deadline=deadline).normalize()
        matcher = phrase.matcher(ix.searcher())
        assert not matcher.is_active()
        assert deadline.ran_out


def test_exact_phrase_on_an_index_with_positions(tmp_path):
    """Indexes built before kept positions for exact forms: Whoosh's phrase matcher answers."""
    copy = tmp_path / "old"
    shutil.copytree(INDEX_BEFORE_LAYOUT, copy)
    with Index.open(copy) as ix:
        assert ix.searcher().schema["exact"].format.supports("positions")
        body = ix.search("министров", limit=1)
        assert len(body)
        hit = next(iter(body))
        words = [form for _, form in surface_forms(("", ix.document(hit.id)["body"]))]
        place = words.index("министров")
        phrase = " ".join(words[place - 1 : place + 1])
        assert hit.id in ids(ix.search(f'!"{phrase}"', limit=100))
