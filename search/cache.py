"""Where the program keeps what it can recompute: downloads, the lemmatised thesaurus."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "SEARCH_CACHE"


def cache_home() -> Path:
    """$SEARCH_CACHE, else ~/.cache/search (XDG_CACHE_HOME honoured)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "search"
