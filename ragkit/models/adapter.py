"""The record kept beside every adapter (ragkit-adapter.json): which base model and prompt it was trained for,
how, and how well. Written by `ragkit finetune`, read by the model backends to pick the adapter's prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit.errors import ModelError

METADATA_FILE = "ragkit-adapter.json"


class TrainingParams(BaseModel):
    """Settings of a LoRA fine-tuning run."""

    model_config = ConfigDict(extra="forbid")
    lora_r: int = Field(8, ge=1)
    """LoRA rank."""
    lora_alpha: int = Field(16, ge=1)
    """LoRA scaling numerator (scale = alpha / r)."""
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )
    """Linear layers that get LoRA weights."""
    learning_rate: float = Field(2e-4, gt=0)
    epochs: float = Field(1.0, gt=0)
    batch_size: int = Field(4, ge=1)
    grad_accumulation: int = Field(1, ge=1)
    max_seq_tokens: int = Field(256, ge=16)
    """Longer examples are left out."""
    eval_steps: int = Field(25, ge=1)
    """Evaluate (and checkpoint) every N optimizer steps."""
    patience: int = Field(3, ge=1)
    """Stop after this many evaluations without a better eval loss."""
    seed: int = 0
    qlora: bool = False
    """4-bit base weights through bitsandbytes; only used on CUDA."""


class AdapterMetadata(BaseModel):
    """Contents of ragkit-adapter.json."""

    model_config = ConfigDict(extra="forbid")
    format: int = 1
    base_model: str
    """The --base spec (preset, GGUF path or HF directory)."""
    base_sha256: str
    """sha256 of the base GGUF (or the HF directory path): the adapter only fits these exact weights."""
    prompt_id: str
    prompt_version: int
    prompt_sha256: str
    chat_template: bool
    """Whether prompts were wrapped in the model's chat template."""
    training: TrainingParams
    train_examples: int
    eval_examples: int
    steps: int
    seconds: float
    device: str
    base_eval_loss: float
    """Eval loss of the base model before training, for comparison."""
    final_eval_loss: float
    """Eval loss of the adapter that was kept (the best one seen)."""
    eval_history: list[dict[str, float]] = Field(default_factory=list)
    notes: dict[str, Any] = Field(default_factory=dict)
    """Free-form provenance (data source, held-out articles, ...)."""


def write_metadata(directory: Path, metadata: AdapterMetadata) -> Path:
    """Write the adapter's record into its directory; returns the file written."""
    path = directory / METADATA_FILE
    path.write_text(metadata.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def read_metadata(directory: Path) -> AdapterMetadata:
    """The adapter's record; ModelError when missing or invalid."""
    path = directory / METADATA_FILE
    try:
        return AdapterMetadata.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ModelError(f"{directory} has no {METADATA_FILE}: not an adapter made by `ragkit finetune`") from exc
    except ValidationError as exc:
        raise ModelError(f"{path} is invalid: {exc}") from exc
