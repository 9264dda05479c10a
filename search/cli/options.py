"""Options and error handling shared by every command."""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Any, Callable

import click

INDEX_ENV = "SEARCH_INDEX"
DEFAULT_INDEX = "index"

# Exit codes, documented in README.md.
EXIT_OK = 0
EXIT_NO_RESULTS = 1
EXIT_FAILURE = 2
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


class CliError(click.ClickException):
    """A failure the user can act on: printed as ``Error: …``, exit code 2."""

    exit_code = EXIT_FAILURE


def index_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--index DIR``, defaulting to $SEARCH_INDEX, then ./index."""
    return click.option(
        "--index",
        "index_path",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=INDEX_ENV,
        default=DEFAULT_INDEX,
        show_default=True,
        show_envvar=True,
        help="Index directory.",
    )(function)


def limit_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Hits per page."
    )(function)


def _date_option(name: str, end: bool, help_text: str):
    def convert(ctx: click.Context, param: click.Parameter, value: str | None):
        if value is None:
            return None
        from search.text.dates import date_bound

        try:
            return date_bound(value, end=end)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None

    return click.option(name, metavar="DATE", callback=convert, help=help_text)


def date_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--since DATE`` and ``--until DATE``, parsed into dates, in order."""

    @functools.wraps(function)
    def checked(*args: Any, since: Any, until: Any, **kwargs: Any) -> Any:
        if since is not None and until is not None and since > until:
            raise click.UsageError(f"--since ({since}) is after --until ({until}); swap them?")
        return function(*args, since=since, until=until, **kwargs)

    with_until = _date_option(
        "--until", end=True, help_text="Only documents dated on or before DATE (the end of a month or year given)."
    )(checked)
    return _date_option(
        "--since", end=False, help_text="Only documents dated on or after DATE (2017, 2017-05, 10.09.2017, «сентябрь 2017»)."
    )(with_until)


def timeout_option(
    function: Callable[..., Any] | None = None,
    *,
    default: float | None = None,
    help_text: str = "Stop a search after this long and show the best results found so far.",
) -> Any:
    """``--timeout SECONDS``: the time budget of one search (``default``: a
    search's), as ``@timeout_option`` or ``@timeout_option(default=…, help_text=…)``."""
    from search.limits import DEFAULT_TIMEOUT

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--timeout",
            type=click.FloatRange(0.01, 3600),
            default=DEFAULT_TIMEOUT if default is None else default,
            show_default=True,
            metavar="SECONDS",
            help=help_text,
        )(command)

    return decorate(function) if function is not None else decorate


def json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(function)


def color_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--no-color``; colour is also off when NO_COLOR is set or output is piped."""

    @click.option("--no-color", is_flag=True, help="Plain output without colours (also: NO_COLOR=1).")
    @functools.wraps(function)
    def wrapper(*args: Any, no_color: bool, **kwargs: Any) -> Any:
        if no_color:
            os.environ["NO_COLOR"] = "1"
        return function(*args, **kwargs)

    return wrapper


def library_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors into clean CLI errors, never tracebacks, and
    its notices (a stale lock taken over) into ``note:`` lines."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from search.errors import SearchError
        from search.indexer.stopping import exit_status

        try:
            with warnings.catch_warnings():
                warnings.showwarning = _show_notices(warnings.showwarning)
                return function(*args, **kwargs)
        except SearchError as error:
            raise CliError(str(error)) from None
        except KeyboardInterrupt as error:
            signum = getattr(error, "signum", None)
            by = f" by {error}" if signum and exit_status(error) != EXIT_INTERRUPTED else ""
            click.echo(f"Interrupted{by}.", err=True)
            raise SystemExit(exit_status(error)) from None

    return wrapper


def format_option(choices: tuple[str, ...] = ("table", "json", "jsonl", "csv", "tsv"), default: str = "table"):
    """``--format``, with ``--json`` kept as a synonym of ``--format jsonl``
    (JSON Lines, what ``--json`` always printed); passes ``output_format``."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=None,
            help=f"Output format [default: {default}]; columns in README, \"Output formats\".",
        )
        @click.option("--json", "as_json", is_flag=True, help="The same as --format jsonl.")
        @functools.wraps(function)
        def wrapper(*args: Any, output_format: str | None, as_json: bool, **kwargs: Any) -> Any:
            if as_json and output_format not in (None, "jsonl"):
                raise click.UsageError(f"--json means --format jsonl; it cannot go with --format {output_format}")
            return function(*args, output_format="jsonl" if as_json else output_format or default, **kwargs)

        return wrapper

    return decorate


def bom_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--bom", is_flag=True, help="Start CSV/TSV output with a UTF-8 byte-order mark (for Excel)."
    )(function)


def _show_notices(show: Callable[..., None]) -> Callable[..., None]:
    def showwarning(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
        from search.storage.locking import StaleLockWarning

        if issubclass(category, StaleLockWarning):
            from search.cli.render import notice

            notice(str(message))
        else:
            show(message, category, *args, **kwargs)

    return showwarning


def require_words(text: str) -> None:
    """Refuse a query with no word to search for, saying why (the words of a
    query typed only of over-long words are not indexed)."""
    from search.limits import MAX_WORD_LENGTH
    from search.query.planner import plain_words
    from search.query.syntax import all_words

    if plain_words(text):
        return
    if any(len(word) > MAX_WORD_LENGTH for word in all_words(text)):
        raise click.UsageError(
            f"the query has no words to search for (words over {MAX_WORD_LENGTH} characters are not indexed)"
        )
    raise click.UsageError("the query has no words to search for")
