"""Stub servers that tests start on 127.0.0.1 (LLM backends speaking the real wire protocols)."""
