"""Log-probability of each token of a text given the tokens before it, from a model's raw logits (for perplexity).

llama.cpp: a Llama of its own with logits_all=True, so llama-cpp-python keeps every position's logits (an
n_ctx x vocabulary float32 array: 512 MB for Gemma 3's 262k vocabulary at 512 tokens); the log-softmax is taken
here with float64 sums. transformers: the model's logits, log-softmax in float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ragkit.errors import InvalidInputError
from ragkit.models.llamacpp import gpu_layers, load_llama, lora_file
from ragkit.models.presets import resolve_model

_ROWS = 32
"""Logit rows normalized at a time (bounds the float64 temporary to 32 x vocabulary)."""


class TokenScorer(Protocol):
    """A model that scores token sequences: what ragkit.eval.perplexity needs of a backend."""

    name: str
    context: int
    """Most tokens one `logprobs` call may take, the start token included."""
    start: list[int]
    """The token a sequence starts with (BOS), or none for a model without one."""

    def tokenize(self, text: str) -> list[int]:
        """The text's tokens, without the start token."""
        ...

    def logprobs(self, tokens: Sequence[int], scored: int) -> np.ndarray:
        """log p(token | start + the tokens before it) of the last `scored` tokens, in nats."""
        ...


def log_softmax_at(logits: np.ndarray, targets: Sequence[int]) -> np.ndarray:
    """log softmax(logits[i])[targets[i]] for every row i, the normalizer summed in float64."""
    out = np.empty(len(targets), dtype=np.float64)
    for first in range(0, len(targets), _ROWS):
        rows = np.asarray(logits[first : first + _ROWS], dtype=np.float64)
        peak = rows.max(axis=1, keepdims=True)
        normalizer = peak[:, 0] + np.log(np.exp(rows - peak).sum(axis=1))
        chosen = rows[np.arange(len(rows)), list(targets[first : first + _ROWS])]
        out[first : first + len(rows)] = chosen - normalizer
    return out


def _check_window(window: int, trained: int, name: str) -> None:
    if window < 2:
        raise InvalidInputError(f"a window of {window} tokens is too small: give at least 2")
    if trained and window > trained:
        raise InvalidInputError(f"a window of {window} tokens exceeds {name}'s context of {trained}")


class LlamaCppScorer:
    """Token log-probabilities of a GGUF preset or file through llama.cpp, in windows of `window` tokens."""

    def __init__(self, model: str | None, window: int = 512, n_threads: int | None = None):
        resolved = resolve_model(model)
        self.name = resolved.name
        self._llama: Any
        self._llama, self._lock = load_llama(str(resolved.path), lora_file(None, resolved), window, n_threads,
                                             gpu_layers(), logits_all=True)
        import llama_cpp

        _check_window(window, int(llama_cpp.llama_model_n_ctx_train(self._llama.model)), self.name)
        self.context = window
        self.start = self._llama.tokenize(b"", add_bos=True)

    def tokenize(self, text: str) -> list[int]:
        return list(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

    def logprobs(self, tokens: Sequence[int], scored: int) -> np.ndarray:
        ids = [*self.start, *tokens]
        if len(ids) > self.context or not 0 < scored < len(ids):
            raise ValueError(f"cannot score {scored} of {len(ids)} tokens in a context of {self.context}")
        with self._lock:
            self._llama.reset()
            self._llama.eval(ids)
            # Row i of scores holds the logits after token i, i.e. the distribution of token i + 1.
            logits = self._llama.scores[len(ids) - 1 - scored : len(ids) - 1]
            return log_softmax_at(logits, ids[len(ids) - scored :])


class TransformersScorer:
    """Token log-probabilities of a preset, .gguf file or Hugging Face directory through transformers."""

    def __init__(self, model: str | None, window: int = 512, device_name: str | None = None):
        from ragkit.models.hf import device, load_shared

        self._loaded = load_shared(model, None, device_name or device())
        self.name = self._loaded.source.name
        _check_window(window, int(getattr(self._loaded.model.config, "max_position_embeddings", 0) or 0), self.name)
        self.context = window
        tokenizer = self._loaded.tokenizer
        bos = tokenizer.bos_token_id
        self.start = [bos] if bos is not None and tokenizer("").input_ids[:1] == [bos] else []

    def tokenize(self, text: str) -> list[int]:
        return list(self._loaded.tokenizer(text, add_special_tokens=False).input_ids)

    def logprobs(self, tokens: Sequence[int], scored: int) -> np.ndarray:
        import torch

        ids = [*self.start, *tokens]
        if len(ids) > self.context or not 0 < scored < len(ids):
            raise ValueError(f"cannot score {scored} of {len(ids)} tokens in a context of {self.context}")
        model = self._loaded.model
        with self._loaded.lock, torch.no_grad():
            logits = model(torch.tensor([ids], device=model.device)).logits[0, len(ids) - 1 - scored : len(ids) - 1]
            return log_softmax_at(logits.float().cpu().numpy(), ids[len(ids) - scored :])


SCORERS: dict[str, type[LlamaCppScorer] | type[TransformersScorer]] = {
    "llamacpp": LlamaCppScorer, "transformers": TransformersScorer}
"""Backend name -> scorer class (the same names as ragkit.models.BACKENDS)."""


def token_scorer(backend: str, model: str | None, window: int) -> TokenScorer:
    """The backend's scorer of a model with windows of `window` tokens."""
    if backend not in SCORERS:
        raise InvalidInputError(f"unknown backend {backend!r}: choose from {', '.join(SCORERS)}")
    return SCORERS[backend](model, window)
