"""``search serve``: a small JSON HTTP API over one shared :class:`Index`.

The answers are the library's own JSON shapes, the same as the CLI's
``--json`` output. Built on the standard library's ``ThreadingHTTPServer``
(a thread per connection): the API is five GET routes, the time goes into
searching rather than HTTP, and no dependency has to be installed. Every
request is bounded: the query's length, hits per page and paging depth, the
number of requests searching at once (the rest wait their turn up to the
time budget, then get 503), the connections open at once and a slow
client's socket. Errors are JSON (``{"error": …, "status": …}``), never a
traceback.

:class:`Service` turns a request target into a response and knows nothing
of sockets; :func:`make_server` puts it behind HTTP.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from search.text.dates import date_bound
from search.errors import (
    DocumentNotFoundError,
    IndexDamagedError,
    IndexNotFoundError,
    IndexReadError,
    IndexVersionError,
    SearchError,
)
from search.index import Index
from search.query.syntax import plain_words
from search.retrieval.searcher import SORT_ORDERS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
# Query text longer than this is refused (a whole pasted headline is ~200 characters).
MAX_QUERY_CHARS = 1000
MAX_LIMIT = 1000  # as `search query --limit`
# Hits a request may page through (limit × page): deeper pages cost more to rank.
MAX_DEPTH = 10_000
MAX_TOP_SOURCES = 1000
# Seconds a request may take: the most a client may ask for with `timeout`,
# and how long it waits for a free search slot.
DEFAULT_TIME_BUDGET = 10.0
# Requests searching at the same moment; on two cores more only queue inside Python.
DEFAULT_CONCURRENT = 4
# Connections open at once; past this a client gets 503 at once.
MAX_CONNECTIONS = 64
# Seconds a client may take to send its request.
CLIENT_TIMEOUT = 30
FORMATS = ("json", "jsonl")
TRUE, FALSE = ("", "1", "true", "yes", "on"), ("0", "false", "no", "off")


class RequestError(Exception):
    """A request the service refuses: answered with ``status`` and the message."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Response:
    status: HTTPStatus
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def error_response(status: HTTPStatus, message: str) -> Response:
    body = json.dumps({"error": message, "status": int(status)}, ensure_ascii=False)
    return Response(status, body.encode("utf-8"))


