"""Defences against hostile input: instruction-like document text, terminal control sequences."""
