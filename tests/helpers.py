"""Paths shared by tests: the repo, the example knowledge base, and the benchmark data beside the repo."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES_KB = REPO / "examples" / "kb"
EXAMPLES_KB_ZH = REPO / "examples" / "kb-zh"
"""The Chinese example knowledge base (its binary files written by make_files.py there)."""
ZH_KB = REPO / "tests" / "data" / "zh" / "kb.json"
"""Chinese paragraphs with questions and answers, and questions they cannot answer (written for these tests)."""
