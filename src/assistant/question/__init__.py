"""Question understanding: what a question refers to and asks for, read before retrieval."""
