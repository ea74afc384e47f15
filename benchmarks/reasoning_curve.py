"""Self-consistency's sample-count curve and the replies that hit the length cap, read from `ragkit eval reasoning
--log` files (no model calls): each problem was sampled `max(--k)` times once, and the point for k samples is the
majority vote over its first k samples (sample 0 is the greedy reply, i.e. few-shot-cot).

It also counts arithmetic slips in the replies ("12 * 7 = 74": each `a op b ... = c` statement checked exactly
with ragkit's Game-of-24 evaluator), the errors a chain-of-thought calculator (`<<12*7>>` filled in by ragkit)
could fix, and how many wrong greedy answers had one.

Seconds for k samples are the problem's measured seconds scaled by the completion tokens of its first k calls
(the prompt is the same for every sample, so after the first call llama.cpp reuses it from the KV cache).

    .venv/bin/python benchmarks/reasoning_curve.py LOG.jsonl [LOG.jsonl ...] [--k 1 3 5 8]
        [--cap 512] [--technique self-consistency]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from fractions import Fraction
from pathlib import Path

from ragkit.chains.reasoning.answers import majority
from ragkit.chains.reasoning.game24 import StepError, evaluate
from ragkit.eval.reasoning.tasks import same_answer


def rows(logs: list[Path], technique: str) -> list[dict]:
    """The technique's rows (with their samples) of the logs, one per problem id (the first log that has it)."""
    seen: dict[str, dict] = {}
    for log in logs:
        for line in log.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["technique"] == technique and row.get("samples") and row["id"] not in seen:
                seen[row["id"]] = row
    return list(seen.values())


_STATEMENT = re.compile(r"((?:\d[\d,]*(?:\.\d+)?\s*[-+*/×÷x]\s*)+\(?\d[\d,]*(?:\.\d+)?\)?)\s*=\s*\$?"
                        r"(-?\d[\d,]*(?:\.\d+)?)")


def slips(reply: str | None) -> tuple[int, int]:
    """Arithmetic statements in a reply and how many of them are wrong (a value off by more than rounding)."""
    checked = wrong = 0
    for expression, stated in _STATEMENT.findall(reply or ""):
        plain = expression.replace(",", "").replace("×", "*").replace("÷", "/").replace("x", "*")
        try:
            value, _ = evaluate(plain)
        except (StepError, ValueError, ZeroDivisionError, SyntaxError):
            continue
        checked += 1
        wrong += abs(value - Fraction(stated.replace(",", ""))) > max(Fraction(1, 100), abs(value) / 1000)
    return checked, wrong


def point(found: list[dict], k: int) -> tuple[int, float, float]:
    """Right count, mean seconds and mean completion tokens per problem of a k-sample vote."""
    right, seconds, tokens = 0, [], []
    for row in found:
        answer, _ = majority(row["samples"][:k])
        right += same_answer(answer, row["gold"])
        share = sum(row["call_tokens"][:k]) / max(1, sum(row["call_tokens"]))
        seconds.append(row["seconds"] * share)
        tokens.append(sum(row["call_tokens"][:k]))
    return right, statistics.mean(seconds), statistics.mean(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("logs", nargs="+", type=Path)
    parser.add_argument("--k", nargs="+", type=int, default=[1, 3, 5, 8])
    parser.add_argument("--cap", type=int, default=512, help="max_tokens the samples ran with")
    parser.add_argument("--technique", default="self-consistency")
    args = parser.parse_args()
    found = [r for r in rows(args.logs, args.technique) if len(r["samples"]) >= max(args.k)]
    if not found:
        raise SystemExit(f"no {args.technique} rows with {max(args.k)} samples in {', '.join(map(str, args.logs))}")
    print(f"{args.technique}: {len(found)} problems, {max(args.k)} samples each")
    print("| samples | right | accuracy | completion tokens | seconds / problem |")
    print("|---|---|---|---|---|")
    for k in args.k:
        right, seconds, tokens = point(found, k)
        print(f"| {k} | {right}/{len(found)} | {right / len(found):.0%} | {tokens:.0f} | {seconds:.1f} |")
    lengths = [t for r in found for t in r["call_tokens"]]
    greedy = [r["call_tokens"][0] for r in found]
    capped = sum(t >= args.cap for t in lengths)
    print(f"completion tokens per reply: median {statistics.median(lengths):.0f}, p90 "
          f"{sorted(lengths)[int(0.9 * (len(lengths) - 1))]}, max {max(lengths)}; greedy median "
          f"{statistics.median(greedy):.0f}, max {max(greedy)}; at the cap of {args.cap}: {capped}/{len(lengths)}")
    unparsed = sum(a is None for r in found for a in r["samples"])
    print(f"samples without a parsed answer: {unparsed}/{len(lengths)}")
    counts = [slips(reply) for r in found for reply in r["replies"]]
    missed = [r for r in found if majority(r["samples"][:1])[0] is None
              or not same_answer(majority(r["samples"][:1])[0], r["gold"])]
    print(f"arithmetic statements checked: {sum(c for c, _ in counts)}, wrong: {sum(w for _, w in counts)}; "
          f"wrong greedy answers with a slip in their reply: {sum(slips(r['replies'][0])[1] > 0 for r in missed)}"
          f"/{len(missed)}")


if __name__ == "__main__":
    main()
