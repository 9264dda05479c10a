"""``search query``: ranked search with highlighted snippets."""

from __future__ import annotations

from pathlib import Path

import click

from search.cli.options import (
    EXIT_NO_RESULTS,
    CliError,
    color_option,
    index_option,
    json_option,
    library_errors,
)


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Hits per page.")
@click.option("-p", "--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Order by relevance, or by date (newest first).",
)
@click.option("--any", "match_any", is_flag=True, help="Rank documents containing any of the words.")
@json_option
@color_option
@library_errors
def query(text: str, index_path: Path, limit: int, page: int, sort: str, match_any: bool, as_json: bool) -> None:
    """Search the index for QUERY and print the best matches.

    Every word must occur, in any inflected form; when no document has them
    all, documents with any of them are ranked instead (a note says so).
    Exit status 1 when nothing matches.

    \b
    Example:
      search query "визит Лаврова в Японию"
      search query "санкции" --sort date --limit 5
      search query "заявление МИД о ситуации на Ближнем Востоке" --any --json
    """
    from search.cli import render
    from search.index import Index
    from search.querying import plain_words

    if not plain_words(text):
        raise click.UsageError("the query has no words to search for")
    with Index.open(index_path) as ix:
        results = ix.search(text, limit=limit, page=page, sort=sort, match="any" if match_any else "all")
    for notice in results.notices:
        render.notice(notice)
    if as_json:
        render.results_json(results)
    else:
        render.results(results)
    if results.total == 0:
        raise SystemExit(EXIT_NO_RESULTS)
