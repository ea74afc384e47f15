"""What the local chat backends share: generation parameters, LangSmith params, and how messages become a prompt.

Both backends render messages the same way (the model's chat template, or for base models the message texts
joined by a blank line), so fine-tuning, transformers and llama.cpp see identical prompt text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import BaseMessage, UsageMetadata
from pydantic import ConfigDict, Field

from ragkit.errors import reject_unknown_options
from ragkit.models.identity import RUNTIME_ONLY, Identified, ModelIdentity
from ragkit.models.presets import DEFAULT_PRESET, display_name

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


class LocalChatModel(BaseChatModel, Identified):
    """Generation settings common to the llama.cpp and transformers backends."""

    model_config = ConfigDict(extra="forbid")
    backend: ClassVar[str]
    """The backend's name in ragkit.models.BACKENDS (and in the model's identity)."""
    runtime_only: ClassVar[frozenset[str]] = RUNTIME_ONLY
    """Fields left out of the identity: they change how fast, not what, the model answers."""
    call_options: ClassVar[tuple[str, ...]] = ("temperature", "top_k", "top_p", "max_tokens", "seed", "stream")
    """Per-call keyword arguments the backend uses (`stream` is LangChain's); any other raises TypeError."""

    model: str | None = None
    """Preset name or model path; None means the default preset."""
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
    seed: int = 0
    """Sampling seed."""
    n_threads: int | None = Field(None, ge=1)
    """CPU threads for decode and prefill; None: the cores free when each generation starts
    (ragkit.models.cpu.free_cores)."""
    prompt_lookup: int = Field(0, ge=0)
    """Prompt-lookup decoding: draft up to this many tokens by copying what followed the latest tokens' earlier
    occurrence in the prompt (answers quote their passages), all verified in one forward pass, so greedy output
    is unchanged; 0 is off. Off by default for llama.cpp: on a 2-core CPU it decoded slower (docs/speed.md)."""
    streaming: bool = False
    """Stream from `invoke` too (LangChain convention; callbacks then see each token)."""
    adapter: str | None = None
    """LoRA adapter directory written by `ragkit finetune` (llama.cpp reads its adapter.gguf, and also takes a
    GGUF LoRA file); None uses the preset's own adapter."""

    @property
    def model_name(self) -> str:
        """The name shown with answers: the preset, or the model file or directory name, plus a user adapter's."""
        return display_name(self.model) + (f" + {Path(self.adapter).name}" if self.adapter else "")

    @property
    def identity(self) -> ModelIdentity:
        """The backend, preset or path (the default preset when None), adapter and the settings that change answers."""
        settings = set(type(self).model_fields) - set(BaseChatModel.model_fields) - self.runtime_only
        return ModelIdentity(backend=self.backend, model=self.model or DEFAULT_PRESET, adapter=self.adapter,
                             name=self.model_name,
                             settings=self.model_dump(mode="json", include=settings - {"model", "adapter"}))

    def _check_options(self, options: dict[str, Any]) -> None:
        """Refuse per-call options this backend would otherwise drop (a typo, or a feature it lacks, like tools)."""
        reject_unknown_options(type(self).__name__, options, self.call_options)

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model_name, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Tracing parameters, without touching model files (a per-call `model` overrides the name)."""
        params = LangSmithParams(
            ls_provider="ragkit", ls_model_name=str(kwargs.get("model") or self.model_name), ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
            ls_max_tokens=kwargs.get("max_tokens", self.max_tokens),
        )
        stops = stop or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params


def to_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Messages in the role/content form chat templates expect."""
    return [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]


def plain_prompt(messages: Sequence[BaseMessage]) -> str:
    """The prompt for a base model without a chat template: message texts joined by a blank line."""
    return "\n\n".join(m.text for m in messages)


class StopTrimmer:
    """Cuts streamed text at the first stop sequence, holding back any tail that could start one.

    Hand-written because transformers' `stop_strings` halts generation but leaves the stop text in the output.
    """

    def __init__(self, stops: Sequence[str]):
        self.stops = [s for s in stops if s]
        self.buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        """Add generated text; return the part that is safe to emit."""
        if self.stopped:
            return ""
        self.buffer += text
        cut = min((i for i in (self.buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out, self.buffer = self.buffer[:cut], ""
            return out
        hold = max((n for s in self.stops for n in range(1, len(s)) if self.buffer.endswith(s[:n])), default=0)
        out = self.buffer[: len(self.buffer) - hold]
        self.buffer = self.buffer[len(out):]
        return out

    def flush(self) -> str:
        """The held-back text once generation has ended without a stop."""
        out, self.buffer = ("" if self.stopped else self.buffer), ""
        return out


class GenerationMeter:
    """Where one generation's time went: wall-clock marks (start, first token, end) plus the backend's token counts,
    reported as LangChain usage metadata and as `timings` in the response metadata (RagChain collects those)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None

    def token(self) -> None:
        """Mark a produced piece of text; the first mark is the time to first token."""
        if self.first is None:
            self.first = time.perf_counter()

    def timings(self, prompt_tokens: int, prefill_tokens: int, output_tokens: int) -> dict[str, float]:
        """Prefill (prompt tokens not served from the KV cache, evaluated until the first token) and decode (the
        tokens after the first, over the time after it)."""
        end = time.perf_counter()
        first = self.first if self.first is not None else end
        prefill_s, decode_tokens, decode_s = first - self.start, max(output_tokens - 1, 0), end - first
        return {
            "prompt_tokens": prompt_tokens,
            "prefill_tokens": prefill_tokens,
            "prefill_s": prefill_s,
            "prefill_tok_s": prefill_tokens / prefill_s if prefill_s > 0 else 0.0,
            "first_token_s": first - self.start,
            "decode_tokens": decode_tokens,
            "decode_s": decode_s,
            "decode_tok_s": decode_tokens / decode_s if decode_s > 0 else 0.0,
        }


def usage_from(timings: dict[str, float], output_tokens: int) -> UsageMetadata:
    """LangChain usage metadata of a generation; the KV-cache hit shows as input_token_details.cache_read."""
    prompt = int(timings["prompt_tokens"])
    return UsageMetadata(input_tokens=prompt, output_tokens=output_tokens, total_tokens=prompt + output_tokens,
                         input_token_details={"cache_read": max(prompt - int(timings["prefill_tokens"]), 0)})
