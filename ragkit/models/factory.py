"""Build a chat model from a backend name and a model spec; which prompt a model's adapter was trained with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseLanguageModel

from ragkit.errors import InvalidInputError
from ragkit.models.adapter import METADATA_FILE, read_metadata
from ragkit.models.base import LocalChatModel
from ragkit.models.identity import identity_of
from ragkit.models.llamacpp import ChatLlamaCpp
from ragkit.models.presets import PRESETS
from ragkit.models.transformers import ChatTransformers

BACKENDS: dict[str, type[LocalChatModel]] = {cls.backend: cls for cls in (ChatLlamaCpp, ChatTransformers)}
"""Backend name -> chat model class; every class takes `model`, `adapter` and the LocalChatModel settings."""


def chat_model(backend: str = "llamacpp", model: str | None = None, **options: Any) -> LocalChatModel:
    """The backend's chat model for a preset, GGUF path (or, for transformers, an HF directory)."""
    if backend not in BACKENDS:
        raise InvalidInputError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    return BACKENDS[backend](model=model, **options)


def preset_prompt(model: str | None) -> str | None:
    """The prompt id a preset must be used with (its adapter was trained on it), or None for any prompt."""
    preset = PRESETS.get(model or "")
    return preset.prompt if preset else None


def trained_prompt(llm: BaseLanguageModel) -> str | None:
    """The prompt id a chat model was fine-tuned on, read from its identity (a pooled model's too): its adapter
    directory's record, else its preset's; else None."""
    identity = identity_of(llm)
    adapter = Path(identity.adapter).expanduser() if identity.adapter else None
    if adapter is not None and (adapter / METADATA_FILE).is_file():
        return read_metadata(adapter).prompt_id
    return preset_prompt(identity.model)
