"""The analyzer's view of a text, and how a query is understood: for ``search analyze``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.text.analysis import DEFAULT_POLICY, RussianTokenizer
from search.text.morphology import lemmas
from search.query.planner import STOP_WORDS, plan_query
from search.text.words import normal_form
from search.query.syntax import parse


@dataclass(frozen=True)
class TokenView:
    """One indexed token: where it stands and what the index holds for it."""

    position: int
    text: str
    start: int
    end: int
    exact: str
    lemmas: tuple[str, ...]
    part_of_compound: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "exact": self.exact,
            "lemmas": list(self.lemmas),
            "part_of_compound": self.part_of_compound,
        }


@dataclass
class Analysis:
    """Tokens of a text, and the same text read as a query."""

    text: str
    tokens: list[TokenView]
    parsed: str
    query: str
    dropped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "tokens": [token.to_json() for token in self.tokens],
            "query": {"parsed": self.parsed, "expanded": self.query, "dropped_stop_words": self.dropped},
            "notices": self.notices,
        }


def analyze(text: str, policy: str = DEFAULT_POLICY, thesaurus=None, match: str = "all") -> Analysis:
    """Tokenise ``text`` as the indexer does and plan it as the searcher does."""
    tokens = []
    whole_end = -1
    for token in RussianTokenizer()(text, positions=True, chars=True, mode="index"):
        part = token.startchar < whole_end
        if not part:
            whole_end = token.endchar
        surface = text[token.startchar : token.endchar]
        tokens.append(
            TokenView(
                position=token.pos,
                text=surface,
                start=token.startchar,
                end=token.endchar,
                exact=normal_form(token.text),
                lemmas=lemmas(normal_form(token.text), policy, surface[:1].isupper()),
                part_of_compound=part,
            )
        )
    parsed, _ = parse(text, match)
    plan = plan_query(text, match, policy, thesaurus=thesaurus)
    dropped = [t.text for t in tokens if not t.part_of_compound and t.exact in STOP_WORDS]
    kept_all_stop_words = bool(dropped) and all(t.exact in STOP_WORDS for t in tokens if not t.part_of_compound)
    return Analysis(
        text=text,
        tokens=tokens,
        parsed=str(parsed),
        query=str(plan.query),
        dropped=[] if kept_all_stop_words else dropped,
        notices=plan.notices,
    )
