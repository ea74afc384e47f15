"""Calibrate the relevance threshold of each embedder: the best-passage cosine that keeps answerable questions and
refuses questions the knowledge base cannot answer.

Two sets: SQuAD v1.1 part A (../shared/data/squad; two folds: a knowledge base of 12 articles x 8 paragraphs,
answerable = 10 questions of each of its articles, unanswerable = 10 questions of each of the other 12 articles)
and the Chinese set written for ragkit's tests (tests/data/zh/kb.json: 20 paragraphs, 33 answerable, 12
unanswerable questions, also asked in English). Passages are split like `ragkit index` (100 tokens, 16 overlap). For each threshold the
table gives the share of answerable questions refused (best passage below it), the share whose gold passage
falls below it, and the share of unanswerable ones refused; the suggestion, per kind of set (English, Chinese,
English questions over Chinese text), is the highest threshold refusing at most 4% of answerable questions.

    .venv/bin/python benchmarks/relevance_threshold.py
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragkit.embeddings import MultilingualE5Embeddings, SentenceTransformerEmbeddings
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.eval.data import shared_data
from ragkit.eval.squad import Article, load_squad
from ragkit.ingest import Page, Splitter

ZH_KB = Path(__file__).resolve().parents[1] / "tests" / "data" / "zh" / "kb.json"
MAX_FALSE_REFUSALS = 0.04
"""Answerable questions a threshold may refuse (the target is at most 5%)."""
KINDS = {"en": ("en", "en"), "zh": ("zh", "zh"), "cross": ("en", "zh")}
"""(question, corpus) languages of each kind of set."""


@dataclass
class Case:
    """A knowledge base (passages), answerable questions with their gold passage, unanswerable questions."""

    name: str
    kind: str
    """'en', 'zh' (question and passages in that language) or 'cross' (another language than the passages)."""
    passages: list[str]
    answerable: list[tuple[str, int]]
    unanswerable: list[str]


def squad_cases(path: Path, per_article: int = 10, paragraphs: int = 8) -> list[Case]:
    """Two folds: even articles as the knowledge base and odd ones as unanswerable, then the other way round."""
    articles = load_squad(path)
    cases = []
    for fold in (0, 1):
        passages: list[str] = []
        answerable: list[tuple[str, int]] = []
        for article in articles[fold::2]:
            answerable += [(q, len(passages) + i) for q, i in _spread(article, paragraphs, per_article)]
            passages += [p.context for p in article.paragraphs[:paragraphs]]
        unanswerable = [q for article in articles[1 - fold :: 2] for q, _ in _spread(article, paragraphs, per_article)]
        cases.append(Case(f"SQuAD A fold {fold}", "en", passages, answerable, unanswerable))
    return cases


def _spread(article: Article, paragraphs: int, count: int) -> list[tuple[str, int]]:
    """`count` (question, paragraph number) pairs of an article's first paragraphs, at most two per paragraph."""
    return [(q.question, i) for i, p in enumerate(article.paragraphs[:paragraphs]) for q in p.questions[:2]][:count]


def chinese_cases() -> list[Case]:
    """Chinese questions over the Chinese paragraphs, and their English versions over the same paragraphs."""
    data = json.loads(ZH_KB.read_text(encoding="utf-8"))
    passages = [p["text"] for p in data["paragraphs"]]
    asked = [(i, q) for i, p in enumerate(data["paragraphs"]) for q in p["questions"]]
    return [Case("Chinese (tests/data/zh)", "zh", passages, [(q["q"], i) for i, q in asked], data["unanswerable"]),
            Case("English q, Chinese text", "cross", passages, [(q["en"], i) for i, q in asked if "en" in q],
                 data["unanswerable_en"])]


def best_scores(embedder: VectorEmbeddings, case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(best score of each answerable question, its gold passage's best score, best score of each unanswerable)."""
    splitter = Splitter(embedder.count_tokens, 100, 16)
    owners, texts = [], []
    for number, passage in enumerate(case.passages):
        for chunk in splitter.split([Page(passage)], str(number)):
            owners.append(number)
            texts.append(chunk.text)
    vectors, owners = embedder.embed_array(texts), np.asarray(owners)
    asked = embedder.embed_query_array([q for q, _ in case.answerable]) @ vectors.T
    gold = np.array([row[owners == g].max() for row, (_, g) in zip(asked, case.answerable)])
    return asked.max(axis=1), gold, (embedder.embed_query_array(case.unanswerable) @ vectors.T).max(axis=1)


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cases = []
    squad = shared_data("squad")
    if squad is None:
        print("SQuAD skipped: squad not found under ../shared/data or $RAGKIT_DATA")
    else:
        cases += squad_cases(squad / "dev-v1.1-part-a.json")
    cases += chinese_cases()
    for name, embedder, grid in (("all-MiniLM-L6-v2", SentenceTransformerEmbeddings(), np.arange(0.20, 0.55, 0.01)),
                                 ("multilingual-e5-small", MultilingualE5Embeddings(), np.arange(0.70, 0.90, 0.01))):
        configured = {kind: embedder.relevance_threshold(*languages) for kind, languages in KINDS.items()}
        print(f"\n== {name} (configured thresholds {configured})")
        scores = {case.name: best_scores(embedder, case) for case in cases}
        for case in cases:
            top, _, other = scores[case.name]
            print(f"{case.name}: {len(case.passages)} passages, {len(top)} answerable, {len(other)} unanswerable; "
                  f"best score answerable p2/p5/p50 {np.percentile(top, 2):.3f}/{np.percentile(top, 5):.3f}/"
                  f"{np.median(top):.3f}, unanswerable p50/p95/max {np.median(other):.3f}/"
                  f"{np.percentile(other, 95):.3f}/{other.max():.3f}")
        print(f"{'threshold':>10s}" + "".join(f"{c.name[:22]:>34s}" for c in cases))
        print(f"{'':>10s}" + f"{'ans. refused  gold below  unans. refused':>34s}" * len(cases))
        best: dict[str, float] = {}
        for threshold in grid:
            row = [(np.mean(t < threshold), np.mean(g < threshold), np.mean(o < threshold))
                   for t, g, o in scores.values()]
            print(f"{threshold:10.3f}" + "".join(f"{a:12.1%}{g:11.1%}{o:11.1%}" for a, g, o in row))
            for kind in {case.kind for case in cases}:
                if all(a <= MAX_FALSE_REFUSALS for case, (a, _, _) in zip(cases, row) if case.kind == kind):
                    best[kind] = round(float(threshold), 3)
        print(f"suggested (highest refusing at most {MAX_FALSE_REFUSALS:.0%} of answerable questions): {best}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
