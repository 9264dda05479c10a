"""Near-duplicate detection: the same release republished with small edits.

Each document's body is cut into overlapping five-word shingles and summarised
by a MinHash signature (datasketch); a locality-sensitive hash index finds
earlier documents whose estimated Jaccard similarity passes the threshold.
A document joins the group of the first such document; a group is named by
the id of its first member, so earlier documents never need rewriting.
Signatures are stored in the index (a column), so incremental builds compare
new documents with everything already indexed.
"""

from __future__ import annotations

import re
import zlib
from typing import Iterable

# Estimated Jaccard similarity of shingle sets above which two bodies are the
# same release. Republished pairs in the bundled corpus score 0.73–0.85, all
# other pairs below 0.2.
THRESHOLD = 0.5
NUM_PERM = 64
# datasketch's 32-bit permutation scheme: signatures are stored as 4-byte values.
SCHEME = "affine32"
DTYPE = "<u4"
SHINGLE_WORDS = 5
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
    from datasketch import MinHash

    found = shingles(text)
    if not found:
        return b""
    minhash = MinHash(num_perm=NUM_PERM, hashfunc=zlib.crc32, scheme=SCHEME)
    minhash.update_batch(found)
    return minhash.hashvalues.astype(DTYPE).tobytes()


def _unpack(packed: bytes):
    import numpy as np
    from datasketch import LeanMinHash

    return LeanMinHash(seed=1, hashvalues=np.frombuffer(packed, dtype=DTYPE), scheme=SCHEME)


class DuplicateFinder:
    """Assigns each new document to a near-duplicate group."""

    def __init__(self, known: Iterable[tuple[str, str, bytes]] = ()):
        """``known``: (document id, its group, its signature) already indexed.

        The LSH index is built on first use: datasketch takes a second or two
        to import (it loads scipy), which a build with nothing new need not pay.
        """
        self._known = known
        self._lsh_index = None
        self._group: dict[str, str] = {}

    @property
    def _lsh(self):
        if self._lsh_index is None:
            from datasketch import MinHashLSH

            self._lsh_index = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
            for doc_id, group, packed in self._known:
                self._remember(doc_id, group, packed)
        return self._lsh_index

    def _remember(self, doc_id: str, group: str, packed: bytes) -> None:
        self._group[doc_id] = group or doc_id
        if packed and doc_id not in self._lsh:
            self._lsh.insert(doc_id, _unpack(packed))

    def forget(self, doc_id: str) -> None:
        """Drop a document that is being replaced or deleted."""
        if self._lsh_index is None and not self._known:
            return
        if doc_id in self._lsh:
            self._lsh.remove(doc_id)
        self._group.pop(doc_id, None)

    def assign(self, doc_id: str, packed: bytes) -> str:
        """The group of a new document: that of an earlier near-duplicate, else its own id."""
        group = doc_id
        if packed:
            matches = [m for m in self._lsh.query(_unpack(packed)) if m != doc_id]
            if matches:
                group = min(self._group.get(m, m) for m in matches)
        self._remember(doc_id, group, packed)
        return group
