"""llama.cpp (llama-cpp-python) as a LangChain chat model, with the chat template taken from the GGUF.

One `Llama` per (file, adapter, n_ctx, threads, GPU layers, prompt lookup) is shared by every ChatLlamaCpp in the
process, behind a lock: llama.cpp contexts are not thread-safe, and sharing keeps the KV cache warm, because
`Llama.generate` reuses the longest token prefix it already evaluated (so fixed preambles, few-shot examples and
system prompts are cheap). Unless `n_threads` is given, each generation sets the context's threads to the cores free
at that moment (ragkit.models.cpu.free_cores), so a long-lived process follows the machine's load.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, PrivateAttr

from ragkit.errors import ContextOverflowError, ModelError
from ragkit.models.base import GenerationMeter, LocalChatModel, plain_prompt, to_dicts, usage_from
from ragkit.models.cpu import extra_buffers_safe, free_cores
from ragkit.models.presets import ResolvedModel, resolve_model

ADAPTER_GGUF = "adapter.gguf"


def load_llama(path: str, lora: str | None, n_ctx: int, n_threads: int | None, n_gpu_layers: int,
               prompt_lookup: int = 0, logits_all: bool = False) -> tuple[Any, threading.Lock]:
    """Load a GGUF (plus LoRA) with the lock that serializes its use; `logits_all` keeps every position's logits
    (for log-probabilities: an n_ctx x vocabulary float32 array)."""
    try:
        from llama_cpp import Llama
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
    except ImportError as exc:
        raise ModelError("install llama-cpp-python to use GGUF models") from exc
    if not extra_buffers_safe(path):
        _without_extra_buffers()
    threads = n_threads or free_cores()
    draft = LlamaPromptLookupDecoding(num_pred_tokens=prompt_lookup) if prompt_lookup else None
    try:
        # swa_full keeps the whole sliding-window cache, so prefix reuse also works for SWA models (Gemma 3).
        # A draft model needs every position's logits; logits_all=True also sizes llama-cpp-python's score array
        # for that (0.3.36 sizes it by the argument, not by the draft, and overflows past n_batch tokens).
        llama = Llama(model_path=path, lora_path=lora, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads,
                      n_gpu_layers=n_gpu_layers, swa_full=True, draft_model=draft,
                      logits_all=logits_all or draft is not None, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise ModelError(f"llama.cpp cannot load {path}{f' with adapter {lora}' if lora else ''}: {exc}") from exc
    return llama, threading.Lock()


_shared_llama = functools.lru_cache(maxsize=4)(load_llama)
"""load_llama once per process and configuration: every ChatLlamaCpp with the same settings shares it."""


@functools.cache
def _without_extra_buffers() -> None:
    """Load weights without llama.cpp's extra CPU buffer types (see ragkit.models.cpu for when).

    llama-cpp-python has no option for `use_extra_bufts`, so its default-parameter function is wrapped.
    """
    import llama_cpp.llama_cpp as native

    defaults = native.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    native.llama_model_default_params = without_extra_buffers


def _prefill_tokens(llama: Any) -> int:
    """Prompt tokens llama.cpp has evaluated since the last reset (its own counter; a KV-cache hit is not counted)."""
    import llama_cpp

    return int(llama_cpp.llama_perf_context(llama.ctx).n_p_eval)


def _set_threads(llama: Any, threads: int) -> None:
    """Decode and prefill on `threads` threads from the next evaluation on (a context setting, no reload)."""
    import llama_cpp

    if (llama.n_threads, llama.n_threads_batch) != (threads, threads):
        llama_cpp.llama_set_n_threads(llama.ctx, threads, threads)
        llama.n_threads = llama.n_threads_batch = threads


def _reset_counters(llama: Any) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llama.ctx)


@functools.lru_cache(maxsize=4)
def token_counter(model: str | None = None) -> Callable[[str], int]:
    """Token counts with a preset's or .gguf file's own tokenizer (only its vocabulary is loaded), e.g. for
    `ragkit.prompts.load(..., count_tokens=token_counter('gemma3-270m'))`."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelError("install llama-cpp-python to count tokens with a GGUF tokenizer") from exc
    vocab = Llama(model_path=str(resolve_model(model).path), vocab_only=True, verbose=False)
    return lambda text: len(vocab.tokenize(text.encode("utf-8"), add_bos=False))


def lora_file(adapter: str | None, resolved: ResolvedModel) -> str | None:
    """The GGUF LoRA to load: the adapter given (a file, or a directory holding adapter.gguf), else the preset's."""
    spec = Path(adapter).expanduser() if adapter else resolved.adapter
    if spec is None:
        return None
    path = spec / ADAPTER_GGUF if spec.is_dir() else spec
    if not path.is_file():
        raise ModelError(f"no GGUF LoRA at {path}: export one with `ragkit finetune` (it writes {ADAPTER_GGUF})")
    return str(path)


def gpu_layers() -> int:
    """Offload every layer when this llama.cpp build can use a GPU, none otherwise."""
    try:
        from llama_cpp import llama_supports_gpu_offload

        return -1 if llama_supports_gpu_offload() else 0
    except ImportError:
        return 0


