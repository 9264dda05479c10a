"""Terminal rendering: colour on a terminal, plain text when piped.

Query results are laid out as lines of (text, style) segments; on a terminal
Rich paints them (and honours NO_COLOR), otherwise they are written as plain
text without importing Rich at all, which keeps a piped ``search query``
about 45 ms quicker to start. Nothing here decides *what* to show, only how.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import click

from search.cli.layout import compact_snippet

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from search.corpus import CorpusReader
    from search.index import SearchResults
    from search.indexer.writer import AddReport
    from search.retrieval.snippets import Snippet

HIGHLIGHT = "bold yellow"
MAX_PROBLEMS_SHOWN = 20

Line = list[tuple[str, str]]
"""One output line as (text, Rich style) segments; style "" is unstyled."""


def stdout() -> "Console":
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _is_terminal(err: bool) -> bool:
    """Rich's own test, minus its import: a TTY, or colour forced (FORCE_COLOR)."""
    stream = sys.stderr if err else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(os.environ.get("FORCE_COLOR")) or bool(isatty and isatty())


def emit(lines: Sequence[Line], err: bool = False, hanging: bool = False, crop: bool = False) -> None:
    """Print styled lines: painted by Rich on a terminal, plain text otherwise.

    With ``hanging``, a line that starts with an indent (or a rank such as
    «  1. ») wraps on a terminal with its continuation lines indented as far.
    With ``crop``, lines wider than the terminal are cut at its edge instead.
    """
    if not _is_terminal(err):
        click.echo("\n".join("".join(text for text, _ in line) for line in lines), err=err)
        return
    from rich.text import Text

    console = stderr() if err else stdout()
    for line in lines:
        rest, indent = _hanging(line) if hanging else (line, 0)
        if not indent:
            console.print(Text.assemble(*line), no_wrap=crop or None, crop=True)
            continue
        wrapped = Text.assemble(*rest).wrap(console, max(console.width - indent, 20))
        head = Text.assemble(line[0])
        for number, part in enumerate(wrapped):
            console.print(Text.assemble(head if number == 0 else " " * indent, part), no_wrap=True, crop=False)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """«1 document», «2 documents», «1,234 documents» (``plural_form`` for irregular nouns)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def notice(message: str) -> None:
    emit([[("note: ", "bold cyan"), (message, "")]], err=True)


def segments(text: str, spans: Sequence[Sequence[int]], base: str = "") -> Line:
    """Split text at highlight spans: highlighted parts styled on top of ``base``."""
    line: Line = []
    position = 0
    marked = f"{base} {HIGHLIGHT}".strip()
    for start, end in sorted(spans):
        start = max(start, position)
        if end <= start:
            continue
        if start > position:
            line.append((text[position:start], base))
        line.append((text[start:end], marked))
        position = end
    if position < len(text) or not line:
        line.append((text[position:], base))
    return line


def highlighted(text: str, spans: Sequence[Sequence[int]], base: str = "") -> "Text":
    """The same as a Rich Text, for the Rich-only views (``show``)."""
    from rich.text import Text

    return Text.assemble(*segments(text, spans, base))


# On a terminal a hit's snippet takes at most this many screen lines (--lines).
SNIPPET_LINES = 3
# Hit lines are indented this far; their wrapped lines too.
INDENT = 5


def results(found: "SearchResults", next_hint: str = "--page {page}", snippet_lines: int = SNIPPET_LINES) -> None:
    """Numbered hits: title, date · source · score, snippet, URL.

    On a terminal each line wraps under its own text (indented like the
    metadata), and the snippet is cut to ``snippet_lines`` screen lines (0:
    whole); piped, every hit is printed whole, a line per field.
    """
    if found.total == 0:
        emit([[(f"No documents match «{found.query}».", "")]], err=True)
        return
    first = (found.page - 1) * found.limit + 1
    if not found.hits:
        emit([[(f"Page {found.page} is past the last page ({found.pages}) of {plural(found.total, 'result')}.", "")]])
        return
    last = first + len(found.hits) - 1
    lines: list[Line] = [[(f"{plural(found.total, 'result')} for «{found.query}»; {first}–{last} shown", "dim")]]
    fits = _snippet_fits(snippet_lines)
    pad = " " * INDENT
    for hit in found.hits:
        lines.append([])
        title = segments(hit.title or "(untitled)", hit.title_highlights, "bold")
        lines.append([(f"{hit.rank:>3}. ", "bold"), *title])
        meta = " · ".join(
            part
            for part in (
                hit.date.isoformat() if hit.date else "",
                hit.source,
                f"score {hit.score:.2f}" if hit.score is not None else "",
            )
            if part
        )
        lines.append([(pad, ""), (meta, "dim")])
        if found.snippets:
            snippet = hit.snippet if fits is None else compact_snippet(hit.snippet, fits)
            lines.append([(pad, ""), *_snippet(snippet)])
        if hit.url:
            lines.append([(pad, ""), (hit.url, "blue")])
        if hit.copies:
            sources = ", ".join(dict.fromkeys(copy.source or copy.id for copy in hit.copies))
            lines.append([(pad, ""), (f"+{plural(len(hit.copies), 'copy', 'copies')}: {sources}", "dim")])
    if found.pages > found.page:
        hint = next_hint.format(page=found.page + 1)
        lines += [[], [(f"Page {found.page} of {found.pages}: next page with {hint}", "dim")]]
    emit(lines, hanging=True)


def _snippet_fits(snippet_lines: int):
    """A test of whether a snippet takes at most ``snippet_lines`` lines at the
    terminal's width after the indent; None when nothing is to be cut (piped
    output, or 0 lines asked)."""
    if snippet_lines <= 0 or not _is_terminal(False):
        return None
    from rich.text import Text

    console = stdout()
    width = max(console.width - INDENT, 20)

    def fits(text: str) -> bool:
        return len(Text(text).wrap(console, width)) <= snippet_lines

    return fits


def _snippet(snippet: "Snippet") -> Line:
    return segments(snippet.text, snippet.highlights)


def _hanging(line: Line) -> tuple[Line, int]:
    """A line's leading segment (indent or rank) and how far its wrapped
    lines are indented: under the text that follows it."""
    if len(line) > 1 and line[0][0].strip(" 0123456789.") == "":
        return line[1:], len(line[0][0])
    return line, 0


def hit_record(hit) -> dict:
    """A hit as one CSV/TSV row (README, "Output formats")."""
    record = hit.to_json()
    record["copies"] = [copy["id"] for copy in record["copies"]]
    return record


HIT_COLUMNS = ("rank", "id", "title", "date", "source", "url", "score", "snippet", "copies")


def results_json(found: "SearchResults") -> None:
    """One JSON object per hit, one per line (JSON Lines); with facets, a
    last line ``{"total": N, "facets": {...}}`` (the same as ``search serve`` gives); when the search ran out of
    time, that last line (with or without facets) has ``"partial": true``."""
    for line in found.json_lines():
        click.echo(line)


def results_formatted(found: "SearchResults", output_format: str, bom: bool = False) -> None:
    """The hits as one JSON document, CSV or TSV (``jsonl``: see :func:`results_json`)."""
    from search.cli.formats import output_stream, write_records

    if output_format == "jsonl":
        results_json(found)
        return
    with output_stream(None) as stream:
        if output_format == "json":
            envelope = found.to_json()
            hits = envelope.pop("hits")  # written last, one a line
            write_records(hits, "json", HIT_COLUMNS, stream, envelope=envelope, key="hits")
        else:
            write_records((hit_record(hit) for hit in found.hits), output_format, HIT_COLUMNS, stream, bom=bom)


def report(
    found: "SearchResults",
    output_format: str = "table",
    explain: bool = False,
    next_hint: str = "--page {page}",
    snippet_lines: int = SNIPPET_LINES,
    bom: bool = False,
) -> None:
    """Everything a search has to say: notes, suggestion, hits, facets."""
    if explain and found.explanation:
        emit([[("query: ", "bold cyan"), (found.explanation, "")]], err=True)
    for message in found.notices:
        notice(message)
    if found.suggestion:
        notice(f"Did you mean «{found.suggestion}»?")
    if output_format != "table":
        results_formatted(found, output_format, bom)
        return
    results(found, next_hint, snippet_lines)
    if found.facets is not None and found.total:
        facets(found)


def facets(found: "SearchResults") -> None:
    """Match counts by source and by year, one line each."""
    lines: list[Line] = [[]]
    for label, counts in (("sources", found.facets.sources), ("years", found.facets.years)):
        shown = " · ".join(f"{key} {count}" for key, count in counts.items()) or "–"
        lines.append([(f"{label}: ", "bold"), (shown, "")])
    emit(lines)


def fetch_with_progress(url: str):
    """Download a URL source with a progress bar on a terminal, and say what happened."""
    from search.corpus import remote

    console = stderr()
    if not console.is_terminal:
        fetched = remote.fetch(url)
    else:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        with Progress(
            TextColumn("[bold]downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
            console=console, transient=True,
        ) as progress:
            task = progress.add_task("download", total=None)
            fetched = remote.fetch(url, on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    messages = {
        "downloaded": f"downloaded {url} to {fetched.path}",
        "unchanged": f"{url} is unchanged since the last download; using {fetched.path}",
        "offline": f"cannot reach {url}; using the copy downloaded earlier ({fetched.path})",
    }
    notice(messages[fetched.status])
    return fetched


@contextmanager
def build_progress(
    reader: "CorpusReader", enabled: bool = True
) -> Iterator[Callable[[int, str], None] | None]:
    """A progress bar over the input bytes, showing documents and docs/s.

    Yields the callback to hand to the indexer; drawn only on a terminal.
    """
    console = stderr()
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[docs]} · {task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("indexing", total=max(reader.total_bytes, 1), docs=plural(0, "doc"), rate="– docs/s")
    started = time.perf_counter()
    last = 0.0

    def on_progress(count: int, phase: str) -> None:
        nonlocal last
        now = time.perf_counter()
        if phase == "committing":
            progress.update(
                task, description="committing (merging segments)", completed=reader.total_bytes, docs=plural(count, "doc")
            )
            return
        if now - last < 0.1:
            return
        last = now
        rate = build_rate(count, now - started) or "– docs/s"
        progress.update(task, completed=reader.bytes_done, docs=plural(count, "doc"), rate=rate)

    with progress:
        yield on_progress


def build_summary(report: "AddReport", index_path: Path, ignored: Sequence[str] = ()) -> None:
    """What the build did, then every skipped record and warning (on stderr)."""
    from rich.text import Text

    errors = stderr()
    for title, problems, style in (
        ("skipped", report.skipped, "red"),
        ("warning", report.warnings, "yellow"),
    ):
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            errors.print(Text(f"{title}: ", style=style) + Text(str(problem)))
        if len(problems) > MAX_PROBLEMS_SHOWN:
            errors.print(Text(f"… and {len(problems) - MAX_PROBLEMS_SHOWN} more {title}s", style=style))
    if ignored:
        errors.print(
            Text(f"ignored {plural(len(ignored), 'file')} of unsupported type, e.g. {ignored[0]}", style="dim")
        )
    console = stdout()
    console.print(build_sentence(report, index_path))


# A build's speed is worth stating only over enough documents and time.
RATE_MIN_DOCUMENTS = 10
RATE_MIN_SECONDS = 0.5


def build_rate(documents: int, seconds: float) -> str | None:
    """«23 docs/s», or None when the build was too small or quick for a rate to mean anything."""
    if documents < RATE_MIN_DOCUMENTS or seconds < RATE_MIN_SECONDS:
        return None
    rate = documents / seconds
    return f"{rate:,.1f} docs/s" if rate < 10 else f"{rate:,.0f} docs/s"


def build_sentence(report: "AddReport", index_path: Path) -> str:
    """The one-line summary of a build, singular and plural right."""
    handled = report.added + report.updated + report.unchanged
    rate = build_rate(handled, report.seconds)
    timing = f"in {report.seconds:.1f} s" + (f" ({rate})" if rate else "")
    duplicates = plural(report.duplicates, "near-duplicate")
    return (
        f"Indexed into {index_path}/ {timing}: "
        f"{report.added:,} added, {report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{report.removed:,} removed, {len(report.skipped):,} skipped; {duplicates} found. "
        f"The index now holds {plural(report.documents, 'document')}."
    )
