"""What every `ragkit` command shares: the consoles, the one-line error exit and the options of the answering
commands (`ask`, `chat`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from ragkit.errors import RagkitError

# soft_wrap: lines are never cut at the terminal width, so output piped to a file or a program keeps one item a line.
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

IndexOpt = Annotated[str, typer.Option("--index", "-i", help="Index name under indexes/ (or $RAGKIT_INDEXES).")]
ModelOpt = Annotated[str | None, typer.Option(
    help="Preset (qwen2.5-1.5b, gemma3-270m, gemma3-270m-squad), a .gguf path, or (transformers) a model dir.")]
BackendOpt = Annotated[str, typer.Option(help="llamacpp or transformers.")]
AdapterOpt = Annotated[Path | None, typer.Option(
    help="LoRA adapter directory written by `ragkit finetune` (llama.cpp reads its adapter.gguf).")]
KOpt = Annotated[int, typer.Option(help="Passages to retrieve.")]
MaxTokensOpt = Annotated[int | None, typer.Option(help="Most tokens to generate (default: the prompt file's).")]
TemperatureOpt = Annotated[float | None, typer.Option(
    help="Sampling temperature, 0 = greedy (default: the prompt file's).")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", "-v", help="Show where the time went: retrieval, prefill, first token, decode, guardrail, threads.")]


def one_line_errors(func: F) -> F:
    """Turn ragkit errors (the user's to fix) into one line on stderr and exit code 2; anything else is a bug and
    keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagkitError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def printable(text: str) -> str:
    """Text safe to print: control characters (ANSI escapes in a file name, newlines) shown escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
