"""Plain-text pages, as saved from news and ministry sites.

The first non-empty line is the headline and the rest the body. Pages saved
from a browser carry more than the article, so the rules below (data, one
comment each) take out what is not:

- an outlet prefix on the headline («Kazinform: …», «БелТА: …») becomes the
  ``source``, and is dropped from the start of the body where it repeats;
- site lines (share buttons, «Комментарии», «Читайте и смотрите нас в»,
  view counters, a rubric with a counter such as «Новости стран ЦА 0") are
  removed;
- a line that is only a date («10.09.2017 14:30», «10 сентября 2017, 14:30»)
  gives the ``date``, and so does a dateline with a year
  («Бишкек, 3 февраля 2020 года. …»); a dateline naming a known outlet
  («ТАСС, 10 сентября. …», «АСТАНА, 10 сентября. КАЗИНФОРМ – …») gives the
  ``source``. Datelines stay in the body: they are part of the story.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import IO, Iterator

from search.corpus.encoding import DecodeError, decode
from search.corpus.model import Origin, Problem, Record, convert
from search.text.dates import month_number, parse_date

# News agencies whose name prefixes headlines and datelines, written as they
# compare: lower case, without quotes and without «МИА»/«ИА».
_OUTLETS = frozenset({
    "kazinform", "казинформ", "белта", "belta", "тасс", "tass", "риа новости", "ria novosti", "интерфакс",
    "interfax", "интерфакс-казахстан", "кабар", "kabar", "акипресс", "akipress", "24.kg", "уза", "uza",
    "дунё", "dunyo", "ховар", "khovar", "азертадж", "azertac", "тренд", "trend", "арменпресс", "armenpress",
    "казтаг", "kaztag", "tengrinews", "sputnik", "спутник", "regnum", "регнум", "прайм", "рбк",
})

# Lines that are site furniture wherever they stand (matched whole, ignoring case).
_FURNITURE = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"(поделиться|подписаться|подписывайтесь|отправить другу|распечатать|версия для печати)\b[^.!?]{0,80}",  # share, subscribe and print buttons
    r"комментари(и|ев|й)\s*(\(?\d+\)?)?",  # the comments heading, with or without a count
    r"(оставить|добавить|написать) комментарий[^.!?]{0,40}",  # the comment form
    r"читайте (и смотрите )?нас в\b[^.!?]{0,80}",  # links to the outlet's social-network pages
    r"((вконтакте|vk|facebook|twitter|telegram|whatsapp|viber|одноклассники|ok|мой мир|x)[\s,·|•]*){2,}",  # a row of share buttons
    r"(просмотр(ов|ы)?|прочитано|views?)\s*:?\s*[\d\s]+|\d[\d\s]*просмотр(ов|а)?",  # view counters
    r"(теги|метки|tags)\s*:.{0,200}",  # tag lists
    r"(читайте|смотрите) также\s*:?.{0,200}",  # a link to another story
    r"(фото|видео|источник фото)\s*:.{0,80}",  # photo and video credits
    r"(наверх|назад|вернуться к списку|все новости)",  # navigation links
    r"(©|\(c\)).{0,200}",  # copyright lines
    r"[\W_]*",  # lines of nothing but punctuation
)]
# Lines that are furniture only around the article (before its first and
# after its last paragraph): there they are labels, inside it they could be text.
_MARGIN_FURNITURE = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"[^.!?:]{1,40}\s\d{1,6}",  # a rubric with a counter: «Новости стран ЦА 0»
    r"\d+",  # a bare number (a like or comment counter)
)]
# A line that is only a date, perhaps labelled: «Опубликовано: 10.09.2017 14:30»;
# a month and year alone («Сентябрь 2017») is a rubric, not a date.
_DATE_LABEL = re.compile(r"^(?:опубликовано|дата публикации|дата|обновлено)\s*:?\s*", re.IGNORECASE)
_MONTH_AND_YEAR = re.compile(r"^[^\W\d_]+\s+\d{4}\b")
# An outlet (or any short name) ending in a colon or dash before a headline or paragraph.
_PREFIX = re.compile(r"^(?P<outlet>[^:—–!?]{2,40}?)\s*(?::|\s[—–-])\s+(?P<rest>\S.*)$", re.DOTALL)
# A dateline: «АСТАНА, 10 сентября. КАЗИНФОРМ – …», «МИНСК, 12 марта (БЕЛТА) - …»,
# «ТАСС, 10 сентября. …», «Бишкек, 3 февраля 2020 года. …».
_DATELINE = re.compile(
    r"^(?P<place>[А-ЯЁA-Z][\w.\- ]{1,30}?),\s+(?P<day>\d{1,2})\s+(?P<month>[а-яё]+)"
    r"(?:\s+(?P<year>(?:19|20)\d\d)(?:\s*(?:года|г\.))?)?"
    r"\s*(?:\((?P<agency>[^)]{2,30})\)|\.\s*(?P<after>[^\s–—-][^–—-]{1,30}?)\s+[–—-])?"
)
# A paragraph of running text, as opposed to a label: eight words or more.
_PROSE_WORDS = 8


def _outlet_key(name: str) -> str:
    key = re.sub(r"[«»\"'“”„]", "", name).lower().strip()
    return re.sub(r"^(миа|иа|ия)\s+", "", key)


def _known_outlet(name: str | None) -> bool:
    return bool(name) and _outlet_key(name) in _OUTLETS


def _split_prefix(line: str) -> tuple[str | None, str]:
    """(outlet, rest) when ``line`` starts with «Name: » or «Name — »."""
    match = _PREFIX.match(line)
    return (match.group("outlet").strip(), match.group("rest")) if match else (None, line)


def _is_furniture(line: str, margin: bool) -> bool:
    rules = _FURNITURE + _MARGIN_FURNITURE if margin else _FURNITURE
    return any(rule.fullmatch(line) for rule in rules)


def _date_line(line: str) -> dt.date | None:
    text = _DATE_LABEL.sub("", line)
    return parse_date(text) if len(text) <= 60 and not _MONTH_AND_YEAR.match(text) else None


def _dateline(paragraph: str) -> tuple[dt.date | None, str | None]:
    """The date (if the dateline has a year) and the known outlet a dateline names."""
    match = _DATELINE.match(paragraph)
    if not match:
        return None, None
    date = None
    month = month_number(match.group("month"))
    if month and match.group("year"):
        try:
            date = dt.date(int(match.group("year")), month, int(match.group("day")))
        except ValueError:
            date = None
    outlet = next((name for name in match.group("agency", "after", "place") if _known_outlet(name)), None)
    return date, outlet


def _body_lines(lines: list[str]) -> tuple[list[str], dt.date | None]:
    """The lines of the body without site furniture, and the first date line."""
    prose = [i for i, line in enumerate(lines) if len(line.split()) >= _PROSE_WORDS]
    first, last = (prose[0], prose[-1]) if prose else (len(lines), -1)
    kept, date = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            kept.append("")
            continue
        day = _date_line(stripped)
        if day:
            date = date or day
        elif not _is_furniture(stripped, margin=not first <= i <= last):
            kept.append(stripped)
    return kept, date


def read_text(stream: IO[bytes], origin: Origin) -> Iterator[Record | Problem]:
    try:
        text = decode(stream.read())
    except DecodeError as error:
        yield Problem(origin.display, str(error))
        return
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    title = lines[0].strip() if lines else ""
    body, date = _body_lines(lines[1:])
    paragraphs = [line for line in body if line]

    # The headline's prefix is an outlet when it is a known one or the first
    # paragraph repeats it («Kazinform: …» on both).
    outlet, headline = _split_prefix(title)
    lead_outlet, lead = _split_prefix(paragraphs[0]) if paragraphs else (None, "")
    repeated = outlet is not None and lead_outlet is not None and _outlet_key(outlet) == _outlet_key(lead_outlet)
    source = None
    if outlet and (repeated or _known_outlet(outlet)):
        source, title = outlet, headline
    if lead_outlet and (repeated or _known_outlet(lead_outlet)):
        source = source or lead_outlet
        body[body.index(paragraphs[0])] = lead
        paragraphs[0] = lead
    if paragraphs:
        dateline_date, dateline_outlet = _dateline(paragraphs[0])
        date = date or dateline_date
        source = source or dateline_outlet

    record = {"id": origin.name, "title": title, "body": re.sub(r"\n{3,}", "\n\n", "\n".join(body)).strip(),
              "date": date, "source": source}
    yield from convert(record, origin.display, origin)
