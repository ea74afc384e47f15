"""Follow-up questions made standalone: with chat history, the answering model rewrites "and the second one?" into
a question retrieval can find passages for (prompts/condense-question); without history the question is kept.

History is a list of (role, text) pairs, role "user" or "assistant" ("human"/"ai" too), or LangChain messages;
system messages are dropped. Only the last `max_turns` turns go into the prompt, each cut to `max_chars`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.language_models import BaseLanguageModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import patch_config
from pydantic import ConfigDict, Field

from ragkit.errors import InvalidInputError
from ragkit.prompts import load as load_prompt

Role = Literal["user", "assistant"]
Turn = tuple[Role, str]
HistoryInput = Sequence[tuple[str, str] | list[str] | BaseMessage]
"""What callers may pass as history: (role, text) pairs or LangChain messages."""

_ROLES: dict[str, Role] = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant"}
_LABELS: dict[Role, str] = {"user": "User", "assistant": "Assistant"}
_PREFIX = re.compile(r"^\s*(standalone question|question|rewritten question|独立问题|问题)\s*[:：]\s*", re.I)
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


def parse_history(history: Any) -> list[Turn]:
    """The history as (role, text) turns, refusing anything else with an InvalidInputError naming the bad item."""
    if history is None:
        return []
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise InvalidInputError(f"history must be a list of (role, text) pairs or LangChain messages, got "
                                f"{type(history).__name__}")
    turns: list[Turn] = []
    for n, item in enumerate(history):
        if isinstance(item, SystemMessage):
            continue
        if isinstance(item, (HumanMessage, AIMessage)):
            turns.append(("user" if isinstance(item, HumanMessage) else "assistant", item.text))
            continue
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            raise InvalidInputError(f"history[{n}] must be a (role, text) pair of strings or a Human/AI message, "
                                    f"got {item!r:.80}")
        role = _ROLES.get(item[0].lower())
        if role is None:
            if item[0].lower() == "system":
                continue
            raise InvalidInputError(f"history[{n}] has role {item[0]!r}: use 'user' or 'assistant'")
        turns.append((role, item[1]))
    return [(role, text.strip()) for role, text in turns if text.strip()]


def parse_input(input: Any) -> tuple[str, list[Turn]]:
    """The question and history of a chain input: a question, or {'question': ..., 'history': [...]}."""
    history: Any = None
    if isinstance(input, dict):
        if "question" not in input or set(input) - {"question", "history"}:
            raise InvalidInputError(f"RagChain takes a question or {{'question': ..., 'history': [...]}}, got keys "
                                    f"{sorted(input)}")
        input, history = input["question"], input.get("history")
    if not isinstance(input, str) or not input.strip():
        raise InvalidInputError("the question is empty")
    return input.strip(), parse_history(history)


class QuestionRewriter(RunnableSerializable[dict[str, Any], str]):
    """{'question', 'history'} -> a standalone question; the question itself when there is no history or the
    model's reply is empty."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    llm: BaseLanguageModel
    """The model that rewrites (RagChain passes its answering model)."""
    prompt: BasePromptTemplate = Field(default_factory=lambda: load_prompt("condense-question"))
    """The rewrite prompt, with `history` and `question` inputs; its `model:` block is bound."""
    max_turns: int = Field(6, ge=1)
    """Most recent turns shown to the model."""
    max_chars: int = Field(400, ge=20)
    """Each turn cut to this many characters (answers can be long; the referent is usually near the start)."""

    def invoke(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> str:
        return self._call_with_config(self._invoke, input, config, run_type="chain")

    async def ainvoke(self, input: dict[str, Any], config: RunnableConfig | None = None, **kwargs: Any) -> str:
        return await self._acall_with_config(self._ainvoke, input, config, run_type="chain")

    def _invoke(self, input: dict[str, Any], run_manager: CallbackManagerForChainRun, config: RunnableConfig) -> str:
        question, history = parse_input(input)
        if not history:
            return question
        reply = self._generator().invoke(self._inputs(question, history),
                                         patch_config(config, callbacks=run_manager.get_child()))
        return standalone(reply, question)

    async def _ainvoke(self, input: dict[str, Any], run_manager: AsyncCallbackManagerForChainRun,
                       config: RunnableConfig) -> str:
        question, history = parse_input(input)
        if not history:
            return question
        reply = await self._generator().ainvoke(self._inputs(question, history),
                                                patch_config(config, callbacks=run_manager.get_child()))
        return standalone(reply, question)

    def _generator(self) -> Runnable[dict[str, Any], str]:
        return self.prompt | self.llm.bind(**(self.prompt.metadata or {}).get("model_params", {})) | StrOutputParser()

    def _inputs(self, question: str, history: list[Turn]) -> dict[str, str]:
        return {"history": format_history(history, self.max_turns, self.max_chars), "question": question}


def format_history(history: list[Turn], max_turns: int = 6, max_chars: int = 400) -> str:
    """The last turns as "User: ..." / "Assistant: ..." lines, citation marks removed, each on one line."""
    lines = []
    for role, text in history[-max_turns:]:
        flat = " ".join(_CITATION.sub("", text).split())
        lines.append(f"{_LABELS[role]}: {flat[:max_chars]}")
    return "\n".join(lines)


def standalone(reply: str, question: str) -> str:
    """The rewritten question from the model's reply: its first line without a "Standalone question:" label or
    quotes; the original question when nothing is left."""
    line = next((line for line in reply.strip().splitlines() if line.strip()), "")
    line = _PREFIX.sub("", line).strip().strip("\"'“”「」").strip()
    return line or question
