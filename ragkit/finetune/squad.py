"""Extractive-QA training pairs from SQuAD: short numbered passages (gold window + distractors), answer [n].

Passages are a sentence or two (at most MAX_WORDS words in all) rather than whole paragraphs, so sequences stay
short enough to train on CPU; one to three passages per example, shuffled, teach the model to pick the right
passage and cite it as the RAG chain does.
"""

from __future__ import annotations

import random

from ragkit.eval.squad import Article, Paragraph, Question
from ragkit.finetune.data import QAExample
from ragkit.text import sentences

MAX_WORDS = 110


def _window(paragraph: Paragraph, at: int, rng: random.Random) -> str:
    """The sentence containing offset `at`, sometimes with a neighbour on either side."""
    spans = sentences(paragraph.context)
    index = max(i for i, (start, _) in enumerate(spans) if start <= at)
    low = index - (rng.random() < 0.3 and index > 0)
    high = index + 1 + (rng.random() < 0.3 and index + 1 < len(spans))
    return " ".join(text.strip() for _, text in spans[low:high])


def _passages(article: Article, paragraph: Paragraph, question: Question, rng: random.Random) -> tuple[str, int]:
    gold = _window(paragraph, question.answer_start, rng)
    others = [p for p in article.paragraphs if p is not paragraph]
    picked = rng.sample(others, min(len(others), rng.randint(0, 2)))
    distractors = [rng.choice(sentences(p.context))[1].strip() for p in picked]
    texts = [*distractors, gold]
    rng.shuffle(texts)
    number = texts.index(gold) + 1
    context = "\n\n".join(f"[{n}] ({article.title}) {text}" for n, text in enumerate(texts, start=1))
    return context, number


def squad_examples(articles: list[Article], limit: int, seed: int = 0) -> list[QAExample]:
    """Up to `limit` examples spread over all articles, deterministic for a seed."""
    rng = random.Random(seed)
    pool = [(a, p, q) for a in articles for p in a.paragraphs for q in p.questions]
    rng.shuffle(pool)
    examples = []
    for article, paragraph, question in pool:
        context, number = _passages(article, paragraph, question, rng)
        answer = question.answers[0]
        if answer not in context or len(context.split()) > MAX_WORDS:
            continue  # the answer crosses a sentence boundary (rare), or the sample is too long to train cheaply
        examples.append(QAExample(question=question.question, context=context, answer=f"{answer} [{number}]"))
        if len(examples) == limit:
            break
    return examples


def main() -> None:
    """`python -m ragkit.finetune.squad SQUAD.json OUT_DIR`: train.jsonl and eval.jsonl from the training articles."""
    import argparse
    from pathlib import Path

    from ragkit.eval.squad import load_squad, split_articles
    from ragkit.finetune.data import write_jsonl

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("squad", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--held-out", type=int, default=4, help="last N articles kept unseen for `ragkit eval qa`")
    parser.add_argument("--train", type=int, default=600)
    parser.add_argument("--eval", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train_articles, _ = split_articles(load_squad(args.squad), args.held_out)
    examples = squad_examples(train_articles, args.train + args.eval, args.seed)
    write_jsonl(args.out / "train.jsonl", examples[: args.train])
    write_jsonl(args.out / "eval.jsonl", examples[args.train:])


if __name__ == "__main__":
    main()
