"""``search serve``: the JSON HTTP API, its answers equal to the CLI's ``--json``,
parallel clients, and bad requests answered 400 with a JSON error."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from click.testing import CliRunner

from search import Index, SearchError
from search.cli import main
from search.corpus import CorpusReader
from search.errors import DocumentNotFoundError, IndexDamagedError, IndexReadError
from search.service import MAX_QUERY_CHARS, Service, make_server

BUNDLED = Path(__file__).resolve().parents[1] / "corpus" / "press_releases.jsonl"
CLIENTS = 8
# (HTTP parameters, the same search as `search query` options)
SEARCHES = [
    ({"q": "визит Лаврова в Японию"}, []),
    ({"q": "Япония", "limit": "3", "page": "2"}, ["-n", "3", "-p", "2"]),
    ({"q": "Япония", "sort": "newest", "limit": "5"}, ["--sort", "newest", "-n", "5"]),
    ({"q": "Центральная Азия Япония", "since": "2017", "until": "2019"}, ["--since", "2017", "--until", "2019"]),
    ({"q": "заявление МИД о ситуации на Ближнем Востоке", "any": "1"}, ["--any"]),
    ({"q": "Киргизия визит", "facets": "1"}, ["--facets"]),
    ({"q": "Кыргыз*", "sort": "oldest", "facets": "true"}, ["--sort", "oldest", "--facets"]),
    ({"q": '"совет министров" СНГ', "recent": "1"}, ["--recent"]),
    ({"q": "Киргизия", "synonyms": "0", "collapse": "0"}, ["--no-synonyms", "--no-collapse"]),
    ({"q": "Лаврав"}, []),
]


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("served")
    with Index.create(path) as ix:
        ix.add(CorpusReader([BUNDLED]))
    return path


@pytest.fixture(scope="module")
def served(bundled_index):
    """The API on a free loopback port; its base URL."""
    ix = Index.open(bundled_index)
    server = make_server(ix, "127.0.0.1", 0, log=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()
    ix.close()


def get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET (error statuses included)."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read()


def cli(*arguments) -> str:
    result = CliRunner().invoke(main, [str(a) for a in arguments], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_a_query_sent_as_raw_utf8_is_read_as_utf8(served):
    """curl sends Cyrillic in a URL unencoded; the answer is the same as for the encoded query."""
    host, port = served.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        connection.sendall("GET /search?q=Лавров&format=jsonl HTTP/1.0\r\n\r\n".encode("utf-8"))
        raw = b"".join(iter(lambda: connection.recv(65536), b""))
    status_line, _, body = raw.partition(b"\r\n\r\n")
    assert status_line.split()[1] == b"200"
    assert body and body == get(f"{served}search?{urlencode({'q': 'Лавров', 'format': 'jsonl'})}")[2]


def test_search_answers_equal_search_query_json(served, bundled_index):
    for parameters, options in SEARCHES:
        expected = cli("query", parameters["q"], "--index", bundled_index, "--json", *options)
        status, kind, body = get(f"{served}search?{urlencode({**parameters, 'format': 'jsonl'})}")
        assert status == 200 and kind.startswith("application/x-ndjson")
        assert body.decode("utf-8") == expected
        status, kind, body = get(f"{served}search?{urlencode(parameters)}")
        found = json.loads(body)
        lines = [json.loads(line) for line in expected.splitlines()]
        if "facets" in parameters:
            last = lines.pop()
            assert {"total": found["total"], "facets": found["facets"]} == last
        assert status == 200 and kind.startswith("application/json") and found["hits"] == lines
        assert found["query"] == parameters["q"] and found["page"] == int(parameters.get("page", 1))


def test_eight_parallel_clients_get_what_one_client_gets(served, bundled_index):
    expected = {
        urlencode({**parameters, "format": "jsonl"}): cli("query", parameters["q"], "--index", bundled_index, "--json", *options)
        for parameters, options in SEARCHES
    }
    start = threading.Barrier(CLIENTS)

    def client(_):
        start.wait(timeout=60)
        return {query: get(f"{served}search?{query}") for query in list(expected) * 3}

    with ThreadPoolExecutor(CLIENTS) as pool:
        for answers in pool.map(client, range(CLIENTS)):
            for query, (status, _, body) in answers.items():
                assert status == 200 and body.decode("utf-8") == expected[query]


def test_documents_similar_timeline_and_stats_equal_the_cli(served, bundled_index):
    with Index.open(bundled_index) as ix:
        doc_id = ix.search("Лавров Япония").hits[0].id
    status, _, body = get(f"{served}documents/{quote(doc_id)}?{urlencode({'q': 'визит'})}")
    assert status == 200
    assert json.loads(body) == json.loads(cli("show", doc_id, "--query", "визит", "--index", bundled_index, "--json"))
    status, _, body = get(f"{served}similar/{quote(doc_id)}?limit=3&format=jsonl")
    assert status == 200 and body.decode("utf-8") == cli("similar", doc_id, "-n", "3", "--index", bundled_index, "--json")
    status, _, body = get(f"{served}timeline?{urlencode({'q': 'Япония', 'by': 'year', 'since': '2016'})}")
    expected = cli("timeline", "Япония", "--by", "year", "--since", "2016", "--index", bundled_index, "--json")
    assert status == 200 and json.loads(body) == json.loads(expected)
    status, _, body = get(f"{served}stats?top=3")
    assert status == 200 and json.loads(body) == json.loads(cli("stats", "--top", "3", "--index", bundled_index, "--json"))
    status, _, body = get(served)
    assert status == 200 and json.loads(body)["documents"] == 49


BAD_REQUESTS = [
    ("search", 400, "'q' is required"),
    ("search?q=", 400, "no words"),
    ("search?q=%22%22", 400, "no words"),
    ("search?q=a&limit=0", 400, "'limit' must be from 1 to 1000"),
    ("search?q=a&limit=abc", 400, "whole number"),
    ("search?q=a&limit=1001", 400, "'limit'"),
    ("search?q=a&page=0", 400, "'page'"),
    ("search?q=a&limit=1000&page=11", 400, "deepest"),
    ("search?q=a&sort=best", 400, "'sort' must be one of"),
    ("search?q=a&since=" + quote("вчера"), 400, "not a date"),
    ("search?q=a&since=2020&until=2019", 400, "after until"),
    ("search?q=a&any=maybe", 400, "'any' must be 1 or 0"),
    ("search?q=a&format=xml", 400, "'format' must be one of json, jsonl"),
    ("search?q=a&timeout=-1", 400, "'timeout'"),
    ("search?q=a&timeout=nan", 400, "'timeout'"),
    ("search?q=a&timeout=soon", 400, "'timeout'"),
    ("search?q=a&colour=red", 400, "unknown parameter 'colour'"),
    ("search?q=a&q=b", 400, "more than once"),
    ("search?q=" + "a" * (MAX_QUERY_CHARS + 1), 400, "characters long"),
    ("timeline?q=a&by=week", 400, "'by'"),
    ("stats?top=0", 400, "'top'"),
    ("similar/x?limit=-3", 400, "'limit'"),
    ("documents/no-such-id", 404, "no document"),
    ("similar/no-such-id", 404, "no document"),
    ("nowhere", 404, "no route"),
]


@pytest.mark.parametrize("target, status, message", BAD_REQUESTS)
def test_bad_requests_get_a_json_error(served, target, status, message):
    answered, kind, body = get(served + target)
    error = json.loads(body)
    assert answered == status and error["status"] == status and kind.startswith("application/json")
    assert message in error["error"] and "Traceback" not in body.decode("utf-8")


def test_other_methods_and_malformed_requests_get_json_errors(served):
    request = urllib.request.Request(f"{served}search?q=a", data=b"x", method="POST")
    try:
        urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 405 and json.loads(error.read())["status"] == 405
    host, port = served.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as raw:
        raw.sendall(b"NONSENSE / HTTP/1.1 extra words\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400") and json.loads(body)["status"] == 400


def test_an_unexpected_failure_is_a_500_without_a_traceback(bundled_index, monkeypatch):
    with Index.open(bundled_index) as ix:
        monkeypatch.setattr(ix, "search", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("secret detail")))
        response = Service(ix).respond("GET", "/search?q=Япония")
    body = response.body.decode("utf-8")
    assert response.status == 500 and "internal error" in body and "secret" not in body and "Traceback" not in body


class StubIndex:
    """Stands in for an Index whose search takes a time budget."""

    path = Path("stub")

    def __init__(self, gate: threading.Event | None = None):
        self.gate = gate
        self.entered = threading.Event()
        self.calls: list[dict] = []

    def search(self, text, limit=10, page=1, sort="relevance", match="all", *, timeout=None, **options):
        self.calls.append({"timeout": timeout, **options})
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(timeout=60)
        from search.retrieval.results import SearchResults

        return SearchResults(query=text, count=0, page=page, limit=limit, match=match)


def test_the_time_budget_is_passed_on_when_search_takes_one(bundled_index):
    stub = StubIndex()
    service = Service(stub, time_budget=5)
    assert service.respond("GET", "/search?q=Япония&timeout=0.5").status == 200
    assert service.respond("GET", "/search?q=Япония").status == 200
    assert service.respond("GET", "/search?q=Япония&timeout=6").status == 400  # past the server's budget
    assert [call["timeout"] for call in stub.calls] == [0.5, 5]
    with Index.open(bundled_index) as ix:  # this Index.search takes none: the search runs whole
        assert Service(ix).respond("GET", "/search?q=Япония&timeout=0.5").status == 200


def test_requests_past_the_concurrency_bound_wait_then_get_503():
    gate = threading.Event()
    stub = StubIndex(gate)
    service = Service(stub, time_budget=0.2, concurrent=1)
    first = threading.Thread(target=service.respond, args=("GET", "/search?q=Япония"))
    first.start()
    try:
        assert stub.entered.wait(timeout=60)  # the first request holds the only slot
        busy = service.respond("GET", "/search?q=Япония")
        assert busy.status == 503 and b"busy" in busy.body
    finally:
        gate.set()
        first.join(timeout=60)
    assert service.respond("GET", "/search?q=Япония").status == 200


def test_serve_command_listens_on_loopback_and_stops_on_sigterm(bundled_index):
    process = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--index", str(bundled_index), "--port", "0", "--quiet"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        line = process.stderr.readline()
        assert "Serving" in line and "http://127.0.0.1:" in line
        url = line.split(" at ")[1].split()[0]
        status, _, body = get(f"{url}search?q=%D0%AF%D0%BF%D0%BE%D0%BD%D0%B8%D1%8F&limit=1")
        assert status == 200 and json.loads(body)["total"] == 14
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=60)
    assert process.returncode == 0 and "Stopped." in rest


def test_serve_command_without_an_index_says_so(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--index", str(tmp_path / "none"), "--port", "0"])
    assert result.exit_code == 2 and "search build" in result.output


@pytest.mark.parametrize(
    "error, status",
    [
        (SearchError("the query is longer than the index allows"), 400),
        (ValueError("limit and page must be at least 1"), 400),
        (DocumentNotFoundError("no document with id 'x'"), 404),
        (IndexReadError("reading the index failed twice, yet it is intact"), 503),
        (IndexDamagedError("the index at x is damaged: segment y …"), 500),
    ],
)
def test_library_errors_map_to_statuses(error, status):
    class Refusing(StubIndex):
        def search(self, *args, **kwargs):
            raise error

    response = Service(Refusing()).respond("GET", "/search?q=Япония")
    assert response.status == status and json.loads(response.body)["error"] == str(error)
