"""Deterministic evaluation of retrieval and question answering (no LLM judge)."""
