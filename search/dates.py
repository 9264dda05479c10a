"""Dates as they appear in corpora and press releases.

Accepts ISO dates and timestamps, ``дд.мм.гггг`` (also ``дд.мм.гг``) and
Russian dates with month names («10 сентября 2017 года», «сентябрь 2017»).
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


def month_number(word: str) -> int | None:
    """Month number for a Russian month name («мая» → 5), else ``None``."""
    match = _MONTH_FORMS.match(word.lower().replace("ё", "е"))
    if not match:
        return None
    return next(i for i, group in enumerate(match.groups(), 1) if group)


def parse_date(text: str | None) -> dt.date | None:
    """Parse a date written any common way; ``None`` when it is not a date.

    A bare month and year («сентябрь 2017») gives the first of the month.
    """
    if not text:
        return None
    text = " ".join(str(text).split())
    try:
        if _ISO_PREFIX.match(text):
            match = _ISO_PREFIX.match(text)
            return dt.date(*(int(g) for g in match.groups()))
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
