"""A knowledge base over examples/kb answered by a scripted model that cites passage 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

REPLY = "Flights must be booked at least 14 days before departure [1]."
QUESTION = "How many days before departure must flights be booked?"
MakeKB = Callable[..., KnowledgeBase]


@pytest.fixture()
def make_kb(tmp_path: Path, hashing) -> MakeKB:
    """make_kb(llm=..., **KnowledgeBase options) -> a KnowledgeBase over examples/kb in tmp_path/idx."""

    def make(llm: ScriptedChatModel | None = None, **options) -> KnowledgeBase:
        kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=llm or ScriptedChatModel.saying(REPLY),
                           retrieval=RetrievalSettings(score_threshold=0.1), **options)
        if not kb.exists:
            kb.index([EXAMPLES_KB])
        return kb

    return make
