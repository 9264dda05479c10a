"""``search export``, ``search kwic`` and ``search terms``: the analyst's toolkit.

Each takes a query with the filters of ``search query``, works on every
matching document (not a page), and prints a table on a terminal or any of
the machine-readable formats. The work is done by :mod:`search.toolkit.export`,
:mod:`search.toolkit.concordance` and :mod:`search.toolkit.keyness`; the tables are drawn by
:mod:`search.cli.render_toolkit`.
"""

from __future__ import annotations

from pathlib import Path

import click

from search.cli.options import (
    EXIT_NO_RESULTS,
    CliError,
    bom_option,
    color_option,
    date_options,
    format_option,
    index_option,
    library_errors,
    require_words,
    timeout_option,
)
from search.limits import CONCORDANCE_TIMEOUT

MAX_LINES = 1_000_000


def filter_options(function):
    """``--any``, ``--since``/``--until`` and ``--no-synonyms``, as on ``search query``."""
    function = click.option("--no-synonyms", is_flag=True, help="Do not expand names with the thesaurus.")(function)
    function = date_options(function)
    return click.option("--any", "match_any", is_flag=True, help="Documents containing any of the words.")(function)


def _filters(match_any: bool, since, until, no_synonyms: bool) -> dict:
    return {"match": "any" if match_any else "all", "since": since, "until": until, "synonyms": not no_synonyms}


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout.")
@click.option(
    "--sort",
    type=click.Choice(["newest", "oldest", "relevance", "index"]),
    default="newest",
    show_default=True,
    help="Order of the documents (index: as they were added).",
)
@filter_options
@format_option(default="jsonl")
@bom_option
@color_option
@library_errors
def export(
    text: str, index_path: Path, output: Path | None, sort: str, match_any: bool, since, until,
    no_synonyms: bool, output_format: str, bom: bool,
) -> None:
    """Write every document matching QUERY, whole: id, title, date, source,
    url, body and the ids of its republished copies.

    JSON Lines by default, or CSV/TSV with a header row, or one JSON array;
    to stdout or to FILE (with a progress bar on a terminal). Documents are
    read one at a time, so any number can be exported. Every filter of
    `search query` applies; there is no fallback to any-word matching
    (use --any). Exit status 1 when nothing matches.

    \b
    Example:
      search export "Центральная Азия" > central_asia.jsonl
      search export "санкции" --since 2022 --format csv --bom -o sanctions.csv
      search export 'source:mid.ru Япония' --sort oldest --format tsv
    """
    from search.cli import render, render_toolkit
    from search.cli.formats import output_stream, write_records
    from search.toolkit.export import EXPORT_COLUMNS
    from search.index import Index

    require_words(text)
    if output is not None and output_format == "table":
        raise click.UsageError("--format table is for the terminal; write a file as jsonl, json, csv or tsv")
    with Index.open(index_path) as ix:
        documents = ix.export(text, sort=sort, **_filters(match_any, since, until, no_synonyms))
        for message in documents.notices:
            render.notice(message)
        if not len(documents):
            render.emit([[(f"No documents match «{text}».", "")]], err=True)
            raise SystemExit(EXIT_NO_RESULTS)
        if output_format == "table":
            render_toolkit.export_table(documents)
            return
        try:
            with output_stream(output) as stream, render_toolkit.export_progress(len(documents), output) as step:
                records = (document.to_json() for document in step(documents))
                envelope = {"query": text, "total": len(documents)}
                write_records(records, output_format, EXPORT_COLUMNS, stream, bom, envelope, key="documents")
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                raise
            raise CliError(f"cannot write {output}: {error.strerror or error}") from None
    if output is not None:
        render.notice(f"wrote {render.plural(len(documents), 'document')} to {output}")


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@click.option(
    "-w", "--width", type=click.IntRange(1, 500), default=None,
    help="Characters of context each side [default: fit the terminal, else 40].",
)
@click.option(
    "--sort",
    type=click.Choice(["date", "source", "left", "right"]),
    default="date",
    show_default=True,
    help="Order: oldest first, by source, or by the words just left or right of the match.",
)
@click.option(
    "-n", "--limit", type=click.IntRange(1, MAX_LINES), default=1000, show_default=True,
    help="Lines at most (a note tells how many more there are).",
)
@filter_options
@timeout_option(
    default=CONCORDANCE_TIMEOUT,
    help_text="Stop reading documents after this long and show the lines found so far.",
)
@format_option()
@bom_option
@color_option
@library_errors
def kwic(
    text: str, index_path: Path, width: int | None, sort: str, limit: int, match_any: bool, since, until,
    no_synonyms: bool, timeout: float, output_format: str, bom: bool,
) -> None:
    """Keyword in context: every occurrence of QUERY's words, in any form,
    in the matching documents — one line each, the word in an aligned centre
    column between its left and right context, with date, source and id.

    The thesaurus widens the documents searched («Киргизия» also finds
    texts saying «Кыргызстан»), but the lines show the words typed.
    Exit status 1 when nothing matches.

    \b
    Example:
      search kwic "Лавров"
      search kwic "визит" --sort right --width 30
      search kwic "Япония" --since 2017 --format csv --bom > japan.csv
    """
    from search.cli import render, render_toolkit
    from search.toolkit.concordance import DEFAULT_WIDTH
    from search.index import Index

    require_words(text)
    terminal_table = output_format == "table" and render_toolkit.is_terminal()
    with Index.open(index_path) as ix:
        found = ix.concordance(
            text,
            width=width or (render_toolkit.fitting_width() if terminal_table else DEFAULT_WIDTH),
            sort=sort,
            limit=limit,
            timeout=timeout,
            **_filters(match_any, since, until, no_synonyms),
        )
    for message in found.notices:
        render.notice(message)
    if not found.documents:
        render.emit([[(f"No documents match «{text}».", "")]], err=True)
        raise SystemExit(EXIT_NO_RESULTS)
    render_toolkit.concordance(found, output_format, bom)
    if found.total > len(found.lines):
        more = found.total - len(found.lines)
        render.notice(f"{render.plural(more, 'more occurrence')} not shown; raise --limit to see them")


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@click.option("--top", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many terms (per year with --by year).")
@click.option("--by", type=click.Choice(["year"]), default=None, help="Also the top terms of each year's documents.")
@filter_options
@format_option()
@bom_option
@color_option
@library_errors
def terms(
    text: str, index_path: Path, top: int, by: str | None, match_any: bool, since, until,
    no_synonyms: bool, output_format: str, bom: bool,
) -> None:
    """The significant terms of the documents matching QUERY: the lemmas
    over-represented in them against the rest of the index, scored by
    log-likelihood G² (above 10.8: p < 0.001). Function words and the query's
    own words are left out. --by year shows how the vocabulary around the
    topic shifts. Exit status 1 when nothing matches.

    \b
    Example:
      search terms "Япония"
      search terms "Центральная Азия" --top 10 --by year
      search terms "санкции" --format json
    """
    from search.cli import render, render_toolkit
    from search.index import Index

    require_words(text)
    with Index.open(index_path) as ix:
        found = ix.significant_terms(text, top=top, by=by, **_filters(match_any, since, until, no_synonyms))
    for message in found.notices:
        render.notice(message)
    if not found.documents:
        render.emit([[(f"No documents match «{text}».", "")]], err=True)
        raise SystemExit(EXIT_NO_RESULTS)
    render_toolkit.key_terms(found, output_format, bom)
