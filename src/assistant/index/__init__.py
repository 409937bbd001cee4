"""The index: embedder, Chroma vector store, SQLite manifest of documents and chunks, BM25."""
