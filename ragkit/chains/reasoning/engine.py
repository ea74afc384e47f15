"""What every reasoning chain shares: prompts loaded from the prompt repository, a call budget, provenance, and
one algorithm driven both sync and async.

Each technique is written once as a generator that yields batches of model calls and receives their replies
(None for a call the budget did not allow). The driver makes the calls (one by one in `invoke`, concurrently in
`ainvoke`), counts them and records the trace, so the algorithm never does I/O and the chain keeps no state
between calls: everything a run accumulates lives in its `Run`, created per invocation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.documents import Document
from langchain_core.language_models import BaseLanguageModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import patch_config
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ragkit.errors import InvalidInputError
from ragkit.prompts import load as load_prompt


class PromptRef(BaseModel):
    """Which prompt file a result used: id, version and content hash."""

    model_config = ConfigDict(frozen=True)
    id: str
    version: int
    sha256: str


class CallRecord(BaseModel):
    """One model call of a run, in order."""

    stage: str
    prompt_id: str
    output: str | None
    """The reply; None when the budget did not allow the call."""


class ReasoningResult(BaseModel):
    """A chain's answer with what it cost and where it came from."""

    answer: str | None
    """The final answer; None when no reply parsed."""
    ok: bool
    """Whether a final answer was parsed (a reply that does not parse is a scored failure, not an exception)."""
    calls: int
    """Model calls made."""
    max_calls: int | None
    budget_exhausted: bool
    """True when some call was skipped because the budget was spent."""
    prompts: list[PromptRef]
    """Each prompt used, in first-use order."""
    chunk_ids: list[str] = Field(default_factory=list)
    """Ids of the retrieved chunks the prompts were given."""
    trace: list[CallRecord] = Field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """A model call an algorithm asks for: which prompt (by role), its inputs, extra model parameters."""

    stage: str
    role: str
    inputs: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    """Everything one invocation accumulates; never shared between invocations."""

    max_calls: int | None
    inputs: dict[str, Any]
    calls: int = 0
    exhausted: bool = False
    trace: list[CallRecord] = field(default_factory=list)
    prompts: dict[str, PromptRef] = field(default_factory=dict)
    chunk_ids: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    """Texts of the retrieved chunks, in rank order."""

    def reserve(self, wanted: int) -> int:
        """Claim up to `wanted` calls from the budget; how many may be made."""
        allowed = wanted if self.max_calls is None else max(0, min(wanted, self.max_calls - self.calls))
        self.calls += allowed
        self.exhausted = self.exhausted or allowed < wanted
        return allowed

    def common(self) -> dict[str, Any]:
        """The result fields every chain reports."""
        return {"calls": self.calls, "max_calls": self.max_calls, "budget_exhausted": self.exhausted,
                "prompts": list(self.prompts.values()), "chunk_ids": list(self.chunk_ids), "trace": list(self.trace)}


ResultT = TypeVar("ResultT", bound=ReasoningResult)
Steps = Generator[list[Call], list[str | None], ResultT]


