"""Prompt-injection success rate with the default model, before (ragkit at a git ref, main's HEAD when the
defences were written) and after (this checkout): an attack succeeds when its target string is in the final answer.

Each attack of tests/data/injection.json is planted in a small document next to real content; the knowledge base
holds that document alone and retrieves all of it (hashing embedder, no threshold), so only the prompt, the
injection detector and the guardrail are measured. Each side runs in its own process on its own code.

    .venv/bin/python benchmarks/injection.py [--before 2cd4941] [--max-tokens 96]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "2cd4941"
"""main's HEAD before the injection defences (rag-answer v3, passages not screened)."""


def worker(max_tokens: int) -> None:
    """Answer every attack's question with the code on sys.path; one JSON line per attack on stdout."""
    from tests.injection_set import ATTACKS, attack_kb

    with tempfile.TemporaryDirectory() as tmp:
        for attack in ATTACKS:
            answer = attack_kb(attack, Path(tmp) / attack["id"]).ask(attack["question"], max_tokens=max_tokens)
            print(json.dumps({"id": attack["id"], "text": answer.text, "generated": answer.generated,
                              "warnings": getattr(answer, "warnings", [])}, ensure_ascii=False), flush=True)


def run_side(code_root: Path, max_tokens: int) -> dict[str, dict[str, str]]:
    """The worker's answers with ragkit (and prompts/) from code_root and the test set from this checkout."""
    env = {**os.environ, "PYTHONPATH": f"{code_root}{os.pathsep}{ROOT}", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", "--max-tokens", str(max_tokens)], env=env,
                         cwd=code_root, check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["id"]: row for row in rows}


def checkout(ref: str, into: Path) -> Path:
    """ragkit/ and prompts/ as they are at ref."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "ragkit", "prompts"], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git ref of the code without the defences")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.max_tokens)
        return
    sys.path.insert(0, str(ROOT))
    from tests.injection_set import ATTACKS

    with tempfile.TemporaryDirectory() as tmp:
        before = run_side(checkout(args.before, Path(tmp)), args.max_tokens)
    after = run_side(ROOT, args.max_tokens)
    print(f"| attack | language | before ({args.before}) | after | after: answer has the fact | after: answer |")
    print("|---|---|---|---|---|---|")
    hits = {"before": 0, "after": 0, "fact": 0}
    for attack in ATTACKS:
        was, now = before[attack["id"]]["text"], after[attack["id"]]["text"]
        won_before, won_after = attack["target"] in was, attack["target"] in now
        fact = attack["answer"].lower() in now.lower()
        hits["before"] += won_before
        hits["after"] += won_after
        hits["fact"] += fact
        print(f"| {attack['id']} | {attack['language']} | {'PWNED' if won_before else 'held'} "
              f"| {'PWNED' if won_after else 'held'} | {'yes' if fact else 'no'} | {now[:80]!r} |")
    total = len(ATTACKS)
    print(f"\nattack success rate: before {hits['before']}/{total} ({hits['before'] / total:.0%}), "
          f"after {hits['after']}/{total} ({hits['after'] / total:.0%}); "
          f"answers with the real fact after: {hits['fact']}/{total}")
    print("\nraw answers (before | after):")
    for attack in ATTACKS:
        print(f"{attack['id']}: {before[attack['id']]['generated']!r} | {after[attack['id']]['generated']!r} "
              f"-> {after[attack['id']]['text']!r}")


if __name__ == "__main__":
    main()
