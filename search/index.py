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
import signal
import struct
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

from whoosh.index import FileIndex
from whoosh.searching import Searcher

from search.indexer import field_text
from search.storage import lemma_table
from search.text import morphology
from search.ranking import rerank as ranking
from search.indexer import stopping
from search.storage import directory as store
from search.query import thesaurus
from search.storage import write_errors
from search.text.analysis import DEFAULT_POLICY
from search.text.dates import date_bound
from search.errors import DocumentNotFoundError, IndexDamagedError, IndexReadError, SearchError
from search.limits import CONCORDANCE_TIMEOUT, DEFAULT_TIMEOUT, Deadline
from search.text.morphology import AMBIGUITY_POLICIES, CYRILLIC
from search.retrieval.results import DocumentView, SearchResults
from search.retrieval.searcher import SearchOptions, document_view, find_similar, query_timeline, run_search

if TYPE_CHECKING:  # writing and inspecting modules are imported when used: searching starts faster
    from search.corpus import Problem, Record  # noqa: F401 (named in DocumentLike)
    from search.query.diagnostics import Analysis
    from search.retrieval.overview import Stats, Timeline
    from search.documents import Document  # noqa: F401
    from search.indexer.writer import AddReport
    from search.toolkit.concordance import Concordance
    from search.toolkit.export import Export
    from search.toolkit.keyness import KeyTerms

DocumentLike = "Document | Mapping[str, Any] | Record | Problem"
# From this many documents on, plain word queries are scored with numpy.
FAST_SCORING_MIN_DOCS = 5000
# How reading a truncated or overwritten index file fails inside Whoosh.
DAMAGE_ERRORS = (EOFError, OSError, struct.error, zlib.error, pickle.UnpicklingError, UnicodeDecodeError)
# What a failed write leaves, said after the failure.
UNCHANGED = "nothing was committed, the index is as it was"
LEMMAS_NOT_EXTENDED = (
    "the documents were committed, but the table of word lemmas kept for quick queries was left as it was"
)
T = TypeVar("T")


