"""The cache key: which differences between two questions make a different answer, English and Chinese alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.answerlog import cache_key, normalize_question
from ragkit.kb import KnowledgeBase
from ragkit.models import ChatLlamaCpp, ChatTransformers
from ragkit.server.pool import ModelPool, PooledChatModel, worker_models
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("a", "b"), [
    ("What is the  hotel cap?", "what is the hotel cap?"),
    ("  What\tis the\nhotel cap? ", "WHAT IS THE HOTEL CAP?"),
    ("Ｗｈａｔ ｉｓ ｔｈｅ ｈｏｔｅｌ ｃａｐ？", "what is the hotel cap?"),  # full-width letters and ？
    ("员工每年有几天带薪年假？", "员工每年有几天带薪年假?"),
    ("员工 每年有几天　带薪年假？", "员工每年有几天带薪年假?"),  # ideographic space, spaces between characters
    ("出差到省会城市，住宿每晚最多报销多少钱？", "出差到省会城市,住宿每晚最多报销多少钱?"),
])
def test_questions_that_differ_only_in_form_normalize_alike(a: str, b: str):
    assert normalize_question(a) == normalize_question(b)


@pytest.mark.parametrize(("a", "b"), [
    ("What is the hotel cap?", "What is the hotel cap in capital cities?"),
    ("ab cd?", "abcd?"),  # spaces between Latin words carry meaning
    ("员工每年有几天年假？", "员工每年有几天病假？"),
    ("Ähnlich?", "Ahnlich?"),
])
def test_different_questions_stay_different(a: str, b: str):
    assert normalize_question(a) != normalize_question(b)


@pytest.fixture()
def kb(tmp_path: Path, hashing) -> KnowledgeBase:
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=ScriptedChatModel.saying("unused"))
    kb.index([EXAMPLES_KB])
    return kb


def _key(kb: KnowledgeBase, question: str = "What is the hotel cap?", generation: str = "gen-000001",
         retrieval: RetrievalSettings | None = None, retrieved: str | None = None, prompt=None, guards=None, **params):
    return cache_key(generation, question, retrieval or kb.retrieval, kb.llm, prompt or kb.chain().prompt, params,
                     retrieved, guards)


def test_the_key_holds_index_version_question_model_prompt_parameters_and_retrieval(kb: KnowledgeBase):
    base = _key(kb).digest
    assert _key(kb, "  what is the HOTEL cap?").digest == base
    assert _key(kb, generation="gen-000002").digest != base
    assert _key(kb, "What is the meal allowance?").digest != base
    assert _key(kb, retrieved="What is the hotel cap in Paris?").digest != base  # a rewritten follow-up
    assert _key(kb, retrieved="what is the hotel cap?").digest == base  # no rewrite: the question itself
    assert _key(kb, max_tokens=32).digest != base
    assert _key(kb, temperature=0.7).digest != base
    assert _key(kb, retrieval=RetrievalSettings(k=2)).digest != base
    assert _key(kb, retrieval=RetrievalSettings(filter={"source": "a.md"})).digest != base
    assert _key(kb, guards={"grounding": False}).digest != base
    assert _key(kb, guards={"grounding": True}).digest == base  # RagChain's default
    key = _key(kb)
    assert key.prompt["prompt_id"] == "rag-answer" and len(key.prompt["prompt_sha256"]) == 64
    assert key.model == "ScriptedChatModel"


def test_another_prompt_version_or_model_block_is_another_key(kb: KnowledgeBase):
    prompt = kb.chain().prompt
    base = _key(kb).digest
    edited = prompt.model_copy(update={"metadata": {**prompt.metadata, "prompt_sha256": "0" * 64}})
    assert _key(kb, prompt=edited).digest != base
    block = prompt.model_copy(update={"metadata": {**prompt.metadata, "model_params": {"temperature": 0.0, "max_tokens": 8}}})
    assert _key(kb, prompt=block).digest != base
    assert _key(kb, prompt=block).digest == _key(kb, max_tokens=8).digest  # the parameters in force are keyed


def test_the_key_reads_the_models_identity_alone(kb: KnowledgeBase):
    prompt = kb.chain().prompt

    def key(llm) -> str:
        return cache_key("gen-000001", "What is the hotel cap?", kb.retrieval, llm, prompt, {}).digest

    plain = key(ChatLlamaCpp(model="gemma3-270m"))
    assert key(ChatLlamaCpp(model="gemma3-270m")) == plain
    assert key(ChatLlamaCpp(model="gemma3-270m", n_threads=2, own_context=True)) == plain  # a server worker
    assert key(PooledChatModel(pool=ModelPool(worker_models("gemma3-270m", 2)))) == plain  # the server's pool
    assert key(ChatLlamaCpp(model="gemma3-270m", adapter="adapters/x")) != plain
    assert key(ChatLlamaCpp(model="gemma3-270m", top_k=1)) != plain
    assert key(ChatLlamaCpp(model="gemma3-270m", stop=["\n"])) != plain
    assert key(ChatLlamaCpp(model="gemma3-270m-squad")) != plain
    assert key(ChatTransformers(model="gemma3-270m")) != plain
    scripted = ScriptedChatModel.saying("hi")
    before = key(scripted)
    scripted.invoke("hello")
    assert scripted.calls and key(scripted) == before  # what a model recorded is not who it is
