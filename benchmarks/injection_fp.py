"""False positives of the prompt-injection screen on real corpora, before (ragkit at a git ref) and after (this
checkout): the share of passages from which it removes a sentence, the sentences it removed, and (as a check) how
many attacks of tests/data/injection.json it still strips.

Passages are what the model reads: SQuAD v1.1 dev part A paragraphs (../shared/data), and the Chinese documents
split as a Chinese knowledge base splits them (ragkit's loaders and Splitter with multilingual-e5's tokens):
examples/kb-zh, and the HTML of the Debian packages `debian-edu-doc-zh-cn` (Debian Edu manuals),
`debian-reference-zh-cn` (the Debian Reference), `debian-faq-zh-cn` and the manual pages of `manpages-zh` (rendered
by `man`). The Debian packages are read where apt installed them and skipped if absent:

    apt-get install manpages-zh debian-edu-doc-zh-cn debian-reference-zh-cn debian-faq-zh-cn
    .venv/bin/python benchmarks/injection_fp.py [--before 99980dd] [--show 20]

The passages are made once, by this checkout; each side screens them in its own process on its own code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "99980dd"
"""main's HEAD before the screen's false positives were measured (issue 27, item 11)."""
SQUAD = ROOT.parent / "shared" / "data" / "squad" / "dev-v1.1-part-a.json"
DEBIAN_ZH = {
    "debian-edu-doc-zh-cn": (Path("/usr/share/doc/debian-edu-doc-zh-cn"), "*.html"),
    "debian-reference-zh-cn": (Path("/usr/share/debian-reference"), "*.zh-cn.html"),
    "debian-faq-zh-cn": (Path("/usr/share/doc/debian/FAQ/zh-cn"), "*.zh-cn.html"),
    "manpages-zh": (Path("/usr/share/man/zh_CN"), "man*/*.gz"),
}
"""Debian packages of Chinese prose: where apt puts their documents, and which of them to read."""
_OVERSTRIKE = re.compile(".\b")


def worker(passages_file: Path) -> None:
    """Screen every corpus' passages with the code on sys.path: one JSON line per corpus, then the attacks."""
    from ragkit.chains.injection import screen
    from tests.injection_set import ATTACKS

    corpora: dict[str, list[str]] = json.loads(passages_file.read_text(encoding="utf-8"))
    for name, passages in corpora.items():
        removed = [screen(passage).removed for passage in passages]
        print(json.dumps({"corpus": name, "removed": removed}, ensure_ascii=False), flush=True)
    stripped = sum(attack["target"] not in screen(attack["document"]).text for attack in ATTACKS)
    print(json.dumps({"attacks": len(ATTACKS), "stripped": stripped}), flush=True)


def squad() -> list[str]:
    """The paragraphs of SQuAD dev part A (each one passage, as the SQuAD benchmarks index them)."""
    articles = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    return [paragraph["context"] for article in articles for paragraph in article["paragraphs"]]


def man_page(path: Path) -> str:
    """A manual page as `man` renders it (no line wrapping, overstrike bold removed)."""
    rendered = subprocess.run(["man", "-l", str(path)], capture_output=True, text=True, check=False,
                              env={**os.environ, "MANWIDTH": "10000"}).stdout
    return _OVERSTRIKE.sub("", rendered)


def chinese(label: str, files: list[Path]) -> Iterator[str]:
    """Chunks of Chinese files as a Chinese knowledge base makes them; man pages rendered first."""
    from ragkit.embeddings import default_embedder_spec, from_spec
    from ragkit.errors import SkipFile
    from ragkit.ingest import Page, Splitter, load_file
    from ragkit.settings import IndexSettings

    splitter = Splitter(from_spec(default_embedder_spec("zh")).count_tokens,
                        *IndexSettings(language="zh").chunking())
    started = time.monotonic()
    for done, path in enumerate(files, 1):
        try:
            pages = [Page(man_page(path), 1)] if path.suffix == ".gz" else load_file(path)
        except SkipFile:
            continue
        yield from (chunk.text for chunk in splitter.split(pages, str(path)))
        if done % 100 == 0 or done == len(files):
            print(f"  {label}: {done}/{len(files)} files ({time.monotonic() - started:.0f} s)", file=sys.stderr)


def corpora() -> dict[str, list[str]]:
    """Every corpus that is present, by name; absent ones are reported and skipped."""
    found: dict[str, list[str]] = {}
    if SQUAD.is_file():
        found["squad-dev-part-a (en)"] = squad()
    else:
        print(f"skipped SQuAD: {SQUAD} is absent", file=sys.stderr)
    chinese_sources = {"examples/kb-zh": sorted((ROOT / "examples" / "kb-zh").iterdir())}
    chinese_sources.update({package: sorted(folder.glob(pattern)) for package, (folder, pattern) in DEBIAN_ZH.items()})
    for name, files in chinese_sources.items():
        if files:
            found[f"{name} (zh)"] = list(chinese(name, files))
        else:
            print(f"skipped {name}: not installed (apt-get install {name})", file=sys.stderr)
    return found


def run_side(code_root: Path, passages_file: Path) -> tuple[dict[str, list[list[str]]], dict[str, int]]:
    """The worker's removals per corpus, and its attack count, with ragkit from code_root."""
    env = {**os.environ, "PYTHONPATH": f"{code_root}{os.pathsep}{ROOT}", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, __file__, "--worker", str(passages_file)], env=env, cwd=code_root,
                         check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["corpus"]: row["removed"] for row in rows if "corpus" in row}, rows[-1]


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:  # a side's process: screen the passages file given after the flag
        worker(Path(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git ref of the screen to compare with")
    parser.add_argument("--show", type=int, default=20, help="removed sentences to list per side and corpus")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from benchmarks.injection import checkout

    with tempfile.TemporaryDirectory() as tmp:
        passages = Path(tmp) / "passages.json"
        found = corpora()
        passages.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")
        before, before_attacks = run_side(checkout(args.before, Path(tmp) / "before"), passages)
        after, after_attacks = run_side(ROOT, passages)
    print(f"| corpus | passages | before ({args.before}): passages with a sentence removed | after |")
    print("|---|---|---|---|")
    for name, texts in found.items():
        hit_before, hit_after = (sum(map(bool, side[name])) for side in (before, after))
        print(f"| {name} | {len(texts)} | {hit_before} ({hit_before / len(texts):.2%}) "
              f"| {hit_after} ({hit_after / len(texts):.2%}) |")
    for side, label in ((before_attacks, "before"), (after_attacks, "after")):
        print(f"\nattacks of the injection set stripped by the screen {label}: {side['stripped']}/{side['attacks']}")
    for label, side in (("before", before), ("after", after)):
        for name, removals in side.items():
            sentences = [sentence for removed in removals for sentence in removed]
            if sentences:
                print(f"\nremoved {label}, {name} ({len(sentences)}; first {args.show}):")
                print("\n".join(f"  {sentence[:160]!r}" for sentence in sentences[:args.show]))


if __name__ == "__main__":
    main()
