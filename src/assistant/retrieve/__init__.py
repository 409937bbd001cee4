"""Retrieval: the loaded corpus view, BM25, dense search in Chroma, fusion, and question analysis."""
