"""Generation speed, one run, same model (Gemma 3 270M GGUF) and prompts: llama.cpp vs transformers on CPU.

Prints tokens/s of each backend and time to first token (TTFT) of llama.cpp with a warm shared prefix (a few-shot
preamble already in the KV cache) vs cold (same length, nothing reusable), with the ratios.
Targets: llama.cpp >= 3x transformers' tokens/s; warm-prefix TTFT >= 3x faster than cold.

Both backends run on the same --threads (default: the cores free when the run starts, sampled over 100 ms,
ragkit.models.cpu.free_cores), printed with the CPU use of other processes.

    .venv/bin/python benchmarks/generation.py [--threads N] [--tokens 64] [--prompts 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.language_models import BaseChatModel  # noqa: E402

from ragkit.models import ChatLlamaCpp, ChatTransformers  # noqa: E402
from ragkit.models.cpu import free_cores, sample_cpu  # noqa: E402
from ragkit.models.presets import resolve_model  # noqa: E402

PREAMBLE = "\n\n".join(
    f"Passage: {text}\nQuestion: {question}\nAnswer: {answer}"
    for text, question, answer in [
        ("The Amazon is the largest rainforest on Earth, covering much of northwestern Brazil and reaching into "
         "Colombia, Peru and other South American countries. It is famed for its biodiversity.",
         "Which country holds most of the Amazon?", "Brazil"),
        ("Mount Kilimanjaro is a dormant volcano in Tanzania. It has three volcanic cones: Kibo, Mawenzi and "
         "Shira. It is the highest mountain in Africa, about 5,895 metres above sea level.",
         "How high is Kilimanjaro?", "about 5,895 metres"),
        ("The Great Wall of China is a series of fortifications built across the historical northern borders of "
         "ancient Chinese states to protect against nomadic groups from the Eurasian Steppe.",
         "What did the Great Wall protect against?", "nomadic groups from the Eurasian Steppe"),
        ("Marie Curie was a physicist and chemist who conducted pioneering research on radioactivity. She was the "
         "first woman to win a Nobel Prize and the only person to win Nobel Prizes in two sciences.",
         "What did Marie Curie research?", "radioactivity"),
        ("The Danube is Europe's second-longest river. It flows through much of Central and Southeastern Europe, "
         "from the Black Forest into the Black Sea, through ten countries including Austria and Hungary.",
         "Where does the Danube end?", "the Black Sea"),
    ]
)
QUESTIONS = [
    ("The Sahara is the largest hot desert in the world, covering most of North Africa.",
     "What is the Sahara?"),
    ("Venice is a city in northeastern Italy built on more than 100 small islands in a lagoon.",
     "Where is Venice?"),
    ("Penguins are flightless seabirds that live almost exclusively in the Southern Hemisphere.",
     "Can penguins fly?"),
    ("The Nile flows north through eleven countries before emptying into the Mediterranean Sea.",
     "Where does the Nile end?"),
]


def prompt(index: int, preamble: str = PREAMBLE) -> str:
    text, question = QUESTIONS[index % len(QUESTIONS)]
    return f"{preamble}\n\nPassage: {text}\nQuestion: {question}\nAnswer:"


def timed_stream(model: BaseChatModel, text: str) -> tuple[float, float, str]:
    """(time to first token, total seconds, generated text)."""
    started = time.perf_counter()
    first, parts = None, []
    for chunk in model.stream(text):
        if chunk.content and first is None:
            first = time.perf_counter() - started
        parts.append(str(chunk.content))
    total = time.perf_counter() - started
    return first or total, total, "".join(parts)


def throughput(model: BaseChatModel, count_tokens: Callable[[str], int], prompts: list[str]) -> tuple[float, float]:
    """(generated tokens per second end to end, decode-only tokens per second) over the prompts."""
    tokens = seconds = decode_seconds = 0.0
    for text in prompts:
        first, total, output = timed_stream(model, text)
        n = count_tokens(output)
        tokens += n
        seconds += total
        decode_seconds += total - first
    return tokens / seconds, max(tokens - len(prompts), 1) / decode_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads of both backends (default: the free cores now)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens generated per prompt")
    parser.add_argument("--prompts", type=int, default=4, help="prompts per measurement")
    args = parser.parse_args()
    cores, busy = sample_cpu()
    threads = args.threads or free_cores(lambda: (cores, busy))

    import torch

    torch.set_num_threads(threads)
    # The GGUF path (not the preset) so neither backend adds the preset's stop sequences: both run to --tokens.
    gguf = str(resolve_model("gemma3-270m").path)
    llama = ChatLlamaCpp(model=gguf, max_tokens=args.tokens, n_threads=threads, n_gpu_layers=0).load()
    # llama.cpp is measured before transformers is loaded: torch's idle OpenMP threads would otherwise compete.
    from transformers import AutoTokenizer

    from ragkit.models.hf import resolve_hf

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_hf(gguf).directory))

    def count_tokens(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    prompts = [prompt(i) for i in range(args.prompts)]
    timed_stream(llama, prompts[0])  # warm-up: first-call allocations
    llama_tps, llama_decode = throughput(llama, count_tokens, prompts)

    # TTFT: warm = the preamble is already in the KV cache (same object, same preamble, new question);
    # cold = a different first line each time, so nothing but BOS matches the cached tokens.
    short = llama.model_copy(update={"max_tokens": 1})
    # Warm calls run back to back: a cold call in between would evict the preamble from the cache.
    timed_stream(short, prompt(0))
    warm = [timed_stream(short, prompt(i + 1))[0] for i in range(args.prompts)]
    cold = [timed_stream(short, f"Run {i}: {time.time_ns()}.\n" + prompt(i + 1))[0] for i in range(args.prompts)]
    warm_s, cold_s = statistics.median(warm), statistics.median(cold)

    hf = ChatTransformers(model=gguf, max_tokens=args.tokens, n_threads=threads, device="cpu").load()
    timed_stream(hf, prompts[0])
    hf_tps, hf_decode = throughput(hf, count_tokens, prompts)
    hf_short = hf.model_copy(update={"max_tokens": 1})
    hf_ttft = statistics.median(timed_stream(hf_short, prompt(i + 1))[0] for i in range(args.prompts))

    preamble_tokens = count_tokens(PREAMBLE)
    print(f"model: {os.path.basename(gguf)}, CPU threads: {threads} (both backends; other processes busy on "
          f"{busy:.2f} of {cores} cores at the start), {args.prompts} prompts x "
          f"{args.tokens} tokens, shared preamble {preamble_tokens} tokens")
    print(f"{'':28}{'llama.cpp':>12}{'transformers':>14}{'ratio':>9}")
    print(f"{'tokens/s (end to end)':28}{llama_tps:12.1f}{hf_tps:14.1f}{llama_tps / hf_tps:8.1f}x")
    print(f"{'tokens/s (decode only)':28}{llama_decode:12.1f}{hf_decode:14.1f}{llama_decode / hf_decode:8.1f}x")
    print(f"{'TTFT, no prefix reuse (s)':28}{cold_s:12.3f}{hf_ttft:14.3f}{hf_ttft / cold_s:8.1f}x")
    print(f"llama.cpp TTFT: warm prefix {warm_s * 1000:.0f} ms vs cold {cold_s * 1000:.0f} ms: "
          f"{cold_s / warm_s:.1f}x faster warm")
    print(f"targets: llama.cpp tokens/s >= 3x transformers: {'met' if llama_tps >= 3 * hf_tps else 'NOT met'}; "
          f"warm TTFT >= 3x faster than cold: {'met' if cold_s >= 3 * warm_s else 'NOT met'}")


if __name__ == "__main__":
    main()
