"""The analyst's toolkit over matching sets: exports, keyword in context, significant terms."""
