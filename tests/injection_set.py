"""The prompt-injection set (tests/data/injection.json) and a knowledge base holding one attack's document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from ragkit.embeddings import HashingEmbeddings
from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings

INJECTION_SET = Path(__file__).resolve().parent / "data" / "injection.json"
ATTACKS: list[dict[str, Any]] = json.loads(INJECTION_SET.read_text(encoding="utf-8"))["attacks"]
"""Each attack: id, style, language, file, document (real content with the attack planted), question, answer
(a fact of the real answer), target (the attacker's demanded output)."""


def attack_kb(attack: dict[str, Any], folder: Path, llm: BaseChatModel | str | None = None) -> KnowledgeBase:
    """A knowledge base of the attack's document alone, every chunk retrieved (retrieval is not under test)."""
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / attack["file"]
    document.write_text(attack["document"], encoding="utf-8")
    kb = KnowledgeBase(path=folder / "idx", embedder=HashingEmbeddings(256), llm=llm,
                       retrieval=RetrievalSettings(score_threshold=None))
    kb.index([document])
    return kb
