"""Plain-text pages: the first non-empty line is the headline, the rest the body."""

from __future__ import annotations

from typing import IO, Iterator

from search.corpus.model import Origin, Problem, Record, convert


def read_text(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        yield Problem(origin.display, f"not valid UTF-8 (at byte {error.start})")
        return
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    title = lines[0].strip() if lines else ""
    body = "\n".join(lines[1:]).strip()
    yield from convert({"id": origin.name, "title": title, "body": body}, origin.display, origin)
