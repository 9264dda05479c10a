"""Understanding a query: the query language, planning onto index terms, the thesaurus."""
