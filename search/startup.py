"""Keep process start-up short: Whoosh imports what our commands never use.

Some of Whoosh's imports cost a query command about 100 ms of its ~0.35 s for
nothing it needs:

- ``whoosh.compat`` runs ``from urllib.request import urlretrieve``, which
  loads http.client, email and friends; no code path of ours downloads
  through Whoosh.
- ``cached_property`` (Whoosh's reader uses it) imports all of asyncio (and
  ssl with it) only to ask ``asyncio.iscoroutinefunction`` whether a cached
  property is a coroutine; Whoosh's never is.

- ``whoosh.query`` imports ``whoosh.lang.morph_en`` (English word variations,
  one very large regular expression compiled at import) and ``whoosh.analysis``
  the Porter stemmer (a dozen more); we use neither.

Each is imported once with a stand-in module in ``sys.modules`` that answers
the one name itself and loads the real module for any other name. The
stand-in is removed straight after, so later imports get the real modules.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any, Callable


class _StandIn(types.ModuleType):
    """A module that answers a few names itself and loads the real one for the rest."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            raise AttributeError(name)
        return getattr(importlib.import_module(self.__name__), name)


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    from urllib.request import urlretrieve

    return urlretrieve(*args, **kwargs)


def _iscoroutinefunction(function: Callable[..., Any]) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function)


def _lazy(module: str, name: str) -> Callable[..., Any]:
    """A function that imports ``module`` on its first call and calls its ``name``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = name
    return call


def _import_with_stand_in(module: str, stand_in_for: str, **names: Any) -> None:
    if module in sys.modules or stand_in_for in sys.modules:
        return
    stand_in = _StandIn(stand_in_for)
    stand_in.__dict__.update(names)
    sys.modules[stand_in_for] = stand_in
    try:
        importlib.import_module(module)
    finally:
        if sys.modules.get(stand_in_for) is stand_in:
            del sys.modules[stand_in_for]


def import_whoosh_dependencies() -> None:
    """Import ``whoosh.compat``, ``cached_property``, ``whoosh.query`` and
    ``whoosh.analysis`` lightly (once per process)."""
    _import_with_stand_in("whoosh.compat", "urllib.request", urlretrieve=_urlretrieve)
    _import_with_stand_in("cached_property", "asyncio", iscoroutinefunction=_iscoroutinefunction)
    _import_with_stand_in("whoosh.analysis", "whoosh.lang.porter", stem=_lazy("whoosh.lang.porter", "stem"))
    _import_with_stand_in("whoosh.query", "whoosh.lang.morph_en", variations=_lazy("whoosh.lang.morph_en", "variations"))
