"""The index on disk: directory and lock, schema, checks, columns, postings, the lemma table."""
