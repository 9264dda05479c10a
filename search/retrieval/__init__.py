"""Running a search and what it returns: hits, snippets, facets, timelines, matching sets."""
