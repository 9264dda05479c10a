"""Scoring: vectorised BM25F, best-alternative disjunctions, re-ranking."""
