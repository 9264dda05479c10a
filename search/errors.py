"""Errors the library raises; each message says what to do next."""

from __future__ import annotations


class SearchError(Exception):
    """Base class: every error the library raises on purpose."""


class IndexNotFoundError(SearchError):
    """There is no index at the given path."""


class IndexVersionError(SearchError):
    """The index was built by an incompatible version, or is unreadable."""


class IndexDamagedError(SearchError):
    """Files of the index cannot be read."""


class IndexReadError(SearchError):
    """Reading the index failed twice, yet a check finds it intact: try again."""


class DocumentNotFoundError(SearchError):
    """No document has the id asked for."""


class IndexLockedError(SearchError):
    """Another process is writing the index."""


class IndexWriteError(SearchError):
    """The index could not be written (full disk, quota, read-only directory)."""


class SourceError(SearchError):
    """A corpus source given by the user cannot be read at all."""
