"""Drawing what ``export``, ``kwic`` and ``terms`` found: tables for people,
the formats of :mod:`search.cli.formats` for programs."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from search.cli.formats import output_stream, write_records
from search.cli.render import HIGHLIGHT, _is_terminal, emit, plural, stderr, stdout

if TYPE_CHECKING:
    from search.toolkit.concordance import Concordance
    from search.toolkit.export import Export
    from search.toolkit.keyness import KeyTerms

# Columns of the machine-readable formats (README, "Output formats").
KWIC_COLUMNS = ("date", "source", "id", "left", "match", "right", "offset")
TERM_COLUMNS = ("year", "rank", "term", "score", "docs_in_set", "docs_in_index")
# What a concordance line needs beside its context, for fitting it to the screen.
KWIC_FIXED = 10 + 1 + 14 + 2 + 14 + 2 + 24


def is_terminal() -> bool:
    return _is_terminal(False)


def fitting_width() -> int:
    """Context characters each side that fit a concordance line on this terminal."""
    return max(15, (stdout().width - KWIC_FIXED) // 2)


# -- export -----------------------------------------------------------------


def export_table(documents: "Export") -> None:
    """One line per document: date, source, id, title."""
    lines = []
    for document in documents:
        date = document.date.isoformat() if document.date else "—"
        lines.append([(f"{date:<10}  ", "dim"), (f"{document.source or '—':<14}  ", "dim"),
                      (document.id + "  ", ""), (document.title or "(untitled)", "bold")])
    lines.append([(f"{plural(len(documents), 'document')}", "dim")])
    emit(lines)


@contextmanager
def export_progress(total: int, output: Path | None) -> Iterator[Callable[[Iterable], Iterable]]:
    """A progress bar over the documents written, only when writing to a file
    with a terminal on stderr; yields a function wrapping the documents."""
    console = stderr()
    if output is None or not console.is_terminal:
        yield lambda documents: documents
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]exporting"), BarColumn(), MofNCompleteColumn(), TextColumn("documents · ETA"),
        TimeRemainingColumn(), console=console, transient=True,
    ) as progress:
        task = progress.add_task("export", total=total)

        def step(documents: Iterable) -> Iterator:
            for document in documents:
                yield document
                progress.advance(task)

        yield step


# -- kwic -------------------------------------------------------------------


def concordance(found: "Concordance", output_format: str, bom: bool = False) -> None:
    if output_format != "table":
        envelope = {"query": found.query, "documents": found.documents, "total": found.total, "width": found.width}
        with output_stream(None) as stream:
            write_records((line.to_json() for line in found.lines), output_format, KWIC_COLUMNS, stream, bom,
                          envelope, key="lines")
        return
    lines = [[(f"{plural(found.total, 'occurrence')} in {plural(found.documents, 'document')} for «{found.query}»", "dim")]]
    sources = max((len(line.source or "—") for line in found.lines), default=1)
    matches = max((len(line.match) for line in found.lines), default=1)
    for line in found.lines:
        date = line.date.isoformat() if line.date else "—"
        lines.append([
            (f"{date:<10} ", "dim"),
            (f"{line.source or '—':<{sources}}  ", "dim"),
            (f"{line.left.rstrip():>{found.width}} ", ""),
            (f"{line.match:<{matches}}", HIGHLIGHT),
            (f" {line.right.lstrip():<{found.width}}", ""),
            (f"  {line.id}", "dim"),
        ])
    emit(lines, crop=True)


# -- terms ------------------------------------------------------------------


def _term_rows(found: "KeyTerms") -> Iterator[dict]:
    for rank, term in enumerate(found.terms, 1):
        yield {"year": None, "rank": rank, **term.to_json()}
    for year, _, terms in found.years:
        for rank, term in enumerate(terms, 1):
            yield {"year": year, "rank": rank, **term.to_json()}


def key_terms(found: "KeyTerms", output_format: str, bom: bool = False) -> None:
    if output_format == "json":
        import json

        print(json.dumps(found.to_json(), ensure_ascii=False))
        return
    if output_format != "table":
        rows = _term_rows(found)
        if output_format == "jsonl" and not found.by:
            rows = ({k: v for k, v in row.items() if k != "year"} for row in rows)
        with output_stream(None) as stream:
            write_records(rows, output_format, TERM_COLUMNS if found.by else TERM_COLUMNS[1:], stream, bom)
        return
    header = (
        f"Significant terms of {plural(found.documents, 'document')} matching «{found.query}» "
        f"against the other {found.index_documents - found.documents:,} (log-likelihood G²)"
    )
    lines = [[(header, "dim")], [(f"{'':>3}  {'term':<24}{'G²':>10}{'in set':>9}{'in index':>10}", "bold")]]
    for rank, term in enumerate(found.terms, 1):
        lines.append([
            (f"{rank:>3}. ", "dim"), (f"{term.term:<24}", HIGHLIGHT), (f"{term.score:>10.1f}", ""),
            (f"{term.documents:>9,}", ""), (f"{term.index_documents:>10,}", "dim"),
        ])
    if not found.terms:
        lines.append([("(no term stands out: too few documents, or none over-represented)", "dim")])
    if found.by:
        lines += [[], [("by year (the top terms of each year's documents against the rest of the index)", "bold")]]
        for year, count, terms in found.years:
            listed = ", ".join(term.term for term in terms) or "—"
            lines.append([(f"{year}  ", "bold"), (f"{plural(count, 'document'):>14}  ", "dim"), (listed, "")])
        if found.undated:
            lines.append([(f"({plural(found.undated, 'undated document')} left out of the years)", "dim")])
    emit(lines, hanging=True)