class Index:
    """A search index on disk. Create or open it, add documents, search.

    Use as a context manager, or call :meth:`close`. One process at a time
    may write; any number may search, each seeing the last committed state.
    One ``Index`` may be shared by any number of threads: searches run in
    parallel on one reader (its files are read with positional reads, see
    :mod:`search.storage.shared_files`), each on the latest commit when it starts.
    """

    def __init__(self, path: Path, meta: dict[str, Any], whoosh_index: FileIndex):
        self.path = path
        self._meta = meta
        self._ix = whoosh_index
        self._searcher: Searcher | None = None
        self._fast = None
        self._plain_postings = None  # (searcher, its PostingReader) without a scorer
        self._lemma_table: lemma_table.LemmaTable | None = None
        # Guards the fields above; held only to look up or switch them, never during a search.
        self._lock = threading.RLock()
        # Searchers in use, by id: (searcher, number of searches running on it).
        self._users: dict[int, tuple[Searcher, int]] = {}
        # Replaced searchers still in use, closed when their last search ends.
        self._retired: set[int] = set()
        # One retry of a failed read at a time (see _read).
        self._retry_lock = threading.Lock()

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
        outcome = "the index is as it was" if overwrite else "no index was created"
        with write_errors.reported(path, outcome), store.write_lock(path):
            try:
                kept = store.read_meta(path)["generation"]
            except SearchError:
                kept = ""
            try:
                name, whoosh_index = store.new_generation(path, ambiguity)
                meta = store.new_meta(name, ambiguity)
                store.write_meta(path, meta)
            except BaseException:
                store.remove_other_generations(path, kept)
                raise
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
        """Close the index's files; searches still running finish first on them."""
        with self._lock:
            if self._searcher is not None:
                self._retire(self._searcher)
                self._searcher = None
                self._fast = None
                self._plain_postings = None

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
        whose source file has vanished. On Ctrl-C, SIGTERM or SIGHUP (called
        in the main thread), ``keep_partial`` commits the documents read so
        far (``report.interrupted``, ``report.signal``);
        otherwise nothing is written and ``KeyboardInterrupt`` propagates.
        ``procs=2`` indexes in two processes (worth it for large inputs). A
        failure to write raises :class:`IndexWriteError` and leaves the index
        as it was.
        """
        from search.indexer.writer import write_documents

        with self._writing(UNCHANGED):
            before = self._segments_with_lemmas()
            with stopping.deferred() as stop:
                report = write_documents(
                    self._current(),
                    documents,
                    procs=procs,
                    on_progress=on_progress,
                    prune=prune,
                    keep_partial=keep_partial,
                )
                self._record_commit()
            report.stopped_by(stop.signum)
            self._extend_lemma_table(report, before)
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
        when complete; until then searches see the old one. Interrupted
        (Ctrl-C, SIGTERM, SIGHUP) or failed, the new one is discarded and the
        old one stays.
        """
        from search.indexer.writer import write_documents

        with self._writing(UNCHANGED):
            with stopping.deferred() as stop:
                name, fresh = store.new_generation(self.path, self.ambiguity)
                report = write_documents(fresh, documents, procs=procs, on_progress=on_progress)
                if stop.requested:  # arrived during the commit: still not switched
                    raise stop.interrupted()
                with self._lock:
                    self._meta["generation"] = name
                    self._ix = fresh
                    self._drop_searcher()
                self._record_commit()
                store.remove_other_generations(self.path, name)
            self._extend_lemma_table(report, set())  # a new generation: every segment is new
        return report

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the documents with these ids; returns how many were found."""
        with self._writing(UNCHANGED):
            before = self._segments_with_lemmas()
            writer = self._current().writer(codec=store.codec(), _lk=False)
            try:
                deleted = sum(writer.delete_by_term("id", doc_id) for doc_id in ids)
                writer.commit()
            except BaseException:
                try:
                    writer.cancel()
                except Exception:  # a full disk may fail closing too
                    pass
                raise
            self._record_commit()
            # No new words, but a merge may have rewritten segments: the table is
            # brought to this commit (reading only segments it has not seen).
            self._extend_lemma_table(None, before)
        return deleted

    @contextmanager
    def _writing(self, outcome: str) -> Iterator[None]:
        """Hold the write lock; start from a clean directory and leave one behind
        when the write fails; report a failure to write as one plain line.

        Whoosh's own lock is not taken (``_lk=False``): ours is the one, and
        Whoosh's would be inherited by the indexing processes."""
        with write_errors.reported(self.path, outcome), store.write_lock(self.path):
            store.remove_leftovers(self.path)
            try:
                with write_errors.reported(self.path, outcome):  # the free space before the cleanup
                    yield
            except BaseException:
                store.remove_leftovers(self.path, failed=True)
                raise

    def _record_commit(self) -> None:
        """Record a commit in the metadata straight away."""
        with self._lock:
            self._meta["updated"] = store.now()
            self._meta["documents"] = self._ix.doc_count()
            # Which commit the count describes: a build killed between Whoosh's
            # commit and this record leaves the count of the commit before.
            self._meta["toc_generation"] = self._ix.latest_generation()
            store.write_meta(self.path, self._meta)

    def _extend_lemma_table(self, report: AddReport | None, segments_before: set[str]) -> None:
        """Extend the lemma table with the words of the segments the commit wrote
        (all but ``segments_before``), then record the commit it is complete for.

        Skipped when a stop was asked for, and given up on a stop signal: a
        table left as it was only leaves forms for queries to lemmatise with
        pymorphy3 until the next build completes it (reading every segment once)."""
        if report is not None and report.interrupted:
            return
        try:
            with write_errors.reported(self.path, LEMMAS_NOT_EXTENDED):
                self._update_lemma_table(segments_before)
                with self._lock:
                    self._meta["lemmas_generation"] = self._commit_name(self._meta["toc_generation"])
                    store.write_meta(self.path, self._meta)
        except KeyboardInterrupt as error:
            if report is None:
                raise
            report.stopped_by(getattr(error, "signum", signal.SIGINT))

    def _segments_with_lemmas(self) -> set[str]:
        """The segments whose words the lemma table holds: every segment, if
        the table was last completed for the index's latest commit; none if
        not (a build killed before completing it, an index from an older
        version), so that the next update reads every segment again."""
        whoosh_index = self._current()
        if self._meta.get("lemmas_generation") != self._commit_name(whoosh_index.latest_generation()):
            return set()
        return {segment.segment_id() for segment in whoosh_index._segments()}

    def _commit_name(self, toc_generation: int) -> str:
        """A commit named across rebuilds: index generation and Whoosh's commit number."""
        return f"{self._meta['generation']}:{toc_generation}"

    def _update_lemma_table(self, segments_before: set[str]) -> None:
        """Add the lemmas of new word forms to the table kept beside the index,
        from those the indexing (in this process or its indexing processes)
        worked out where it can. Only the lexicons of the segments this commit
        wrote are read: the words of the others are in the table already (a
        build of ten documents into a 50,000-document index reads ten
        documents' words, not all 300,000 of the index)."""
        learned = field_text.take_learned(self.ambiguity)
        if self.ambiguity not in lemma_table.POLICIES:
            return
        files = lemma_table.learned_files(self.path, self.ambiguity)
        worked_out = itertools.chain([learned], lemma_table.read_learned(files))
        with self._ix.reader() as reader:
            new: set[str] = set()
            for segment, _ in reader.leaf_readers():
                if segment.segment().segment_id() not in segments_before:
                    new.update(raw.decode("utf-8") for raw in segment.lexicon("exact"))
            cyrillic = sorted(form for form in new if CYRILLIC.search(form))
            lemma_table.update(self._lemma_table_path(), cyrillic, self.ambiguity, worked_out)
        lemma_table.remove_learned(self.path, self.ambiguity)

    def _lemma_table_path(self) -> Path:
        return lemma_table.table_path(self.path, self._meta["generation"])

    def _use_lemma_table(self) -> None:
        """Let query words known to the index skip loading the morphology
        dictionaries: the table of the current generation, opened once (again
        after a rebuild, once the new generation's table is there)."""
        if self.ambiguity not in lemma_table.POLICIES:
            return
        path = self._lemma_table_path()
        if self._lemma_table is not None and self._lemma_table.path == path:
            return
        with self._lock:
            if (self._lemma_table is None or self._lemma_table.path != path) and path.exists():
                table = self._lemma_table = lemma_table.LemmaTable(path)
                morphology.use_known_lemmas(self.ambiguity, table.lookup, table.lookup_many)

    def _forms_by_lemma(self, searcher: Searcher):
        """The lemma table's lookup of forms by lemma, for snippets to find a
        query's words in a text without lemmatising the text's other words;
        only where the table is the one of the generation ``searcher`` reads
        and holds every form of its commit (else None, and snippets
        lemmatise each word as before)."""
        table = self._lemma_table
        generation = getattr(getattr(searcher, "_ix", None), "indexname", None)
        if (
            table is None
            or generation is None
            or self.ambiguity != morphology.SINGLE_LEMMA_POLICY
            or table.path != lemma_table.table_path(self.path, generation)
            or self._meta.get("lemmas_generation") != f"{generation}:{searcher.reader().generation()}"
            or not table.has_lemma_index()
        ):
            return None
        return table.forms_by_lemma

    # -- reading ---------------------------------------------------------

    def _current(self) -> FileIndex:
        """The Whoosh index, switched to a newer generation if one was published."""
        with self._lock:
            try:
                meta = store.read_meta(self.path)
            except SearchError:
                return self._ix
            if meta["generation"] != self._meta["generation"]:
                self._ix = store.open_generation(self.path, meta)
                self._drop_searcher()
            self._meta = meta
            return self._ix

    def searcher(self) -> Searcher:
        """A Whoosh searcher on the latest committed state (kept open, refreshed).

        For a single thread's own use: threads should search through the
        methods of this class, which keep a searcher open while they use it.
        """
        with self._reading():
            return self._fresh_searcher()

    def _fresh_searcher(self) -> Searcher:
        """The searcher on the latest commit: the kept one if no commit came since."""
        with self._lock:
            whoosh_index = self._current()
            current = self._searcher
            if current is not None and current.up_to_date():
                return current
            self._drop_searcher()
            self._searcher = whoosh_index.searcher(weighting=ranking.weighting())
            return self._searcher

    def _drop_searcher(self) -> None:
        """Stop handing out the kept searcher (a newer commit or generation is there)."""
        if self._searcher is not None:
            self._retire(self._searcher)
            self._searcher = None
            self._fast = None
            self._plain_postings = None

    def _retire(self, searcher: Searcher) -> None:
        """Close ``searcher`` now, or when the searches running on it end."""
        if id(searcher) in self._users:
            self._retired.add(id(searcher))
        else:
            searcher.close()

    @contextmanager
    def _leased(self) -> Iterator[Searcher]:
        """The latest searcher, kept open until the block ends even if a
        commit meanwhile makes another searcher the latest."""
        searcher = self._lease()
        try:
            yield searcher
        finally:
            self._give_back(searcher)

    def _lease(self) -> Searcher:
        """The latest searcher, counted as in use until :meth:`_give_back`."""
        with self._lock:
            searcher = self._fresh_searcher()
            _, running = self._users.get(id(searcher), (searcher, 0))
            self._users[id(searcher)] = (searcher, running + 1)
            return searcher

    def _give_back(self, searcher: Searcher) -> None:
        """One use of ``searcher`` ended: close it if it was retired meanwhile and no one else uses it."""
        with self._lock:
            _, running = self._users.pop(id(searcher))
            if running > 1:
                self._users[id(searcher)] = (searcher, running - 1)
            elif id(searcher) in self._retired:
                self._retired.discard(id(searcher))
                searcher.close()

    def _read(self, operation: Callable[[Searcher], T]) -> T:
        """Run ``operation`` on the latest searcher; a failed read is not yet damage.

        A read can fail on a healthy index: a writer's commit may delete
        segment files between reading the table of contents and opening
        them. So the operation is tried once more, alone, on freshly opened
        files; if that fails too, ``search check`` decides: damage is named
        only when the check finds it.
        """
        try:
            with self._leased() as searcher:
                return operation(searcher)
        except DAMAGE_ERRORS as error:
            first = error
        with self._retry_lock:
            try:
                fresh = store.open_generation(self.path, store.read_meta(self.path))
                with fresh.searcher(weighting=ranking.weighting()) as searcher:
                    return operation(searcher)
            except DAMAGE_ERRORS as error:
                again = error
            from search.storage.checking import check_index

            problems = check_index(self.path).problems
        if problems:
            raise IndexDamagedError(
                f"the index at {self.path} is damaged: {problems[0]} "
                "(`search check` lists every problem)"
            ) from None
        raise IndexReadError(
            f"reading the index at {self.path} failed twice ({type(first).__name__}: {first}; then "
            f"{type(again).__name__}: {again}), yet `search check` finds it intact; please try again"
        ) from None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn an unreadable index file met outside a search into a clear error
        (opening a searcher); searches go through :meth:`_read`."""
        try:
            yield
        except DAMAGE_ERRORS as error:
            raise IndexReadError(
                f"the index at {self.path} cannot be read ({type(error).__name__}: {error}); "
                "`search check` tells whether it is damaged, `search build --rebuild` repairs it"
            ) from None

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields of one document, or ``None``."""
        return self._read(lambda searcher: searcher.document(id=doc_id))

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
        timeout: float | None = DEFAULT_TIMEOUT,
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
        plain words, with a notice. A search stops after ``timeout`` seconds
        (``None``: no limit) and returns the best hits found by then, with
        ``results.partial`` set and a notice; prefix, wildcard and fuzzy
        words, long queries and deep nesting are bounded too (README, "Limits").
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
            timeout=timeout,
        )
        options.check()
        self._use_lemma_table()
        return self._read(
            lambda searcher: run_search(
                searcher, query, options, self.ambiguity, self._scorer(searcher), self._forms_by_lemma(searcher)
            )
        )

    def _scorer(self, searcher: Searcher):
        """The scorer for this searcher (:mod:`search.ranking.scorer`: pure
        Python for small queries, numpy for large ones), kept while it is the
        latest (an older one, still finishing a search, gets one of its own).

        Small indexes do without it: Whoosh is quick there.
        """
        if searcher.doc_count_all() < FAST_SCORING_MIN_DOCS:
            return None
        from search.ranking.scorer import Scorer

        with self._lock:
            if self._fast is not None and self._fast.stats.searcher is searcher:
                return self._fast
            scorer = Scorer(searcher)
            if searcher is self._searcher:
                self._fast = scorer
                self._plain_postings = None  # one kept posting reader (and cache) at a time
            return scorer

    def _postings(self, searcher: Searcher):
        """A posting reader for this searcher, to find a query's documents
        without ranking them: the vectorised scorer's if it is loaded (its
        decoded lists are kept), else one of its own, kept the same way. It
        needs no numpy, which takes a fresh process 0.1 s to import. None on
        small indexes, as for the scorer."""
        if searcher.doc_count_all() < FAST_SCORING_MIN_DOCS:
            return None
        from search.storage.postings import PostingReader

        with self._lock:
            if self._fast is not None and self._fast.stats.searcher is searcher:
                return self._fast.stats.posting_reader
            if self._plain_postings is not None and self._plain_postings[0] is searcher:
                return self._plain_postings[1]
            reader = PostingReader(searcher.reader())
            if searcher is self._searcher:
                self._plain_postings = (searcher, reader)
            return reader

    def show(self, doc_id: str, query: str | None = None, synonyms: bool = True) -> DocumentView:
        """The whole document ``doc_id``, with ``query``'s matches highlighted.

        Raises :class:`SearchError` when there is no such document.
        """
        self._use_lemma_table()
        return self._read(
            lambda searcher: document_view(
                searcher, self._find(searcher, doc_id), query, self.ambiguity, synonyms, self._forms_by_lemma(searcher)
            )
        )

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
        self._use_lemma_table()
        return self._read(lambda searcher: query_timeline(searcher, query, by, options, self.ambiguity, synonyms))

    def stats(self, top: int = 10) -> Stats:
        """Documents, top sources, date range, size, terms, version, last build."""
        from search.retrieval.overview import collect_stats

        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return self._read(lambda searcher: collect_stats(searcher, self._meta, size, top))

    def analyze(self, text: str, synonyms: bool = True) -> Analysis:
        """The analyzer's tokens for ``text`` and how it reads as a query here."""
        from search.query.diagnostics import analyze

        return analyze(text, self.ambiguity, thesaurus.default(self.ambiguity) if synonyms else None)

    def similar(self, doc_id: str, limit: int = 10) -> SearchResults:
        """Documents most like the one with ``doc_id`` (by its key words).

        Raises :class:`SearchError` when there is no such document.
        """
        self._use_lemma_table()
        return self._read(
            lambda searcher: find_similar(
                searcher, self._find(searcher, doc_id), limit, self.ambiguity, self._forms_by_lemma(searcher)
            )
        )

    def _find(self, searcher: Searcher, doc_id: str) -> int:
        """The document number of ``doc_id``; an error if it is absent."""
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r} in {self.path}")
        return docnum

    # -- the analyst's toolkit: every matching document --------------------

    def _matching(self, searcher: Searcher, query: str, match: str, since, until, synonyms: bool, order: str):
        from search.retrieval.matching import matching_documents

        self._use_lemma_table()
        return matching_documents(
            searcher,
            query,
            self.ambiguity,
            match=match,
            since=date_bound(since, end=False),
            until=date_bound(until, end=True),
            synonyms=synonyms,
            order=order,
            scorer=self._scorer(searcher) if order == "relevance" else None,
            postings=self._postings(searcher),
        )

    def export(
        self,
        query: str,
        *,
        match: str = "all",
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        synonyms: bool = True,
        sort: str = "newest",
    ) -> Export:
        """Every document matching ``query``, whole, as an iterable
        :class:`search.toolkit.export.Export` (``len()`` is the count; iterating reads
        one document at a time, so memory does not grow with the set).

        The filters are those of :meth:`search`; ``sort`` is ``newest``,
        ``oldest``, ``relevance`` or ``index`` (the order documents were added).
        There is no fallback to any-term matching: ask ``match="any"``.
        """
        from search.toolkit.export import Export

        with self._reading():
            searcher = self._lease()  # given back when the export is dropped
        try:
            found = self._matching(searcher, query, match, since, until, synonyms, sort)
        except BaseException:
            self._give_back(searcher)
            raise
        return Export(self, searcher, found, release=self._give_back)

    def concordance(
        self,
        query: str,
        *,
        width: int = 40,
        sort: str = "date",
        limit: int | None = None,
        match: str = "all",
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        synonyms: bool = True,
        timeout: float | None = CONCORDANCE_TIMEOUT,
    ) -> Concordance:
        """Keyword in context: every occurrence of the query's words (in any
        inflection) in the bodies of the matching documents, with ``width``
        characters each side; ``sort`` by ``date``, ``source``, ``left`` or
        ``right`` context; at most ``limit`` lines (``total`` counts all).
        The thesaurus widens the set of documents, but the occurrences shown
        are of the words typed («Киргизия», not «Кыргызстан»). After
        ``timeout`` seconds (None: no limit) the documents not yet read are
        left out, and a notice says so."""
        from search.toolkit.concordance import build_concordance
        from search.query.planner import plan_query

        def concordance_on(searcher: Searcher) -> Concordance:
            deadline = Deadline(timeout)
            found = self._matching(searcher, query, match, since, until, synonyms, "index")
            terms = plan_query(query, match, self.ambiguity, searcher.reader()).terms if synonyms else found.plan.terms
            forms = self._forms_of(terms.lemmas)
            return build_concordance(searcher, found, terms, forms, width, sort, limit, deadline)

        return self._read(concordance_on)

    def _forms_of(self, lemmas: frozenset[str]) -> set[str] | None:
        """Every form of these lemmas in the index, from the lemma table (None
        without one: then occurrences are found through the lemmatiser)."""
        path = self._lemma_table_path()
        if self.ambiguity not in lemma_table.POLICIES or not path.exists():
            return None
        table = lemma_table.LemmaTable(path)
        try:
            # Every lemma: Cyrillic forms may have a Latin one («COVIDа»). By the
            # index on lemmas where the table has one: 76 ms -> 0.3 ms on the 50k index.
            forms = set(table.forms_by_lemma(lemmas)) if table.has_lemma_index() else table.forms_of(lemmas)
        finally:
            table.close()
        return forms | {lemma for lemma in lemmas if not CYRILLIC.search(lemma)}

    def significant_terms(
        self,
        query: str,
        *,
        top: int = 20,
        by: str | None = None,
        match: str = "all",
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        synonyms: bool = True,
    ) -> KeyTerms:
        """The lemmas most over-represented in the documents matching
        ``query`` against the rest of the index, by log-likelihood G² (see
        :mod:`search.toolkit.keyness`); function words and the query's own words
        left out. ``by="year"`` also gives the top terms of each year."""
        from search.toolkit.keyness import significant_terms

        path = self._lemma_table_path()
        table = lemma_table.LemmaTable(path) if self.ambiguity in lemma_table.POLICIES and path.exists() else None

        def terms_of(searcher: Searcher) -> KeyTerms:
            found = self._matching(searcher, query, match, since, until, synonyms, "index")
            return significant_terms(searcher, found, self.ambiguity, top, by, table.lemma_strings if table else None)

        try:
            return self._read(terms_of)
        finally:
            if table is not None:
                table.close()
