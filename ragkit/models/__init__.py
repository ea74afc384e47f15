"""Generation backends as LangChain chat models (llama.cpp, transformers + PEFT), and the packaged model presets."""

from ragkit.models.factory import BACKENDS, chat_model, preset_prompt, trained_prompt
from ragkit.models.identity import Identified, ModelIdentity, identity_of
from ragkit.models.llamacpp import ChatLlamaCpp, token_counter
from ragkit.models.presets import DEFAULT_PRESET, FAST_PRESET, PRESETS, resolve_model
from ragkit.models.transformers import ChatTransformers

__all__ = [
    "BACKENDS",
    "DEFAULT_PRESET",
    "FAST_PRESET",
    "PRESETS",
    "ChatLlamaCpp",
    "ChatTransformers",
    "Identified",
    "ModelIdentity",
    "chat_model",
    "identity_of",
    "preset_prompt",
    "trained_prompt",
    "resolve_model",
    "token_counter",
]
