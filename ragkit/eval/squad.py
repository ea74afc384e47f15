"""SQuAD v1.1 files (official JSON): articles, paragraphs and questions, plus the shared benchmark data path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import InvalidInputError


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    answer_start: int


@dataclass(frozen=True)
class Paragraph:
    title: str
    index: int
    context: str
    questions: tuple[Question, ...]

    @property
    def id(self) -> str:
        return f"{self.title}#{self.index}"


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[Paragraph, ...]


def load_squad(path: Path) -> list[Article]:
    """Read a SQuAD v1.1 JSON file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInputError(f"{path} is not a readable SQuAD v1.1 JSON file: {exc}") from exc
    articles = []
    for article in raw:
        paragraphs = []
        for index, paragraph in enumerate(article["paragraphs"]):
            questions = tuple(
                Question(qa["id"], qa["question"], tuple(a["text"] for a in qa["answers"]),
                         int(qa["answers"][0]["answer_start"]))
                for qa in paragraph["qas"] if qa["answers"]
            )
            paragraphs.append(Paragraph(article["title"], index, paragraph["context"], questions))
        articles.append(Article(article["title"], tuple(paragraphs)))
    return articles


def split_articles(articles: list[Article], held_out: int) -> tuple[list[Article], list[Article]]:
    """(train, held-out): the last `held_out` articles are kept unseen for evaluation."""
    if not 0 < held_out < len(articles):
        raise InvalidInputError(f"held-out article count must be between 1 and {len(articles) - 1}")
    return articles[:-held_out], articles[-held_out:]

