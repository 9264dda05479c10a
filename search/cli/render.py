"""Terminal rendering: colour on a terminal, plain text when piped.

Query results are laid out as lines of (text, style) segments; on a terminal
Rich paints them (and honours NO_COLOR), otherwise they are written as plain
text without importing Rich at all, which keeps a piped ``search query``
about 45 ms quicker to start. Nothing here decides *what* to show, only how.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from search.corpus import CorpusReader
    from search.index import SearchResults
    from search.indexing import AddReport
    from search.snippets import Snippet

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


def emit(lines: Sequence[Line], err: bool = False) -> None:
    """Print styled lines: painted by Rich on a terminal, plain text otherwise."""
    if not _is_terminal(err):
        click.echo("\n".join("".join(text for text, _ in line) for line in lines), err=err)
        return
    from rich.text import Text

    console = stderr() if err else stdout()
    for line in lines:
        console.print(Text.assemble(*line))


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


def results(found: "SearchResults", next_hint: str = "--page {page}") -> None:
    """Numbered hits: title, date · source · score, snippet, URL."""
    if found.total == 0:
        emit([[(f"No documents match «{found.query}».", "")]], err=True)
        return
    first = (found.page - 1) * found.limit + 1
    if not found.hits:
        emit([[(f"Page {found.page} is past the last page ({found.pages}) of {found.total} results.", "")]])
        return
    last = first + len(found.hits) - 1
    noun = "result" if found.total == 1 else "results"
    lines: list[Line] = [[(f"{found.total} {noun} for «{found.query}»; {first}–{last} shown", "dim")]]
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
        lines.append([("     " + meta, "dim")])
        if found.snippets:
            lines.append([("     ", ""), *_snippet(hit.snippet)])
        if hit.url:
            lines.append([("     " + hit.url, "blue")])
        if hit.copies:
            sources = ", ".join(dict.fromkeys(copy.source or copy.id for copy in hit.copies))
            noun = "copy" if len(hit.copies) == 1 else "copies"
            lines.append([(f"     +{len(hit.copies)} {noun}: {sources}", "dim")])
    if found.pages > found.page:
        hint = next_hint.format(page=found.page + 1)
        lines += [[], [(f"Page {found.page} of {found.pages}: next page with {hint}", "dim")]]
    emit(lines)


def _snippet(snippet: "Snippet") -> Line:
    return segments(snippet.text, snippet.highlights)


def results_json(found: "SearchResults") -> None:
    """One JSON object per hit, one per line (JSON Lines); with facets, a
    last line ``{"total": N, "facets": {...}}``."""
    for hit in found.hits:
        click.echo(json.dumps(hit.to_json(snippets=found.snippets), ensure_ascii=False))
    if found.facets is not None:
        click.echo(json.dumps({"total": found.total, "facets": found.facets.to_json()}, ensure_ascii=False))


def report(found: "SearchResults", as_json: bool, explain: bool, next_hint: str = "--page {page}") -> None:
    """Everything a search has to say: notes, suggestion, hits, facets."""
    if explain and found.explanation:
        emit([[("query: ", "bold cyan"), (found.explanation, "")]], err=True)
    for message in found.notices:
        notice(message)
    if found.suggestion:
        notice(f"Did you mean «{found.suggestion}»?")
    if as_json:
        results_json(found)
        return
    results(found, next_hint)
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
        TextColumn("{task.fields[docs]} docs · {task.fields[rate]} docs/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("indexing", total=max(reader.total_bytes, 1), docs=0, rate="–")
    started = time.perf_counter()
    last = 0.0

    def on_progress(count: int, phase: str) -> None:
        nonlocal last
        now = time.perf_counter()
        if phase == "committing":
            progress.update(task, description="committing (merging segments)", completed=reader.total_bytes)
            return
        if now - last < 0.1:
            return
        last = now
        rate = count / (now - started) if now > started else 0.0
        progress.update(task, completed=reader.bytes_done, docs=count, rate=f"{rate:,.0f}")

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
            Text(f"ignored {len(ignored)} file(s) of unsupported type, e.g. {ignored[0]}", style="dim")
        )
    handled = report.added + report.updated + report.unchanged
    rate = handled / report.seconds if report.seconds else 0.0
    console = stdout()
    console.print(
        f"Indexed into {index_path}/ in {report.seconds:.1f} s ({rate:,.0f} docs/s): "
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed, {len(report.skipped)} skipped; {report.duplicates} near-duplicates "
        f"found. The index now holds {report.documents} documents."
    )
