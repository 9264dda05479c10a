"""The ``search`` command: a thin Click layer over :mod:`search.index`."""

from __future__ import annotations

import click

from search import __version__
from search.cli.build import build, check, remove
from search.cli.inspect import analyze, show, stats, timeline
from search.cli.query import query, similar
from search.cli.shell import shell


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="search")
def main() -> None:
    """Search Russian foreign-ministry press releases.

    \b
    Quick start:
      search build                         # index ./corpus into ./index
      search query "визит Лаврова в Японию"
    """


main.add_command(build)
main.add_command(remove)
main.add_command(check)
main.add_command(query)
main.add_command(similar)
main.add_command(show)
main.add_command(timeline)
main.add_command(stats)
main.add_command(analyze)
main.add_command(shell)
