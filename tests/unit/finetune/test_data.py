"""Fine-tuning data: JSONL reading, prompt rendering shared with serving, and answer-only labels."""

from pathlib import Path
from typing import Any

import pytest

from ragkit.errors import InvalidInputError
from ragkit.finetune.data import QAExample, encode, load_jsonl, render_prompt, write_jsonl
from ragkit.models.base import plain_prompt
from ragkit.prompts import load as load_prompt

pytestmark = pytest.mark.unit


class CharTokenizer:
    """One token per character, BOS = 1 and EOS = 2: enough to check what is masked."""

    eos_token_id = 2

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": ([1] if add_special_tokens else []) + [ord(c) for c in text]}

    def apply_chat_template(self, messages: list[dict[str, str]], **kwargs: Any) -> str:
        return "".join(f"<{m['role']}>{m['content']}" for m in messages) + "<assistant>"


def test_jsonl_round_trip(tmp_path: Path) -> None:
    examples = [QAExample(question="Q?", context="[1] (s) text", answer="A [1]")]
    write_jsonl(tmp_path / "d.jsonl", examples)
    assert load_jsonl(tmp_path / "d.jsonl") == examples


def test_bad_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"question": "Q", "answer": "A"}\n{"question": "Q"}\n')
    with pytest.raises(InvalidInputError, match=r"d\.jsonl:2"):
        load_jsonl(path)


def test_prompt_is_rendered_as_the_backends_render_it() -> None:
    template = load_prompt("qa-extractive")
    example = QAExample(question="Who?", context="[1] (s) Ada wrote it.", answer="Ada [1]")
    messages = template.format_prompt(question="Who?", context="[1] (s) Ada wrote it.").to_messages()
    assert render_prompt(template, example, CharTokenizer(), chat=False) == plain_prompt(messages)
    assert render_prompt(template, example, CharTokenizer(), chat=True).startswith("<user>Passages:")


def test_only_the_answer_and_eos_are_learned() -> None:
    template = load_prompt("qa-extractive")
    example = QAExample(question="Who?", context="[1] (s) Ada wrote it.", answer="Ada [1]")
    encoded = encode(template, example, CharTokenizer(), chat=False)
    learned = [t for t in encoded["labels"] if t != -100]
    assert learned == [ord(c) for c in " Ada [1]"] + [2]
    assert encoded["input_ids"][0] == 1
    assert encoded["input_ids"][-len(learned):] == learned
    assert len(encoded["attention_mask"]) == len(encoded["input_ids"]) == len(encoded["labels"])
