"""``search build``: index corpus files into an index directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from search.cli.options import (
    EXIT_PARTIAL,
    CliError,
    color_option,
    index_option,
    json_option,
    library_errors,
)

DEFAULT_CORPUS = "corpus"
# Inputs larger than this are indexed by two processes; below it, starting
# them costs more than it saves (see README, "Performance").
PARALLEL_MIN_BYTES = 4_000_000


def _default_sources() -> list[Path]:
    corpus = Path(DEFAULT_CORPUS)
    if not corpus.is_dir():
        raise CliError(
            f"no sources given and no ./{DEFAULT_CORPUS} directory here; "
            "name the files or directories to index: search build PATH..."
        )
    return [corpus]


def _auto_procs(total_bytes: int) -> int:
    cores = os.cpu_count() or 1
    return 2 if cores >= 2 and total_bytes >= PARALLEL_MIN_BYTES else 1


@click.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Start over: replace the whole index with these sources.")
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help="Indexing processes (default: 2 for large inputs on a multi-core machine, else 1).",
)
@json_option
@color_option
@library_errors
def build(sources: tuple[Path, ...], index_path: Path, rebuild: bool, procs: int | None, as_json: bool) -> None:
    """Index SOURCES (files or directories; default ./corpus) into the index.

    Incremental by default: a document whose id is already indexed replaces
    the old one, unchanged documents are skipped. Bad records are reported
    with file and line and skipped; the rest is indexed and committed at once.
    Exit status 3 when some records were skipped.

    \b
    Example:
      search build
      search build ../shared/corpus/derived/diplomacy_ru.jsonl.gz --index /tmp/dip
      search build releases/ --rebuild
    """
    from search.cli import render
    from search.corpus import CorpusReader
    from search.errors import IndexVersionError
    from search.index import Index

    reader = CorpusReader(list(sources) or _default_sources())
    if not reader.files:
        raise CliError("the sources hold no files to index (expected .jsonl, .json, .txt or .gz)")
    procs = procs or _auto_procs(reader.total_bytes)
    try:
        ix = Index.open_or_create(index_path)
    except IndexVersionError:
        if not rebuild:
            raise
        ix = Index.create(index_path, overwrite=True)
    with ix, render.build_progress(reader, enabled=not as_json) as on_progress:
        if rebuild:
            report = ix.rebuild(reader, procs=procs, on_progress=on_progress)
        else:
            report = ix.add(reader, procs=procs, on_progress=on_progress)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        render.build_summary(report, index_path, ignored=reader.ignored)
    if report.skipped:
        raise SystemExit(EXIT_PARTIAL)
