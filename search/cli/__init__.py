"""The ``search`` command: a thin Click layer over :mod:`search.index`."""

from __future__ import annotations

import importlib
import os

import click

from search import __version__

# numpy's OpenBLAS starts a thread per core when numpy is imported, and they
# spin: about 0.09 s of CPU in every command, 7 ms of wall time on an idle
# machine and more on a busy one. Nothing here multiplies matrices. A value
# the user set stays; the library (imported without the CLI) leaves it alone.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Command name -> module defining it. A command's module (and what it imports)
# loads only when that command runs or help lists it: a query starts faster.
COMMANDS = {
    "build": "search.cli.build",
    "remove": "search.cli.build",
    "check": "search.cli.build",
    "query": "search.cli.query",
    "similar": "search.cli.query",
    "export": "search.cli.toolkit",
    "kwic": "search.cli.toolkit",
    "terms": "search.cli.toolkit",
    "show": "search.cli.inspect",
    "timeline": "search.cli.inspect",
    "stats": "search.cli.inspect",
    "analyze": "search.cli.inspect",
    "shell": "search.cli.shell",
    "serve": "search.cli.serve",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = COMMANDS.get(name)
        if module is None:
            return None
        return getattr(importlib.import_module(module), name)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, "-V", "--version", prog_name="search")
def main() -> None:
    """Search Russian foreign-ministry press releases.

    \b
    Quick start:
      search build                         # index ./corpus into ./index
      search query "визит Лаврова в Японию"
    """
