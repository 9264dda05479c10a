"""Corpus files given as http(s) URLs: downloaded once into a cache, then read locally.

A cached copy is revalidated with the server (ETag / Last-Modified) and
reused when unchanged; when the server cannot be reached, the cached copy is
used and a warning says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from search import __version__
from search.cache import CACHE_ENV, cache_home  # noqa: F401 (CACHE_ENV re-exported for tests)
from search.errors import SourceError

CHUNK = 1 << 16
TIMEOUT_SECONDS = 60

ProgressCallback = Callable[[int, "int | None"], None]  # (bytes so far, total or None)


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def cache_dir() -> Path:
    """Where downloads are kept: the ``downloads`` folder of the cache."""
    return cache_home() / "downloads"


@dataclass(frozen=True)
class Download:
    """A downloaded (or cached) file and how it was obtained."""

    url: str
    path: Path
    name: str
    status: str  # "downloaded", "unchanged" or "offline" (cached copy, server unreachable)


def url_filename(url: str) -> str:
    """The file name a URL names (for format detection), e.g. ``mid.ru_ru_2024.csv.gz``."""
    name = Path(urllib.parse.unquote(urllib.parse.urlparse(url).path)).name
    return re.sub(r"[^\w.\-]+", "_", name) or "download"


def fetch(url: str, cache: Path | None = None, on_progress: ProgressCallback | None = None) -> Download:
    """Download ``url`` into the cache unless the cached copy is still current."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    name = url_filename(url)
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    target = cache / f"{key}-{name}"
    meta_path = cache / f"{key}-{name}.json"
    meta = _read_meta(meta_path) if target.exists() else {}
    headers = {"User-Agent": f"search/{__version__}"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            _save(response, target, on_progress)
            meta = {
                "url": url,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
            }
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
            return Download(url, target, name, "downloaded")
    except urllib.error.HTTPError as error:
        if error.code == 304 and target.exists():
            return Download(url, target, name, "unchanged")
        raise SourceError(f"{url}: the server answered HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if target.exists():
            return Download(url, target, name, "offline")
        raise SourceError(f"{url}: cannot download ({reason}); check the address and your connection") from None


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save(response, target: Path, on_progress: ProgressCallback | None) -> None:
    """Stream the body to a temporary file, then move it into place."""
    total = response.headers.get("Content-Length")
    total_bytes = int(total) if total and total.isdigit() else None
    temporary = target.with_name(target.name + ".part")
    done = 0
    with open(temporary, "wb") as handle:
        while chunk := response.read(CHUNK):
            handle.write(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(done, total_bytes)
    shutil.move(temporary, target)
