"""``search serve``: the JSON HTTP API (see :mod:`search.service`)."""

from __future__ import annotations

import ipaddress
import signal
from pathlib import Path

import click

from search.cli.options import CliError, index_option, library_errors


class _Stopped(Exception):
    """SIGTERM arrived."""


def _stop(signum, frame) -> None:
    raise _Stopped


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only unless you name another).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port (0: any free port).")
@click.option(
    "--timeout",
    "time_budget",
    type=click.FloatRange(0.1, 600),
    default=10.0,
    show_default=True,
    help="Seconds a request may take (its search, or its wait for a free slot).",
)
@click.option(
    "--concurrent",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests searching at the same moment; the others wait their turn.",
)
@click.option("--quiet", is_flag=True, help="Do not log each request on stderr.")
@library_errors
def serve(index_path: Path, host: str, port: int, time_budget: float, concurrent: int, quiet: bool) -> None:
    """Answer searches over HTTP with JSON, many clients at once.

    Routes: /search?q=… (with limit, page, sort, since, until, any, facets,
    recent, synonyms, collapse, format=json|jsonl, timeout), /documents/ID,
    /similar/ID, /timeline?q=…, /stats. format=jsonl gives exactly what
    `search query --json` prints. Bad requests get 400 and a JSON error.
    Listens on 127.0.0.1 (this machine only) unless --host names another
    address. Stop with Ctrl-C.

    \b
    Example:
      search serve --index index --port 8080
      curl 'http://127.0.0.1:8080/search?q=визит+Лаврова&limit=3'
    """
    import sys

    from search.index import Index
    from search.service import make_server

    ix = Index.open(index_path)
    try:
        server = make_server(
            ix, host, port, time_budget=time_budget, concurrent=concurrent, log=None if quiet else sys.stderr
        )
    except OSError as error:
        ix.close()
        raise CliError(f"cannot listen on {host}:{port} ({error.strerror or error}); choose another --port or --host") from None
    if not _is_loopback(host):
        click.echo(f"note: listening on {host}: anyone who can reach this address can search the index", err=True)
    click.echo(f"Serving {index_path} ({len(ix):,} documents) at {server.url} — Ctrl-C to stop", err=True)
    signal.signal(signal.SIGTERM, _stop)  # `kill` stops it as cleanly as Ctrl-C
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stopped):
        click.echo("Stopped.", err=True)
    finally:
        server.server_close()
        ix.close()