class ChatLlamaCpp(LocalChatModel):
    """A GGUF model served by llama.cpp: a preset name (`qwen2.5-1.5b`, `gemma3-270m`) or a path to a .gguf file.

    Per-call options: `response_format={"type": "json_object", "schema": {...}}` (or `json_schema={...}`) and
    `grammar` (GBNF text) constrain the output; `with_structured_output(schema)` builds on them.
    """

    backend: ClassVar[str] = "llamacpp"
    runtime_only: ClassVar[frozenset[str]] = LocalChatModel.runtime_only | {"own_context"}
    call_options: ClassVar[tuple[str, ...]] = (*LocalChatModel.call_options, "response_format", "json_schema",
                                               "grammar")
    n_ctx: int = 4096
    """Context window in tokens."""
    n_gpu_layers: int | None = None
    """Layers offloaded to the GPU; None means all when this llama.cpp build supports a GPU, else none."""
    own_context: bool = False
    """Load a Llama for this instance alone instead of sharing the process's: a server's model workers each need
    their own context to generate at the same time (the GGUF is memory-mapped, so its pages are shared)."""

    _resolved: ResolvedModel | None = PrivateAttr(default=None)
    _own: tuple[Any, threading.Lock] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "ragkit-llamacpp"

    def _resolve(self) -> ResolvedModel:
        if self._resolved is None:
            self._resolved = resolve_model(self.model)
        return self._resolved

    def load(self) -> ChatLlamaCpp:
        """Load the model now instead of on first use (apps call this at start-up)."""
        self._llama()
        return self

    def _llama(self) -> tuple[Any, threading.Lock]:
        layers = gpu_layers() if self.n_gpu_layers is None else self.n_gpu_layers
        key = (str(self._resolve().path), lora_file(self.adapter, self._resolve()), self.n_ctx, self.n_threads,
               layers, self.prompt_lookup)
        if not self.own_context:
            return _shared_llama(*key)
        if self._own is None:
            self._own = load_llama(*key)  # loaded as the shared one is, but not cached
        return self._own

    def _complete(self, llama: Any, messages: list[BaseMessage], stream: bool, params: dict[str, Any]) -> Any:
        """Chat completion through the GGUF's template, or plain completion for base models."""
        chat = self._resolve().chat
        if chat is None:
            chat = "tokenizer.chat_template" in (llama.metadata or {})
        schema = params.pop("json_schema", None)
        if chat:
            if schema is not None:
                params["response_format"] = {"type": "json_object", "schema": schema}
            return llama.create_chat_completion(messages=to_dicts(messages), stream=stream, **params)
        response_format = params.pop("response_format", None)
        if response_format and response_format.get("type") == "json_object":
            schema = response_format.get("schema", schema) or {"type": "object"}
        if schema is not None:
            params["grammar"] = _json_grammar(json.dumps(schema, sort_keys=True))
        return llama.create_completion(prompt=plain_prompt(messages), stream=stream, **params)

    def _params(self, stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        self._check_options(kwargs)
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "stop": [*self._resolve().stop, *self.stop, *(stop or [])],
        }
        params.update({k: v for k, v in kwargs.items() if k in params or k in ("response_format", "json_schema")})
        if isinstance(kwargs.get("grammar"), str):
            params["grammar"] = _gbnf_grammar(kwargs["grammar"])
        return params

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        # Streamed underneath too, so both paths measure the first token and report the same metadata.
        return generate_from_stream(self._stream(messages, stop, None, **kwargs))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        params = self._params(stop, **kwargs)
        llama, lock = self._llama()
        # The lock is held for the whole stream: another caller waits instead of corrupting the context.
        with lock:
            threads = self.n_threads or free_cores()  # sampled now, while no generation of this context runs
            _set_threads(llama, threads)
            meter, texts, finish = GenerationMeter(), [], None
            _reset_counters(llama)
            prompt_tokens = prefill = 0
            for part in _within_context(self._complete(llama, messages, True, params)):
                choice = part["choices"][0]
                text = _text(choice)
                finish = choice.get("finish_reason") or finish
                if not text:
                    continue
                if meter.first is None:  # the prompt is evaluated now, and drafting has not begun
                    meter.token()
                    prompt_tokens, prefill = llama.n_tokens, _prefill_tokens(llama)
                texts.append(text)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
            if meter.first is None:
                prompt_tokens, prefill = llama.n_tokens, _prefill_tokens(llama)
            output = len(llama.tokenize("".join(texts).encode("utf-8"), add_bos=False, special=True))
        timings = {**meter.timings(prompt_tokens, prefill, output), "threads": threads}
        meta = {"model_name": self.model_name, "finish_reason": finish, "timings": timings}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata=meta,
                                                         usage_metadata=usage_from(timings, output)))

    def with_structured_output(self, schema: dict[str, Any] | type, *, include_raw: bool = False,
                               **kwargs: Any) -> Runnable[LanguageModelInput, Any]:
        """Output constrained by llama.cpp's JSON-schema grammar, parsed into the pydantic class or a dict.

        Every `method` (json_schema, json_mode, function_calling) maps to the same grammar: local models have no tools.
        """
        if include_raw:
            raise ModelError("include_raw is not supported by ChatLlamaCpp.with_structured_output")
        json_schema = convert_to_json_schema(schema)
        parser: Any = (PydanticOutputParser(pydantic_object=schema)
                       if isinstance(schema, type) and issubclass(schema, BaseModel) else JsonOutputParser())
        return self.bind(json_schema=json_schema) | parser


@functools.lru_cache(maxsize=32)
def _json_grammar(schema: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema, verbose=False)


@functools.lru_cache(maxsize=32)
def _gbnf_grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def _text(choice: dict[str, Any]) -> str:
    """Text of a completion or chat choice, streamed or not."""
    if "text" in choice:
        return choice["text"] or ""
    return (choice.get("message") or choice.get("delta") or {}).get("content") or ""


def _within_context(parts: Iterator[Any]) -> Iterator[Any]:
    """llama.cpp's stream, its context-window overflow (a ValueError) as a ContextOverflowError: the caller's to fix
    (a shorter question or history), not a model failure."""
    try:
        yield from parts
    except ValueError as exc:
        if "context window" not in str(exc):
            raise
        raise ContextOverflowError(f"the prompt is too long for the model: {exc}; shorten the question or the "
                                   "conversation") from None
