"""Rendering for ``show``, ``timeline``, ``stats`` and ``analyze``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from search.cli.render import highlighted, plural, stdout

if TYPE_CHECKING:
    from search.query.diagnostics import Analysis
    from search.retrieval.overview import Stats, Timeline
    from search.retrieval.results import DocumentView

BAR = "█"
BAR_WIDTH = 50


def document(view: "DocumentView", pager: bool = True) -> None:
    """Metadata, title and the whole text, through a pager when it is long."""
    console = stdout()
    parts = [
        Text(view.title or "(untitled)", style="bold") if not view.title_highlights
        else highlighted(view.title, view.title_highlights, "bold"),
        Text(" · ".join(p for p in (view.date.isoformat() if view.date else "", view.source, view.id) if p), style="dim"),
    ]
    if view.url:
        parts.append(Text(view.url, style="blue"))
    if view.copies:
        parts.append(Text("also published as: " + ", ".join(f"{c.id} ({c.source})" for c in view.copies), style="dim"))
    parts.append(Text(""))
    parts.append(highlighted(view.body, view.body_highlights))
    lines = sum(len(part.plain) // max(console.width, 1) + part.plain.count("\n") + 1 for part in parts)
    if pager and console.is_terminal and lines > console.height:
        with console.pager(styles=True):
            for part in parts:
                console.print(part)
    else:
        for part in parts:
            console.print(part)


def timeline(found: "Timeline") -> None:
    """One bar per period, scaled to the busiest one, and the totals."""
    console = stdout()
    if not found.total:
        from search.cli.render import stderr

        stderr().print(f"No documents match «{found.query}».")
        return
    peak = max((count for _, count in found.counts), default=0) or 1
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column("period", style="bold")
    table.add_column("count", justify="right")
    table.add_column("bar", style="cyan")
    for period, count in found.counts:
        width = round(BAR_WIDTH * count / peak)
        table.add_row(period, str(count), BAR * width if count else "")
    console.print(Text(f"«{found.query}» by {found.by}", style="bold"))
    console.print(table)
    dated = found.total - found.undated
    tail = f", {found.undated} undated" if found.undated else ""
    periods = plural(len(found.counts), found.by)
    console.print(Text(f"{plural(found.total, 'document')}: {dated:,} dated across {periods}{tail}", style="dim"))


def stats(found: "Stats", index_path: Path) -> None:
    """The index at a glance."""
    console = stdout()
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_column("what", style="bold")
    table.add_column("value")
    dates = (
        f"{found.first_date.isoformat()} … {found.last_date.isoformat()}" if found.first_date else "no dates"
    ) + (f" ({found.undated} undated)" if found.undated else "")
    rows = [
        ("index", str(index_path)),
        ("documents", f"{found.documents:,}"),
        ("dates", dates),
        ("sources", f"{found.source_count:,}"),
        ("size", f"{found.size_bytes / 1e6:.1f} MB in {plural(found.segments, 'segment')}"),
        ("terms", ", ".join(f"{name} {count:,}" for name, count in found.terms.items())),
        ("schema", f"version {found.schema_version}, ambiguity policy {found.ambiguity}"),
        ("last build", found.last_build or "never"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    console.print(table)
    console.print()
    top = Table(title=f"top {len(found.sources)} sources", title_justify="left", box=None, padding=(0, 1))
    top.add_column("source")
    top.add_column("documents", justify="right")
    for source, count in found.sources:
        top.add_row(source, f"{count:,}")
    console.print(top)


def analysis(found: "Analysis") -> None:
    """Tokens with their offsets, exact forms and lemmas; then the query."""
    console = stdout()
    table = Table(box=None, padding=(0, 1))
    for column, justify in (("pos", "right"), ("token", "left"), ("chars", "left"), ("exact", "left"), ("lemmas", "left")):
        table.add_column(column, justify=justify, style="bold" if column == "token" else None)
    for token in found.tokens:
        name = ("  ↳ " if token.part_of_compound else "") + token.text
        table.add_row(str(token.position), name, f"{token.start}–{token.end}", token.exact, ", ".join(token.lemmas))
    console.print(table)
    console.print()
    console.print(Text("parsed:   ", style="bold") + Text(found.parsed))
    console.print(Text("searched: ", style="bold") + Text(found.query))
    if found.dropped:
        console.print(Text("ignored:  ", style="bold") + Text(", ".join(found.dropped) + " (function words)"))
    for message in found.notices:
        console.print(Text("note:     ", style="bold cyan") + Text(message))
