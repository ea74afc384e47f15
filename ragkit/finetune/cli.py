"""`ragkit finetune`: train a LoRA adapter on {question, context, answer} JSONL, then export it for llama.cpp."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ragkit.cli_support import console, one_line_errors


@one_line_errors
def finetune_command(
    train: Annotated[Path, typer.Option("--train", help="Training JSONL: {question, context, answer} per line.")],
    evaluation: Annotated[Path, typer.Option("--eval", help="Held-out JSONL for the eval loss and early stopping.")],
    out: Annotated[Path, typer.Option("--out", help="Adapter directory to write, e.g. adapters/NAME.")],
    base: Annotated[str | None, typer.Option("--base", help="Preset, .gguf file or HF model directory.")] = None,
    prompt: Annotated[str, typer.Option(help="Prompt id from prompts/ rendering every example.")] = "qa-extractive",
    epochs: Annotated[float, typer.Option(help="Passes over the training set (early stopping may end sooner).")] = 1.0,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate.")] = 2e-4,
    rank: Annotated[int, typer.Option(help="LoRA rank.")] = 8,
    batch_size: Annotated[int, typer.Option(help="Examples per step.")] = 4,
    eval_steps: Annotated[int, typer.Option(help="Evaluate every N steps.")] = 25,
    patience: Annotated[int, typer.Option(help="Stop after N evaluations without improvement.")] = 3,
    max_seq_tokens: Annotated[int, typer.Option(help="Leave out longer examples.")] = 256,
    qlora: Annotated[bool, typer.Option(help="4-bit base weights (bitsandbytes; CUDA only).")] = True,
    threads: Annotated[int | None, typer.Option(help="CPU threads for torch (default: all).")] = None,
    gguf: Annotated[bool, typer.Option(help="Also write adapter.gguf for llama.cpp.")] = True,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Fine-tune a LoRA adapter; the adapter directory gets ragkit-adapter.json and (by default) adapter.gguf."""
    if threads:
        import torch

        torch.set_num_threads(threads)
    from ragkit.finetune.data import load_jsonl
    from ragkit.finetune.export import lora_to_gguf
    from ragkit.finetune.train import finetune
    from ragkit.models.adapter import TrainingParams
    from ragkit.models.hf import resolve_hf

    params = TrainingParams(lora_r=rank, lora_alpha=2 * rank, learning_rate=learning_rate, epochs=epochs,
                            batch_size=batch_size, eval_steps=eval_steps, patience=patience,
                            max_seq_tokens=max_seq_tokens, seed=seed, qlora=qlora)
    metadata = finetune(base, load_jsonl(train), load_jsonl(evaluation), out, prompt, params,
                        notes={"train_file": str(train), "eval_file": str(evaluation)})
    console.print(f"adapter saved to {out}: eval loss {metadata.base_eval_loss:.3f} -> {metadata.final_eval_loss:.3f} "
                  f"in {metadata.steps} steps, {metadata.seconds:.0f} s", highlight=False)
    if gguf:
        path = lora_to_gguf(out, resolve_hf(base).directory / "config.json")
        console.print(f"llama.cpp adapter: {path}", highlight=False)
