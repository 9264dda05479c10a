"""Decoding corpus bytes whose encoding nobody stated.

UTF-8 (with or without a byte-order mark) is checked first and costs almost
nothing. Anything else goes to charset-normalizer, whose guess is then
weighed against Windows-1251 and KOI8-R by how Russian each decoding looks:
on short texts (a 60-byte headline) the detector alone often calls KOI8-R
Shift-JIS or Hebrew, and the indexed text would be mojibake.
"""

from __future__ import annotations

import codecs
import math
import re
from collections import Counter
from typing import IO, Iterator

import charset_normalizer

# How much of a stream the line-based readers look at to choose its encoding.
SAMPLE_SIZE = 64 * 1024

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: the UTF-32 LE mark starts with it
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# The single-byte Cyrillic encodings Russian files come in; always weighed
# against the detector's guess.
_CYRILLIC = ("cp1251", "koi8_r")

# Russian letter frequencies (per cent of letters in ordinary prose).
_FREQUENCY = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 4.73,
    "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21, "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 1.90, "ь": 1.74, "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.2,  # where texts write ё at all; most print е instead
}
_LOG_FREQUENCY = {letter: math.log(share / 100) for letter, share in _FREQUENCY.items()}
_RARE = math.log(0.0001)  # Cyrillic letters Russian does not use (ђ, є, ї …)
_OTHER = _RARE  # an upper-half byte that is not a Cyrillic letter
_ASCII = bytes(range(128))
# A capital right after a small letter inside a word («кЮБПНБ») is what
# mixed-case Russian read in the wrong Cyrillic encoding looks like.
_CASE_BREAK = re.compile(r"[а-яё][А-ЯЁ]")
_ESCAPED = re.compile("[\udc80-\udcff]")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# How much text, from the first non-ASCII byte on, the candidates are scored
# on: plenty for a clear answer, and scoring 64 KB three times is slow.
_SCORE_WINDOW = 8192


class DecodeError(ValueError):
    """Bytes that are not text in the encoding chosen; the message says where."""


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "UTF-8" if name.startswith("utf-8") else name


def _mostly_utf8(sample: bytes) -> bool:
    """Valid UTF-8, allowing a character cut at the end of the sample and a
    few bad bytes among many good characters (one broken record must not
    turn a whole UTF-8 file into Windows-1251)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        pass
    text = sample.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - bad
    return good >= 10 * bad


def russian_score(data: bytes, encoding: str) -> float | None:
    """How much ``data`` read as ``encoding`` looks like Russian.

    Every byte of the upper half should be a letter, and the letters should
    come at Russian frequencies: the score is the mean log frequency over
    those bytes, a byte that is not a Russian letter (a quote, a dash, or the
    box drawing and symbols of a wrong reading) counting as a rare letter,
    and a capital inside a word as a rarer one. ``None`` when under half the
    letters are Cyrillic: then the text is not Russian and the detector's
    guess stands.
    """
    text = data.decode(encoding, "replace")
    letters = cyrillic = 0
    total = 0.0
    for char, count in Counter(text).items():
        if char.isalpha():
            letters += count
            if "\u0400" <= char <= "\u04ff":
                cyrillic += count
                total += count * _LOG_FREQUENCY.get(char.lower(), _RARE)
    if not cyrillic or cyrillic * 2 < letters:
        return None
    high = len(data.translate(None, _ASCII))
    others = max(0, high - cyrillic)
    total += others * _OTHER + len(_CASE_BREAK.findall(text)) * _RARE
    return total / max(high, cyrillic)


def detect(sample: bytes) -> str:
    """The encoding of a text that starts with ``sample``: a codec name."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    if _mostly_utf8(sample):
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    first_high = _HIGH_BYTE.search(sample)
    window = sample[first_high.start() if first_high else 0 :][:_SCORE_WINDOW]
    guess = best.encoding if best else None
    # On a tie (a look-alike such as PT154 or Mac Cyrillic reads the letters
    # the same) the common code pages win.
    candidates = [*_CYRILLIC, *([guess] if guess and guess not in _CYRILLIC else [])]
    scored = []
    for rank, encoding in enumerate(candidates):
        score = russian_score(window, encoding)
        if score is not None:
            scored.append((score, -rank, encoding))
    if scored:
        return max(scored)[2]
    # Not Russian: the detector's guess, else UTF-8 so that bad bytes are reported.
    return guess or "utf-8"


def _undecodable(error: UnicodeDecodeError, encoding: str, where: str) -> DecodeError:
    return DecodeError(f"not valid {_label(encoding)} (byte 0x{error.object[error.start]:02x} {where} {error.start + 1})")


def decode(data: bytes) -> str:
    """A whole file as text, in the encoding it appears to be in.

    Raises :class:`DecodeError` when some bytes do not decode."""
    encoding = detect(data[:SAMPLE_SIZE])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _undecodable(error, encoding, "at offset") from None


def undecodable(text: str, encoding: str, field: str | None = None) -> str | None:
    """Why a line (or a ``field`` of a row) from :class:`TextLines` is not
    text in ``encoding``, or ``None`` if it is."""
    match = _ESCAPED.search(text)
    if not match:
        return None
    byte = ord(match.group()) - 0xDC00
    where = f"in field {field!r}, character {match.start() + 1}" if field else f"at column {match.start() + 1}"
    return f"not valid {_label(encoding)} (byte 0x{byte:02x} {where})"


class TextLines:
    """The lines of a byte stream as text, in the encoding its first
    :data:`SAMPLE_SIZE` bytes suggest.

    Lines keep their ending; they are split at ``\\n`` only, so line numbers
    agree with any other tool. Bytes that do not decode are kept as lone
    surrogates (``surrogateescape``) for :func:`undecodable` to report, so
    that one bad record costs only itself.
    """

    def __init__(self, stream: IO[bytes], sample_size: int = SAMPLE_SIZE):
        self._stream = stream
        self._sample = stream.read(sample_size)
        self.encoding = detect(self._sample)
        self.head = self._sample.decode(self.encoding, "replace")
        """The decoded sample, for sniffing delimiters and the like."""

    def _byte_lines(self) -> Iterator[bytes]:
        *complete, partial = self._sample.split(b"\n")
        for line in complete:
            yield line + b"\n"
        rest = partial + self._stream.readline() if partial else b""
        if rest:
            yield rest
        yield from self._stream

    def __iter__(self) -> Iterator[str]:
        if codecs.lookup(self.encoding).encode("\n")[0] != b"\n":
            # UTF-16/32 (an Excel "Unicode text" export): not splittable as bytes.
            text = (self._sample + self._stream.read()).decode(self.encoding, "replace")
            yield from re.findall(r"[^\n]*\n|[^\n]+", text)
            return
        decoder = codecs.getdecoder(self.encoding)
        for line in self._byte_lines():
            yield decoder(line, "surrogateescape")[0]
