"""Synthetic training pairs for a corpus without judged questions: the answering model writes a question for each
of a sample of chunks (prompts/retrieval-question), and a question is kept only when the base retriever finds its
chunk again in the top k (round trip), which drops vague questions and ones the passage does not answer.

The sample is sized by a time budget: the first questions measure the model's speed, the rest of the budget sets
how many more chunks are asked about.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from langchain_core.language_models import BaseLanguageModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever

from ragkit.prompts import load as load_prompt

PROMPT = "retrieval-question"


@dataclass(frozen=True)
class Synthetic:
    """A written question and the document (chunk source) it was written for."""

    question: str
    doc_id: str


def write_questions(llm: BaseLanguageModel, passages: Mapping[str, str], budget_s: float, seed: int = 0,
                    prompt: BasePromptTemplate | None = None,
                    progress: Callable[[str, int, int], None] | None = None,
                    clock: Callable[[], float] = time.monotonic) -> list[Synthetic]:
    """One question per sampled passage (document id -> text), until the time budget is spent; progress('write',
    done, planned) where planned is re-estimated from the speed so far (the bar's ETA)."""
    prompt = prompt or load_prompt(PROMPT)
    generate = prompt | llm.bind(**(prompt.metadata or {}).get("model_params", {})) | StrOutputParser()
    order = sorted(passages)
    random.Random(seed).shuffle(order)
    started, written = clock(), []
    for number, doc_id in enumerate(order, start=1):
        reply = generate.invoke({"passage": passages[doc_id]})
        question = _question(reply)
        if question:
            written.append(Synthetic(question, doc_id))
        spent = clock() - started
        planned = min(len(order), max(number, int(budget_s / (spent / number))))
        if progress:
            progress("write", number, planned)
        if number >= planned:
            break
    return written


def round_trip(questions: list[Synthetic], retriever: BaseRetriever, k: int = 5,
               key: str | None = "source") -> list[Synthetic]:
    """The questions whose own document (metadata[key]; with key None the chunk id) is among the retriever's top k."""
    def found(question: Synthetic) -> bool:
        hits = retriever.invoke(question.question)[:k]
        return question.doc_id in [str(d.id if key is None else d.metadata.get(key)) for d in hits]

    return [q for q in questions if found(q)]


def _question(reply: str) -> str:
    """The first non-empty line of a reply, without a 'Question:' label or quotes."""
    line = next((line.strip() for line in reply.strip().splitlines() if line.strip()), "")
    for label in ("Question:", "问题：", "问题:"):
        if line.startswith(label):
            line = line[len(label):].strip()
    return line.strip("\"'“”「」")
