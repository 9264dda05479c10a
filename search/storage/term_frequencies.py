"""Document frequencies of many terms, read straight from the segments' term files.

``search terms`` asks for the index frequency of hundreds to thousands of
lemmas. Whoosh's ``doc_frequency`` finds each through its on-disk hash
table with five or six small reads through the per-thread read layer of
:mod:`search.storage.shared_files` (about 48 µs a term on the eval index's
two segments). The same lookup done here takes two positional reads a
segment, the term's hash-table slots and then its key with the term info
right after it. Only Whoosh 3 term files read through positional files
are read this way; any other reader is simply asked.
"""

from __future__ import annotations

import struct

from whoosh.codec.whoosh3 import W3TermsReader
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.reading import IndexReader

from search.storage.shared_files import PositionalFile

# Whoosh's hash file (whoosh.filedb.filetables): a slot holds a key's hash
# and position; at the position, the key's and value's lengths, the key, the value.
_SLOT = struct.Struct("!Iq")
_LENGTHS = struct.Struct("!ii")
# The value, a W3TermInfo, starts with a flags byte and the weight (a float),
# then the document frequency.
_DOC_FREQUENCY = struct.Struct("!I")
_DOC_FREQUENCY_AT = 1 + struct.calcsize("!f")
_TERM_INFO_HEAD = _DOC_FREQUENCY_AT + _DOC_FREQUENCY.size
_FIELD_NUMBER = struct.Struct("!H")
# Slots read at once (a table is at most half full: one or two are usually enough).
_SLOTS_A_READ = 4
# Bytes of a term's value read with its key (most W3TermInfo values are shorter).
_VALUE_GUESS = 64


class DocumentFrequencies:
    """``frequencies(term)``: how many documents of ``reader`` (deleted ones
    included, as Whoosh counts) have ``term`` in ``field``; the same number
    as ``reader.doc_frequency(field, term)``."""

    def __init__(self, reader: IndexReader, field: str):
        self._reader = reader
        self._field = field
        self._to_bytes = reader.schema[field].to_bytes
        self._segments: list[tuple[OrderedHashReader, PositionalFile, bytes]] | None = []
        for segment, _ in reader.leaf_readers():
            terms = getattr(segment, "_terms", None)
            table = getattr(terms, "_tindex", None)
            file = getattr(getattr(table, "dbfile", None), "file", None)
            layout = (isinstance(terms, W3TermsReader), type(table) is OrderedHashReader, type(file) is PositionalFile)
            if not all(layout):
                self._segments = None  # not a layout read here
                break
            if field in terms._fieldmap:
                self._segments.append((table, file, _FIELD_NUMBER.pack(terms._fieldmap[field])))

    def __call__(self, term: str) -> int:
        if self._segments is None:
            return self._reader.doc_frequency(self._field, term)
        text = self._to_bytes(term)
        return sum(_in_segment(table, file, prefix + text) for table, file, prefix in self._segments)


def _in_segment(table: OrderedHashReader, file: PositionalFile, key: bytes) -> int:
    """The document frequency under ``key`` in one segment's term file, 0 without it."""
    found = _find(table, file, key, _TERM_INFO_HEAD)
    if found is None:
        return 0
    return _DOC_FREQUENCY.unpack_from(found[1], _LENGTHS.size + len(key) + _DOC_FREQUENCY_AT)[0]


def entry(table: OrderedHashReader, file: PositionalFile, key: bytes) -> bytes | None:
    """The whole value stored under ``key`` in a term file (a term's
    ``W3TermInfo`` bytes), or None without it: what ``table[key]`` gives, in
    two positional reads (three for a long value) instead of Whoosh's five or six."""
    found = _find(table, file, key, _VALUE_GUESS)
    if found is None:
        return None
    position, item = found
    _, value_length = _LENGTHS.unpack_from(item)
    start = _LENGTHS.size + len(key)
    if len(item) < start + value_length:  # longer than guessed (postings inlined in it)
        return file.read_at(value_length, position + start)
    return item[start : start + value_length]


def _find(table: OrderedHashReader, file: PositionalFile, key: bytes, value_bytes: int) -> tuple[int, bytes] | None:
    """(position, bytes) of ``key``'s item in the hash file: its lengths, the
    key and up to ``value_bytes`` of its value, read together; None without
    it. Whoosh's own probing of its hash tables (see
    ``HashReader.ranges_for_key``), a few slots a read."""
    keyhash = table.hashfn(key)
    start, slots = table.tables[keyhash & 255]
    slot = (keyhash >> 8) % slots if slots else 0
    probed = 0
    while probed < slots:
        run = min(_SLOTS_A_READ, slots - slot, slots - probed)
        for slot_hash, position in _SLOT.iter_unpack(file.read_at(run * _SLOT.size, start + slot * _SLOT.size)):
            if not position:  # an empty slot ends the probing: no such key
                return None
            if slot_hash == keyhash:
                item = file.read_at(_LENGTHS.size + len(key) + value_bytes, position)
                key_length, _ = _LENGTHS.unpack_from(item)
                if key_length == len(key) and item[_LENGTHS.size : _LENGTHS.size + key_length] == key:
                    return position, item
        probed += run
        slot = (slot + run) % slots
    return None


# Bytes of a term file's key/value region read at a time when walking all of it.
_WALK_CHUNK = 4 * 1024 * 1024


def distinct_terms(reader: IndexReader, fields: list[str]) -> dict[str, int]:
    """How many distinct terms each of ``fields`` has across the reader's
    segments (what counting ``reader.lexicon(field)`` gives), from each
    segment's run of the field's keys in its term file, read a few megabytes
    at a time: Whoosh merges the segments' sorted lexicons term by term
    (9.5 s for a 50,000-document index of 7 segments). Any other layout is
    counted through Whoosh."""
    wanted = {name: set() for name in fields}
    for segment, _ in reader.leaf_readers():
        terms = getattr(segment, "_terms", None)
        table = getattr(terms, "_tindex", None)
        file = getattr(getattr(table, "dbfile", None), "file", None)
        if not (isinstance(terms, W3TermsReader) and type(table) is OrderedHashReader and type(file) is PositionalFile):
            return {name: sum(1 for _ in reader.lexicon(name)) for name in fields}
        for name, found in wanted.items():
            if name not in terms._fieldmap:
                continue
            # Keys are in order, a field's after its number: its run starts at the first such key.
            prefix = _FIELD_NUMBER.pack(terms._fieldmap[name])
            first = table.closest_key_pos(prefix)
            if first is None:
                continue
            for key in _keys(file, first, table.endofdata):
                if key[: _FIELD_NUMBER.size] != prefix:
                    break
                found.add(key[_FIELD_NUMBER.size :])
    return {name: len(found) for name, found in wanted.items()}


def _keys(file: PositionalFile, start: int, end: int):
    """Every key of a hash file's key/value region (lengths, key, value, one
    item after another), read a few megabytes at a time."""
    data, offset, position = b"", 0, start  # position: where in the file ``data`` ends
    while True:
        if len(data) - offset >= _LENGTHS.size:
            key_length, value_length = _LENGTHS.unpack_from(data, offset)
            key_end = offset + _LENGTHS.size + key_length
            if key_end <= len(data):
                yield data[offset + _LENGTHS.size : key_end]
                offset = key_end + value_length
                if offset > len(data):  # the value runs past what is read: skip the rest
                    position += offset - len(data)
                    data, offset = b"", 0
                continue
        if position >= end:
            return
        more = file.read_at(min(_WALK_CHUNK, end - position), position)
        if not more:
            return
        data, offset = data[offset:] + more, 0
        position += len(more)
