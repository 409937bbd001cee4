"""Evaluation harness for the BIPM Assistant: gold set, validator and scorer.

Run ``python -m evals.validate`` to check the gold set against corpus/ and
``python -m evals`` to score the assistant (see evals/README.md).
"""
