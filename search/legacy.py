"""Old import paths that indexes built before the package was split into layers still name.

Whoosh pickles the schema (analyzers and field classes) and each segment's codec into every
index; the pickle names each class by its module. Those classes now live in subpackages, so the old
module names are resolved here, lazily, to the modules that hold the classes today.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

# old module -> module that holds its pickled classes now
MOVED = {
    "search.analysis": "search.text.analysis",
    "search.field_text": "search.indexer.field_text",
    "search.store": "search.storage.directory",
}


class MovedModuleFinder:
    """Answers an import of an old module path with the module at its new path.

    A meta path finder and loader by its methods (importing ``importlib.abc``
    for the base classes would load ``importlib.resources`` and ``tempfile``
    into every process)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias's spec on the real module: give it its own back.
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Register the finder once (after the ordinary finders, so real modules always win)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
