"""The `ragkit` command: index files, ask questions with cited answers, show an index."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ragkit.cli_support import (
    AdapterOpt,
    BackendOpt,
    IndexOpt,
    KOpt,
    MaxTokensOpt,
    ModelOpt,
    TemperatureOpt,
    VerboseOpt,
    console,
    err,
    one_line_errors,
    printable,
)
from ragkit.errors import InvalidInputError
from ragkit.ingest import supported_suffixes

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers from your documents.")

RerankerOpt = Annotated[Path | None, typer.Option(
    help="Cross-encoder directory from `ragkit finetune reranker`: reorders the top fused passages.")]


def _reranker_dir(path: Path | None) -> str | None:
    """A reranker option as RetrievalSettings.reranker, refused unless it is a trained reranker's directory."""
    if path is None:
        return None
    from ragkit.retrieval.rerank import describe_reranker

    return describe_reranker(path)["path"]


@app.command(help=f"Index files ({', '.join(supported_suffixes())}) and folders; unchanged files are skipped, "
                  "changed ones updated.")
@one_line_errors
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories to index.")],
    index: IndexOpt = "default",
    chunk_tokens: Annotated[int | None, typer.Option(
        help="Chunk size in embedding-model tokens (default 100; an existing index keeps its own).")] = None,
    overlap_tokens: Annotated[int | None, typer.Option(
        help="Tokens shared by neighbouring chunks (default 16; an existing index keeps its own).")] = None,
    factory: Annotated[str, typer.Option(help="FAISS factory string, or 'auto' by corpus size.")] = "auto",
    embedder: Annotated[str | None, typer.Option(
        help="Embedding model: a sentence-transformers directory (e.g. from `ragkit finetune embedder`), a query "
             "adapter directory, 'hashing' (model-free), or the packaged default; an existing index keeps the one it "
             "was built with.")] = None,
    workers: Annotated[int, typer.Option(
        help="Processes that load and split files while embedding runs on every core; helps with many "
             "PDFs or many cores.")] = 0,
    follow_external_links: Annotated[bool, typer.Option(
        "--follow-external-links", help="Index the targets of symlinks that point outside the given paths "
                                        "(skipped by default).")] = False,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="Build the index afresh from these paths (e.g. with new chunk sizes); computed "
                          "embeddings are reused.")] = False,
    reader_memory_mb: Annotated[int, typer.Option(
        help="Memory reading one file may add (MB) before it is skipped; 0 reads files in this process, "
             "unbounded.")] = 1024,
    reader_seconds: Annotated[float, typer.Option(
        help="Seconds a file may take without a finished page before it is skipped.")] = 300.0,
    ray: Annotated[bool, typer.Option(
        "--ray", help="Build a new index on Ray (ray.data), for corpora that outgrow one machine.")] = False,
    ray_address: Annotated[str | None, typer.Option(
        help="Ray cluster to build on (implies --ray); default: the running one, else a local Ray.")] = None,
) -> None:
    """Index files and folders (the formats the loader registry knows)."""
    from ragkit.lifecycle import KnowledgeBases
    from ragkit.settings import IndexSettings, validated

    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise InvalidInputError(f"path does not exist: {printable(str(path))}")
    given = {"chunk_tokens": chunk_tokens, "overlap_tokens": overlap_tokens, "embedder": embedder}
    reader = {"memory_mb": reader_memory_mb, "seconds": reader_seconds} if reader_memory_mb else None
    settings = validated(IndexSettings, factory=factory, workers=workers, rebuild=rebuild,
                         follow_external_links=follow_external_links, reader=reader,
                         **{key: value for key, value in given.items() if value is not None})
    kbs = KnowledgeBases()
    kb = kbs.opened(index)
    settings = kb.prepare(paths, settings)
    if ray or ray_address:
        from ragkit.distributed import ray_index

        spec = settings.embedder or kb.embedder.spec
        report = ray_index(paths, kb.directory, spec, settings, address=ray_address, show_progress=True)
    else:
        with kbs.writing(index):
            report = _index_with_progress(kb, paths, settings)
    recorded = kb.manifest().settings if kb.exists else {}
    console.print(
        f"indexed {report.indexed_files} of {report.files} files into '{printable(index)}' "
        f"({report.unchanged_files} unchanged, {report.removed_files} removed): "
        f"{report.new_chunks} new chunks, {report.embedded_chunks} embedded, {report.chunks} in index, "
        f"{report.seconds:.1f} s; embedder {recorded.get('embedder', '?')}, corpus language "
        f"{recorded.get('language', '?')}",
        highlight=False,
    )
    if report.ocr_pages or report.ocr_cached_pages:
        console.print(f"OCR: {report.ocr_pages} pages OCR'd in {report.ocr_seconds:.1f} s, "
                      f"{report.ocr_cached_pages} from the OCR cache (OCR'd before, or to detect the language)",
                      highlight=False)
    for source, reason in report.skipped:
        err.print(f"[yellow]skipped[/yellow] {printable(source)}: {printable(reason)}", highlight=False)


