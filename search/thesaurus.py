"""The domain thesaurus: names of countries and organisations and their variants.

A thesaurus is TOML: a list of ``[[group]]`` tables, each with ``terms``
(interchangeable names: «Киргизия», «Кыргызстан», «Кыргызская Республика»)
and optionally ``related`` (derived words such as adjectives: «киргизский»).
The shipped file is ``search/thesaurus.toml``; a user file named by
``$SEARCH_THESAURUS`` or found at ``~/.config/search/thesaurus.toml`` adds
groups (and may extend shipped ones: a group sharing an entry is merged).

Entries are lemmatised like query words, so one entry covers every inflected
form. When a query contains an entry, the other entries of its group are
searched too, with a lower weight than what the user typed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from search.analysis import DEFAULT_POLICY
from search.errors import SearchError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

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
    from search.querying import plain_words, word_lemmas

    return tuple(word_lemmas(word, policy)[0] for word in plain_words(text))


class Thesaurus:
    """Groups of equivalent entries, looked up by lemma sequence."""

    def __init__(self, groups: list[dict[str, list[str]]], policy: str = DEFAULT_POLICY):
        self._groups: list[list[tuple[Lemmas, str, str]]] = []
        self._index: dict[Lemmas, int] = {}
        for group in groups:
            entries = [
                (_entry_lemmas(text, policy), text, kind)
                for kind in ("terms", "related")
                for text in group.get(kind, [])
            ]
            entries = [entry for entry in entries if entry[0]]
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

    Cached; ``version`` (the user file's modification time) makes an edited
    file load afresh.
    """
    groups = read_groups(SHIPPED)
    if user_file is not None:
        groups = groups + read_groups(user_file)
    return Thesaurus(groups, policy)


def default(policy: str = DEFAULT_POLICY) -> Thesaurus:
    """The thesaurus searches use unless told otherwise."""
    user_file = user_thesaurus_path()
    try:
        version = user_file.stat().st_mtime if user_file else 0.0
    except OSError:
        version = 0.0  # read_groups reports the missing file
    return load(policy, user_file, version)
