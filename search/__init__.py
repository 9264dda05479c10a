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
    "Hit": "search.results",
    "SearchResults": "search.results",
    "Facets": "search.results",
    "Document": "search.documents",
    "AddReport": "search.indexing",
    "Snippet": "search.snippets",
    "SearchError": "search.errors",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from search.documents import Document
    from search.errors import SearchError
    from search.index import Index
    from search.results import Facets, Hit, SearchResults
    from search.indexing import AddReport
    from search.snippets import Snippet

from search.startup import import_whoosh_dependencies  # noqa: E402

import_whoosh_dependencies()


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
