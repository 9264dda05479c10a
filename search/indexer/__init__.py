"""Writing an index: documents' field text, posting pools, segment writing, near-duplicates."""
