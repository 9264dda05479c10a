"""The lemmas of an index's own words, kept beside it.

Every word form in an index was lemmatised while building it. Keeping those
lemmas in a small SQLite table lets a query command answer without loading
the morphology dictionaries at all when its words occur in the corpus (the
dictionaries take longer to load than the whole search). Forms the table
lacks fall back to pymorphy3, so results never depend on the table. Only for
the ambiguity policies that ignore capitalisation (``top`` and ``all``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from itertools import count
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from search.text.morphology import CASE_BLIND_POLICIES, CYRILLIC, SINGLE_LEMMA_POLICY, lemmas

# Policies whose lemmas do not depend on capitalisation: a form has one answer.
POLICIES = CASE_BLIND_POLICIES
_BATCH = 5000
MMAP_BYTES = 256 * 1024 * 1024
# Forms per batched lookup (SQLite allows 32,766 parameters a statement).
_LOOKUP_BATCH = 500
# Forms per statement when looking up tens of thousands (significant terms):
# as parameters, or as one JSON array.
_BULK_BATCH = 5000
_JSON_BATCH = 20_000
_learned_files = count()
# Under SINGLE_LEMMA_POLICY a form has one lemma, so an index on the lemmas
# column finds every form of a lemma (see LemmaTable.forms_by_lemma).
_BY_LEMMA_INDEX = "forms_by_lemmas"


def table_path(index_dir: Path, generation: str) -> Path:
    return index_dir / f"lemmas-{generation}.sqlite"


def save_learned(index_dir: Path, policy: str, pairs: Mapping[str, tuple[str, ...]]) -> None:
    """Leave the (form, lemmas) pairs an indexing process worked out in a file
    beside the index, for :func:`update` to use instead of lemmatising again.

    Each call writes a new file under a temporary name and renames it, so a
    file by its final name is always complete. One left by a killed build is
    harmless: its pairs are still true.
    """
    if not pairs:
        return
    name = f"learned-{policy}-{os.getpid()}-{next(_learned_files)}.tsv"
    partial = index_dir / f"{name}.partial"
    with open(partial, "w", encoding="utf-8") as learned:
        learned.writelines(f"{form}\t{' '.join(found)}\n" for form, found in pairs.items())
    os.replace(partial, index_dir / name)


def learned_files(index_dir: Path, policy: str) -> list[Path]:
    return sorted(index_dir.glob(f"learned-{policy}-*.tsv"))


def remove_learned(index_dir: Path, policy: str) -> None:
    """Delete the learned files, and partial ones a killed build left."""
    for file in [*learned_files(index_dir, policy), *index_dir.glob(f"learned-{policy}-*.tsv.partial")]:
        file.unlink(missing_ok=True)


def read_learned(files: Iterable[Path]) -> Iterator[dict[str, tuple[str, ...]]]:
    """The lemmas of each form, one file written by :func:`save_learned` at a
    time; a file that cannot be read whole is skipped (its forms are
    lemmatised instead)."""
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        pairs: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            form, tab, joined = line.partition("\t")
            if form and tab and joined and "\t" not in joined:
                pairs[form] = tuple(joined.split(" "))
        yield pairs


def update(
    path: Path, forms: Iterable[str], policy: str, worked_out: Iterable[Mapping[str, tuple[str, ...]]] = ()
) -> int:
    """Add the lemmas of those of ``forms`` the table lacks; returns how many
    rows were added.

    ``worked_out``: lemmas already worked out (by the indexing processes), a
    mapping at a time, stored first for their forms with Cyrillic letters
    (the others need no lemmas); the forms still missing are lemmatised here.
    One transaction: a build killed meanwhile leaves the table as it was.
    """
    connection = sqlite3.connect(path)
    try:
        # Keyed by the form itself (no rowid beside it): the table takes 37 % less disk.
        connection.execute(
            "CREATE TABLE IF NOT EXISTS forms (form TEXT PRIMARY KEY, lemmas TEXT NOT NULL) WITHOUT ROWID"
        )
        with connection:
            before = connection.total_changes
            for pairs in worked_out:
                connection.executemany(
                    "INSERT OR IGNORE INTO forms VALUES (?, ?)",
                    ((form, " ".join(found)) for form, found in pairs.items() if CYRILLIC.search(form)),
                )
            missing = list(_missing(connection, forms))  # read whole before writing
            batch: list[tuple[str, str]] = []
            for form in missing:
                batch.append((form, " ".join(lemmas(form, policy))))
                if len(batch) >= _BATCH:
                    connection.executemany("INSERT OR IGNORE INTO forms VALUES (?, ?)", batch)
                    batch.clear()
            connection.executemany("INSERT OR IGNORE INTO forms VALUES (?, ?)", batch)
            added = connection.total_changes - before
            if policy == SINGLE_LEMMA_POLICY:  # built once after the first fill, then kept up by SQLite
                connection.execute(f"CREATE INDEX IF NOT EXISTS {_BY_LEMMA_INDEX} ON forms (lemmas)")
            return added
    finally:
        connection.close()


def _missing(connection: sqlite3.Connection, forms: Iterable[str]) -> Iterator[str]:
    """The ``forms`` the table lacks, looked up a batch at a time: a build
    asks about its own new words, not about every row of the table."""
    forms = list(forms)
    for start in range(0, len(forms), _LOOKUP_BATCH):
        batch = forms[start : start + _LOOKUP_BATCH]
        marks = ",".join("?" * len(batch))
        known = {row[0] for row in connection.execute(f"SELECT form FROM forms WHERE form IN ({marks})", batch)}
        yield from (form for form in batch if form not in known)


class LemmaTable:
    """Read access to a table: ``lookup(form)`` gives its lemmas or ``None``."""

    def __init__(self, path: Path):
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        # Pages through a memory map, not a read call each: a query's snippets look
        # up thousands of words (27 -> 16-20 µs a lookup on the eval index's table).
        self._connection.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        self._json = True  # until this SQLite turns out to lack json_each
        self.path = path
        self._lemma_index = False

    def has_lemma_index(self) -> bool:
        """Whether forms can be looked up by lemma (tables of older versions
        cannot until a build adds the index); once seen, it stays."""
        if not self._lemma_index:
            row = self._connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (_BY_LEMMA_INDEX,)
            ).fetchone()
            self._lemma_index = row is not None
        return self._lemma_index

    def forms_by_lemma(self, wanted: Iterable[str]) -> dict[str, str]:
        """Each form of the ``SINGLE_LEMMA_POLICY`` table whose lemma is in
        ``wanted``, with that lemma: a few index lookups, where :meth:`forms_of`
        reads the whole table. Needs :meth:`has_lemma_index`."""
        wanted = sorted(set(wanted))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        return dict(self._connection.execute(f"SELECT form, lemmas FROM forms WHERE lemmas IN ({marks})", wanted))

    def lookup(self, form: str) -> tuple[str, ...] | None:
        row = self._connection.execute("SELECT lemmas FROM forms WHERE form = ?", (form,)).fetchone()
        return tuple(row[0].split(" ")) if row else None

    def lookup_many(self, forms: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The lemmas of those of ``forms`` the table has, a few hundred per query
        (through :meth:`lemma_strings`: 1.2 -> 0.5 ms for 350 forms)."""
        return {form: tuple(joined.split(" ")) for form, joined in self.lemma_strings(forms).items()}

    def lemma_strings(self, forms: Iterable[str]) -> dict[str, str]:
        """The lemmas of those of ``forms`` the table has, as stored (joined by
        spaces): for tens of thousands of forms at once.

        The forms go in as one JSON array and the answer comes back as one JSON
        object, so SQLite does the whole join in one step and no Python object
        is made a row: for the 54,000 forms of a 1,000-document set, 0.10 s
        against 0.18 s for rows of ``WHERE form IN (…)`` in batches (which an
        SQLite without JSON functions still gets).
        """
        forms = list(forms)
        found: dict[str, str] = {}
        if self._json:
            try:
                for start in range(0, len(forms), _JSON_BATCH):
                    found.update(self._json_lookup(forms[start : start + _JSON_BATCH]))
                return found
            except sqlite3.OperationalError:  # no JSON functions in this SQLite
                self._json = False
        for start in range(0, len(forms), _BULK_BATCH):
            batch = forms[start : start + _BULK_BATCH]
            marks = ",".join("?" * len(batch))
            found.update(self._connection.execute(f"SELECT form, lemmas FROM forms WHERE form IN ({marks})", batch))
        return found

    def _json_lookup(self, forms: list[str]) -> dict[str, str]:
        (answer,) = self._connection.execute(
            "SELECT json_group_object(forms.form, forms.lemmas) FROM json_each(?) AS wanted "
            "JOIN forms ON forms.form = wanted.value",
            (json.dumps(forms, ensure_ascii=False),),
        ).fetchone()
        return json.loads(answer)

    def close(self) -> None:
        self._connection.close()

    def forms_of(self, wanted: Iterable[str]) -> set[str]:
        """Every form in the table one of whose lemmas is in ``wanted``: one
        pass over the table inside SQLite (it has no index by lemma), forms
        with one lemma (all of them under ``top``) compared whole."""
        wanted = sorted(set(wanted))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        rows = self._connection.execute(
            f"SELECT form, lemmas FROM forms WHERE lemmas IN ({marks}) OR instr(lemmas, ' ') > 0", wanted
        )
        chosen = set(wanted)
        return {form for form, joined in rows if " " not in joined or not chosen.isdisjoint(joined.split(" "))}
