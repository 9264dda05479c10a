"""Text processing shared by indexing and querying: tokenizer and filters, lemmas, dates."""
