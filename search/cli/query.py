"""``search query`` and ``search similar``: ranked search with highlighted snippets."""

from __future__ import annotations

from pathlib import Path

import click

from search.cli.options import (
    EXIT_NO_RESULTS,
    bom_option,
    color_option,
    date_options,
    format_option,
    index_option,
    library_errors,
    limit_option,
    require_words,
    timeout_option,
)


def lines_option(function):
    return click.option(
        "--lines",
        "snippet_lines",
        type=click.IntRange(0, 100),
        default=3,
        show_default=True,
        help="Screen lines of snippet per hit on a terminal; 0 for all of it.",
    )(function)


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@limit_option
@click.option("-p", "--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest", "date"]),
    default="relevance",
    show_default=True,
    help="Order by relevance or by date (date = newest).",
)
@date_options
@click.option("--any", "match_any", is_flag=True, help="Rank documents containing any of the words.")
@click.option("--recent", is_flag=True, help="Favour newer documents («latest on X»).")
@click.option("--facets", is_flag=True, help="Also count the matches by source and year.")
@click.option("--no-synonyms", is_flag=True, help="Do not expand names with the thesaurus.")
@click.option("--no-collapse", is_flag=True, help="Show every copy of a republished release separately.")
@click.option(
    "--no-snippets", is_flag=True, help="Leave out the snippets (ids, titles and scores only; faster)."
)
@click.option("--explain", is_flag=True, help="Show how the query was understood (on stderr).")
@lines_option
@timeout_option
@format_option()
@bom_option
@color_option
@library_errors
def query(
    text: str,
    index_path: Path,
    limit: int,
    page: int,
    sort: str,
    since,
    until,
    match_any: bool,
    recent: bool,
    facets: bool,
    no_synonyms: bool,
    no_collapse: bool,
    no_snippets: bool,
    explain: bool,
    snippet_lines: int,
    timeout: float,
    output_format: str,
    bom: bool,
) -> None:
    """Search the index for QUERY and print the best matches.

    Every word must occur, in any inflected form; when no document has them
    all, documents with any of them are ranked instead (a note says so).
    Names are expanded with the thesaurus («Киргизия» also finds
    «Кыргызстан»). See README.md, "Query syntax", for operators, phrases,
    exact forms (!слово), prefixes, fuzzy words and date: filters.
    A search that runs out of time (--timeout) shows the best results found
    by then, with a note. Exit status 1 when nothing matches.

    \b
    Example:
      search query "визит Лаврова в Японию"
      search query "санкции" --sort newest --limit 5 --since 2022
      search query '"совет министров" СНГ -Минск' --facets
      search query "заявление МИД о ситуации на Ближнем Востоке" --any --json
      search query "Лавров" --lines 0            # whole snippets
      search query "Лавров" -n 100 --format csv --bom > hits.csv
      search query "санкц*" --timeout 5
      search query "санкции" -n 100 --no-snippets --json
    """
    from search.cli import render
    from search.index import Index

    require_words(text)
    with Index.open(index_path) as ix:
        results = ix.search(
            text,
            limit=limit,
            page=page,
            sort=sort,
            match="any" if match_any else "all",
            since=since,
            until=until,
            recent=recent,
            facets=facets,
            synonyms=not no_synonyms,
            collapse=not no_collapse,
            timeout=timeout,
            snippets=not no_snippets,
        )
    render.report(results, output_format, explain=explain, snippet_lines=snippet_lines, bom=bom)
    if results.total == 0:
        raise SystemExit(EXIT_NO_RESULTS)


@click.command()
@click.argument("doc_id", metavar="ID")
@index_option
@limit_option
@lines_option
@format_option()
@bom_option
@color_option
@library_errors
def similar(doc_id: str, index_path: Path, limit: int, snippet_lines: int, output_format: str, bom: bool) -> None:
    """Show the documents most like document ID (sharing its key words).

    \b
    Example:
      search similar mid-2017-0320-japan
      search similar mid-2017-0320-japan -n 3 --json
      search similar mid-2017-0320-japan --format tsv
    """
    from search.cli import render
    from search.index import Index

    with Index.open(index_path) as ix:
        results = ix.similar(doc_id, limit=limit)
    render.report(results, output_format, snippet_lines=snippet_lines, bom=bom)
    if results.total == 0:
        raise SystemExit(EXIT_NO_RESULTS)
