"""A model's typed identity: what it holds, what it leaves out, and any LangChain model's identity from its fields."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ragkit.models import DEFAULT_PRESET, ChatLlamaCpp, ChatTransformers, ModelIdentity, identity_of, trained_prompt
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def test_a_backend_states_backend_preset_adapter_and_the_settings_that_change_answers() -> None:
    identity = ChatLlamaCpp(model="gemma3-270m", adapter="adapters/x", top_k=5, stop=["\n"]).identity
    assert (identity.backend, identity.model, identity.adapter, identity.name) == (
        "llamacpp", "gemma3-270m", "adapters/x", "gemma3-270m + x")
    assert identity.settings["top_k"] == 5 and identity.settings["stop"] == ["\n"]
    assert identity.settings["temperature"] == 0.0 and identity.settings["n_ctx"] == 4096
    assert {"model", "adapter", "n_threads", "streaming", "own_context"}.isdisjoint(identity.settings)
    assert identity_of(ChatLlamaCpp(model="gemma3-270m")) == ChatLlamaCpp(model="gemma3-270m").identity


@pytest.mark.parametrize("runtime", [{"n_threads": 2}, {"streaming": True}, {"own_context": True}])
def test_how_fast_a_model_runs_is_not_who_it_is(runtime: dict[str, object]) -> None:
    assert ChatLlamaCpp(model="gemma3-270m", **runtime).identity == ChatLlamaCpp(model="gemma3-270m").identity


@pytest.mark.parametrize("other", [
    ChatLlamaCpp(model="gemma3-270m", adapter="adapters/x"),
    ChatLlamaCpp(model="gemma3-270m", top_k=1),
    ChatLlamaCpp(model="gemma3-270m", max_tokens=8),
    ChatLlamaCpp(model="gemma3-270m", seed=1),
    ChatLlamaCpp(model="gemma3-270m-squad"),
    ChatTransformers(model="gemma3-270m"),
])
def test_another_adapter_setting_preset_or_backend_is_another_identity(other: ChatLlamaCpp) -> None:
    assert other.identity != ChatLlamaCpp(model="gemma3-270m").identity


def test_no_model_is_the_default_preset() -> None:
    assert ChatLlamaCpp().identity == ChatLlamaCpp(model=DEFAULT_PRESET).identity
    assert ChatLlamaCpp().identity.model == DEFAULT_PRESET


def test_an_identity_is_frozen_and_refuses_unknown_fields() -> None:
    identity = ChatLlamaCpp(model="gemma3-270m").identity
    with pytest.raises(ValidationError):
        identity.model = "qwen2.5-1.5b"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        ModelIdentity(backend="llamacpp", name="x", lora="y")  # type: ignore[call-arg]


class Named(ScriptedChatModel):
    """Another LangChain chat model with a `model` field, as provider models have."""

    model: str = "gpt-x"


def test_another_langchain_model_is_identified_by_its_class_fields_and_traced_name() -> None:
    scripted = ScriptedChatModel.saying("hi")
    before = identity_of(scripted)
    assert before.backend == "tests.scripted_model.ScriptedChatModel" and before.name == "ScriptedChatModel"
    assert before.model is None and before.adapter is None
    scripted.invoke("hello")
    assert scripted.calls and identity_of(scripted) == before  # `calls` is excluded: a record, not a setting
    assert "0x" not in before.model_dump_json()  # no memory addresses: other processes compute the same identity
    named = identity_of(Named.saying("hi"))
    assert named.name == "gpt-x" and named.settings["model"] == "gpt-x" and named.backend.endswith(".Named")
    assert trained_prompt(Named.saying("hi")) is None  # a name is not a preset
