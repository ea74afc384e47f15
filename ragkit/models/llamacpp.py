"""llama.cpp (llama-cpp-python) as a LangChain chat model, with the chat template taken from the GGUF.

One `Llama` per (file, n_ctx, threads) is shared by every ChatLlamaCpp in the process, behind a lock: llama.cpp
contexts are not thread-safe, and sharing keeps the KV cache warm for prompts with a common prefix.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from ragkit.errors import ModelError
from ragkit.models.presets import ResolvedModel, resolve_model

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


@functools.lru_cache(maxsize=4)
def _shared_llama(path: str, n_ctx: int, n_threads: int | None, n_gpu_layers: int) -> tuple[Any, threading.Lock]:
    """Load a GGUF once per process and configuration, with the lock that serializes its use."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelError("install llama-cpp-python to use GGUF models") from exc
    try:
        llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp cannot load {path}: {exc}") from exc
    return llama, threading.Lock()


def _gpu_layers() -> int:
    """Offload every layer when this llama.cpp build can use a GPU, none otherwise."""
    try:
        from llama_cpp import llama_supports_gpu_offload

        return -1 if llama_supports_gpu_offload() else 0
    except ImportError:
        return 0


class ChatLlamaCpp(BaseChatModel):
    """A GGUF model served by llama.cpp: a preset name (`qwen2.5-1.5b`, `gemma3-270m`) or a path to a .gguf file."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    """Preset name or GGUF path; None means the default preset."""
    temperature: float = 0.0
    """Sampling temperature; 0 is greedy and reproducible."""
    top_k: int = 40
    """Sample from the k most likely tokens."""
    top_p: float = 0.95
    """Nucleus sampling mass."""
    max_tokens: int = 256
    """Most tokens to generate."""
    stop: list[str] = Field(default_factory=list)
    """Stop sequences, added to the preset's own."""
    n_ctx: int = 4096
    """Context window in tokens."""
    n_threads: int | None = None
    """CPU threads; None lets llama.cpp choose."""
    seed: int = 0
    """Sampling seed."""

    _resolved: ResolvedModel | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "ragkit-llamacpp"

    @property
    def model_name(self) -> str:
        """The name shown with answers: the preset or the GGUF file name."""
        return self._resolve().name

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model_name, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _resolve(self) -> ResolvedModel:
        if self._resolved is None:
            self._resolved = resolve_model(self.model)
        return self._resolved

    def load(self) -> ChatLlamaCpp:
        """Load the model now instead of on first use (apps call this at start-up)."""
        self._llama()
        return self

    def _llama(self) -> tuple[Any, threading.Lock]:
        return _shared_llama(str(self._resolve().path), self.n_ctx, self.n_threads, _gpu_layers())

    def _complete(self, llama: Any, messages: list[BaseMessage], stream: bool, params: dict[str, Any]) -> Any:
        """Chat completion through the GGUF's template, or plain completion for base models."""
        chat = self._resolve().chat
        if chat is None:
            chat = "tokenizer.chat_template" in (llama.metadata or {})
        if chat:
            return llama.create_chat_completion(messages=_to_dicts(messages), stream=stream, **params)
        prompt = "\n\n".join(m.text for m in messages)
        return llama.create_completion(prompt=prompt, stream=stream, **params)

    def _params(self, stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": [*self._resolve().stop, *self.stop, *(stop or [])],
        }
        params.update({k: v for k, v in kwargs.items() if k in params or k in ("response_format", "grammar")})
        return params

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama, lock = self._llama()
        with lock:
            reply = self._complete(llama, messages, False, self._params(stop, **kwargs))
        choice = reply["choices"][0]
        message = AIMessage(
            content=_text(choice),
            response_metadata={"model_name": self.model_name, "finish_reason": choice.get("finish_reason")},
            usage_metadata=_usage(reply.get("usage")),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama, lock = self._llama()
        # The lock is held for the whole stream: another caller waits instead of corrupting the context.
        with lock:
            for part in self._complete(llama, messages, True, self._params(stop, **kwargs)):
                choice = part["choices"][0]
                text = _text(choice)
                finish = choice.get("finish_reason")
                if not text and not finish:
                    continue
                meta = {"model_name": self.model_name, "finish_reason": finish} if finish else {}
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=meta))
                if run_manager and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk


def _text(choice: dict[str, Any]) -> str:
    """Text of a completion or chat choice, streamed or not."""
    if "text" in choice:
        return choice["text"] or ""
    return (choice.get("message") or choice.get("delta") or {}).get("content") or ""


def _to_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]


def _usage(usage: dict[str, int] | None) -> dict[str, int] | None:
    if not usage:
        return None
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "output_tokens": usage.get("completion_tokens", 0),
        "total_tokens": usage.get("total_tokens", 0),
    }
