"""Dates as they appear in corpora and press releases.

Accepts ISO dates and timestamps, ``дд.мм.гггг`` (also ``дд.мм.гг``) and
Russian dates with month names («10 сентября 2017 года», «сентябрь 2017»),
with or without a time of day («10.09.2017 14:30», «10 сентября 2017, 14:30»).
"""

from __future__ import annotations

import datetime as dt
import re

# Month names in the nominative, genitive and prepositional cases
# («сентябрь», «сентября», «в сентябре»), ё folded.
_MONTH_FORMS = re.compile(
    r"^(?:(январ)[ьяе]|(феврал)[ьяе]|(март)[ае]?|(апрел)[ьяе]|(ма)[йяе]|(июн)[ьяе]"
    r"|(июл)[ьяе]|(август)[ае]?|(сентябр)[ьяе]|(октябр)[ьяе]|(ноябр)[ьяе]|(декабр)[ьяе])$"
)
_MONTH_WORD = re.compile(
    r"^(?:(\d{1,2})\s+)?([а-яё]+)\s+(\d{4})(?:\s*(?:года|г\.?))?$", re.IGNORECASE
)
_DOTTED = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
_ISO_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# A time of day before or after the date, as news sites print it:
# «14:30 10.09.2017», «10.09.2017 14:30», «10 сентября 2017 года, в 14:30 (мск)».
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_WITH_TIME = re.compile(
    rf"^(?:{_TIME}[\s,|]+)?(.+?)(?:[\s,|]+(?:в\s+)?{_TIME}(?:\s*\(?(?:мск|msk|utc|gmt)\)?)?)?$",
    re.IGNORECASE,
)
# Full dates inside running text, for pages that print their date in the text.
# Years are 19xx or 20xx and the date must stand alone, so that numbers such
# as «2353-10-11-2005» are not read as dates.
_DATE_IN_TEXT = re.compile(
    r"(?<![\d.-])(?:(\d{1,2})\s+([а-яё]+)\s+((?:19|20)\d\d)|(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)"
    r"|((?:19|20)\d\d)-(\d{2})-(\d{2}))(?![.-]?\d)",
    re.IGNORECASE,
)


def month_number(word: str) -> int | None:
    """Month number for a Russian month name («мая» → 5), else ``None``."""
    match = _MONTH_FORMS.match(word.lower().replace("ё", "е"))
    if not match:
        return None
    return next(i for i, group in enumerate(match.groups(), 1) if group)


def parse_date(text: str | None) -> dt.date | None:
    """Parse a date written any common way; ``None`` when it is not a date.

    A bare month and year («сентябрь 2017») gives the first of the month; a
    time of day next to the date is allowed and ignored.
    """
    if not text:
        return None
    text = " ".join(str(text).split())
    try:
        if _ISO_PREFIX.match(text):
            match = _ISO_PREFIX.match(text)
            return dt.date(*(int(g) for g in match.groups()))
        text = _WITH_TIME.match(text).group(1)
        match = _DOTTED.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            if year < 100:
                year += 2000 if year < 70 else 1900
            return dt.date(year, month, day)
        match = _MONTH_WORD.match(text)
        if match:
            day, word, year = match.groups()
            month = month_number(word)
            if month:
                return dt.date(int(year), month, int(day) if day else 1)
    except ValueError:
        return None
    return None


def find_date(text: str) -> dt.date | None:
    """The first full date (day, month and year) written in running text:
    «… 10 сентября 2017 года …», «10.09.2017», «2017-09-10»; ``None`` if none."""
    for match in _DATE_IN_TEXT.finditer(text):
        day, word, year, *numbers = match.groups()
        try:
            if word:
                month = month_number(word)
                if month:
                    return dt.date(int(year), month, int(day))
            elif numbers[0]:
                return dt.date(int(numbers[2]), int(numbers[1]), int(numbers[0]))
            else:
                return dt.date(*(int(g) for g in numbers[3:]))
        except ValueError:
            continue
    return None


_YEAR = re.compile(r"^(\d{4})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})[./](\d{4})$")
_MONTH_YEAR_WORDS = re.compile(r"^([а-яё]+)\s+(\d{4})(?:\s*(?:года|г\.?))?$", re.IGNORECASE)

Period = tuple[dt.date, dt.date]


def _month_period(year: int, month: int) -> Period:
    start = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def parse_period(text: str | None) -> Period | None:
    """The first and last day of a year, month or day written any common way.

    «2017», «2017-05», «05.2017», «сентябрь 2017», «2017-05-01», «01.05.2017»,
    «10 сентября 2017 года»; ``None`` when ``text`` is none of these.
    """
    if not text:
        return None
    text = " ".join(text.split())
    try:
        if match := _YEAR.match(text):
            year = int(match.group(1))
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if match := _YEAR_MONTH.match(text):
            year, month = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
            return _month_period(int(year), int(month))
        if (match := _MONTH_YEAR_WORDS.match(text)) and (month := month_number(match.group(1))):
            return _month_period(int(match.group(2)), month)
    except ValueError:
        return None
    day = parse_date(text)
    return (day, day) if day else None


def parse_range(text: str) -> tuple[dt.date | None, dt.date | None] | None:
    """A date range: one period («2017-05») or ``A..B`` with either side open.

    Returns (first day, last day), ``None`` standing for an open end; ``None``
    overall when a side cannot be read.
    """
    if ".." not in text:
        return parse_period(text)
    left, right = (part.strip() for part in text.split("..", 1))
    start = parse_period(left) if left else None
    end = parse_period(right) if right else None
    if (left and start is None) or (right and end is None) or not (left or right):
        return None
    return (start[0] if start else None, end[1] if end else None)


def date_bound(value: dt.date | str | None, end: bool) -> dt.date | None:
    """A --since/--until value as a date: the first (or, with ``end``, the last)
    day of the period written. Raises ``ValueError`` when it is not a date."""
    if value is None or isinstance(value, dt.date):
        return value
    period = parse_period(value)
    if period is None:
        raise ValueError(
            f"{value!r} is not a date; write e.g. 2017-09-10, 10.09.2017, «10 сентября 2017», "
            "«сентябрь 2017» or 2017"
        )
    return period[1] if end else period[0]
