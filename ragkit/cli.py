"""The `ragkit` command: index files, ask questions with cited answers, show an index."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ragkit.cli_support import console, err, one_line_errors
from ragkit.errors import RagkitError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from your documents.")

IndexOpt = Annotated[str, typer.Option("--index", "-i", help="Index name under indexes/ (or $RAGKIT_INDEXES).")]


def _kb(name: str, embedder: str | None = None, llm: Any = None) -> Any:
    from ragkit.kb import KnowledgeBase

    return KnowledgeBase(name, embedder=embedder, llm=llm)


@app.command()
@one_line_errors
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to index.")],
    index: IndexOpt = "default",
    chunk_tokens: Annotated[int, typer.Option(help="Chunk size in embedding-model tokens.")] = 100,
    factory: Annotated[str, typer.Option(help="FAISS factory string, or 'auto' by corpus size.")] = "auto",
    embedder: Annotated[str | None, typer.Option(
        help="Embedding model: a sentence-transformers directory, 'hashing' (model-free), or the packaged default; "
             "an existing index keeps the one it was built with.")] = None,
    workers: Annotated[int, typer.Option(
        min=0, help="Processes that load and split files while embedding runs on every core; helps with many "
                    "PDFs or many cores.")] = 0,
    ray: Annotated[bool, typer.Option(
        "--ray", help="Build a new index on Ray (ray.data), for corpora that outgrow one machine.")] = False,
    ray_address: Annotated[str | None, typer.Option(
        help="Ray cluster to build on (implies --ray); default: the running one, else a local Ray.")] = None,
) -> None:
    """Index files (.txt, .md, .pdf, .html); unchanged files are skipped, changed ones updated."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise RagkitError(f"path does not exist: {path}")
    kb = _kb(index, embedder)
    if ray or ray_address:
        from ragkit.distributed import ray_index

        report = ray_index(paths, kb.directory, kb.embedder.spec, chunk_tokens=chunk_tokens, factory=factory,
                           address=ray_address, show_progress=True)
    else:
        report = _index_with_progress(kb, paths, chunk_tokens=chunk_tokens, factory=factory, workers=workers)
    console.print(
        f"indexed {report.indexed_files} of {report.files} files into '{index}' "
        f"({report.unchanged_files} unchanged, {report.removed_files} removed): "
        f"{report.new_chunks} new chunks, {report.embedded_chunks} embedded, {report.chunks} in index, "
        f"{report.seconds:.1f} s",
        highlight=False,
        soft_wrap=True,
    )
    for source, reason in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {source}: {reason}", highlight=False, soft_wrap=True)


def _index_with_progress(kb: Any, paths: list[Path], **options: Any) -> Any:
    """Index locally, with progress bars for reading files and embedding chunks; returns the IndexReport."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task({"read": "reading files", "embed": "embedding chunks"}[stage], total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return kb.index(paths, progress, **options)


@app.command()
@one_line_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    index: IndexOpt = "default",
    model: Annotated[str | None, typer.Option(
        help="Preset (qwen2.5-1.5b, gemma3-270m, gemma3-270m-squad), a .gguf path, "
             "or (transformers) a model dir.")] = None,
    backend: Annotated[str, typer.Option(help="llamacpp or transformers.")] = "llamacpp",
    adapter: Annotated[Path | None, typer.Option(
        help="LoRA adapter directory written by `ragkit finetune` (llama.cpp reads its adapter.gguf).")] = None,
    k: Annotated[int, typer.Option(help="Passages to retrieve.")] = 4,
    max_tokens: Annotated[int, typer.Option(help="Most tokens to generate.")] = 256,
    temperature: Annotated[float, typer.Option(help="Sampling temperature (0 = greedy).")] = 0.0,
) -> None:
    """Answer a question from an index, streaming the answer, then list its sources."""
    from ragkit.chains import Answer
    from ragkit.models import chat_model

    options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": temperature}
    if adapter is not None:
        options["adapter"] = str(adapter)
    kb = _kb(index, llm=chat_model(backend, model, **options))
    kb.k = k
    answer = None
    for item in kb.stream(question):
        if isinstance(item, Answer):
            answer = item
        else:
            console.print(item, end="", highlight=False, markup=False)
            sys.stdout.flush()
    console.print()
    assert answer is not None
    if answer.extractive:
        console.print(f"not supported by the cited passage; quoting it instead: {answer.text}", style="yellow",
                      highlight=False, markup=False, soft_wrap=True)
    console.print(f"\nmodel: {answer.model}  ({answer.timings.get('total_s', 0):.1f} s)", style="dim", highlight=False)
    if answer.citations:
        console.print("sources:", style="bold")
        for citation in answer.citations:
            note = " (attributed: the model gave no [n])" if citation.inferred else ""
            console.print(f"  {citation.label()}{note}", highlight=False, markup=False)


@app.command()
@one_line_errors
def info(index: IndexOpt = "default") -> None:
    """Show an index's embedder, FAISS type, size and sources."""
    facts = _kb(index).info()
    for key, value in facts.items():
        if key == "sources":
            console.print(f"sources ({len(value)}):", highlight=False)
            for source in value:
                console.print(f"  {source}", highlight=False, markup=False)
        else:
            console.print(f"{key}: {value}", highlight=False)


def _register_subcommands() -> None:
    """Sub-command groups live beside the code they drive; each module exposes one typer app."""
    from ragkit.eval.cli import eval_app
    from ragkit.finetune.cli import finetune_command
    from ragkit.prompts.cli import prompts_app

    app.add_typer(eval_app, name="eval")
    app.add_typer(prompts_app, name="prompts")
    app.command("finetune")(finetune_command)


_register_subcommands()


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()


if __name__ == "__main__":
    main()
