"""`ragkit eval ...`: retrieval and question-answering evaluation commands."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import typer

from ragkit.cli_support import console, err, one_line_errors
from ragkit.errors import InvalidInputError
from ragkit.eval.retrieval import RETRIEVERS
from ragkit.settings import BEIR_CHUNKING, RERANK_N, RERANK_WEIGHT

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate retrieval and question answering.")


@eval_app.command("retrieval")
@one_line_errors
def retrieval(
    beir: Path = typer.Option(..., "--beir", help="BEIR dataset directory (corpus.jsonl, queries.jsonl, qrels/)."),
    split: str = typer.Option("test", "--split", help="Judgments to score: qrels/SPLIT.tsv."),
    retriever: list[str] = typer.Option(list(RETRIEVERS), "--retriever", "-r", help="dense, bm25 or hybrid."),
    out: Path = typer.Option(Path("eval-results/retrieval"), "--out", help="Directory for results.json/.png."),
    chunk_tokens: int = typer.Option(BEIR_CHUNKING[0], "--chunk-tokens", help="Chunk size in embedding-model tokens (ragkit.settings.BEIR_CHUNKING; `ragkit index` builds 100 for English)."),
    embedder: str = typer.Option(None, "--embedder", help="Also rank with this embedder (e.g. one from `ragkit "
                                 "finetune embedder`): rows 'dense+embedder' and 'hybrid+embedder'."),
    reranker: str = typer.Option(None, "--reranker", help="Also rerank the hybrid rows with this cross-encoder "
                                 "(`ragkit finetune reranker`): rows '...+reranker'."),
    rerank_n: int = typer.Option(RERANK_N, "--rerank-n", help="Fused documents the reranker reorders."),
    rerank_weight: float = typer.Option(RERANK_WEIGHT, "--rerank-weight", help="The reranker's share of the order."),
) -> None:
    """nDCG@10, Recall@10/100 and MRR@10 of ragkit's retrievers on a BEIR dataset (and of a fine-tuned embedder and
    reranker with them): a table, JSON and a chart."""
    from rich.progress import Progress
    from rich.table import Table

    from ragkit.embeddings import EmbeddingCache, SentenceTransformerEmbeddings, from_spec
    from ragkit.eval.beir import load_beir
    from ragkit.eval.retrieval import (
        default_retrievers,
        evaluate_retrievers,
        index_corpus,
        reranked_retrievers,
        write_report,
    )
    from ragkit.paths import cache_dir

    unknown = sorted(set(retriever) - set(RETRIEVERS))
    if unknown:
        raise InvalidInputError(f"unknown retriever {', '.join(unknown)}: choose from {', '.join(RETRIEVERS)}")
    dataset = load_beir(beir, split)
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    with Progress(console=err, transient=True) as bars:
        task = bars.add_task("embed corpus", total=None)
        store = index_corpus(dataset, SentenceTransformerEmbeddings(), cache, chunk_tokens=chunk_tokens,
                             progress=lambda n: bars.advance(task, n))
        chosen = {name: r for name, r in default_retrievers(store).items() if name in retriever}
        if embedder:
            task = bars.add_task("embed corpus (--embedder)", total=None)
            tuned = index_corpus(dataset, from_spec(embedder), cache, chunk_tokens=chunk_tokens,
                                 progress=lambda n: bars.advance(task, n))
            chosen.update({f"{name}+embedder": r for name, r in default_retrievers(tuned).items() if name != "bm25"})
        if reranker:
            chosen.update(reranked_retrievers(chosen, reranker, rerank_n, rerank_weight))
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
    squad: Path = typer.Option(None, "--squad", help="SQuAD v1.1 JSON: index its paragraphs (or, with "
                               "--kb-articles, some articles as files) and ask its questions."),
    jsonl: Path = typer.Option(None, "--jsonl", help="JSONL questions {question, answers, source?} for --index "
                               "(\"answers\": [] marks a question the knowledge base cannot answer)."),
    index: str = typer.Option(None, "--index", "-i", help="Saved index to answer from (with --jsonl)."),
    kb_articles: int = typer.Option(0, "--kb-articles", help="With --squad: write this many articles as files, "
                                    "index them with the default pipeline and ask about them and about others."),
    per_article: int = typer.Option(2, "--per-article", help="With --kb-articles: questions per indexed article."),
    unanswerable: int = typer.Option(12, "--unanswerable", help="With --kb-articles: questions of other articles."),
    paragraphs: int = typer.Option(8, "--paragraphs", help="With --kb-articles: paragraphs per article file."),
    model: list[str] = typer.Option(None, "--model", "-m", help="Presets or .gguf paths to compare "
                                    "(default: the knowledge base's default model)."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp or transformers."),
    held_out: int = typer.Option(4, "--held-out", help="With --squad alone: ask about the last N articles only."),
    questions: int = typer.Option(40, "--questions", "-n", help="Most questions to ask (not with --kb-articles)."),
    k: int = typer.Option(None, "--k", help="Passages retrieved per question (default: the pipeline's)."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="Most tokens per answer (default: the prompt's)."),
    seed: int = typer.Option(0, "--seed", help="Question and article sampling seed."),
    out: Path = typer.Option(Path("eval-results/qa"), "--out", help="Directory for breakdown.json/.png."),
) -> None:
    """Why each answer is right or wrong (retrieval miss, refused, guardrail broke or rescued it, wrong citation,
    model wrong, right), gold answer contained, EM/F1, ROUGE-L, BLEU, citation accuracy and refusal rates, per model."""
    from rich.progress import Progress

    from ragkit.eval.breakdown import evaluate_breakdown, table_lines, write_breakdown

    if (squad is None) == (jsonl is None) or (jsonl is not None and index is None):
        raise InvalidInputError("give --squad FILE, or --jsonl FILE with --index NAME")
    models: list[str | None] = list(model) if model else [None]
    results = []
    with Progress(console=err, transient=True) as bars, tempfile.TemporaryDirectory(prefix="ragkit-eval-") as tmp:
        for name in models:
            ask, items, label = _asker(squad, jsonl, index, kb_articles, per_article, unanswerable, paragraphs,
                                       backend, name, held_out, questions, k, max_tokens, seed, Path(tmp))
            task = bars.add_task(label, total=len(items))
            results.append(evaluate_breakdown(label, ask, items, functools.partial(bars.advance, task)))
    for line in table_lines(results):
        console.print(line, highlight=False, markup=False)
    settings = {"squad": str(squad) if squad else None, "jsonl": str(jsonl) if jsonl else None, "index": index,
                "kb_articles": kb_articles, "per_article": per_article, "unanswerable": unanswerable,
                "paragraphs": paragraphs, "held_out": held_out, "questions": questions, "k": k, "backend": backend,
                "max_tokens": max_tokens, "seed": seed}
    json_path, png_path = write_breakdown(results, out, settings)
    console.print(f"wrote {json_path} and {png_path}")


def _asker(squad: Path | None, jsonl: Path | None, index: str | None, kb_articles: int, per_article: int,
           unanswerable: int, paragraphs: int, backend: str, name: str | None, held_out: int, questions: int,
           k: int | None, max_tokens: int | None, seed: int, tmp: Path) -> tuple[Any, list[Any], str]:
    """(ask, questions, label) of one model: a knowledge base's default pipeline (a saved index, or SQuAD articles
    written as files and indexed), or dense retrieval over SQuAD paragraphs."""
    from ragkit.kb import KnowledgeBase, shared_chat_model
    from ragkit.models import identity_of
    from ragkit.settings import RetrievalSettings

    llm = shared_chat_model(backend, name)
    label = name or identity_of(llm).name
    params: dict[str, Any] = {} if max_tokens is None else {"max_tokens": max_tokens}
    retrieval = RetrievalSettings() if k is None else RetrievalSettings(k=k)
    if jsonl is not None:
        from ragkit.eval.qa import jsonl_items

        kb = KnowledgeBase(index, llm=llm, retrieval=retrieval)
        return functools.partial(kb.ask, **params), jsonl_items(jsonl)[:questions], label
    assert squad is not None
    from ragkit.eval.squad import load_squad

    articles = load_squad(squad)
    if kb_articles:
        from ragkit.eval.kbset import squad_kb_set

        kb_set = squad_kb_set(articles, kb_articles, per_article, unanswerable, paragraphs, seed)
        kb = KnowledgeBase(path=tmp / "index", llm=llm, retrieval=retrieval)
        if not kb.exists:
            kb.index(kb_set.write(tmp / "docs"))
        return functools.partial(kb.ask, **params), kb_set.items, label
    return _paragraph_asker(articles, held_out, questions, k or 2, seed, llm, params, label)


def _paragraph_asker(articles: list[Any], held_out: int, questions: int, k: int, seed: int, llm: Any,
                     params: dict[str, Any], label: str) -> tuple[Any, list[Any], str]:
    """Dense top-k retrieval over the paragraphs of the last `held_out` articles, one document per paragraph."""
    from ragkit.chains.rag import RagChain
    from ragkit.embeddings import EmbeddingCache, SentenceTransformerEmbeddings
    from ragkit.eval.qa import index_paragraphs, squad_items
    from ragkit.eval.squad import split_articles
    from ragkit.models import trained_prompt
    from ragkit.paths import cache_dir
    from ragkit.prompts import load as load_prompt
    from ragkit.retrieval import DenseRetriever

    embedder = SentenceTransformerEmbeddings()
    _, asked = split_articles(articles, held_out)
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    store = index_paragraphs(asked, embedder, cache)
    cache.close()
    chain = RagChain(retriever=DenseRetriever(store=store, k=k), llm=llm,
                     prompt=load_prompt(trained_prompt(llm) or "rag-answer"), embedder=embedder, model_params=params)
    return chain.invoke, squad_items(asked, questions, seed), label


@eval_app.command("reasoning")
@one_line_errors
def reasoning(
    jsonl: Path = typer.Option(None, "--jsonl", help="JSONL word problems {question, answer} (GSM8K's "
                               "'#### N' answers understood; English or Chinese)."),
    game24: Path = typer.Option(None, "--game24", help="Game-of-24 puzzles, four numbers a line (or Yao et al.'s "
                                "24.csv)."),
    task_name: str = typer.Option("word-problems", "--task", help="Task of the --jsonl rows: word-problems, or "
                                  "facts ({question, answer, facts} rows; every technique sees the facts)."),
    technique: list[str] = typer.Option(["few-shot-cot"], "--technique", "-t", help="Technique to run (repeat "
                                        "for several): direct, zero-shot-cot, few-shot-cot, self-consistency, "
                                        "least-to-most, program, program-vote, selection-inference, ..."),
    model: str = typer.Option(None, "--model", "-m", help="Model preset or .gguf path (default: qwen2.5-1.5b)."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp or transformers."),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="Evaluate a seeded sample of this many problems."),
    span: str = typer.Option(None, "--range", help="START:STOP, the file's problems START to STOP-1 in order "
                             "(0-based; before --limit), e.g. 900:1000 of Yao et al.'s 24.csv."),
    seed: int = typer.Option(0, "--seed", help="Seed of the problem sample and of the sampled techniques."),
    samples: int = typer.Option(None, "--samples", min=1, help="Samples of the voting techniques (default: theirs)."),
    temperature: float = typer.Option(None, "--temperature", min=0.0, help="Sampling temperature of the voting "
                                      "techniques' samples after the greedy first (default: theirs)."),
    pool: str = typer.Option("auto", "--pool", help="Few-shot pool for the CoT prompt: a GSM8K-format JSONL, "
                             "'auto' (GSM8K train under the shared data, without the dev split, when present) or "
                             "'none' (the prompt file's own examples)."),
    json_out: Path = typer.Option(None, "--json", help="Write {results, problems} here."),
    png: Path = typer.Option(None, "--png", help="Chart of accuracy against seconds (default: beside --json)."),
    log: Path = typer.Option(None, "--log", help="JSONL of finished attempts: reused on a rerun, appended to."),
) -> None:
    """Accuracy, calls, tokens and seconds per problem of reasoning techniques: a table, JSON and a chart."""
    from rich.progress import Progress

    from ragkit.eval.reasoning import TASKS, Setup, evaluate, summarize, write_json
    from ragkit.eval.reasoning import technique as find_technique
    from ragkit.eval.reasoning.report import plot, table
    from ragkit.eval.reasoning.runner import choose
    from ragkit.kb import shared_chat_model
    from ragkit.models import identity_of

    if (jsonl is None) == (game24 is None):
        raise InvalidInputError("give --jsonl FILE or --game24 FILE")
    if game24 is not None and "game24" not in TASKS:
        raise InvalidInputError("the game24 task is not available in this build")
    if jsonl is not None and (task_name not in TASKS or task_name == "game24"):
        raise InvalidInputError(f"--task {task_name}: choose from {', '.join(n for n in TASKS if n != 'game24')}")
    task = TASKS[task_name if jsonl is not None else "game24"]
    source = jsonl or game24
    techniques = [find_technique(name) for name in dict.fromkeys(technique)]
    problems = choose(_span(task.load(source), span), limit, seed)
    setup = Setup(seed=seed, samples=samples, temperature=temperature,
                  pool=_pool(pool, {p.question for p in problems}) if task.name == "word-problems" else None,
                  prompt_ids=dict(getattr(task, "prompt_ids", {})))
    llm = shared_chat_model(backend, model)
    label = model or identity_of(llm).name
    with Progress(console=err, transient=True) as bars:
        bar = bars.add_task(f"{label}: {len(techniques)} techniques x {len(problems)} problems",
                            total=len(techniques) * len(problems))
        rows = evaluate(task, problems, techniques, llm, setup, log, lambda row: bars.advance(bar))
    results = summarize(rows)
    title = f"{source.name}: {len(problems)} problems, {label}"
    console.print(table(results, title))
    if json_out is not None:
        write_json(rows, json_out)
        console.print(f"wrote {json_out}")
    chart = png or (json_out.with_suffix(".png") if json_out is not None else None)
    if chart is not None:
        console.print(f"wrote {plot(results, chart, title)}")


def _span(problems: list[Any], span: str | None) -> list[Any]:
    """The problems --range START:STOP names (0-based positions in the file), all of them without it."""
    if span is None:
        return problems
    start, _, stop = span.partition(":")
    if not (start.isdigit() and stop.isdigit() and int(start) < int(stop)):
        raise InvalidInputError(f"--range {span}: expected START:STOP, two whole numbers, START < STOP")
    chosen = problems[int(start):int(stop)]
    if not chosen:
        raise InvalidInputError(f"--range {span}: the file has {len(problems)} problems")
    return chosen


def _pool(choice: str, exclude: set[str]) -> list[dict[str, Any]] | None:
    """The few-shot pool --pool names, without the problems being evaluated."""
    from ragkit.eval.reasoning import gsm8k

    if choice == "none":
        return None
    path = gsm8k.train_file() if choice == "auto" else Path(choice)
    if path is None:
        return None
    if not path.is_file():
        raise InvalidInputError(f"--pool {choice}: no such file")
    return gsm8k.pool(path, exclude, size=gsm8k.POOL_SIZE)


@eval_app.command("perplexity")
@one_line_errors
def perplexity(
    file: Path = typer.Argument(..., help="UTF-8 text file to score."),
    model: str = typer.Option(None, "--model", "-m", help="Preset, .gguf path (or, with --backend transformers, "
                              "a Hugging Face directory); default: the default preset."),
    backend: str = typer.Option("llamacpp", "--backend", help="llamacpp or transformers."),
    window: int = typer.Option(512, "--window", help="Tokens per window, the start token included."),
    stride: int = typer.Option(None, "--stride", help="Tokens between window starts (default: half a window)."),
    json_out: Path = typer.Option(None, "--json", help="Also write the figures to this JSON file."),
) -> None:
    """Perplexity of a text under a model: per-token log-probabilities in sliding windows, their mean negative
    log-likelihood (nats) and its exp."""
    import json
    from dataclasses import asdict

    from rich.progress import Progress

    from ragkit.eval.perplexity import perplexity as score
    from ragkit.eval.perplexity import read_text
    from ragkit.models.logprobs import token_scorer

    text = read_text(file)
    scorer = token_scorer(backend, model, window)
    with Progress(console=err, transient=True) as bars:
        task = bars.add_task(f"scoring {file.name}", total=None)
        result = score(scorer, text, stride, lambda done, total: bars.update(task, completed=done, total=total))
    console.print(f"{scorer.name}: {result.tokens} tokens in {result.windows} windows of {result.window} "
                  f"(stride {result.stride}), mean NLL {result.nll:.4f} nats, perplexity {result.perplexity:.3f} "
                  f"({result.seconds:.1f} s)", highlight=False, markup=False)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps({"file": str(file), "backend": backend, **asdict(result)}, indent=2) + "\n",
                            encoding="utf-8")
        console.print(f"wrote {json_out}")
