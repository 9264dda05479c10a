"""Full-text search for Russian-language foreign-ministry press releases.

The public API is :class:`Index` (with :class:`Document`, :class:`Hit`,
:class:`SearchResults`, :class:`Facets`, :class:`AddReport` and
:class:`SearchError`).
Names are imported lazily so that ``import search`` stays fast for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Index": "search.index",
    "Hit": "search.retrieval.results",
    "SearchResults": "search.retrieval.results",
    "Facets": "search.retrieval.results",
    "Document": "search.documents",
    "AddReport": "search.indexer.writer",
    "Snippet": "search.retrieval.snippets",
    "SearchError": "search.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from search.documents import Document
    from search.errors import SearchError
    from search.index import Index
    from search.retrieval.results import Facets, Hit, SearchResults
    from search.indexer.writer import AddReport
    from search.retrieval.snippets import Snippet

from search import legacy  # noqa: E402
from search.startup import import_whoosh_dependencies  # noqa: E402

legacy.install()
import_whoosh_dependencies()


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
