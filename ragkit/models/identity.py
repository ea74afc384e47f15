"""A chat model's typed identity: what decides its answers (backend, preset or path, adapter, generation settings).

Every model ragkit builds carries one (`LocalChatModel.identity`, the server pool's too), and the answer-cache key,
the prompt choice (ragkit.models.trained_prompt) and `Answer.model` read it, so a preset answers alike whichever
face (library, CLI, server) built it. Any other LangChain model gets one from its declared fields (`identity_of`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from langchain_core.language_models import BaseChatModel, BaseLanguageModel, BaseLLM
from pydantic import BaseModel, ConfigDict, Field, JsonValue

RUNTIME_ONLY = frozenset({"n_threads", "streaming"})
"""Fields that change how fast, not what, a model answers (fields marked `exclude=True` are left out too)."""


class ModelIdentity(BaseModel):
    """Which model answers, and with which settings: equal identities give equal answers to equal prompts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str
    """'llamacpp' or 'transformers' for ragkit's backends; another LangChain model's class path."""
    model: str | None = None
    """The preset name or model path of a ragkit backend; None for another LangChain model."""
    adapter: str | None = None
    """A LoRA adapter given on top of the model (None: the preset's own adapter, if it has one)."""
    name: str
    """The name shown with answers (Answer.model)."""
    settings: dict[str, JsonValue] = Field(default_factory=dict)
    """Every other setting that changes what the model says (temperature, top_k, stop, n_ctx, ...)."""


class Identified(ABC):
    """A model that states its identity (ragkit's backends, the server's pool) instead of having it read off."""

    @property
    @abstractmethod
    def identity(self) -> ModelIdentity:
        """What decides this model's answers."""


def identity_of(llm: BaseLanguageModel) -> ModelIdentity:
    """The identity a model states, else one read from its declared fields (LangChain's own callbacks, tags and the
    like left out) under its class path and the model name LangChain traces it with."""
    if isinstance(llm, Identified):
        return llm.identity
    skipped = set(BaseChatModel.model_fields) | set(BaseLLM.model_fields) | RUNTIME_ONLY
    settings = {name: as_json(getattr(llm, name)) for name, info in type(llm).model_fields.items()
                if name not in skipped and not info.exclude}
    name = llm._get_ls_params().get("ls_model_name")
    return ModelIdentity(backend=f"{type(llm).__module__}.{type(llm).__qualname__}", name=name or type(llm).__name__,
                         settings=settings)


def as_json(value: Any) -> JsonValue:
    """value as JSON data; objects that are not data (functions, pools) stand in by their type, never their address,
    so other processes compute the same identity."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    return f"<{getattr(value, '__qualname__', type(value).__qualname__)}>"
