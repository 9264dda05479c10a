"""Terminal rendering with Rich: colour on a terminal, plain text when piped.

Rich honours NO_COLOR and drops all styling when output is not a terminal;
nothing here decides *what* to show, only how.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

import click
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from search.corpus import CorpusReader
    from search.index import SearchResults
    from search.indexing import AddReport
    from search.snippets import Snippet

HIGHLIGHT = "bold yellow"
MAX_PROBLEMS_SHOWN = 20


def stdout() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def notice(message: str) -> None:
    stderr().print(Text("note: ", style="bold cyan") + Text(message))


def highlighted(text: str, spans: Sequence[Sequence[int]], base: str = "") -> Text:
    rich_text = Text(text, style=base)
    for start, end in spans:
        rich_text.stylize(HIGHLIGHT, start, end)
    return rich_text


def results(found: "SearchResults", next_hint: str = "--page {page}") -> None:
    """Numbered hits: title, date · source · score, snippet, URL."""
    console = stdout()
    if found.total == 0:
        stderr().print(f"No documents match «{found.query}».")
        return
    first = (found.page - 1) * found.limit + 1
    if not found.hits:
        console.print(
            f"Page {found.page} is past the last page ({found.pages}) of {found.total} results."
        )
        return
    last = first + len(found.hits) - 1
    noun = "result" if found.total == 1 else "results"
    console.print(
        Text(f"{found.total} {noun} for «{found.query}»; {first}–{last} shown", style="dim")
    )
    for hit in found.hits:
        console.print()
        title = highlighted(hit.title or "(untitled)", hit.title_highlights, "bold")
        console.print(Text(f"{hit.rank:>3}. ", style="bold") + title)
        meta = " · ".join(
            part
            for part in (
                hit.date.isoformat() if hit.date else "",
                hit.source,
                f"score {hit.score:.2f}" if hit.score is not None else "",
            )
            if part
        )
        console.print(Text("     " + meta, style="dim"))
        console.print(Text("     ") + _snippet(hit.snippet))
        if hit.url:
            console.print(Text("     " + hit.url, style="blue"))
        if hit.copies:
            sources = ", ".join(dict.fromkeys(copy.source or copy.id for copy in hit.copies))
            noun = "copy" if len(hit.copies) == 1 else "copies"
            console.print(Text(f"     +{len(hit.copies)} {noun}: {sources}", style="dim"))
    if found.pages > found.page:
        console.print()
        hint = next_hint.format(page=found.page + 1)
        console.print(Text(f"Page {found.page} of {found.pages}: next page with {hint}", style="dim"))


def _snippet(snippet: "Snippet") -> Text:
    return highlighted(snippet.text, snippet.highlights)


def results_json(found: "SearchResults") -> None:
    """One JSON object per hit, one per line (JSON Lines); with facets, a
    last line ``{"total": N, "facets": {...}}``."""
    for hit in found.hits:
        click.echo(json.dumps(hit.to_json(), ensure_ascii=False))
    if found.facets is not None:
        click.echo(json.dumps({"total": found.total, "facets": found.facets.to_json()}, ensure_ascii=False))


def report(found: "SearchResults", as_json: bool, explain: bool, next_hint: str = "--page {page}") -> None:
    """Everything a search has to say: notes, suggestion, hits, facets."""
    if explain and found.explanation:
        stderr().print(Text("query: ", style="bold cyan") + Text(found.explanation))
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
    console = stdout()
    console.print()
    for label, counts in (("sources", found.facets.sources), ("years", found.facets.years)):
        line = Text(f"{label}: ", style="bold")
        line.append(" · ".join(f"{key} {count}" for key, count in counts.items()) or "–")
        console.print(line)


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
