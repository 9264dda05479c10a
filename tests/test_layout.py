"""The package's layout: layers in subpackages, no import cycles, old indexes still open."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from search import Index

PACKAGE = Path(__file__).resolve().parents[1] / "search"
INDEX_BEFORE_LAYOUT = Path(__file__).parent / "fixtures" / "index_before_layout"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every module of the package that ``path`` imports, deferred and type-only imports included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules if len(submodules) == len(node.names) else {node.module, *submodules})
    return found & modules


def _import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    # The root package is the lazy facade of the public API: it is imported before any of its
    # modules, and its own imports of them are type-only, so it cannot close a cycle.
    del paths["search"]
    modules = set(paths)
    return {name: _imports(path, modules) - {name} for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if there is any (depth-first search, the current path kept)."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str] | None:
        if name in path:
            return path[path.index(name):] + [name]
        if name in done:
            return None
        for child in sorted(graph[name]):
            cycle = visit(child, path + [name])
            if cycle:
                return cycle
        done.add(name)
        return None

    return next(filter(None, (visit(name, []) for name in sorted(graph))), None)


def test_few_modules_stand_directly_in_the_package():
    top_level = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top_level) <= 10, top_level


def test_no_import_cycle_among_the_packages_modules():
    assert _cycle(_import_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_the_thesaurus_lemmatises_through_the_text_layer_not_the_query_planner():
    graph = _import_graph()
    assert "search.text.words" in graph["search.query.thesaurus"]
    assert not {name for name in graph["search.query.thesaurus"] if name.startswith("search.query.")}


def test_an_index_built_before_the_layout_change_opens_and_answers(tmp_path):
    toc = next(INDEX_BEFORE_LAYOUT.glob("*.toc")).read_bytes()
    for old_module in (b"search.analysis", b"search.field_text", b"search.store"):
        assert old_module in toc
    path = tmp_path / "index"
    shutil.copytree(INDEX_BEFORE_LAYOUT, path)
    with Index.open(path) as ix:
        results = ix.search("Лавров", limit=5)
        assert sorted(hit.id for hit in results) == ["t-japan", "t-sco"]  # what the old version found
        assert "Лавров" in results.hits[0].snippet.text
