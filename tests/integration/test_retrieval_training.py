"""Real MiniLM, a few steps on tiny planted data: fine-tuning moves the embedder towards its own training pairs, a
trained cross-encoder reorders the planted case through the rerank hook."""

from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document

from ragkit.embeddings import SentenceTransformerEmbeddings, default_model_path
from ragkit.finetune.embedder import EmbedderTraining, finetune_sentence_transformer
from ragkit.finetune.reranker import RerankerTraining, train_cross_encoder
from ragkit.retrieval.rerank import CrossEncoderReranker, describe_reranker, load_cross_encoder

pytestmark = pytest.mark.integration

# Queries in words unlike their passages' (English and Chinese), so the base model ranks them poorly.
PAIRS = [
    ("Which fruit fights scurvy?", "Lemons carry vitamin C, the cure sailors lacked on long voyages."),
    ("What makes bread rise?", "Yeast ferments sugar into carbon dioxide bubbles trapped in the dough."),
    ("Why is the sea salty?", "Rivers wash dissolved minerals from rocks into the ocean, where they accumulate."),
    ("哪种动物睡得最久？", "树袋熊每天要休息将近二十个小时，以节省消化桉树叶所需的能量。"),
    ("How do bats find insects in the dark?", "Echolocation: they emit high-pitched calls and listen for echoes."),
    ("茶叶为什么是绿色的？", "绿茶采摘后很快杀青，阻止了叶子的氧化，所以保持绿色。"),
]


def _ranks(embedder: SentenceTransformerEmbeddings) -> tuple[np.ndarray, np.ndarray]:
    """Rank (0 = first) of each query's own passage among all passages, and its cosine."""
    q = embedder.embed_query_array([p[0] for p in PAIRS])
    d = embedder.embed_array([p[1] for p in PAIRS])
    scores = q @ d.T
    return np.array([(scores[i] > scores[i, i]).sum() for i in range(len(PAIRS))]), np.diag(scores)


def test_finetuning_changes_the_embedder_and_ranks_its_pairs_higher(tmp_path: Path) -> None:
    data = [(q, p, PAIRS[(i + 1) % len(PAIRS)][1]) for i, (q, p) in enumerate(PAIRS)]
    out = tmp_path / "E"
    finetune_sentence_transformer(default_model_path(), data, out,
                                  EmbedderTraining(epochs=4, learning_rate=1e-4, batch_size=3, max_seq_tokens=64))
    base, tuned = SentenceTransformerEmbeddings(), SentenceTransformerEmbeddings(str(out))
    assert tuned.sha256 != base.sha256
    (base_ranks, base_scores), (tuned_ranks, tuned_scores) = _ranks(base), _ranks(tuned)
    assert tuned_ranks.sum() <= base_ranks.sum()
    assert tuned_scores.mean() > base_scores.mean(), (base_scores, tuned_scores)


def test_a_trained_cross_encoder_reorders_a_planted_case(tmp_path: Path) -> None:
    groups = [(q, p, [PAIRS[(i + j) % len(PAIRS)][1] for j in (1, 2, 3)]) for i, (q, p) in enumerate(PAIRS)]
    out = tmp_path / "R"
    train_cross_encoder(default_model_path(), groups, out,
                        RerankerTraining(epochs=6, learning_rate=1e-4, groups_per_step=3, max_seq_tokens=64))
    assert describe_reranker(out)["base"] == default_model_path()
    query, answer = PAIRS[0]
    fused = [Document(PAIRS[2][1], metadata={"score": 0.9}), Document(PAIRS[1][1], metadata={"score": 0.8}),
             Document(answer, metadata={"score": 0.7})]  # the answer planted last by the first-stage order
    reranked = CrossEncoderReranker(model=load_cross_encoder(str(out)), top_n=3).compress_documents(fused, query)
    assert reranked[0].page_content == answer
