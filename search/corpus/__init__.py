"""Reading corpus files into documents, reporting bad records instead of failing.

Sources are files or directories (walked recursively): JSON Lines or JSON
arrays, plain-text pages, optionally gzip-compressed. :class:`CorpusReader`
yields :class:`Record` and :class:`Problem` items for :meth:`Index.add`.
"""

from search.corpus.model import Origin, Problem, ReadOptions, Record
from search.corpus.reader import CorpusFile, CorpusReader, supported

__all__ = ["CorpusFile", "CorpusReader", "Origin", "Problem", "ReadOptions", "Record", "supported"]
