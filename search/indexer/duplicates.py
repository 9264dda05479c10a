"""Near-duplicate detection: the same release republished with small edits.

Each document's body is cut into overlapping five-word shingles and summarised
by a MinHash signature (datasketch); locality-sensitive hashing (bands of the
signature that agree) finds earlier documents whose estimated Jaccard
similarity passes the threshold.
A document joins the group of the first such document; a group is named by
the id of its first member, so earlier documents never need rewriting.
Signatures are stored in the index (a column), so incremental builds compare
new documents with everything already indexed.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
import zlib
from typing import Callable, Iterable

# Estimated Jaccard similarity of shingle sets above which two bodies are the
# same release. Republished pairs in the bundled corpus score 0.73–0.85, all
# other pairs below 0.2.
THRESHOLD = 0.5
NUM_PERM = 64
# datasketch's 32-bit permutation scheme: signatures are stored as 4-byte values.
SCHEME = "affine32"
DTYPE = "<u4"
SHINGLE_WORDS = 5
# LSH banding: the band count and size datasketch's MinHashLSH chooses for
# THRESHOLD and NUM_PERM (its _optimal_param; a test checks they still agree).
BANDS, ROWS = 14, 4
SIGNATURE_BYTES = NUM_PERM * 4
# New documents compared with the index's matrix one at a time before the
# index's documents are put in the hash tables instead.
SCAN_LIMIT = 2000
# Bodies shorter than this many words are too short to call duplicates.
MIN_WORDS = 20

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[bytes]:
    """Overlapping word five-grams of the lowercased text, ё folded."""
    words = _WORD.findall(text.lower().replace("ё", "е"))
    if len(words) < MIN_WORDS:
        return set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


def signature(text: str) -> bytes:
    """The MinHash signature of a body as bytes (empty for very short texts)."""
    found = shingles(text)
    if not found:
        return b""
    minhash = _minhash_class()(num_perm=NUM_PERM, hashfunc=zlib.crc32, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(found)
    return minhash.hashvalues.astype(DTYPE).tobytes()


_PERMUTATIONS: list = []


def _permutations():
    """The permutation parameters datasketch draws from its seed for every
    new MinHash (a seeded generator, some 0.2 ms a document): drawn once."""
    if not _PERMUTATIONS:
        _PERMUTATIONS.append(_minhash_class()(num_perm=NUM_PERM, hashfunc=zlib.crc32, scheme=SCHEME).permutations)
    return _PERMUTATIONS[0]


def _minhash_class():
    """datasketch's MinHash, imported without the package's ``__init__``: that
    loads the LSH classes and scipy with them (0.6 s of a small build), and
    the banding below is our own."""
    module = sys.modules.get("datasketch.minhash")
    if module is None:
        if "datasketch" in sys.modules:
            from datasketch import minhash as module
        else:
            spec = importlib.util.find_spec("datasketch")
            package = types.ModuleType("datasketch")
            package.__path__ = list(spec.submodule_search_locations or [])
            sys.modules["datasketch"] = package
            try:
                module = importlib.import_module("datasketch.minhash")
            finally:
                # The real package, when imported later, finds its submodules loaded.
                del sys.modules["datasketch"]
    return module.MinHash


def _bands(values) -> list[bytes]:
    return [values[band * ROWS : (band + 1) * ROWS].tobytes() for band in range(BANDS)]


class IndexedSignatures:
    """The signatures of the documents an index holds, read a column at a
    time into one matrix (a row a document that has one), with each row's
    id and group read only for the rows a new document matches."""

    def __init__(self, docnums, matrix, id_of: Callable[[int], str], group_of: Callable[[int], str]):
        self.docnums = docnums
        self.matrix = matrix
        self.id_of = id_of
        self.group_of = group_of
        self._fingerprints = None

    def matching(self, values) -> list[int]:
        """Document numbers of the rows sharing at least one band with ``values``
        (the candidates datasketch's MinHashLSH would return).

        Each band is first compared as one 64-bit fingerprint of its values
        (a quarter of the comparisons), then the few rows that agree somewhere
        are checked value by value, so a fingerprint collision never counts."""
        import numpy as np

        if not len(self.docnums):
            return []
        if self._fingerprints is None:
            self._fingerprints = _fingerprints(self.matrix)
        rows = np.flatnonzero((self._fingerprints == _fingerprints(values[None, :])).any(axis=1))
        width = BANDS * ROWS
        equal = self.matrix[rows, :width] == values[:width]
        rows = rows[equal.reshape(len(rows), BANDS, ROWS).all(axis=2).any(axis=1)]
        return [int(n) for n in self.docnums[rows]]


def _fingerprints(matrix):
    """One 64-bit number per band of each row of signatures."""
    import numpy as np

    bands = matrix[:, : BANDS * ROWS].astype(np.uint64).reshape(len(matrix), BANDS, ROWS)
    mixed = bands[:, :, 0]
    for row in range(1, ROWS):
        mixed = mixed * np.uint64(0x9E3779B97F4A7C15) + bands[:, :, row]  # wraps modulo 2**64
    return mixed


class DuplicateFinder:
    """Assigns each new document to a near-duplicate group.

    Candidates are found by MinHash LSH banding: two documents are candidates
    when all ``ROWS`` values of one of ``BANDS`` bands agree (datasketch's
    MinHashLSH rule for the threshold, with its own band sizes). The index's
    documents are compared as one numpy matrix per new document, so a small
    build costs milliseconds however large the index; past
    ``SCAN_LIMIT`` new documents they join the hash tables, which is cheaper
    for large builds.
    """

    def __init__(
        self, known: Iterable[tuple[str, str, bytes]] = (), indexed: "Callable[[], IndexedSignatures] | None" = None
    ):
        """``known``: (document id, its group, its signature) already indexed;
        ``indexed``: or a function reading them from the index on first use."""
        self._pending_known = known
        self._load_indexed = indexed
        self._indexed: IndexedSignatures | None = None
        self._tables: list[dict[bytes, set[str]]] | None = None
        self._bands_of: dict[str, list[bytes]] = {}
        self._group: dict[str, str] = {}
        self._forgotten: set[str] = set()
        self._scans = 0

    @property
    def _hash_tables(self) -> list[dict[bytes, set[str]]]:
        if self._tables is None:
            self._tables = [{} for _ in range(BANDS)]
            for doc_id, group, packed in self._pending_known:
                self._remember(doc_id, group, packed)
        return self._tables

    def _remember(self, doc_id: str, group: str, packed: bytes) -> None:
        self._group[doc_id] = group or doc_id
        if packed and doc_id not in self._bands_of:
            import numpy as np

            bands = self._bands_of[doc_id] = _bands(np.frombuffer(packed, dtype=DTYPE))
            for table, key in zip(self._hash_tables, bands):
                table.setdefault(key, set()).add(doc_id)

    def forget(self, doc_id: str) -> None:
        """Drop a document that is being replaced or deleted."""
        self._forgotten.add(doc_id)
        bands = self._bands_of.pop(doc_id, None)
        if bands is not None:
            for table, key in zip(self._hash_tables, bands):
                table[key].discard(doc_id)
        self._group.pop(doc_id, None)

    def assign(self, doc_id: str, packed: bytes) -> str:
        """The group of a new document: that of an earlier near-duplicate, else its own id."""
        group = doc_id
        if packed:
            import numpy as np

            values = np.frombuffer(packed, dtype=DTYPE)
            groups = self._indexed_groups(values, doc_id)  # first: it may fill the tables
            groups += [self._group.get(m, m) for m in self._table_matches(values) if m != doc_id]
            if groups:
                group = min(groups)
        self._remember(doc_id, group, packed)
        return group

    def _table_matches(self, values) -> set[str]:
        found: set[str] = set()
        for table, key in zip(self._hash_tables, _bands(values)):
            found |= table.get(key, set())
        return found

    def _indexed_groups(self, values, doc_id: str) -> list[str]:
        """Groups of the index's documents (not replaced in this build) that match."""
        if self._load_indexed is not None:
            self._indexed, self._load_indexed = self._load_indexed(), None
        indexed = self._indexed
        if indexed is None:
            return []
        self._scans += 1
        if self._scans > SCAN_LIMIT:  # a large build: hash the index's documents too
            for row, docnum in enumerate(indexed.docnums.tolist()):
                indexed_id = indexed.id_of(docnum)
                if indexed_id not in self._forgotten:
                    self._remember(indexed_id, indexed.group_of(docnum), indexed.matrix[row].tobytes())
            self._indexed = None
            return []
        groups = []
        for docnum in indexed.matching(values):
            indexed_id = indexed.id_of(docnum)
            if indexed_id != doc_id and indexed_id not in self._forgotten:
                groups.append(indexed.group_of(docnum) or indexed_id)
        return groups