def _index_with_progress(kb: Any, paths: list[Path], settings: Any) -> Any:
    """Index locally, with progress bars for reading files and embedding chunks; returns the IndexReport."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                names = {"read": "reading files", "ocr": "OCR pages", "embed": "embedding chunks"}
                tasks[stage] = bar.add_task(names[stage], total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return kb.index(paths, settings, progress)


@app.command()
@one_line_errors
def delete(
    index: Annotated[str, typer.Argument(help="The knowledge base to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a knowledge base: its index, uploaded files, answer cache and log."""
    from ragkit.lifecycle import KnowledgeBases

    kbs = KnowledgeBases()
    kbs.get(index)  # an unknown name is an error before any question
    if not yes and not typer.confirm(f"delete knowledge base '{printable(index)}' and its files?"):
        raise typer.Exit(1)
    kbs.delete(index)
    console.print(f"deleted '{printable(index)}'", highlight=False)


@app.command()
@one_line_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    index: IndexOpt = "default",
    model: ModelOpt = None,
    backend: BackendOpt = "llamacpp",
    adapter: AdapterOpt = None,
    k: KOpt = 4,
    reranker: RerankerOpt = None,
    context_tokens: Annotated[int | None, typer.Option(
        help="Tokens of passage text the model reads: passages over it are cut to the sentences matching the "
             "question (default: RetrievalSettings'); 0: the k passages whole.")] = None,
    max_tokens: MaxTokensOpt = None,
    temperature: TemperatureOpt = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Answer a question asked before (same index version, model, prompt and "
                                   "settings) from the index's answer cache.")] = True,
    verbose: VerboseOpt = False,
    server: Annotated[str | None, typer.Option(
        help="URL of a running `ragkit serve` to answer (default: the one serving the indexes directory on "
             "loopback, if up, with the same model; else this process answers).")] = None,
    use_server: Annotated[bool, typer.Option(
        "--server-if-up/--no-server", help="Use a running `ragkit serve` when one is up.")] = True,
) -> None:
    """Answer a question from an index, streaming the answer, then list its sources."""
    from ragkit.cli_answer import answer_events, server_url, show_answer, show_sources

    params: dict[str, Any] = {key: value for key, value in (("max_tokens", max_tokens), ("temperature", temperature))
                              if value is not None}
    in_process_only = [flag for flag, used in (("--backend", backend != "llamacpp"), ("--adapter", adapter),
                                               ("--context-tokens", context_tokens is not None),
                                               ("--no-cache", not cache), ("--reranker", reranker)) if used]
    url = server_url(server, use_server, model, in_process_only)

    def in_process() -> Any:
        from ragkit.kb import KnowledgeBase
        from ragkit.models import chat_model
        from ragkit.settings import RetrievalSettings, validated

        budget = {} if context_tokens is None else {"context_tokens": context_tokens or None}
        retrieval = validated(RetrievalSettings, k=k, reranker=_reranker_dir(reranker), **budget)
        options = {"adapter": str(adapter)} if adapter is not None else {}
        kb = KnowledgeBase(index, llm=chat_model(backend, model, **options), retrieval=retrieval, cache=cache)
        return kb.stream(question, **params)

    answer = show_answer(answer_events(url, server is not None, index, question, in_process, k=k, **params),
                         verbose)
    if verbose and url is not None:
        console.print(f"answered by the server at {url}", style="dim", highlight=False, markup=False)
    show_sources(answer)


