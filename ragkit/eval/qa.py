"""End-to-end question-answering evaluation: SQuAD exact match and token F1, citation accuracy, seconds per answer.

Every model answers the same questions from the same retrieved passages; scores are given as the model wrote
them and after RagChain's grounding guardrail (unsupported answers replaced by the cited passage's best sentence).
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.chains.rag import Answer, RagChain
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.errors import InvalidInputError
from ragkit.eval.squad import Article
from ragkit.hashing import content_hash
from ragkit.store import FaissVectorStore

_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalization: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(_ARTICLES.sub(" ", text).split())


def strip_citations(text: str) -> str:
    """The answer without [n] markers."""
    return _CITATION.sub("", text).strip()


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the normalized prediction equals any normalized gold answer."""
    return float(any(normalize_answer(prediction) == normalize_answer(g) for g in golds))


def token_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best token-overlap F1 against the gold answers (SQuAD's definition)."""
    def f1(gold: str) -> float:
        pred_tokens, gold_tokens = normalize_answer(prediction).split(), normalize_answer(gold).split()
        common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(pred_tokens), common / len(gold_tokens)
        return 2 * precision * recall / (precision + recall)

    return max((f1(g) for g in golds), default=0.0)


@dataclass(frozen=True)
class QAItem:
    """A question, its gold answers, and the id of the passage that holds the answer (None if unknown)."""

    question: str
    answers: tuple[str, ...]
    gold: str | None = None


def squad_items(articles: list[Article], count: int, seed: int = 0) -> list[QAItem]:
    """`count` questions sampled from the articles; gold is the paragraph id used when indexing."""
    pool = [QAItem(q.question, q.answers, p.id) for a in articles for p in a.paragraphs for q in p.questions]
    if not pool:
        raise InvalidInputError("the SQuAD articles hold no questions")
    return random.Random(seed).sample(pool, min(count, len(pool)))


def jsonl_items(path: Path) -> list[QAItem]:
    """Questions from JSONL: {"question", "answers": [...] or "answer", optional "source" of the gold passage}."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            answers = record.get("answers") or [record["answer"]]
            items.append(QAItem(record["question"], tuple(answers), record.get("source")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"{path}:{number}: expected {{question, answers|answer[, source]}}: {exc}") from exc
    if not items:
        raise InvalidInputError(f"{path} holds no questions")
    return items


def index_paragraphs(articles: list[Article], embedder: VectorEmbeddings,
                     cache: EmbeddingCache | None = None) -> FaissVectorStore:
    """A Flat store with one document per paragraph: id = paragraph id, metadata source = article title."""
    paragraphs = [p for a in articles for p in a.paragraphs]
    texts = [p.context for p in paragraphs]
    if cache is None:
        vectors = embedder.embed_array(texts)
    else:
        vectors, _ = cache.embed(embedder, texts, [content_hash(t) for t in texts])
    store = FaissVectorStore(embedder, "Flat")
    store.add_vectors(vectors, texts, [{"source": p.title, "paragraph": p.id} for p in paragraphs],
                      [p.id for p in paragraphs])
    return store


@dataclass
class QAResult:
    """Scores of one model over the evaluation questions (means over questions)."""

    model: str
    questions: int
    exact_match: float
    f1: float
    guarded_exact_match: float
    guarded_f1: float
    citation_accuracy: float | None
    seconds_per_answer: float
    extractive_share: float
    """Share of answers the guardrail replaced by a passage sentence."""
    answers: list[dict[str, Any]] = field(default_factory=list)


def _cited_ok(answer: Answer, item: QAItem) -> bool | None:
    if item.gold is None:
        return None
    cited = answer.citations[0] if answer.citations else None
    return cited is not None and item.gold in (cited.chunk_id, cited.source)


def evaluate_chain(name: str, chain: RagChain, items: Sequence[QAItem],
                   progress: Callable[[int], None] | None = None) -> QAResult:
    """Ask every question through the chain; score the model's reply and the guarded answer the chain returns."""
    rows: list[dict[str, Any]] = []
    for item in items:
        answer = chain.invoke(item.question)
        raw, guarded = strip_citations(answer.generated or answer.text), strip_citations(answer.text)
        rows.append({
            "question": item.question, "gold": list(item.answers), "answer": answer.generated or answer.text,
            "guarded": guarded, "extractive": answer.extractive, "em": exact_match(raw, item.answers),
            "f1": token_f1(raw, item.answers), "guarded_em": exact_match(guarded, item.answers),
            "guarded_f1": token_f1(guarded, item.answers), "cited_gold": _cited_ok(answer, item),
            "seconds": answer.timings.get("total_s", 0.0),
        })
        if progress:
            progress(1)

    def mean(key: str) -> float:
        return sum(float(r[key]) for r in rows) / len(rows)

    judged = [r["cited_gold"] for r in rows if r["cited_gold"] is not None]
    return QAResult(name, len(rows), mean("em"), mean("f1"), mean("guarded_em"), mean("guarded_f1"),
                    sum(judged) / len(judged) if judged else None, mean("seconds"), mean("extractive"), rows)


def write_results(results: Sequence[QAResult], out: Path, settings: dict[str, Any]) -> Path:
    """results.json with the settings, each model's scores and every answer."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    path.write_text(json.dumps({"settings": settings, "results": [asdict(r) for r in results]}, indent=2) + "\n",
                    encoding="utf-8")
    return path
