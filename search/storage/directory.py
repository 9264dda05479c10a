"""The index directory: version metadata, generations and the writer lock.

An index directory holds one or more Whoosh indexes ("generations", named
``gen1``, ``gen2`` …) and ``search-meta.json``, which names the current one.
A rebuild writes a new generation beside the old and switches by rewriting
the metadata file atomically, so a reader always finds a complete index and
a killed rebuild leaves the previous one in place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3PerDocReader, W3TermInfo, W3TermsReader
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.reading import TermNotFound
from whoosh.index import FileIndex

from search.storage import lemma_table
from search.storage.posting_blocks import ArrayLeafMatcher, ArrayPostingsWriter
from search.errors import IndexNotFoundError, IndexVersionError, SearchError
from search.storage.locking import LOCK_FILE, write_lock  # noqa: F401 (the lock lives there)
from search.storage.schema import SCHEMA_VERSION, build_schema
from search.storage.columns import STORED_FIELDS_COLUMN
from search.storage.shared_files import PositionalFile, SharedFileStorage
from search.storage.term_frequencies import entry as term_entry
from search.storage.write_errors import NamingStorage, naming

META_FILE = "search-meta.json"
REBUILD_HINT = "rebuild it with `search build --rebuild`"
_GENERATION = re.compile(r"^gen(\d+)$")


def read_meta(path: Path) -> dict[str, Any]:
    """The metadata of the index at ``path``, checked for compatibility."""
    meta_path = path / META_FILE
    if not meta_path.is_file():
        if path.is_dir() and any(name.endswith(".toc") for name in os.listdir(path)):
            raise IndexVersionError(
                f"{path} holds an index from an older version with no version record; {REBUILD_HINT}"
            )
        raise IndexNotFoundError(f"no index at {path} — run `search build` first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexVersionError(f"{meta_path} is unreadable ({error}); {REBUILD_HINT}") from None
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    if version != SCHEMA_VERSION:
        raise IndexVersionError(
            f"the index at {path} has schema version {version}, this program needs "
            f"{SCHEMA_VERSION}; {REBUILD_HINT}"
        )
    if not _GENERATION.match(str(meta.get("generation", ""))):
        raise IndexVersionError(f"{meta_path} names no index generation; {REBUILD_HINT}")
    return meta


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Replace the metadata file atomically (write a temporary file, rename)."""
    temporary = path / f".{META_FILE}.{os.getpid()}"
    try:
        with naming(temporary), open(temporary, "w", encoding="utf-8") as handle:
            json.dump(meta, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        with naming(path / META_FILE):
            os.replace(temporary, path / META_FILE)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class IndexStorage(NamingStorage, SharedFileStorage):
    """Index files written so that a failed write names its file, and read
    with positional reads that threads can share (:mod:`search.storage.shared_files`)."""


def storage(path: Path) -> IndexStorage:
    """The index directory's storage, without memory maps: with them,
    Whoosh 2.7 copies each segment's whole posting file into memory whenever
    a reader opens it (``BufferFile`` wraps the map in a ``BytesIO``), which
    on the 51,000-document shared corpus cost 1.4 s and 2.4 GB per open;
    plain file reads cost 0.08 s and 27 MB."""
    return IndexStorage(str(path), supports_mmap=False)


def open_generation(path: Path, meta: dict[str, Any]) -> FileIndex:
    """Open the Whoosh index the metadata names, translating Whoosh's failures."""
    try:
        return storage(path).open_index(meta["generation"])
    except Exception as error:  # an unpickling failure can raise nearly anything
        raise IndexVersionError(
            f"the index at {path} cannot be opened ({type(error).__name__}: {error}); {REBUILD_HINT}"
        ) from None


def new_generation(path: Path, policy: str) -> tuple[str, FileIndex]:
    """Create an empty Whoosh index under a generation name not yet used in ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    used = [int(m.group(1)) for name in os.listdir(path) if (m := re.match(r"^_gen(\d+)_", name))]
    name = f"gen{max(used, default=0) + 1}"
    return name, storage(path).create_index(build_schema(policy), indexname=name)


def remove_other_generations(path: Path, keep: str) -> None:
    """Delete the files of every generation but ``keep`` (after a rebuild)."""
    for name in os.listdir(path):
        match = re.match(r"^_?(gen\d+)_", name) or re.match(r"^lemmas-(gen\d+)\.sqlite$", name)
        if match and match.group(1) != keep:
            try:
                os.remove(path / name)
            except OSError:
                pass


class Codec(W3Codec):
    """Whoosh 3's codec, whose field writer also takes postings grouped by
    term (see :mod:`search.indexer.posting_pool`) and whose posting blocks
    are arrays (see :mod:`search.storage.posting_blocks`); the other files are Whoosh 3's.

    Segments pickle their codec: this class must stay importable here (and
    :mod:`search.legacy` keeps the old path ``search.store.Codec`` working).
    """

    def field_writer(self, storage, segment):
        from search.indexer.posting_pool import GroupedFieldWriter

        return GroupedFieldWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return _PerDocumentReader(storage, segment)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return _TermsReader(self, storage.open_file(name), storage.file_length(name), postfile)

    def postings_writer(self, dbfile, byteids=False):
        return ArrayPostingsWriter(
            dbfile, blocklimit=self._blocklimit, byteids=byteids, compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        """Whoosh's matcher, reading blocks of either layout
        (:mod:`search.storage.posting_blocks`)."""
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class _PerDocumentReader(W3PerDocReader):
    """Whoosh 3's per-document reader, its stored fields read through a
    column whose offsets open faster (see :mod:`search.storage.columns`)."""

    def stored_fields(self, docnum):
        found = self._cached_reader("_stored", STORED_FIELDS_COLUMN)[docnum]
        return {} if found is None else found


# Term entries a segment's term table keeps once read (about 200 bytes each).
TERM_ENTRIES_KEPT = 20_000


class _TermsReader(W3TermsReader):
    """Whoosh 3's term table, keeping the entries it has read: a query looks
    each of its words up several times (planning, scoring, re-ranking, in
    every segment), and each lookup is a few small reads of the hash file."""

    def __init__(self, *args):
        super().__init__(*args)
        self._entries: dict[bytes, W3TermInfo | None] = {}
        file = getattr(self._tindex.dbfile, "file", None)
        # Looked up straight from the file where its layout is the one read there.
        self._direct = file if type(self._tindex) is OrderedHashReader and type(file) is PositionalFile else None

    def _entry(self, fieldname: str, tbytes: bytes) -> "W3TermInfo | None":
        key = self._keycoder(fieldname, tbytes)
        try:
            return self._entries[key]
        except KeyError:
            pass
        if self._direct is not None:
            value = term_entry(self._tindex, self._direct, key)
            found = W3TermInfo.from_bytes(value) if value is not None else None
        else:
            try:
                found = W3TermInfo.from_bytes(self._tindex[key])
            except KeyError:
                found = None
        if len(self._entries) >= TERM_ENTRIES_KEPT:
            self._entries.clear()
        self._entries[key] = found
        return found

    def __contains__(self, term) -> bool:
        return self._entry(*term) is not None

    def term_info(self, fieldname, tbytes):
        found = self._entry(fieldname, tbytes)
        if found is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return found

    def frequency(self, fieldname, tbytes):
        found = self._entry(fieldname, tbytes)
        if found is None:
            raise KeyError(tbytes)  # as Whoosh's own reader raises
        return found.weight()

    def doc_frequency(self, fieldname, tbytes):
        found = self._entry(fieldname, tbytes)
        if found is None:
            raise KeyError(tbytes)
        return found.doc_frequency()


def codec() -> W3Codec:
    """How index files are written: Whoosh 3's files with posting blocks as
    arrays (:mod:`search.storage.posting_blocks`), compressed by zlib at its
    fastest level (but the smallest blocks, see ``COMPRESS_FROM_POSTINGS``;
    Whoosh's default level, 3, gained 2 % on pickled blocks for slower builds).
    Readers check each posting list's header and each block's summary, so
    indexes written before (pickled blocks, compressed or not) read as they did."""
    return Codec(compression=1)


def new_meta(generation: str, policy: str) -> dict[str, Any]:
    return {
        "format": "search-index",
        "schema_version": SCHEMA_VERSION,
        "generation": generation,
        "ambiguity": policy,
        "created": now(),
        "updated": now(),
    }


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def remove_leftovers(path: Path, failed: bool = False) -> None:
    """Delete what interrupted or failed writes left in the index directory:
    every generation's files but the current one's, the current one's files
    that no committed state names (segments, table-of-contents drafts), and
    temporary folders; after a ``failed`` write, also the lemmas its indexing
    processes left for the lemma table. Only under the write lock."""
    if failed:
        for policy in lemma_table.POLICIES:
            lemma_table.remove_learned(path, policy)
    try:
        current = read_meta(path)["generation"]
    except SearchError:
        return
    remove_other_generations(path, current)
    try:
        ix = storage(path).open_index(current)
        committed = ix._read_toc()
    except Exception:  # a damaged index is for `search check` to report, not for us to prune
        return
    segments = {segment.segment_id() for segment in committed.segments}
    toc_name = f"_{current}_{committed.generation}.toc"
    for name in os.listdir(path):
        segment = re.match(rf"^({current}_[0-9a-z]+)\.", name)
        draft = name.startswith(f"_{current}_") and name != toc_name
        if (segment and segment.group(1) not in segments) or draft:
            _remove(path / name)
        elif name.endswith(".tmp") and (path / name).is_dir():
            shutil.rmtree(path / name, ignore_errors=True)
        elif name.startswith(f".{META_FILE}."):
            _remove(path / name)


def _remove(file: Path) -> None:
    try:
        file.unlink()
    except OSError:
        pass
