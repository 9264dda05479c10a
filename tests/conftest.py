"""Shared fixtures: small corpora written for the tests and indexes built from them."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from search import Index
from search.corpus import CorpusReader

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def releases_path() -> Path:
    return FIXTURES / "releases.jsonl"


def build_index(tmp_path_factory, name: str, sources) -> tuple[Path, object]:
    """Index ``sources`` into a fresh directory; the path and the build report."""
    path = tmp_path_factory.mktemp(name)
    with Index.create(path) as ix:
        report = ix.add(CorpusReader(sources))
    return path, report


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, releases_path) -> Path:
    """A read-only index of tests/fixtures/releases.jsonl, shared by the session."""
    path = tmp_path_factory.mktemp("index")
    with Index.create(path) as ix:
        ix.add(CorpusReader([releases_path]))
    return path


@pytest.fixture
def index(built_index):
    with Index.open(built_index) as ix:
        yield ix


@pytest.fixture
def fresh_index(tmp_path):
    """An empty index a test may write to."""
    with Index.create(tmp_path / "index") as ix:
        yield ix


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/www (Last-Modified, 304)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
