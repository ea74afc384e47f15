"""A knowledge-base evaluation set from SQuAD: some articles written as files (what a user indexes), questions of
those articles (answerable, gold = the article's file) and questions of other articles (to be refused)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import InvalidInputError
from ragkit.eval.qa import QAItem
from ragkit.eval.squad import Article


@dataclass(frozen=True)
class KBSet:
    """Files to index (name -> text) and the questions to ask of them."""

    files: dict[str, str]
    items: list[QAItem]

    def write(self, directory: Path) -> list[Path]:
        """Write the files into directory (created); their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in self.files.items():
            (directory / name).write_text(text, encoding="utf-8")
            paths.append(directory / name)
        return paths


def file_name(title: str) -> str:
    """A portable file name for an article title."""
    return re.sub(r"[^\w.-]+", "_", title).strip("_") + ".txt"


def squad_kb_set(articles: list[Article], indexed: int, per_article: int = 2, unanswerable: int = 12,
                 paragraphs: int = 8, seed: int = 0) -> KBSet:
    """The first `indexed` articles (shuffled by seed) as files of their first `paragraphs` paragraphs, with
    `per_article` questions each from those paragraphs; `unanswerable` questions from the remaining articles."""
    if not 0 < indexed <= len(articles) or (unanswerable and indexed == len(articles)):
        raise InvalidInputError(f"cannot index {indexed} of {len(articles)} articles and keep others to refuse")
    rng = random.Random(seed)
    order = rng.sample(articles, len(articles))
    inside, outside = order[:indexed], order[indexed:]
    files, items = {}, []
    for article in inside:
        kept = article.paragraphs[:paragraphs]
        files[file_name(article.title)] = "\n\n".join(p.context for p in kept) + "\n"
        pool = [q for p in kept for q in p.questions]
        items += [QAItem(q.question, q.answers, file_name(article.title))
                  for q in rng.sample(pool, min(per_article, len(pool)))]
    pool = [q for a in outside for p in a.paragraphs[:paragraphs] for q in p.questions]
    items += [QAItem(q.question, (), None) for q in rng.sample(pool, min(unanswerable, len(pool)))]
    return KBSet(files, items)
