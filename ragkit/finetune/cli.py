"""`ragkit finetune ...`: a LoRA adapter for the answering model (`lora`), and retrieval trained on your data:
a fine-tuned embedder or query adapter (`embedder`), a cross-encoder reranker (`reranker`), and synthetic
question-passage pairs for corpora without judgments (`pairs`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ragkit.cli_support import console, err, one_line_errors
from ragkit.settings import BEIR_CHUNKING


class _Group(TyperGroup):
    """Refuses the pre-group form `ragkit finetune --train ...` with a one-line hint instead of a usage screen."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0].startswith("--") and args[0] != "--help":
            err.print("[red]error:[/red] `ragkit finetune` is a group now: the LoRA command is "
                      "`ragkit finetune lora " + " ".join(args[:1]) + " ...`", highlight=False)
            raise typer.Exit(2)
        return super().parse_args(ctx, args)


finetune_app = typer.Typer(cls=_Group, no_args_is_help=True,
                           help="Train on your data: the answering model's LoRA adapter, the embedder, a reranker.")


@finetune_app.command("lora")
@one_line_errors
def lora(
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
    """Fine-tune a LoRA adapter of the answering model on {question, context, answer} JSONL; the adapter directory
    gets ragkit-adapter.json and (by default) adapter.gguf for llama.cpp."""
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


PairsOpt = Annotated[Path | None, typer.Option(
    "--pairs", help="JSONL of {query, positive[, negative]} (e.g. from `ragkit finetune pairs`).")]
BeirOpt = Annotated[Path | None, typer.Option("--beir", help="BEIR dataset directory: train on its judged queries.")]
SplitOpt = Annotated[str, typer.Option("--split", help="With --beir: the judgments to train on (qrels/SPLIT.tsv).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Directory to write the trained model to.")]
ChunkOpt = Annotated[int, typer.Option("--chunk-tokens", help="Chunk size the corpus is indexed with for mining "
                                       "(as `ragkit eval retrieval`).")]


@finetune_app.command("embedder")
@one_line_errors
def embedder(
    out: OutOpt,
    pairs: PairsOpt = None,
    beir: BeirOpt = None,
    split: SplitOpt = "train",
    base: Annotated[str | None, typer.Option(
        help="Embedder to train: the packaged MiniLM (default, fine-tuned whole), a sentence-transformers "
             "directory, or multilingual-e5-small (gets a query adapter; its index needs no re-embedding).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Passes over the pairs (default: EmbedderTraining's).")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="AdamW learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Pairs per step (in-batch negatives).")] = None,
    chunk_tokens: ChunkOpt = BEIR_CHUNKING[0],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Fine-tune the embedder on question-passage pairs with hard negatives mined by BM25 and dense retrieval;
    index with it by `ragkit index PATH --embedder OUT`."""
    from ragkit.embeddings import from_spec
    from ragkit.finetune.embedder import EmbedderTraining
    from ragkit.finetune.retrieval import finetune_embedder

    params = _params(EmbedderTraining, epochs=epochs, learning_rate=learning_rate, batch_size=batch_size, seed=seed)
    model = from_spec(base)
    with _progress() as progress:
        dataset, prepared, cache = _training_data(pairs, beir, split, model, chunk_tokens, progress)
        facts = finetune_embedder(dataset, prepared, model, out, params, cache, progress,
                                  {"data": str(pairs or beir), "split": split if beir else None})
    cache.close()
    console.print(f"embedder saved to {out}: {facts['triples']} triples, loss {facts['first_loss']:.3f} -> "
                  f"{facts['last_loss']:.3f}, {facts['seconds']:.0f} s; use it with --embedder {out}", highlight=False)


@finetune_app.command("reranker")
@one_line_errors
def reranker(
    out: OutOpt,
    pairs: PairsOpt = None,
    beir: BeirOpt = None,
    split: SplitOpt = "train",
    base: Annotated[str | None, typer.Option(
        help="Model directory the cross-encoder starts from (default: the packaged MiniLM's weights).")] = None,
    epochs: Annotated[int | None, typer.Option(help="Passes over the pairs (default: RerankerTraining's).")] = None,
    learning_rate: Annotated[float | None, typer.Option(help="AdamW learning rate.")] = None,
    negatives: Annotated[int | None, typer.Option(help="Hard negatives scored beside each positive.")] = None,
    chunk_tokens: ChunkOpt = BEIR_CHUNKING[0],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train a cross-encoder reranker on question-passage pairs with mined hard negatives; use it with
    `--reranker OUT` (RetrievalSettings.reranker), which reorders the top fused hits."""
    from ragkit.embeddings import default_model_path, from_spec
    from ragkit.finetune.reranker import RerankerTraining
    from ragkit.finetune.retrieval import finetune_reranker

    params = _params(RerankerTraining, epochs=epochs, learning_rate=learning_rate, negatives=negatives, seed=seed)
    with _progress() as progress:
        dataset, prepared, cache = _training_data(pairs, beir, split, from_spec(None), chunk_tokens, progress)
        facts = finetune_reranker(dataset, prepared, base or default_model_path(), out, params, progress,
                                  {"data": str(pairs or beir), "split": split if beir else None})
    cache.close()
    console.print(f"reranker saved to {out}: {facts['groups']} groups, loss {facts['first_loss']:.3f} -> "
                  f"{facts['last_loss']:.3f}, {facts['seconds']:.0f} s; use it with --reranker {out}", highlight=False)


def _params(kind: type, **given: Any) -> Any:
    """Training parameters: the defaults, with the options given."""
    return kind(**{key: value for key, value in given.items() if value is not None})


def _training_data(pairs: Path | None, beir: Path | None, split: str, base: Any, chunk_tokens: int,
                   progress: Any) -> tuple[Any, Any, Any]:
    """(dataset, prepared corpus and negatives, embedding cache) from a pairs file or a BEIR split."""
    from ragkit.embeddings import EmbeddingCache
    from ragkit.errors import InvalidInputError
    from ragkit.eval.beir import load_beir
    from ragkit.finetune.pairs import load_pairs, pairs_dataset
    from ragkit.finetune.retrieval import prepare
    from ragkit.paths import cache_dir

    if (pairs is None) == (beir is None):
        raise InvalidInputError("give --pairs FILE.jsonl or --beir DIR (with --split)")
    given: dict[str, list[str]] = {}
    if pairs is not None:
        dataset, given = pairs_dataset(load_pairs(pairs))
    else:
        dataset = load_beir(beir, split)  # type: ignore[arg-type]
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")  # shared with `ragkit eval retrieval`
    return dataset, prepare(dataset, base, cache, chunk_tokens, given=given, progress=progress), cache


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """Bars with ETA for the training stages (embed corpus, mine negatives, write questions, train)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    labels = {"embed": "embed corpus", "mine": "mine hard negatives", "train": "train", "write": "write questions"}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=False) as bars:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(labels.get(stage, stage), total=total or None)
            bars.update(tasks[stage], completed=done, total=total or None)

        yield update


@finetune_app.command("pairs")
@one_line_errors
def pairs_command(
    out: Annotated[Path, typer.Option("--out", help="JSONL file of {query, positive} pairs to write.")],
    index: Annotated[str, typer.Option("--index", "-i", help="Write questions about this index's chunks.")],
    minutes: Annotated[float, typer.Option(help="Time budget: it sets how many chunks are asked about.")] = 10.0,
    model: Annotated[str | None, typer.Option(help="Preset or .gguf path that writes the questions "
                                                   "(default: the knowledge base's default model).")] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="Keep a question only if the index's retriever ranks its "
                                                       "chunk in this top k.")] = 5,
    seed: Annotated[int, typer.Option(help="Chunk sampling seed.")] = 0,
) -> None:
    """Synthetic pairs for a corpus without judged questions: the model writes one question per sampled chunk
    (prompts/retrieval-question, English or Chinese), kept when retrieval finds that chunk again; train on them
    with `ragkit finetune embedder --pairs OUT` (or reranker)."""
    import json

    from ragkit.finetune.synthetic import round_trip, write_questions
    from ragkit.kb import KnowledgeBase, shared_chat_model
    from ragkit.settings import RetrievalSettings

    kb = KnowledgeBase(index, retrieval=RetrievalSettings(k=top_k, score_threshold=None))  # the retriever refuses nothing
    docs = kb.store.docstore.by_rows(int(row) for row in kb.store.docstore.rows())
    passages = {d.id: d.text for d in docs.values()}
    with _progress() as progress:
        written = write_questions(shared_chat_model("llamacpp", model), passages, minutes * 60, seed,
                                  progress=progress)
    kept = round_trip(written, kb.retriever(), top_k, key=None)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as lines:
        for item in kept:
            lines.write(json.dumps({"query": item.question, "positive": passages[item.doc_id]}, ensure_ascii=False)
                        + "\n")
    console.print(f"wrote {len(kept)} pairs to {out} ({len(written) - len(kept)} of {len(written)} questions "
                  f"dropped: their chunk was not in the top {top_k})", highlight=False)
