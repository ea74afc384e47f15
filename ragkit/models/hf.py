"""Hugging Face (transformers) model loading: presets, GGUF files and HF directories, optional PEFT adapter.

transformers dequantizes a GGUF on load, which takes about a minute for Gemma 3 270M, so the converted model is
saved once under the user cache (keyed by the GGUF's sha256) and loaded from there afterwards.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkit.digests import file_sha256
from ragkit.errors import ModelError
from ragkit.models.presets import PRESETS, ResolvedModel, resolve_model
from ragkit.paths import cache_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HFSource:
    """Where a model's transformers weights are, and what the model spec says about prompts and adapters."""

    name: str
    directory: Path
    chat: bool | None
    stop: tuple[str, ...]
    adapter: Path | None
    identity: str
    """sha256 of the GGUF the weights came from, or the directory path for HF models."""


def resolve_hf(spec: str | None) -> HFSource:
    """A preset, a .gguf file (converted once into the cache) or a Hugging Face model directory."""
    path = Path(spec).expanduser() if spec and spec not in PRESETS else None
    if path is not None and path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a Hugging Face model directory (no config.json)")
        return HFSource(path.name, path, None, (), None, str(path.resolve()))
    resolved: ResolvedModel = resolve_model(spec)
    digest = file_sha256(resolved.path)
    return HFSource(resolved.name, gguf_to_hf(resolved.path, digest), resolved.chat, resolved.stop,
                    resolved.adapter, digest)


def gguf_to_hf(gguf: Path, digest: str) -> Path:
    """The cached transformers copy of a GGUF, converting it on first use (written to a temp dir, then renamed)."""
    target = cache_dir() / "hf" / f"{gguf.stem}-{digest[:16]}"
    if (target / "config.json").is_file():
        return target
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelError("install ragkit[peft] (transformers, peft) to use the transformers backend") from exc
    log.info("converting %s to a transformers model in %s (once; about a minute)", gguf.name, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".convert-"))
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model: Any = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
        # The weights are plain dequantized Linear layers; drop the GGUF quantizer marker so they save as safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(temp)
        tokenizer.save_pretrained(temp)
        os.replace(temp, target)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"transformers cannot load {gguf}: {exc}") from exc
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


def device() -> str:
    """CUDA when present, else CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class Loaded:
    """A loaded model, its tokenizer, and the lock that serializes generation on it."""

    model: Any
    tokenizer: Any
    lock: threading.Lock
    source: HFSource


@functools.lru_cache(maxsize=4)
def load_shared(spec: str | None, adapter: str | None, device_name: str) -> Loaded:
    """Load a model (plus adapter) once per process; every chat model with the same settings shares it."""
    source = resolve_hf(spec)
    model, tokenizer = load_model(source.directory, device_name)
    adapter_path = Path(adapter) if adapter else source.adapter
    if adapter_path is not None:
        model = apply_adapter(model, adapter_path)
    model.eval()
    return Loaded(model, tokenizer, threading.Lock(), source)


def load_model(directory: Path, device_name: str, quantize_4bit: bool = False) -> tuple[Any, Any]:
    """Model and tokenizer from a transformers directory: bf16 on CUDA (4-bit bitsandbytes if asked), fp32 on CPU."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    options: dict[str, Any] = {"dtype": "bfloat16" if device_name == "cuda" else "float32"}
    if quantize_4bit:
        from transformers import BitsAndBytesConfig

        options["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                            bnb_4bit_compute_dtype="bfloat16")
        options["device_map"] = {"": 0}
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
        model: Any = AutoModelForCausalLM.from_pretrained(str(directory), **options)
    except (OSError, ValueError) as exc:
        raise ModelError(f"transformers cannot load {directory}: {exc}") from exc
    if not quantize_4bit:
        model = model.to(device_name)
    return model, tokenizer


def apply_adapter(model: Any, adapter: Path) -> Any:
    """Put a PEFT LoRA adapter on a loaded model."""
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise ModelError("install ragkit[peft] to use LoRA adapters") from exc
    if not (adapter / "adapter_config.json").is_file():
        raise ModelError(f"{adapter} is not a PEFT adapter directory (no adapter_config.json)")
    return PeftModel.from_pretrained(model, str(adapter))