def json_response(value: Any) -> Response:
    return Response(HTTPStatus.OK, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def lines_response(lines: list[str]) -> Response:
    """JSON Lines, byte for byte what the CLI's ``--json`` prints."""
    text = "".join(line + "\n" for line in lines)
    return Response(HTTPStatus.OK, text.encode("utf-8"), "application/x-ndjson; charset=utf-8")


class Parameters:
    """A request's query-string parameters, each read once, checked and bounded."""

    def __init__(self, query_string: str, allowed: tuple[str, ...]):
        try:
            parsed = parse_qs(query_string, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
        except ValueError as error:
            raise RequestError(f"unreadable query string: {error}") from None
        unknown = sorted(set(parsed) - set(allowed))
        if unknown:
            raise RequestError(f"unknown parameter {unknown[0]!r}; this route takes {', '.join(allowed) or 'none'}")
        repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
        if repeated:
            raise RequestError(f"parameter {repeated[0]!r} is given more than once")
        self._values = {name: values[0] for name, values in parsed.items()}

    def text(self, name: str, default: str | None = None, required: bool = False, limit: int = MAX_QUERY_CHARS):
        value = self._values.get(name)
        if value is None:
            if required:
                raise RequestError(f"parameter {name!r} is required")
            return default
        if len(value) > limit:
            raise RequestError(f"{name!r} is {len(value)} characters long; at most {limit} are allowed")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._values.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise RequestError(f"{name!r} must be a whole number, not {value!r}") from None
        if not low <= number <= high:
            raise RequestError(f"{name!r} must be from {low} to {high}, not {number}")
        return number

    def number(self, name: str, high: float) -> float | None:
        value = self._values.get(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            raise RequestError(f"{name!r} must be a number of seconds, not {value!r}") from None
        if not 0 < number <= high:  # also refuses nan
            raise RequestError(f"{name!r} must be more than 0 and at most {high:g} seconds, not {value}")
        return number

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
        raise RequestError(f"{name!r} must be 1 or 0 (true or false), not {value!r}")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._values.get(name, default)
        if value not in choices:
            raise RequestError(f"{name!r} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def dates(self) -> tuple[Any, Any]:
        """``since`` and ``until`` as dates (``until`` the last day of a month or year given)."""
        bounds = []
        for name, end in (("since", False), ("until", True)):
            value = self.text(name, limit=100)
            try:
                bounds.append(date_bound(value, end=end) if value else None)
            except ValueError as error:
                raise RequestError(f"{name!r}: {error}") from None
        since, until = bounds
        if since and until and since > until:
            raise RequestError(f"since ({since}) is after until ({until})")
        return since, until


def _query_text(parameters: Parameters) -> str:
    text = parameters.text("q", required=True)
    if not plain_words(text):
        raise RequestError("the query 'q' has no words to search for")
    return text


class Service:
    """Requests to responses over one shared ``Index``."""

    SEARCH_PARAMETERS = (
        "q", "limit", "page", "sort", "since", "until", "any", "facets", "format",
        "recent", "synonyms", "collapse", "timeout",
    )  # fmt: skip

    def __init__(self, ix: Index, time_budget: float = DEFAULT_TIME_BUDGET, concurrent: int = DEFAULT_CONCURRENT):
        self.ix = ix
        self.time_budget = time_budget
        self._slots = threading.BoundedSemaphore(concurrent)

    def respond(self, method: str, target: str) -> Response:
        """The response to ``method target`` (e.g. ``GET /search?q=…``)."""
        try:
            if method not in ("GET", "HEAD"):
                raise RequestError(f"{method} is not supported; use GET", HTTPStatus.METHOD_NOT_ALLOWED)
            parts = urlsplit(target)
            return self._route(unquote(parts.path), parts.query)
        except RequestError as error:
            return error_response(error.status, str(error))
        except DocumentNotFoundError as error:
            return error_response(HTTPStatus.NOT_FOUND, str(error))
        except IndexReadError as error:
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, str(error))
        except (IndexDamagedError, IndexNotFoundError, IndexVersionError) as error:
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, str(error))
        except (SearchError, ValueError) as error:  # a request the library refused
            return error_response(HTTPStatus.BAD_REQUEST, str(error))
        except Exception:  # noqa: BLE001 (a bug: logged on the server, never sent)
            traceback.print_exc(file=sys.stderr)
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; the server's log has the details")

    def _route(self, path: str, query: str) -> Response:
        if path in ("/", ""):
            Parameters(query, ())
            return json_response(
                {
                    "index": str(self.ix.path),
                    "documents": len(self.ix),
                    "routes": ["/search?q=…", "/documents/{id}", "/similar/{id}", "/timeline?q=…", "/stats"],
                }
            )
        if path == "/search":
            return self._search(Parameters(query, self.SEARCH_PARAMETERS))
        if path == "/timeline":
            return self._timeline(Parameters(query, ("q", "by", "any", "since", "until", "synonyms")))
        if path == "/stats":
            parameters = Parameters(query, ("top",))
            top = parameters.integer("top", 10, 1, MAX_TOP_SOURCES)
            return json_response(self._bounded(lambda: self.ix.stats(top=top)).to_json())
        for prefix, handler in (("/documents/", self._document), ("/similar/", self._similar)):
            if path.startswith(prefix) and len(path) > len(prefix):
                return handler(path[len(prefix) :], query)
        raise RequestError(f"no route {path!r}; try /search?q=…", HTTPStatus.NOT_FOUND)

    def _bounded(self, call: Callable[[], Any]) -> Any:
        """Run a library call when a search slot is free, waiting at most the time budget."""
        if not self._slots.acquire(timeout=self.time_budget):
            raise RequestError("the server is busy; try again shortly", HTTPStatus.SERVICE_UNAVAILABLE)
        try:
            return call()
        finally:
            self._slots.release()

    def _search(self, parameters: Parameters) -> Response:
        text = _query_text(parameters)
        limit = parameters.integer("limit", 10, 1, MAX_LIMIT)
        page = parameters.integer("page", 1, 1, MAX_DEPTH)
        if limit * page > MAX_DEPTH:
            raise RequestError(f"page {page} of {limit} hits is past hit {MAX_DEPTH}, the deepest served")
        since, until = parameters.dates()
        options: dict[str, Any] = dict(
            limit=limit,
            page=page,
            sort=parameters.choice("sort", "relevance", SORT_ORDERS),
            match="any" if parameters.flag("any") else "all",
            since=since,
            until=until,
            recent=parameters.flag("recent"),
            facets=parameters.flag("facets"),
            synonyms=parameters.flag("synonyms", True),
            collapse=parameters.flag("collapse", True),
        )
        output = parameters.choice("format", "json", FORMATS)
        # The client's time budget, else the server's; results.partial when it ran out.
        options["timeout"] = parameters.number("timeout", self.time_budget) or self.time_budget
        results = self._bounded(lambda: self.ix.search(text, **options))
        if output == "jsonl":
            return lines_response(results.json_lines())
        return json_response(results.to_json())

    def _document(self, doc_id: str, query: str) -> Response:
        parameters = Parameters(query, ("q",))
        text = parameters.text("q")
        view = self._bounded(lambda: self.ix.show(doc_id, text or None))
        return json_response(view.to_json())

    def _similar(self, doc_id: str, query: str) -> Response:
        parameters = Parameters(query, ("limit", "format"))
        limit = parameters.integer("limit", 10, 1, MAX_LIMIT)
        output = parameters.choice("format", "json", FORMATS)
        results = self._bounded(lambda: self.ix.similar(doc_id, limit=limit))
        if output == "jsonl":
            return lines_response(results.json_lines())
        return json_response(results.to_json())

    def _timeline(self, parameters: Parameters) -> Response:
        text = _query_text(parameters)
        by = parameters.choice("by", "month", ("month", "year"))
        since, until = parameters.dates()
        match = "any" if parameters.flag("any") else "all"
        synonyms = parameters.flag("synonyms", True)
        found = self._bounded(
            lambda: self.ix.timeline(text, by=by, match=match, since=since, until=until, synonyms=synonyms)
        )
        return json_response(found.to_json())


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0 (one request per connection), every answer JSON."""

    server_version = "search-serve"
    timeout = CLIENT_TIMEOUT
    server: "Server"

    def do_GET(self) -> None:
        self._send(self.server.service.respond("GET", self._target()))

    def do_HEAD(self) -> None:
        self._send(self.server.service.respond("HEAD", self._target()), body=False)

    def _refuse(self) -> None:
        self._send(self.server.service.respond(self.command, self._target()))

    def _target(self) -> str:
        """The request target as sent. The standard library decodes the request
        line as Latin-1; a client that sends Cyrillic unencoded (``curl
        'localhost:8080/search?q=Лавров'``) sent UTF-8, so it is read back as such."""
        try:
            return self.path.encode("latin-1").decode("utf-8")
        except UnicodeError:
            return self.path

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The HTTP layer's own refusals (a malformed request line, a URL or
        header too long) are JSON like every other answer, not HTML."""
        status = HTTPStatus(code)
        self.close_connection = True
        # A request line too broken to name a version still gets a status line and headers.
        self.request_version = "HTTP/1.0" if self.request_version == "HTTP/0.9" else self.request_version
        self._send(error_response(status, message or status.phrase), body=self.command != "HEAD")

    def _send(self, response: Response, body: bool = True) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None:
            self.server.log.write(f"{self.address_string()} - {format % args}\n")


class Server(ThreadingHTTPServer):
    """A thread per connection, at most ``MAX_CONNECTIONS`` at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], service: Service, log: TextIO | None):
        self.service = service
        self.log = log
        self._connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        if ":" in address[0]:  # an IPv6 address such as ::1
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        if not self._connections.acquire(blocking=False):
            self._turn_away(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._connections.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def _turn_away(self, request) -> None:
        response = error_response(HTTPStatus.SERVICE_UNAVAILABLE, "too many connections; try again shortly")
        head = (
            f"HTTP/1.0 503 Service Unavailable\r\nContent-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            request.sendall(head.encode("ascii") + response.body)
        except OSError:
            pass
        self.shutdown_request(request)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(
    ix: Index,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    time_budget: float = DEFAULT_TIME_BUDGET,
    concurrent: int = DEFAULT_CONCURRENT,
    log: TextIO | None = sys.stderr,
) -> Server:
    """An HTTP server for ``ix`` bound to ``host``:``port`` (port 0: any free
    one, see ``server.url``); run it with ``serve_forever()``."""
    return Server((host, port), Service(ix, time_budget, concurrent), log)
