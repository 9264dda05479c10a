"""The document model and the mapping of loosely named records onto it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from search.text.dates import parse_date

# Accepted spellings of each field, in order of preference.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "docid", "_id", "идентификатор"),
    "title": ("title", "headline", "заголовок"),
    "body": ("body", "text", "content", "текст"),
    "date": ("date", "published", "datetime", "pub_date", "дата"),
    "url": ("url", "link", "ссылка"),
    "source": ("source", "site", "outlet", "источник"),
    "lang": ("lang", "language", "язык"),
}


# Longer bodies are not press releases but mis-parsed dumps; indexing them
# would swamp memory and rankings.
MAX_BODY_CHARS = 2_000_000


class RecordError(ValueError):
    """A record cannot become a document; the message says why."""


@dataclass(frozen=True)
class Document:
    """One article or press release as the index sees it."""

    id: str
    title: str
    body: str
    date: dt.date | None = None
    source: str = ""
    url: str = ""
    lang: str = "ru"

    @property
    def content_hash(self) -> str:
        """Fingerprint of everything indexed, to skip unchanged documents."""
        digest = hashlib.blake2b(digest_size=16)
        for value in (self.title, self.body, self.date, self.source, self.url, self.lang):
            digest.update(str(value or "").encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
        return digest.hexdigest()


def _pick(record: Mapping[str, Any], field: str) -> Any:
    for name in FIELD_ALIASES[field]:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def derive_id(title: str, body: str, url: str) -> str:
    """A stable id for a record that has none: its URL, else a content hash."""
    if url:
        return url
    digest = hashlib.blake2b(f"{title}\x1f{body}".encode("utf-8", "surrogatepass"), digest_size=10)
    return "sha:" + digest.hexdigest()


def document_from_record(
    record: Any, warn: Callable[[str], None] | None = None
) -> Document:
    """Turn a parsed record (a dict from JSON, a row) into a :class:`Document`.

    Raises :class:`RecordError` when the record has no usable text. A date
    that cannot be parsed is dropped, and reported through ``warn``, rather
    than failing the record.
    """
    if isinstance(record, Document):
        return record
    if not isinstance(record, Mapping):
        raise RecordError(f"expected an object with fields, got {type(record).__name__}")
    body = _text(_pick(record, "body"))
    title = _text(_pick(record, "title"))
    if not body:
        raise RecordError("no body text (expected a 'body', 'text' or 'content' field)")
    if len(body) > MAX_BODY_CHARS:
        raise RecordError(f"giant document ({len(body):,} characters; the limit is {MAX_BODY_CHARS:,})")
    url = _text(_pick(record, "url"))
    raw_date = _pick(record, "date")
    if isinstance(raw_date, dt.datetime):
        date = raw_date.date()
    elif isinstance(raw_date, dt.date):
        date = raw_date
    else:
        date = parse_date(_text(raw_date))
        if date is None and raw_date not in (None, "") and warn:
            warn(f"date {_text(raw_date)!r} not understood; indexed without a date")
    return Document(
        id=_text(_pick(record, "id")) or derive_id(title, body, url),
        title=title,
        body=body,
        date=date,
        source=_text(_pick(record, "source")),
        url=url,
        lang=_text(_pick(record, "lang")) or "ru",
    )
