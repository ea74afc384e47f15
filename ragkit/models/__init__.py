"""Generation backends as LangChain chat models, and the packaged model presets."""

from ragkit.models.llamacpp import ChatLlamaCpp
from ragkit.models.presets import DEFAULT_PRESET, FAST_PRESET, PRESETS, resolve_model

__all__ = ["DEFAULT_PRESET", "FAST_PRESET", "PRESETS", "ChatLlamaCpp", "resolve_model"]
