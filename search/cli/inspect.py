"""``search show``, ``timeline``, ``stats`` and ``analyze``: looking into documents and the index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from search.cli.options import (
    EXIT_NO_RESULTS,
    color_option,
    date_options,
    index_option,
    json_option,
    library_errors,
)


@click.command()
@click.argument("doc_id", metavar="ID")
@index_option
@click.option("-q", "--query", "text", metavar="QUERY", help="Highlight this query's matches.")
@click.option("--no-pager", is_flag=True, help="Print straight to the terminal, without a pager.")
@json_option
@color_option
@library_errors
def show(doc_id: str, index_path: Path, text: str | None, no_pager: bool, as_json: bool) -> None:
    """Show document ID whole: metadata, text, the query's matches highlighted.

    Long documents open in a pager ($PAGER, else less) on a terminal.

    \b
    Example:
      search show mid-2017-0320-japan
      search show mid-2017-0320-japan --query "визит министра"
      search show mid-2017-0320-japan --json
    """
    from search.cli import render_inspect
    from search.index import Index

    with Index.open(index_path) as ix:
        view = ix.show(doc_id, text)
    if as_json:
        click.echo(json.dumps(view.to_json(), ensure_ascii=False))
    else:
        render_inspect.document(view, pager=not no_pager)


@click.command()
@click.argument("text", metavar="QUERY")
@index_option
@click.option("--by", type=click.Choice(["month", "year"]), default="month", show_default=True, help="Period length.")
@click.option("--any", "match_any", is_flag=True, help="Count documents containing any of the words.")
@date_options
@click.option("--no-synonyms", is_flag=True, help="Do not expand names with the thesaurus.")
@json_option
@color_option
@library_errors
def timeline(text: str, index_path: Path, by: str, match_any: bool, since, until, no_synonyms: bool, as_json: bool) -> None:
    """Chart how many documents match QUERY per month or year.

    Answers "when did the ministry talk about X": one bar per period (empty
    periods included), with the total. Exit status 1 when nothing matches.

    \b
    Example:
      search timeline "Япония" --by year
      search timeline '"Центральная Азия"' --since 2017 --until 2019
      search timeline "санкции" --json
    """
    from search.cli import render, render_inspect
    from search.index import Index

    with Index.open(index_path) as ix:
        found = ix.timeline(
            text, by=by, match="any" if match_any else "all", since=since, until=until, synonyms=not no_synonyms
        )
    for message in found.notices:
        render.notice(message)
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
    else:
        render_inspect.timeline(found)
    if found.total == 0:
        raise SystemExit(EXIT_NO_RESULTS)


@click.command()
@index_option
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="How many sources to list.")
@json_option
@color_option
@library_errors
def stats(index_path: Path, top: int, as_json: bool) -> None:
    """Describe the index: documents, sources, dates, size, terms, version, last build.

    \b
    Example:
      search stats
      search stats --top 20 --json
    """
    from search.cli import render_inspect
    from search.index import Index

    with Index.open(index_path) as ix:
        found = ix.stats(top=top)
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
    else:
        render_inspect.stats(found, index_path)


@click.command()
@click.argument("text")
@index_option
@click.option("--no-synonyms", is_flag=True, help="Show the query without thesaurus expansion.")
@json_option
@color_option
@library_errors
def analyze(text: str, index_path: Path, no_synonyms: bool, as_json: bool) -> None:
    """Show how TEXT is analysed: tokens, offsets, exact forms, lemmas, and how
    it is parsed and expanded as a query. The first tool to reach for when a
    result surprises you. Works without an index (with the default settings).

    \b
    Example:
      search analyze "Визит Лаврова в Ростов-на-Дону"
      search analyze "Киргизия OR !Японию" --json
    """
    from search.query import thesaurus
    from search.cli import render_inspect
    from search.query.diagnostics import analyze as analyze_text
    from search.errors import IndexNotFoundError
    from search.index import Index

    try:
        with Index.open(index_path) as ix:
            found = ix.analyze(text, synonyms=not no_synonyms)
    except IndexNotFoundError:
        found = analyze_text(text, thesaurus=None if no_synonyms else thesaurus.default())
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
    else:
        render_inspect.analysis(found)
