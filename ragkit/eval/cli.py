"""`ragkit eval ...`: retrieval and question-answering evaluation commands."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from ragkit.cli_support import console, err, one_line_errors
from ragkit.errors import InvalidInputError
from ragkit.eval.retrieval import RETRIEVERS

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate retrieval and question answering.")


@eval_app.command("retrieval")
@one_line_errors
def retrieval(
    beir: Path = typer.Option(..., "--beir", help="BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/)."),
    split: str = typer.Option("test", "--split", help="Judgments to score: qrels/SPLIT.tsv."),
    retriever: list[str] = typer.Option(list(RETRIEVERS), "--retriever", "-r", help="dense, bm25 or hybrid."),
    out: Path = typer.Option(Path("eval-results/retrieval"), "--out", help="Directory for results.json/.png."),
    chunk_tokens: int = typer.Option(200, "--chunk-tokens", help="Chunk size in embedding-model tokens."),
) -> None:
    """nDCG@10, Recall@10/100 and MRR@10 of ragkit's retrievers on a BEIR dataset: a table, JSON and a chart."""
    from rich.progress import Progress
    from rich.table import Table

    from ragkit.config import cache_dir
    from ragkit.embeddings import EmbeddingCache, SentenceTransformerEmbeddings
    from ragkit.eval.beir import load_beir
    from ragkit.eval.retrieval import default_retrievers, evaluate_retrievers, index_corpus, write_report

    unknown = sorted(set(retriever) - set(RETRIEVERS))
    if unknown:
        raise InvalidInputError(f"unknown retriever {', '.join(unknown)}: choose from {', '.join(RETRIEVERS)}")
    dataset = load_beir(beir, split)
    embedder = SentenceTransformerEmbeddings()
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    with Progress(console=err, transient=True) as bars:
        task = bars.add_task("embed corpus", total=None)
        store = index_corpus(dataset, embedder, cache, chunk_tokens=chunk_tokens,
                             progress=lambda n: bars.advance(task, n))
        chosen = {name: r for name, r in default_retrievers(store).items() if name in retriever}
        task = bars.add_task("queries", total=len(dataset.queries) * len(chosen))
        results = evaluate_retrievers(dataset, chosen, progress=lambda n: bars.advance(task, n))
    cache.close()
    title = f"{beir.name} {split}: {len(dataset.queries)} queries, {len(dataset.corpus)} documents"
    table = Table(title=title)
    table.add_column("retriever")
    for metric in next(iter(results.values())):
        table.add_column(metric, justify="right")
    for name, scores in results.items():
        table.add_row(name, *(f"{value:.4f}" for value in scores.values()))
    console.print(table)
    json_path, png_path = write_report(results, out, title)
    console.print(f"wrote {json_path} and {png_path}")


@eval_app.command("qa")
@one_line_errors
def qa(
    squad: Path = typer.Option(None, "--squad", help="SQuAD v1.1 JSON: index its paragraphs, sample questions."),
    jsonl: Path = typer.Option(None, "--jsonl", help="JSONL questions {question, answers, source?} for --index."),
    index: str = typer.Option(None, "--index", "-i", help="Saved index to answer from (with --jsonl)."),
    model: list[str] = typer.Option(["gemma3-270m", "gemma3-270m-squad", "qwen2.5-1.5b"], "--model", "-m",
                                    help="Presets or .gguf paths to compare."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp or transformers."),
    held_out: int = typer.Option(4, "--held-out", help="With --squad: ask about the last N articles only."),
    questions: int = typer.Option(40, "--questions", "-n", help="Questions to ask."),
    k: int = typer.Option(2, "--k", help="Passages retrieved per question."),
    prompt_id: str = typer.Option("rag-answer", "--prompt", help="Prompt for models without a prompt of their own."),
    max_tokens: int = typer.Option(64, "--max-tokens", help="Most tokens per answer."),
    seed: int = typer.Option(0, "--seed", help="Question sampling seed."),
    out: Path = typer.Option(Path("eval-results/qa"), "--out", help="Directory for results.json."),
) -> None:
    """Exact match, token F1, citation accuracy and seconds per answer of each model, same retrieval for all."""
    from rich.progress import Progress
    from rich.table import Table

    from ragkit.chains.rag import RagChain
    from ragkit.config import cache_dir
    from ragkit.embeddings import EmbeddingCache, SentenceTransformerEmbeddings
    from ragkit.eval.qa import evaluate_chain, index_paragraphs, jsonl_items, squad_items, write_results
    from ragkit.eval.squad import load_squad, split_articles
    from ragkit.models import BACKENDS, chat_model, preset_prompt
    from ragkit.prompts import load as load_prompt
    from ragkit.retrieval import DenseRetriever

    if (squad is None) == (jsonl is None) or (jsonl is not None and index is None):
        raise InvalidInputError("give --squad FILE, or --jsonl FILE with --index NAME")
    if backend not in BACKENDS:
        raise InvalidInputError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    if squad is not None:
        embedder = SentenceTransformerEmbeddings()
        _, articles = split_articles(load_squad(squad), held_out)
        cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
        store = index_paragraphs(articles, embedder, cache)
        cache.close()
        items = squad_items(articles, questions, seed)
    else:
        from ragkit.kb import KnowledgeBase

        kb = KnowledgeBase(index)
        store, embedder = kb.store, kb.embedder
        items = jsonl_items(jsonl)[:questions]
    retriever = DenseRetriever(store=store, k=k)
    results = []
    with Progress(console=err, transient=True) as bars:
        for name in model:
            prompt = load_prompt(preset_prompt(name) or prompt_id)
            chain = RagChain(retriever=retriever, llm=chat_model(backend, name), prompt=prompt, embedder=embedder,
                             model_params={"max_tokens": max_tokens})
            task = bars.add_task(f"{name}", total=len(items))
            results.append(evaluate_chain(name, chain, items, functools.partial(bars.advance, task)))
    table = Table(title=f"{len(items)} questions, top-{k} MiniLM retrieval, {backend}")
    for column in ("model", "EM", "F1", "EM guarded", "F1 guarded", "citation acc.", "s/answer", "extractive"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in results:
        cited = "-" if r.citation_accuracy is None else f"{r.citation_accuracy:.2f}"
        table.add_row(r.model, f"{r.exact_match:.2f}", f"{r.f1:.2f}", f"{r.guarded_exact_match:.2f}",
                      f"{r.guarded_f1:.2f}", cited, f"{r.seconds_per_answer:.1f}", f"{r.extractive_share:.2f}")
    console.print(table)
    settings = {"squad": str(squad) if squad else None, "jsonl": str(jsonl) if jsonl else None, "index": index,
                "held_out": held_out, "questions": len(items), "k": k, "backend": backend, "prompt": prompt_id,
                "max_tokens": max_tokens, "seed": seed}
    console.print(f"wrote {write_results(results, out, settings)}")
