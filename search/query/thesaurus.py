"""The domain thesaurus: names of countries and organisations and their variants.

A thesaurus is TOML: a list of ``[[group]]`` tables, each with ``terms``
(interchangeable names: «Киргизия», «Кыргызстан», «Кыргызская Республика»)
and optionally ``related`` (derived words such as adjectives: «киргизский»).
The shipped file is ``search/query/thesaurus.toml``; a user file named by
``$SEARCH_THESAURUS`` or found at ``~/.config/search/thesaurus.toml`` adds
groups (and may extend shipped ones: a group sharing an entry is merged).

Entries are lemmatised like query words, so one entry covers every inflected
form. When a query contains an entry, the other entries of its group are
searched too, with a lower weight than what the user typed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search.text.analysis import DEFAULT_POLICY
from search.errors import SearchError
from search.text.words import word_lemmas, words

SHIPPED = Path(__file__).with_name("thesaurus.toml")
USER_ENV = "SEARCH_THESAURUS"
# Weights of an expansion relative to the word typed (1.0): a synonym of the
# same kind (name for name), and a related word (adjective for a name, or back).
SYNONYM_WEIGHT = 0.5
RELATED_WEIGHT = 0.3

Lemmas = tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    """One alternative for a matched entry: its lemmas and its weight."""

    lemmas: Lemmas
    weight: float
    text: str


class ThesaurusError(SearchError):
    """A thesaurus file cannot be read."""


def _entry_lemmas(text: str, policy: str) -> Lemmas:
    return tuple(word_lemmas(word, policy)[0] for word in words(text))


Entry = tuple[Lemmas, str, str]  # lemmas, text as written, "terms" or "related"


def lemmatise_groups(groups: list[dict[str, list[str]]], policy: str) -> list[list[Entry]]:
    """Each group's entries with their lemmas (the slow part: pymorphy3)."""
    return [
        [(_entry_lemmas(text, policy), text, kind) for kind in ("terms", "related") for text in group.get(kind, [])]
        for group in groups
    ]


class Thesaurus:
    """Groups of equivalent entries, looked up by lemma sequence."""

    def __init__(self, groups: list[dict[str, list[str]]], policy: str = DEFAULT_POLICY):
        self._build(lemmatise_groups(groups, policy))

    @classmethod
    def from_entries(cls, groups: list[list[Entry]]) -> "Thesaurus":
        """A thesaurus from already lemmatised groups."""
        thesaurus = cls.__new__(cls)
        thesaurus._build(groups)
        return thesaurus

    def _build(self, groups: list[list[Entry]]) -> None:
        self._groups: list[list[Entry]] = []
        self._index: dict[Lemmas, int] = {}
        for entries in groups:
            entries = [(tuple(lemmas), text, kind) for lemmas, text, kind in entries if lemmas]
            merged_into = next((self._index[e[0]] for e in entries if e[0] in self._index), None)
            if merged_into is None:
                merged_into = len(self._groups)
                self._groups.append([])
            known = {e[0] for e in self._groups[merged_into]}
            for entry in entries:
                if entry[0] not in known:
                    self._groups[merged_into].append(entry)
                    known.add(entry[0])
                self._index.setdefault(entry[0], merged_into)
        self.longest = max((len(lemmas) for lemmas in self._index), default=0)

    def __len__(self) -> int:
        return len(self._groups)

    def expansions(self, lemmas: Lemmas) -> list[Expansion]:
        """The other entries of the group ``lemmas`` belongs to, weighted."""
        group = self._index.get(lemmas)
        if group is None:
            return []
        kind = next(k for entry, _, k in self._groups[group] if entry == lemmas)
        return [
            Expansion(entry, SYNONYM_WEIGHT if other == kind else RELATED_WEIGHT, text)
            for entry, text, other in self._groups[group]
            if entry != lemmas
        ]

    def __contains__(self, lemmas: Lemmas) -> bool:
        return lemmas in self._index


def read_groups(path: Path) -> list[dict[str, list[str]]]:
    """The groups of one thesaurus file, checked; errors name the file."""
    # Imported here: a query with the lemmatised thesaurus cached never parses TOML.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ThesaurusError(f"cannot read thesaurus {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ThesaurusError(f"thesaurus {path} is not valid TOML: {error}") from None
    groups = data.get("group", [])
    if not isinstance(groups, list):
        raise ThesaurusError(f"thesaurus {path}: expected [[group]] tables")
    for number, group in enumerate(groups, 1):
        unknown = set(group) - {"terms", "related"}
        lists = [group.get(key, []) for key in ("terms", "related")]
        if unknown or not all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in lists):
            raise ThesaurusError(
                f"thesaurus {path}, group {number}: expected only 'terms' and 'related' lists of strings"
            )
    return groups


def user_thesaurus_path() -> Path | None:
    """The user's thesaurus file, if one is configured or present."""
    configured = os.environ.get(USER_ENV)
    if configured:
        return Path(configured).expanduser()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    default = config_home / "search" / "thesaurus.toml"
    return default if default.is_file() else None


@lru_cache(maxsize=8)
def load(policy: str = DEFAULT_POLICY, user_file: Path | None = None, version: float = 0.0) -> Thesaurus:
    """The shipped thesaurus plus the user's, lemmatised for ``policy``.

    Cached in memory (``version``, the user file's modification time, makes
    an edited file load afresh) and on disk: lemmatising every entry takes
    longer than a whole query, and would load the morphology dictionaries
    for nothing.
    """
    sources = [SHIPPED] + ([user_file] if user_file is not None else [])
    try:
        contents = [path.read_bytes() for path in sources]
    except OSError as error:
        raise ThesaurusError(f"cannot read thesaurus {error.filename}: {error.strerror}") from None
    key = hashlib.sha256(b"\0".join([*contents, policy.encode(), _dictionary_version().encode()])).hexdigest()[:24]
    cached = _cache_dir() / f"thesaurus-{key}.json"
    try:
        return Thesaurus.from_entries(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    groups = [group for path in sources for group in read_groups(path)]
    entries = lemmatise_groups(groups, policy)
    _write_cache(cached, entries)
    return Thesaurus.from_entries(entries)


def _dictionary_version() -> str:
    """What the cached lemmas depend on: the dictionary release and the
    installed pymorphy3 (the date of its files). Cheaper than asking package
    metadata, which alone takes longer than a query."""
    import importlib.util

    import pymorphy3_dicts_ru

    spec = importlib.util.find_spec("pymorphy3")
    stamp = os.stat(spec.origin).st_mtime_ns if spec is not None and spec.origin else 0
    return f"{pymorphy3_dicts_ru.__version__}/{stamp}"


def _cache_dir() -> Path:
    from search.cache import cache_home

    return cache_home() / "thesaurus"


def _write_cache(path: Path, entries: list[list[Entry]]) -> None:
    """Write the lemmatised thesaurus; a cache that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass


def default(policy: str = DEFAULT_POLICY) -> Thesaurus:
    """The thesaurus searches use unless told otherwise."""
    user_file = user_thesaurus_path()
    try:
        version = user_file.stat().st_mtime if user_file else 0.0
    except OSError:
        version = 0.0  # read_groups reports the missing file
    return load(policy, user_file, version)
