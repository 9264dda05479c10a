"""``search build``, ``search remove`` and ``search check``: writing and verifying the index."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click

from search.cli.options import (
    EXIT_FAILURE,
    EXIT_PARTIAL,
    CliError,
    color_option,
    index_option,
    json_option,
    library_errors,
)

DEFAULT_CORPUS = "corpus"
# Inputs of more text than this are indexed by two processes; below it,
# starting them and warming two lemma caches costs what it saves (measured:
# 5.9 MB of JSON, 400 releases: 23 s with one process, 25 s with two; 1,783
# releases, 3.5 MB gzipped: 50 s with one, 30 s with two).
PARALLEL_MIN_BYTES = 10_000_000
# Compressed inputs hold about this many times their size in text.
COMPRESSION_RATIO = 4


# Said when a second stop signal ends a build at once.
SECOND_STOP = (
    "Stopped at once by a second {signal}: the index is at its last commit, and what this build "
    "left is removed by the next; run the same build again to finish.\n"
)


def _default_sources() -> list[Path]:
    corpus = Path(DEFAULT_CORPUS)
    if not corpus.is_dir():
        raise CliError(
            f"no sources given and no ./{DEFAULT_CORPUS} directory here; "
            "name the files or directories to index: search build PATH..."
        )
    return [corpus]


def _auto_procs(files) -> int:
    cores = os.cpu_count() or 1
    text_bytes = sum(
        f.path.stat().st_size * (COMPRESSION_RATIO if f.path.suffix.lower() in (".gz", ".zip") else 1) for f in files
    )
    return 2 if cores >= 2 and text_bytes >= PARALLEL_MIN_BYTES else 1


def _field_overrides(values: tuple[str, ...]) -> dict[str, str]:
    from search.documents import FIELD_ALIASES

    overrides = {}
    for value in values:
        name, _, column = value.partition("=")
        if not column or name not in FIELD_ALIASES:
            raise click.BadParameter(
                f"{value!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELD_ALIASES)}",
                param_hint="--field",
            )
        overrides[name] = column
    return overrides


def _write_errors(path: Path, report) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for problem in report.problems:
            entry = {"location": problem.location, "reason": problem.reason, "skipped": problem.skipped}
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


@click.command()
@click.argument("sources", nargs=-1)
@index_option
@click.option("--rebuild", is_flag=True, help="Start over: replace the whole index with these sources.")
@click.option("--prune", is_flag=True, help="Also remove documents whose source files no longer exist.")
@click.option("--field", "fields", multiple=True, metavar="FIELD=COLUMN", help="Read FIELD from COLUMN (repeatable), e.g. body=текст.")
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path), help="Write every skipped record and warning to FILE (JSON Lines).")
@click.option(
    "--procs",
    type=click.IntRange(1, 64),
    default=None,
    help="Indexing processes (default: 2 for large inputs on a multi-core machine, else 1).",
)
@json_option
@color_option
@library_errors
def build(
    sources: tuple[str, ...],
    index_path: Path,
    rebuild: bool,
    prune: bool,
    fields: tuple[str, ...],
    errors_file: Path | None,
    procs: int | None,
    as_json: bool,
) -> None:
    """Index SOURCES (files, directories, .zip archives or http(s) URLs;
    default ./corpus) into the index.

    Incremental by default: a document whose id is already indexed replaces
    the old one, unchanged documents are skipped. Bad records are reported
    with file and line and skipped; the rest is indexed and committed at once.
    Ctrl-C, SIGTERM and SIGHUP commit the documents read so far (with
    --rebuild: keep the old index). Exit status 2 on failure (a full disk:
    the index stays as it was), 3 when some records were skipped, 130 / 143
    / 129 when stopped by Ctrl-C / SIGTERM / SIGHUP.

    \b
    Example:
      search build
      search build ../shared/corpus/derived/diplomacy_ru.jsonl.gz --index /tmp/dip
      search build releases/ --prune --errors problems.jsonl
      search build export.csv --field body=текст --field title=заголовок
      search build https://example.org/releases.jsonl.gz
      search build releases/ --rebuild
    """
    from search.indexer import stopping
    from search.cli import render
    from search.corpus import CorpusReader, ReadOptions
    from search.errors import IndexVersionError
    from search.index import Index

    click.get_current_context().call_on_close(stopping.raise_on_stop_signals(SECOND_STOP))
    reader = CorpusReader(
        list(sources) or _default_sources(),
        ReadOptions(_field_overrides(fields)),
        download=render.fetch_with_progress,
    )
    if not reader.files:
        raise CliError("the sources hold no files to index (expected " + _supported() + ")")
    procs = procs or _auto_procs(reader.files)
    try:
        ix = Index.open_or_create(index_path)
    except IndexVersionError:
        if not rebuild:
            raise
        ix = Index.create(index_path, overwrite=True)
    with ix, render.build_progress(reader, enabled=not as_json) as on_progress:
        try:
            if rebuild:
                report = ix.rebuild(reader, procs=procs, on_progress=on_progress)
            else:
                report = ix.add(reader, procs=procs, on_progress=on_progress, prune=prune, keep_partial=True)
        except KeyboardInterrupt as stop:
            render.stderr().print(
                f"Interrupted{_by(getattr(stop, 'signum', None))}: the rebuild was rolled back; the index is as it was."
            )
            raise SystemExit(stopping.exit_status(stop)) from None
    if errors_file:
        _write_errors(errors_file, report)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        render.build_summary(report, index_path, ignored=reader.ignored)
    if report.interrupted:
        signum = getattr(signal, report.signal, signal.SIGINT)
        render.stderr().print(
            f"Interrupted{_by(signum)}: committed the {report.added + report.updated} new or changed documents "
            "read so far; run the same build again to finish."
        )
        raise SystemExit(128 + signum)
    if report.skipped:
        raise SystemExit(EXIT_PARTIAL)


def _by(signum: int | None) -> str:
    """" by SIGTERM" for the signals other than Ctrl-C's."""
    return f" by {signal.Signals(signum).name}" if signum and signum != signal.SIGINT else ""


