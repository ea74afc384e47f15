"""Seconds per answer, one run, same GGUF (the Qwen preset), same k, greedy: ragkit's default pipeline vs LangChain.

The knowledge base is SQuAD v1.1 dev part A: the first --articles articles written as text files into a temp dir,
and --questions questions about them. Systems:
  ragkit           KnowledgeBase defaults (hybrid retrieval of 100-token chunks, rag-answer prompt, ChatLlamaCpp)
  ragkit+lookup    the same with prompt-lookup decoding (10 draft tokens): its decode speed-up and identical text,
                   on the first --lookup-questions
  peer-tuned       langchain_community ChatLlamaCpp (n_batch 512, the same --threads for decode and prefill) +
                   LangChain FAISS (same embedder, 1,000-character chunks) + the LCEL stuff-documents QA chain of
                   LangChain's RAG tutorial
  peer-as-shipped  the same with ChatLlamaCpp's defaults (n_batch 8; llama-cpp-python's threads: half the CPUs for
                   decode, all for prefill), on the first --naive-questions
Printed per system: mean and p95 s per answer, time to first token, mean prompt tokens evaluated, prefill and
decode tokens/s, gold answer contained (SQuAD-normalized), and the ratios. Prefill: ragkit's Answer.timings
(evaluated tokens over the wall time to the first token); the peer: llama.cpp's counters (compute time only, which
flatters the peer a little). Decode: tokens after the first over the wall time after it, for both.
ragkit and peer-tuned run on the same --threads (default: the cores free when the run starts, sampled over 100 ms,
ragkit.models.cpu.free_cores), printed with the CPU use of other processes before and during the run.
Targets: ragkit >= 2x faster per answer than peer-tuned at equal or better quality; prompt lookup >= 1.3x decode.

    .venv/bin/python benchmarks/answer_latency.py [--questions 40] [--naive-questions 40] [--lookup-questions 40]
        [--articles 3] [--k 4] [--model qwen2.5-1.5b] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.qa import QAItem, normalize_answer, squad_items, strip_citations  # noqa: E402
from ragkit.eval.squad import Article, load_squad  # noqa: E402
from ragkit.kb import KnowledgeBase  # noqa: E402
from ragkit.models import ChatLlamaCpp, resolve_model  # noqa: E402
from ragkit.models.cpu import free_cores, sample_cpu  # noqa: E402
from ragkit.settings import RetrievalSettings  # noqa: E402

RAG_PROMPT = ("You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
              "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
              "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:")
"""LangChain's RAG tutorial prompt (hub rlm/rag-prompt)."""


@dataclass
class Run:
    """One system's answers and their timings."""

    seconds: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    prefill: list[tuple[float, float]] = field(default_factory=list)
    decode: list[tuple[float, float]] = field(default_factory=list)
    contained: list[bool] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def add(self, item: QAItem, text: str, seconds: float, first: float, prefill: tuple[float, float],
            decode: tuple[float, float]) -> None:
        self.seconds.append(seconds)
        self.first_token.append(first)
        self.prefill.append(prefill)
        self.decode.append(decode)
        answer = normalize_answer(strip_citations(text))
        self.contained.append(any(normalize_answer(g) in answer for g in item.answers))
        self.texts.append(text)

    def row(self) -> dict[str, float]:
        ordered = sorted(self.seconds)
        return {"n": len(ordered), "mean_s": statistics.fmean(ordered),
                "p95_s": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                "ttft_s": statistics.fmean(self.first_token), "prefill_tok_s": rate(self.prefill),
                "prefill_tokens": statistics.fmean(n for n, _ in self.prefill),
                "decode_tok_s": rate(self.decode), "contained": statistics.fmean(self.contained)}


def rate(pairs: list[tuple[float, float]]) -> float:
    """Tokens per second over (tokens, seconds) pairs."""
    seconds = sum(s for _, s in pairs)
    return sum(n for n, _ in pairs) / seconds if seconds else 0.0


