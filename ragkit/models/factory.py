"""Build a chat model from a backend name and a model spec; which prompt a preset's adapter was trained with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from ragkit.errors import InvalidInputError
from ragkit.models.presets import PRESETS

BACKENDS = ("llamacpp", "transformers")


def chat_model(backend: str = "llamacpp", model: str | None = None, **options: Any) -> BaseChatModel:
    """ChatLlamaCpp or ChatTransformers for a preset, GGUF path (or, for transformers, an HF directory)."""
    if backend == "llamacpp":
        from ragkit.models.llamacpp import ChatLlamaCpp

        return ChatLlamaCpp(model=model, **options)
    if backend == "transformers":
        from ragkit.models.transformers import ChatTransformers

        return ChatTransformers(model=model, **options)
    raise InvalidInputError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")


def preset_prompt(model: str | None) -> str | None:
    """The prompt id a preset must be used with (its adapter was trained on it), or None for any prompt."""
    preset = PRESETS.get(model or "")
    return preset.prompt if preset else None


def trained_prompt(llm: BaseChatModel) -> str | None:
    """The prompt id a chat model was fine-tuned on: its adapter directory's record, else its preset's; else None."""
    from ragkit.finetune.metadata import METADATA_FILE, read_metadata

    adapter = getattr(llm, "lora", None) or getattr(llm, "adapter", None)
    if adapter and (Path(adapter).expanduser() / METADATA_FILE).is_file():
        return read_metadata(Path(adapter).expanduser()).prompt_id
    return preset_prompt(getattr(llm, "model", None))
