"""Question-answering evaluation data and scores: SQuAD exact match and token F1, questions from SQuAD or JSONL,
and a store of SQuAD paragraphs to answer from (ragkit.eval.breakdown judges the answers)."""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ragkit.digests import content_hash
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.errors import InvalidInputError
from ragkit.eval.squad import Article
from ragkit.store import AnnVectorStore

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
    """Questions from JSONL: {"question", "answers": [...] or "answer", optional "source" of the gold passage};
    `"answers": []` marks a question the knowledge base cannot answer (it should be refused)."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            answers = record["answers"] if "answers" in record else [record["answer"]]
            if isinstance(answers, str) or not all(isinstance(a, str) for a in answers):
                raise TypeError("answers must be a list of strings")
            items.append(QAItem(record["question"], tuple(answers), record.get("source")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInputError(f"{path}:{number}: expected {{question, answers|answer[, source]}}: {exc}") from exc
    if not items:
        raise InvalidInputError(f"{path} holds no questions")
    return items


def index_paragraphs(articles: list[Article], embedder: VectorEmbeddings,
                     cache: EmbeddingCache | None = None) -> AnnVectorStore:
    """A Flat store with one document per paragraph: id = paragraph id, metadata source = article title."""
    paragraphs = [p for a in articles for p in a.paragraphs]
    texts = [p.context for p in paragraphs]
    if cache is None:
        vectors = embedder.embed_array(texts)
    else:
        vectors, _ = cache.embed(embedder, texts, [content_hash(t) for t in texts])
    store = AnnVectorStore(embedder, "Flat")
    store.add_vectors(vectors, texts, [{"source": p.title, "paragraph": p.id} for p in paragraphs],
                      [p.id for p in paragraphs])
    return store
