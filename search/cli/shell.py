"""``search shell``: interactive search with line editing, history and paging.

The index and the morphology dictionaries are loaded once when the shell
starts, so every query answers at once. Lines starting with ``:`` are
commands; ``n`` and ``p`` page; anything else is a query.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from search.cli.options import color_option, index_option, library_errors

HISTORY_ENV = "SEARCH_HISTORY"
HISTORY_LENGTH = 2000
PROMPT = "search> "
HELP = """\
Type a query to search (same syntax as `search query`). Then:
  n, :next            next page            p, :prev     previous page
  :show N             open result N        :similar N   documents like result N
  :sort relevance|newest|oldest            :any on|off  any-term ranking
  :since DATE|off     :until DATE|off      :limit N     hits per page
  :timeline [month|year]  the current query over time
  :stats              the index            :help        this help
  Ctrl-C              cancel the running query
  :q, Ctrl-D          leave
"""


def history_path() -> Path:
    """$SEARCH_HISTORY, else ~/.local/state/search/history (XDG_STATE_HOME honoured)."""
    configured = os.environ.get(HISTORY_ENV)
    if configured:
        return Path(configured).expanduser()
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "search" / "history"


class Shell:
    """The state of an interactive session and what each line does to it."""

    def __init__(self, ix, limit: int = 10):
        self.ix = ix
        self.limit = limit
        self.query: str | None = None
        self.page = 1
        self.sort = "relevance"
        self.match = "all"
        self.since = None
        self.until = None
        self.results = None

    def handle(self, line: str) -> bool:
        """Act on one input line; ``False`` when the user wants to leave."""
        from search.cli import render
        from search.errors import SearchError

        line = line.strip()
        if not line:
            return True
        command, _, argument = line.partition(" ")
        argument = argument.strip()
        try:
            if command in (":q", ":quit", ":exit"):
                return False
            action = self._commands().get(command)
            if action is not None:
                action(argument)
            elif line.startswith(":"):
                render.notice(f"unknown command {command}; type :help")
            else:
                self.query, self.page = line, 1
                self._search()
        except (SearchError, ValueError) as error:
            render.stderr().print(f"error: {error}")
        return True

    def _commands(self):
        return {
            "n": self._next, ":next": self._next, "p": self._previous, ":prev": self._previous,
            ":show": self._show, ":similar": self._similar, ":sort": self._set_sort,
            ":any": self._set_any, ":since": self._set_since, ":until": self._set_until,
            ":limit": self._set_limit, ":timeline": self._timeline, ":stats": self._stats,
            ":help": self._help, ":h": self._help, "?": self._help,
        }

    def _search(self) -> None:
        from search.cli import render

        if not self.query:
            render.notice("type a query first")
            return
        self.results = self.ix.search(
            self.query, limit=self.limit, page=self.page, sort=self.sort, match=self.match,
            since=self.since, until=self.until,
        )
        render.report(self.results, next_hint="n")

    def _next(self, _: str) -> None:
        if self.results is not None and self.page < self.results.pages:
            self.page += 1
        self._search()

    def _previous(self, _: str) -> None:
        self.page = max(1, self.page - 1)
        self._search()

    def _hit(self, argument: str):
        if self.results is None or not argument.isdigit():
            raise ValueError("give the number of a result shown, e.g. :show 1")
        rank = int(argument)
        for hit in self.results.hits:
            if hit.rank == rank:
                return hit
        raise ValueError(f"result {rank} is not on this page")

    def _show(self, argument: str) -> None:
        from search.cli import render_inspect

        hit = self._hit(argument)
        render_inspect.document(self.ix.show(hit.id, self.query if self.query else None))

    def _similar(self, argument: str) -> None:
        from search.cli import render

        hit = self._hit(argument)
        self.results = self.ix.similar(hit.id, limit=self.limit)
        render.report(self.results)

    def _set_sort(self, argument: str) -> None:
        if argument not in ("relevance", "newest", "oldest", "date"):
            raise ValueError("sort by relevance, newest or oldest")
        self.sort, self.page = argument, 1
        self._search() if self.query else None

    def _set_any(self, argument: str) -> None:
        self.match = "any" if argument in ("on", "yes", "") else "all"
        self.page = 1
        self._search() if self.query else None

    def _date(self, argument: str, end: bool):
        from search.text.dates import date_bound

        return None if argument in ("off", "") else date_bound(argument, end=end)

    def _set_since(self, argument: str) -> None:
        self.since, self.page = self._date(argument, end=False), 1
        self._search() if self.query else None

    def _set_until(self, argument: str) -> None:
        self.until, self.page = self._date(argument, end=True), 1
        self._search() if self.query else None

    def _set_limit(self, argument: str) -> None:
        if not argument.isdigit() or not 1 <= int(argument) <= 1000:
            raise ValueError("the limit is a number from 1 to 1000")
        self.limit, self.page = int(argument), 1
        self._search() if self.query else None

    def _timeline(self, argument: str) -> None:
        from search.cli import render_inspect

        if not self.query:
            raise ValueError("type a query first")
        render_inspect.timeline(
            self.ix.timeline(self.query, by=argument or "year", match=self.match, since=self.since, until=self.until)
        )

    def _stats(self, _: str) -> None:
        from search.cli import render_inspect

        render_inspect.stats(self.ix.stats(), self.ix.path)

    def _help(self, _: str) -> None:
        from search.cli import render

        render.stdout().print(HELP, highlight=False, markup=False)


def _enable_line_editing() -> None:
    """Readline editing and a persistent history, where readline exists."""
    try:
        import atexit
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(str(path))
    except OSError:
        return
    readline.set_history_length(HISTORY_LENGTH)

    def save() -> None:
        try:
            readline.write_history_file(str(path))
        except OSError:
            pass

    atexit.register(save)


@click.command()
@index_option
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Hits per page.")
@color_option
@library_errors
def shell(index_path: Path, limit: int) -> None:
    """Search interactively: type queries, page with n/p, open results with
    :show N; :help lists the commands; Ctrl-D or :q leaves. History is kept
    in ~/.local/state/search/history (or $SEARCH_HISTORY).

    \b
    Example:
      search shell
      search shell --index /tmp/dip -n 5
    """
    from search.cli import render
    from search.index import Index

    with Index.open(index_path) as ix:
        ix.analyze("загрузка словарей")  # load the morphology now, not at the first query
        session = Shell(ix, limit)
        _enable_line_editing()
        render.stdout().print(f"{render.plural(len(ix), 'document')} in {index_path}. Type a query, :help for commands, Ctrl-D to leave.")
        run(session)


def run(session: Shell, read=input) -> None:
    """Read and act on lines until Ctrl-D or :q. Ctrl-C at the prompt clears
    the line; during a query it cancels the query and returns to the prompt."""
    from search.cli import render

    while True:
        try:
            line = read(PROMPT)
        except EOFError:
            render.stdout().print()
            break
        except KeyboardInterrupt:
            render.stdout().print()
            continue
        try:
            if not session.handle(line):
                break
        except KeyboardInterrupt:
            render.notice("cancelled")