def _supported() -> str:
    from search.corpus import supported

    return supported()


@click.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID...")
@index_option
@json_option
@color_option
@library_errors
def remove(ids: tuple[str, ...], index_path: Path, as_json: bool) -> None:
    """Remove the documents with these ids from the index.

    Exit status 1 when none of them was in the index.

    \b
    Example:
      search remove mid-2017-0320-japan
      search remove id1 id2 id3 --json
    """
    from search.indexer import stopping
    from search.index import Index

    click.get_current_context().call_on_close(stopping.raise_on_stop_signals())
    with Index.open(index_path) as ix:
        removed = ix.delete(ids)
        remaining = len(ix)
    if as_json:
        click.echo(json.dumps({"removed": removed, "requested": len(ids), "documents": remaining}))
    else:
        from search.cli.render import plural

        click.echo(
            f"Removed {removed:,} of {plural(len(ids), 'document')}; "
            f"the index now holds {plural(remaining, 'document')}."
        )
    if removed == 0:
        raise SystemExit(1)


@click.command()
@index_option
@json_option
@color_option
@library_errors
def check(index_path: Path, as_json: bool) -> None:
    """Verify the index: version, schema, and every segment readable.

    Prints the document count and exactly what is wrong, if anything;
    exit status 2 when there is a problem.

    \b
    Example:
      search check
      search check --index /tmp/dip --json
    """
    from search.storage.checking import check_index
    from search.cli.render import plural

    report = check_index(index_path)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        status = "OK" if report.ok else "PROBLEMS FOUND"
        click.echo(
            f"{status}: {index_path} holds {plural(report.documents, 'document')} in "
            f"{plural(report.segments, 'segment')} ({report.deleted:,} deleted awaiting merge), "
            f"schema version {report.schema_version}, "
            f"{report.size_bytes / 1e6:.1f} MB."
        )
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
    if not report.ok:
        raise SystemExit(EXIT_FAILURE)