def write_articles(articles: list[Article], folder: Path) -> Path:
    """One text file per article, its paragraphs separated by blank lines."""
    folder.mkdir(parents=True)
    for number, article in enumerate(articles):
        name = "".join(ch if ch.isalnum() else "_" for ch in article.title)
        (folder / f"{number:02d}_{name}.txt").write_text("\n\n".join(p.context for p in article.paragraphs),
                                                       encoding="utf-8")
    return folder


def ragkit_system(kb: KnowledgeBase) -> Callable[[QAItem, Run], None]:
    """Ask through the knowledge base's default chain; the split comes from Answer.timings."""
    def ask(item: QAItem, run: Run) -> None:
        started = time.perf_counter()
        answer = kb.ask(item.question)
        t = answer.timings
        run.add(item, answer.text, time.perf_counter() - started, t.get("retrieve_s", 0) + t.get("first_token_s", 0),
                (t.get("prefill_tokens", 0), t.get("prefill_s", 0)), (t.get("decode_tokens", 0), t.get("decode_s", 0)))

    return ask


def peer_system(folder: Path, embedder: Any, k: int, model: str, **llama: Any) -> Callable[[QAItem, Run], None]:
    """What a LangChain user builds: load, split (1,000 chars), FAISS, retriever | prompt | ChatLlamaCpp."""
    import llama_cpp
    from langchain_community.chat_models import ChatLlamaCpp as PeerChatLlamaCpp
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(p.read_text(encoding="utf-8"), metadata={"source": p.name}) for p in sorted(folder.iterdir())]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    retriever = FAISS.from_documents(chunks, embedder).as_retriever(search_kwargs={"k": k})
    llm = PeerChatLlamaCpp(model_path=str(resolve_model(model).path), n_ctx=4096, temperature=0.0, max_tokens=256,
                           verbose=False, **llama)
    chain = ({"context": retriever | (lambda found: "\n\n".join(d.page_content for d in found)),
              "question": RunnablePassthrough()}
             | ChatPromptTemplate.from_messages([("human", RAG_PROMPT)]) | llm | StrOutputParser())

    def ask(item: QAItem, run: Run) -> None:
        llama_cpp.llama_perf_context_reset(llm.client.ctx)
        started, first, parts = time.perf_counter(), None, []
        for piece in chain.stream(item.question):
            if piece and first is None:
                first = time.perf_counter()
                perf = llama_cpp.llama_perf_context(llm.client.ctx)
                prefill = (perf.n_p_eval, perf.t_p_eval_ms / 1e3)
            parts.append(piece)
        end = time.perf_counter()
        first = first or end
        decode_tokens = llama_cpp.llama_perf_context(llm.client.ctx).n_eval
        run.add(item, "".join(parts), end - started, first - started, prefill, (decode_tokens, end - first))

    return ask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--naive-questions", type=int, default=None,
                        help="questions for peer-as-shipped (n_batch 8 crawls); default --questions, 0 skips it")
    parser.add_argument("--lookup-questions", type=int, default=None,
                        help="questions for ragkit+lookup; default --questions, 0 skips it")
    parser.add_argument("--articles", type=int, default=3, help="SQuAD part A articles in the knowledge base")
    parser.add_argument("--model", default="qwen2.5-1.5b", help="preset both systems run (its GGUF)")
    parser.add_argument("--k", type=int, default=4, help="passages per answer, both systems")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads of ragkit and peer-tuned, decode and prefill (default: the free cores now)")
    args = parser.parse_args()
    squad = shared_data_or_say("squad")
    if squad is None:
        return
    try:
        import langchain_community  # noqa: F401
    except ImportError:
        print("skipped: langchain-community is not installed (the peer)")
        return
    articles = load_squad(squad / "dev-v1.1-part-a.json")[: args.articles]
    items = squad_items(articles, args.questions, seed=0)
    limits = {"ragkit": len(items), "peer-tuned": len(items),
              "ragkit+lookup": args.questions if args.lookup_questions is None else args.lookup_questions,
              "peer-as-shipped": args.questions if args.naive_questions is None else args.naive_questions}
    cores, busy = sample_cpu()
    threads = args.threads or free_cores(lambda: (cores, busy))
    print(f"threads {threads} (ragkit and peer-tuned, decode and prefill); other processes busy on {busy:.2f} of "
          f"{cores} cores; {len(items)} questions over {len(articles)} articles, k={args.k}, model {args.model}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_articles(articles, Path(tmp) / "kb")
        retrieval = RetrievalSettings(k=args.k)
        default = ChatLlamaCpp(model=args.model, n_threads=threads).load()
        kb = KnowledgeBase(path=Path(tmp) / "idx", llm=default, retrieval=retrieval)
        kb.index([folder])
        systems: dict[str, Callable[[QAItem, Run], None]] = {"ragkit": ragkit_system(kb)}
        if limits["ragkit+lookup"]:
            lookup = ChatLlamaCpp(model=args.model, n_threads=threads, prompt_lookup=10).load()
            systems["ragkit+lookup"] = ragkit_system(KnowledgeBase(path=Path(tmp) / "idx", llm=lookup,
                                                                   retrieval=retrieval))
        systems["peer-tuned"] = peer_system(folder, kb.embedder, args.k, args.model, n_batch=512, n_threads=threads,
                                            model_kwargs={"n_threads_batch": threads})
        if limits["peer-as-shipped"]:
            systems["peer-as-shipped"] = peer_system(folder, kb.embedder, args.k, args.model)
        runs = {name: Run() for name in systems}
        for number, item in enumerate(items):
            for name, ask in systems.items():  # interleaved, so load changes hit every system alike
                if number < limits[name]:
                    ask(item, runs[name])
                    run = runs[name]
                    print(f"  {name}: {run.seconds[-1]:.1f} s, first token {run.first_token[-1]:.1f} s, prefill "
                          f"{run.prefill[-1][0]:.0f} tok, decode {rate(run.decode[-1:]):.2f} tok/s, "
                          f"contained {run.contained[-1]}", flush=True)
            print(f"{number + 1}/{len(items)}; other processes busy on {sample_cpu()[1]:.2f} cores", flush=True)
    report(runs, threads)


def report(runs: dict[str, Run], threads: int) -> None:
    rows = {name: run.row() for name, run in runs.items()}
    print(f"\nthreads {threads} (ragkit, ragkit+lookup, peer-tuned; peer-as-shipped: llama-cpp-python's default); "
          f"other processes busy on {sample_cpu()[1]:.2f} cores now")
    print(f"{'system':18} {'n':>3} {'mean s':>8} {'p95 s':>8} {'TTFT s':>8} {'prefill tok':>12} {'prefill t/s':>12} "
          f"{'decode t/s':>11} {'contained':>10}")
    for name, r in rows.items():
        print(f"{name:18} {r['n']:>3} {r['mean_s']:>8.2f} {r['p95_s']:>8.2f} {r['ttft_s']:>8.2f} "
              f"{r['prefill_tokens']:>12.0f} {r['prefill_tok_s']:>12.1f} {r['decode_tok_s']:>11.2f} "
              f"{r['contained']:>10.1%}")
    for peer in ("peer-tuned", "peer-as-shipped"):
        if peer in rows:
            print(f"{peer}/ragkit seconds per answer: {ratio(runs[peer], runs['ragkit'], 'seconds'):.2f}x "
                  f"(same questions; target >= 2x for peer-tuned)")
    if "ragkit+lookup" in rows:
        lookup, plain = runs["ragkit+lookup"], runs["ragkit"]
        same_text = statistics.fmean(a == b for a, b in zip(lookup.texts, plain.texts))
        speedup = rate(lookup.decode) / rate(plain.decode[: len(lookup.decode)])
        print(f"prompt lookup decode speed-up {speedup:.2f}x (target >= 1.3x), identical text {same_text:.0%}, "
              f"seconds per answer {ratio(plain, lookup, 'seconds'):.2f}x")


def ratio(slow: Run, fast: Run, attribute: str) -> float:
    """Mean of `slow` over mean of `fast` on the questions both answered (the first n)."""
    a, b = getattr(slow, attribute), getattr(fast, attribute)
    n = min(len(a), len(b))
    return statistics.fmean(a[:n]) / statistics.fmean(b[:n])

if __name__ == "__main__":
    main()
