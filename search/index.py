"""The public Python API: :class:`Index` and the results it returns.

>>> from search import Index
>>> with Index.open("index") as ix:
...     results = ix.search("визит Лаврова в Японию", limit=5)
...     for hit in results:
...         print(hit.score, hit.title, hit.snippet.text)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import pickle
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search import field_text, lemma_table, morphology, ranking, store, thesaurus
from search.analysis import DEFAULT_POLICY
from search.dates import date_bound
from search.errors import IndexDamagedError, SearchError
from search.morphology import AMBIGUITY_POLICIES, CYRILLIC
from search.results import DocumentView, SearchResults
from search.searching import SearchOptions, document_view, find_similar, query_timeline, run_search

if TYPE_CHECKING:  # writing and inspecting modules are imported when used: searching starts faster
    from search.corpus import Problem, Record  # noqa: F401 (named in DocumentLike)
    from search.diagnostics import Analysis
    from search.overview import Stats, Timeline
    from search.documents import Document  # noqa: F401
    from search.indexing import AddReport

DocumentLike = "Document | Mapping[str, Any] | Record | Problem"
# From this many documents on, plain word queries are scored with numpy.
FAST_SCORING_MIN_DOCS = 5000
# How reading a truncated or overwritten index file fails inside Whoosh.
DAMAGE_ERRORS = (EOFError, OSError, struct.error, zlib.error, pickle.UnpicklingError)


class Index:
    """A search index on disk. Create or open it, add documents, search.

    Use as a context manager, or call :meth:`close`. One process at a time
    may write; any number may search, each seeing the last committed state.
    """

    def __init__(self, path: Path, meta: dict[str, Any], whoosh_index: FileIndex):
        self.path = path
        self._meta = meta
        self._ix = whoosh_index
        self._searcher: Searcher | None = None
        self._fast = None
        self._lemmas_in_use = False

    # -- opening ---------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike, *, overwrite: bool = False, ambiguity: str = DEFAULT_POLICY
    ) -> "Index":
        """Create an empty index at ``path`` (a directory).

        An existing index is an error unless ``overwrite`` is true, in which
        case it is replaced atomically by the empty one. ``ambiguity`` is how
        ambiguous words are lemmatised (``top``, ``all`` or ``proper``, see
        README); the default was chosen by measurement.
        """
        if ambiguity not in AMBIGUITY_POLICIES:
            raise ValueError(f"ambiguity must be one of {', '.join(AMBIGUITY_POLICIES)}")
        path = Path(path)
        if (path / store.META_FILE).exists() and not overwrite:
            raise SearchError(f"an index already exists at {path}; open it, or rebuild it")
        with store.write_lock(path):
            name, whoosh_index = store.new_generation(path, ambiguity)
            meta = store.new_meta(name, ambiguity)
            store.write_meta(path, meta)
            store.remove_other_generations(path, name)
        return cls(path, meta, whoosh_index)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Index":
        """Open the index at ``path``; raises a :class:`SearchError` subclass
        whose message says what to do when there is none or it is too old."""
        path = Path(path)
        meta = store.read_meta(path)
        return cls(path, meta, store.open_generation(path, meta))

    @classmethod
    def open_or_create(cls, path: str | os.PathLike) -> "Index":
        """Open the index at ``path``, creating an empty one if there is none."""
        if (Path(path) / store.META_FILE).exists():
            return cls.open(path)
        return cls.create(path)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def ambiguity(self) -> str:
        """The lemma ambiguity policy this index was built with."""
        return self._meta.get("ambiguity", DEFAULT_POLICY)

    def __len__(self) -> int:
        return self._current().doc_count()

    def __repr__(self) -> str:
        return f"Index({str(self.path)!r})"

    # -- writing ---------------------------------------------------------

    def add(
        self,
        documents: Iterable[DocumentLike],
        *,
        procs: int = 1,
        on_progress: Callable[[int, str], None] | None = None,
        prune: bool = False,
        keep_partial: bool = False,
    ) -> AddReport:
        """Add documents; one with a known id replaces the old one.

        Documents are :class:`Document` objects or dicts with the fields of
        the JSONL format. Unchanged documents are skipped, unusable ones are
        reported in the returned :class:`AddReport`; everything is committed
        at once at the end, or nothing is. ``prune`` also deletes documents
        whose source file has vanished. On Ctrl-C, ``keep_partial`` commits
        the documents read so far (``report.interrupted``); otherwise nothing
        is written and ``KeyboardInterrupt`` propagates. ``procs=2`` indexes
        in two processes (worth it for large inputs).
        """
        from search.indexing import write_documents

        with self._writing():
            report = write_documents(
                self._current(),
                documents,
                procs=procs,
                on_progress=on_progress,
                prune=prune,
                keep_partial=keep_partial,
            )
            self._record_update()
        return report

    def rebuild(
        self,
        documents: Iterable[DocumentLike],
        *,
        procs: int = 1,
        on_progress: Callable[[int, str], None] | None = None,
    ) -> AddReport:
        """Replace the whole index with ``documents``.

        The new index is built beside the old one and takes its place only
        when complete; until then searches see the old one. Interrupted or
        failed, the new one is discarded and the old one stays.
        """
        from search.indexing import write_documents

        with self._writing():
            name, fresh = store.new_generation(self.path, self.ambiguity)
            try:
                report = write_documents(fresh, documents, procs=procs, on_progress=on_progress)
            except BaseException:
                store.remove_other_generations(self.path, self._meta["generation"])
                raise
            self._meta["generation"] = name
            self._ix = fresh
            self._record_update()
            store.remove_other_generations(self.path, name)
        return report

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids; returns how many were found."""
        with self._writing():
            writer = self._current().writer(codec=store.codec())
            try:
                deleted = sum(writer.delete_by_term("id", doc_id) for doc_id in ids)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            self._record_update()
        return deleted

    def _writing(self):
        return store.write_lock(self.path)

    def _record_update(self) -> None:
        """Record a commit in the metadata straight away, then extend the lemma
        table (seconds on a large build; a build killed meanwhile only leaves
        forms for queries to lemmatise with pymorphy3 until the next build)."""
        self._meta["updated"] = store.now()
        self._meta["documents"] = self._ix.doc_count()
        # Which commit the count describes: a build killed between Whoosh's
        # commit and this record leaves the count of the commit before.
        self._meta["toc_generation"] = self._ix.latest_generation()
        store.write_meta(self.path, self._meta)
        self._update_lemma_table()

    def _update_lemma_table(self) -> None:
        """Add the lemmas of new word forms to the table kept beside the index,
        from those the indexing (in this process or its indexing processes)
        worked out where it can."""
        learned = field_text.take_learned(self.ambiguity)
        if self.ambiguity not in lemma_table.POLICIES:
            return
        files = lemma_table.learned_files(self.path, self.ambiguity)
        worked_out = itertools.chain([learned], lemma_table.read_learned(files))
        with self._ix.reader() as reader:
            forms = (raw.decode("utf-8") for raw in reader.lexicon("exact"))
            cyrillic = (form for form in forms if CYRILLIC.search(form))
            lemma_table.update(self._lemma_table_path(), cyrillic, self.ambiguity, worked_out)
        lemma_table.remove_learned(self.path, self.ambiguity)

    def _lemma_table_path(self) -> Path:
        return lemma_table.table_path(self.path, self._meta["generation"])

    def _use_lemma_table(self) -> None:
        """Let query words known to the index skip loading the morphology dictionaries."""
        if self._lemmas_in_use or self.ambiguity not in lemma_table.POLICIES:
            return
        self._lemmas_in_use = True
        path = self._lemma_table_path()
        if path.exists():
            table = lemma_table.LemmaTable(path)
            morphology.use_known_lemmas(self.ambiguity, table.lookup, table.lookup_many)

    # -- reading ---------------------------------------------------------

    def _current(self) -> FileIndex:
        """The Whoosh index, switched to a newer generation if one was published."""
        try:
            meta = store.read_meta(self.path)
        except SearchError:
            return self._ix
        if meta["generation"] != self._meta["generation"]:
            self.close()
            self._ix = store.open_generation(self.path, meta)
        self._meta = meta
        return self._ix

    def searcher(self) -> Searcher:
        """A Whoosh searcher on the latest committed state (kept open, refreshed)."""
        whoosh_index = self._current()
        with self._reading():
            if self._searcher is None:
                self._searcher = whoosh_index.searcher(weighting=ranking.weighting())
            else:
                self._searcher = self._searcher.refresh()
        return self._searcher

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn the ways a damaged index file fails into one clear error."""
        try:
            yield
        except DAMAGE_ERRORS as error:
            raise IndexDamagedError(
                f"the index at {self.path} is damaged ({type(error).__name__}: {error}); "
                "`search check` tells more, `search build --rebuild` repairs it"
            ) from None

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields of one document, or ``None``."""
        return self.searcher().document(id=doc_id)

    def search(
        self,
        query: str,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        match: str = "all",
        *,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        snippets: bool = True,
        recent: bool = False,
        facets: bool = False,
        synonyms: bool = True,
        collapse: bool = True,
    ) -> SearchResults:
        """Run a query and return one page of ranked, highlighted hits.

        ``match="all"`` requires every word (falling back to any-term ranking,
        with a notice, when nothing matches); ``match="any"`` ranks documents
        by the words they contain. ``sort`` is ``relevance``, ``newest`` (or
        ``date``) or ``oldest``. ``since``/``until`` keep documents dated in
        that range (dates, or text such as «2017-05», «10 сентября 2017»).
        ``recent`` favours newer documents; ``facets`` counts the matches by
        source and year. ``synonyms=False`` turns off the thesaurus (which
        also searches «Кыргызстан» for «Киргизия», at a lower weight).
        Near-duplicates (one release republished by several outlets) fold
        into their best-placed copy, listed in ``hit.copies``, unless
        ``collapse=False``; totals count every copy.
        ``snippets=False`` skips highlighting, for scripts
        that only need ids and scores. Malformed query syntax degrades to
        plain words, with a notice.
        """
        options = SearchOptions(
            limit=limit,
            page=page,
            sort=sort,
            match=match,
            since=date_bound(since, end=False),
            until=date_bound(until, end=True),
            snippets=snippets,
            recent=recent,
            facets=facets,
            synonyms=synonyms,
            collapse=collapse,
        )
        searcher = self.searcher()
        self._use_lemma_table()
        with self._reading():
            return run_search(searcher, query, options, self.ambiguity, self._scorer(searcher))

    def _scorer(self, searcher: Searcher):
        """The vectorised scorer for this searcher, kept while the searcher lives.

        Small indexes do without it: Whoosh is quick there, and importing
        numpy would cost a command more than the query.
        """
        if searcher.doc_count_all() < FAST_SCORING_MIN_DOCS:
            return None
        from search import fastscore

        if self._fast is None or self._fast.stats.searcher is not searcher:
            self._fast = fastscore.Scorer(fastscore.Statistics(searcher))
        return self._fast

    def show(self, doc_id: str, query: str | None = None, synonyms: bool = True) -> DocumentView:
        """The whole document ``doc_id``, with ``query``'s matches highlighted.

        Raises :class:`SearchError` when there is no such document.
        """
        searcher, docnum = self._find(doc_id)
        self._use_lemma_table()
        with self._reading():
            return document_view(searcher, docnum, query, self.ambiguity, synonyms)

    def timeline(
        self,
        query: str,
        by: str = "month",
        match: str = "all",
        *,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        synonyms: bool = True,
    ) -> Timeline:
        """How many documents match ``query`` per month or year, gaps included."""
        options = SearchOptions(match=match, since=date_bound(since, end=False), until=date_bound(until, end=True))
        options.check()
        searcher = self.searcher()
        self._use_lemma_table()
        with self._reading():
            return query_timeline(searcher, query, by, options, self.ambiguity, synonyms)

    def stats(self, top: int = 10) -> Stats:
        """Documents, top sources, date range, size, terms, version, last build."""
        searcher = self.searcher()
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        with self._reading():
            from search.overview import collect_stats

            return collect_stats(searcher, self._meta, size, top)

    def analyze(self, text: str, synonyms: bool = True) -> Analysis:
        """The analyzer's tokens for ``text`` and how it reads as a query here."""
        from search.diagnostics import analyze

        return analyze(text, self.ambiguity, thesaurus.default(self.ambiguity) if synonyms else None)

    def similar(self, doc_id: str, limit: int = 10) -> SearchResults:
        """Documents most like the one with ``doc_id`` (by its key words).

        Raises :class:`SearchError` when there is no such document.
        """
        searcher, docnum = self._find(doc_id)
        with self._reading():
            return find_similar(searcher, docnum, limit, self.ambiguity)

    def _find(self, doc_id: str) -> tuple[Searcher, int]:
        """A searcher and the document number of ``doc_id``; an error if it is absent."""
        searcher = self.searcher()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise SearchError(f"no document with id {doc_id!r} in {self.path}")
        return searcher, docnum