@app.command()
@one_line_errors
def info(index: IndexOpt = "default", reranker: RerankerOpt = None) -> None:
    """Show an index's embedder (spec and weights' sha256), FAISS type, size, recorded settings and sources, and
    the reranker given."""
    from ragkit.kb import KnowledgeBase
    from ragkit.settings import RetrievalSettings

    facts = KnowledgeBase(index, retrieval=RetrievalSettings(reranker=_reranker_dir(reranker))).info()
    for key, value in facts.items():
        if key == "sources":
            console.print(f"sources ({len(value)}):", highlight=False)
            for source in value:
                console.print(f"  {printable(source)}", highlight=False, markup=False)
        else:
            console.print(f"{key}: {printable(str(value))}", highlight=False, markup=False)


@app.command()
@one_line_errors
def report(
    index: Annotated[str | None, typer.Option(
        "--index", "-i", help="Index name under indexes/ (default: every index).")] = None,
    png: Annotated[Path | None, typer.Option(help="Also write a plot of latency and rates to this PNG file.")] = None,
) -> None:
    """Latency (p50/p95), refusal, guardrail and cache-hit rates and feedback per prompt version, from the
    answer log."""
    from rich.console import Console
    from rich.table import Table

    from ragkit.answerlog.report import plot, summarize
    from ragkit.kb import KnowledgeBase
    from ragkit.lifecycle import list_knowledge_bases

    names = [index] if index is not None else list_knowledge_bases()
    events, feedback = [], []
    for name in names:
        kb = KnowledgeBase(name)
        kb.manifest()  # an unknown index is an error, not an empty report
        events += kb.answers.log.events()
        feedback += kb.answers.log.ratings()
    events.sort(key=lambda e: e.time)
    where = f"index '{printable(index)}'" if index is not None else f"{len(names)} indexes"
    if not events:
        console.print(f"no answers logged in {where} yet: ask with `ragkit ask`, the app or the server",
                      highlight=False, markup=False)
        return
    stats = summarize(events, feedback)
    title = f"{len(events)} answers in {where}"
    table = Table(title=title)
    for column in ("prompt", "answers", "errors", "p50 s", "p95 s", "refused", "guardrail", "cache hits", "up",
                   "down"):
        table.add_column(column, justify="left" if column == "prompt" else "right", no_wrap=True)
    for row in stats:
        table.add_row(printable(row.prompt), str(row.answers), str(row.errors), _number(row.p50_s, "{:.2f}"),
                      _number(row.p95_s, "{:.2f}"), _number(row.refusal_rate, "{:.0%}"),
                      _number(row.guardrail_rate, "{:.0%}"), _number(row.cache_hit_rate, "{:.0%}"), str(row.up),
                      str(row.down))
    Console(width=max(console.width, 120), soft_wrap=True).print(table)  # one line a row, also when piped
    if png is not None:
        try:
            console.print(f"wrote {plot(events, stats, png, title)}", highlight=False, markup=False)
        except OSError as exc:
            raise InvalidInputError(f"cannot write {printable(str(png))}: {exc.strerror or exc}") from None


def _number(value: float, form: str) -> str:
    return "-" if value != value else form.format(value)  # nan: nothing to measure


def _register_subcommands() -> None:
    """Sub-command groups live beside the code they drive; each module exposes one typer app."""
    from ragkit.cli_chat import chat
    from ragkit.eval.cli import eval_app
    from ragkit.finetune.cli import finetune_app
    from ragkit.prompts.cli import prompts_app
    from ragkit.server.cli import serve_app

    app.add_typer(eval_app, name="eval")
    app.add_typer(prompts_app, name="prompts")
    app.add_typer(serve_app, name="serve")
    app.add_typer(finetune_app, name="finetune")
    app.command("chat")(chat)


_register_subcommands()


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()


if __name__ == "__main__":
    main()