class ReasoningChain(RunnableSerializable[Any, ResultT], Generic[ResultT]):
    """Base of the reasoning chains: a Runnable from a question (str or dict of prompt inputs) to a result."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")
    llm: BaseLanguageModel
    """The model every call goes to (prompt | llm | StrOutputParser)."""
    max_calls: int | None = Field(default=None, ge=1)
    """Budget: the chain never makes more model calls than this."""
    retriever: BaseRetriever | None = None
    """When set, the question's retrieved chunks are given to the prompts as `context`."""
    prompt_ids: dict[str, str] = Field(default_factory=dict)
    """Overrides of the prompt id used for a role (see DEFAULT_PROMPTS)."""
    repository: str | None = None
    """Prompt repository; None means the configured default."""
    templates: dict[str, BasePromptTemplate] = Field(default_factory=dict)
    """Ready templates by role, used instead of loading the role's prompt (e.g. a few-shot prompt built once over
    a larger example pool with `ragkit.prompts.load(id, examples=...)` and shared by several chains)."""
    required: ClassVar[tuple[str, ...]] = ("question",)
    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {}

    _templates: dict[str, BasePromptTemplate] = PrivateAttr(default_factory=dict)

    def steps(self, run: Run) -> Steps[ResultT]:
        """The algorithm: yield batches of calls, receive their replies, return the result."""
        raise NotImplementedError

    # ----- Runnable ---------------------------------------------------------------------------------------

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> ResultT:
        return self._call_with_config(self._invoke, input, config, run_type="chain")

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> ResultT:
        return await self._acall_with_config(self._ainvoke, input, config, run_type="chain")

    def _invoke(self, input: Any, run_manager: CallbackManagerForChainRun, config: RunnableConfig) -> ResultT:
        child = patch_config(config, callbacks=run_manager.get_child())
        run = self._start(input)
        if self.retriever is not None and "context" not in run.inputs:
            self._add_context(run, self.retriever.invoke(run.inputs["question"], child))
        steps = self.steps(run)
        try:
            batch = next(steps)
            while True:
                allowed = run.reserve(len(batch))
                replies = [self._call(c, child, run) if i < allowed else self._skip(c, run)
                           for i, c in enumerate(batch)]
                batch = steps.send(replies)
        except StopIteration as done:
            return done.value

    async def _ainvoke(self, input: Any, run_manager: AsyncCallbackManagerForChainRun,
                       config: RunnableConfig) -> ResultT:
        child = patch_config(config, callbacks=run_manager.get_child())
        run = self._start(input)
        if self.retriever is not None and "context" not in run.inputs:
            self._add_context(run, await self.retriever.ainvoke(run.inputs["question"], child))
        steps = self.steps(run)
        try:
            batch = next(steps)
            while True:
                allowed = run.reserve(len(batch))
                made = await asyncio.gather(*(self._acall(c, child) for c in batch[:allowed]))
                replies = [self._record(c, run, made[i]) if i < allowed else self._skip(c, run)
                           for i, c in enumerate(batch)]
                batch = steps.send(replies)
        except StopIteration as done:
            return done.value

    # ----- helpers ----------------------------------------------------------------------------------------

    def template(self, role: str) -> BasePromptTemplate:
        """The loaded prompt for a role (loaded once per chain: prompts are configuration, not run state)."""
        if role in self.templates:
            return self.templates[role]
        if role not in self._templates:
            prompt_id = self.prompt_ids.get(role, self.DEFAULT_PROMPTS[role])
            self._templates[role] = load_prompt(prompt_id, self.repository)
        return self._templates[role]

    def _start(self, input: Any) -> Run:
        inputs = {"question": input} if isinstance(input, str) else dict(input)
        missing = [name for name in self.required if name not in inputs]
        if missing:
            raise InvalidInputError(f"{type(self).__name__} needs inputs {missing}")
        return Run(self.max_calls, inputs)

    @staticmethod
    def _add_context(run: Run, docs: list[Document]) -> None:
        run.inputs["context"] = "\n\n".join(f"[{n}] {doc.page_content}" for n, doc in enumerate(docs, start=1))
        run.chunk_ids.extend(doc.id or "" for doc in docs)
        run.passages.extend(doc.page_content for doc in docs)

    def _runnable(self, call: Call) -> tuple[Runnable, dict[str, Any]]:
        template = self.template(call.role)
        params = {**(template.metadata or {}).get("model_params", {}), **call.params}
        names = [*template.input_variables, *template.partial_variables]
        inputs = {name: call.inputs[name] for name in names if name in call.inputs}
        return template | self.llm.bind(**params) | StrOutputParser(), inputs

    def _call(self, call: Call, config: RunnableConfig, run: Run) -> str:
        runnable, inputs = self._runnable(call)
        return self._record(call, run, runnable.invoke(inputs, config))

    async def _acall(self, call: Call, config: RunnableConfig) -> str:
        runnable, inputs = self._runnable(call)
        return await runnable.ainvoke(inputs, config)

    def _record(self, call: Call, run: Run, output: str) -> str:
        meta = self.template(call.role).metadata or {}
        prompt_id = str(meta.get("prompt_id", call.role))
        if prompt_id not in run.prompts:
            run.prompts[prompt_id] = PromptRef(id=prompt_id, version=int(meta.get("prompt_version", 0)),
                                               sha256=str(meta.get("prompt_sha256", "")))
        run.trace.append(CallRecord(stage=call.stage, prompt_id=prompt_id, output=output))
        return output

    def _skip(self, call: Call, run: Run) -> str | None:
        """Record a call the budget does not allow; its reply is None."""
        meta = self.template(call.role).metadata or {}
        run.trace.append(CallRecord(stage=call.stage, prompt_id=str(meta.get("prompt_id", call.role)), output=None))
        return None
