"""Fine-tuning data: {question, context, answer} JSONL records, rendered through a prompt file into token ids.

The prompt text is built exactly as the chat backends build it at serving time (`ragkit.models.base`), so the
adapter sees the same template in training and in use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from langchain_core.prompts import BasePromptTemplate
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit.errors import InvalidInputError
from ragkit.models.base import plain_prompt, to_dicts


class QAExample(BaseModel):
    """One training pair: the model reads question and context and should write answer."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1)
    context: str = ""
    """Passages as the RAG chain formats them ("[n] (source) text" blocks); may be empty for closed-book facts."""
    answer: str = Field(min_length=1)
    """The exact completion to learn (for ragkit's extractive prompt: the answer span, then [n])."""


def load_jsonl(path: Path) -> list[QAExample]:
    """Read examples, one JSON object per line; errors name the file and line."""
    if not path.is_file():
        raise InvalidInputError(f"no such JSONL file: {path}")
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(QAExample(**json.loads(line)))
        except (json.JSONDecodeError, ValidationError, TypeError) as exc:
            raise InvalidInputError(f"{path}:{number}: expected {{question, context, answer}}: {exc}") from exc
    if not examples:
        raise InvalidInputError(f"{path} holds no examples")
    return examples


def write_jsonl(path: Path, examples: Iterable[QAExample]) -> None:
    """Write examples one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(example.model_dump_json() + "\n")


def render_prompt(template: BasePromptTemplate, example: QAExample, tokenizer: Any, chat: bool) -> str:
    """The prompt text for one example: the model's chat template when chat is True, else the plain join."""
    messages = template.format_prompt(question=example.question, context=example.context).to_messages()
    if chat:
        return tokenizer.apply_chat_template(to_dicts(messages), tokenize=False, add_generation_prompt=True)
    return plain_prompt(messages)


def encode(template: BasePromptTemplate, example: QAExample, tokenizer: Any, chat: bool) -> dict[str, list[int]]:
    """Token ids and labels for one example; only the answer (and end-of-sequence) tokens are learned."""
    prompt_ids = tokenizer(render_prompt(template, example, tokenizer, chat), add_special_tokens=not chat)["input_ids"]
    answer_ids = tokenizer(" " + example.answer.strip(), add_special_tokens=False)["input_ids"]
    answer_ids = [*answer_ids, tokenizer.eos_token_id]
    ids = prompt_ids + answer_ids
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": [-100] * len(prompt_ids) + answer_ids}
