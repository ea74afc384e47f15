"""Retrieval-augmented answering as a LangChain Runnable: question in, Answer with [n] citations out.

Streaming yields typed events (the answer contract, ragkit.answer): `TextDelta`s as the model writes, then the
finished `Answer` (the grounding guardrail needs the whole reply, so the final text can differ from the deltas).
Deltas add up (`delta + delta`) and a delta plus the Answer is the Answer, so LangChain's stream aggregation inside
a larger LCEL sequence hands the next step the Answer. The steps are written once (`_steps`) and driven sync or
async by ragkit.chains.driver.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import replace
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForChainRun, CallbackManagerForChainRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLanguageModel
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import patch_config
from pydantic import ConfigDict, Field

from ragkit.answer import Answer, Citation, RagEvent, TextDelta, not_found, says_not_found
from ragkit.chains.budget import fit, word_count
from ragkit.chains.citations import cite, clean_reply, format_passages, unsupported_citations, with_mark
from ragkit.chains.driver import END, Invoke, Open, Read, Request, Steps, adrive, alast, drive, last
from ragkit.chains.grounding import best_sentence, quote_units, support, threshold_for, unsupported
from ragkit.chains.injection import screen
from ragkit.chains.refusal import RefusalPolicy
from ragkit.chains.rewrite import QuestionRewriter, parse_input
from ragkit.errors import InvalidInputError
from ragkit.models import identity_of
from ragkit.prompts import load as load_prompt

RagInput = str | dict[str, Any]
"""A question, or {'question': ..., 'history': [...]} (history: (role, text) pairs or LangChain messages)."""


class RagChain(RunnableSerializable[RagInput, Answer]):
    """retrieve -> fill the answer prompt (from prompts/, its `model:` block bound) -> generate -> cite -> ground."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    retriever: BaseRetriever
    """Finds the passages; an empty result means the answer is NOT_FOUND and the model is not called."""
    llm: BaseLanguageModel
    """The answering model."""
    prompt: BasePromptTemplate = Field(default_factory=lambda: load_prompt("rag-answer"))
    """The answer prompt, with `context` and `question` inputs."""
    embedder: Embeddings | None = None
    """Picks the guardrail's replacement sentence by similarity to the question (word overlap without one)."""
    grounding: bool = True
    """Replace replies their cited passages do not support (see ragkit.chains.grounding)."""
    model_params: dict[str, Any] = Field(default_factory=dict)
    """Generation parameters over the prompt file's `model:` block (e.g. max_tokens from the CLI)."""
    injection_guard: bool = True
    """Remove instruction-like sentences from passages (ragkit.chains.injection) before the prompt and the
    guardrail see them, and list what was removed in `Answer.warnings`."""
    delimited: bool = False
    """Passages between <document> markers, for prompts written for that layout; off: "[n] (source) text", the
    layout rag-answer and the fine-tuned adapters use (on examples/kb the markers made Qwen 1.5B quote the wrong
    sentence of the right passage)."""
    context_tokens: int | None = Field(None, ge=1)
    """Tokens of passage text the model reads (the embedder's tokens): passages over it are cut to the sentences
    matching the question (ragkit.chains.budget); None: every retrieved passage whole."""
    refusal: RefusalPolicy = Field(default_factory=RefusalPolicy)
    """When to give the no-answer reply (ragkit.chains.refusal): before the model on what retrieval found, and
    after the guardrail when no passage sentence states what was asked; each refusal's reason goes in warnings."""
    rewriter: QuestionRewriter | None = None
    """Makes a follow-up standalone from the history; default: `llm` with prompts/condense-question."""

    def model_post_init(self, context: Any) -> None:
        if self.rewriter is None:
            self.rewriter = QuestionRewriter(llm=self.llm)

    # ----- Runnable -----------------------------------------------------------------------------------------

    def invoke(self, input: RagInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        _no_kwargs(kwargs)
        return self._call_with_config(self._invoke, input, config, run_type="chain")

    async def ainvoke(self, input: RagInput, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        _no_kwargs(kwargs)
        return await self._acall_with_config(self._ainvoke, input, config, run_type="chain")

    def stream(self, input: RagInput, config: RunnableConfig | None = None,  # type: ignore[override]
               **kwargs: Any) -> Iterator[RagEvent]:
        """TextDeltas as the model writes, then the Answer."""
        _no_kwargs(kwargs)
        # The transformer yields RagEvents, not just Answers: LangChain's aggregation adds them up (TextDelta.__add__).
        yield from self._transform_stream_with_config(iter([input]), self._transform,  # type: ignore[arg-type]
                                                      config, run_type="chain")

    async def astream(self, input: RagInput, config: RunnableConfig | None = None,  # type: ignore[override]
                      **kwargs: Any) -> AsyncIterator[RagEvent]:
        """TextDeltas as the model writes, then the Answer."""
        _no_kwargs(kwargs)

        async def inputs() -> AsyncIterator[RagInput]:
            yield input

        async for event in self._atransform_stream_with_config(inputs(), self._atransform,  # type: ignore[arg-type]
                                                               config, run_type="chain"):
            yield event

    def _invoke(self, input: RagInput, run_manager: CallbackManagerForChainRun, config: RunnableConfig) -> Answer:
        return last(drive(self._steps(input), patch_config(config, callbacks=run_manager.get_child())))

    async def _ainvoke(self, input: RagInput, run_manager: AsyncCallbackManagerForChainRun,
                       config: RunnableConfig) -> Answer:
        return await alast(adrive(self._steps(input), patch_config(config, callbacks=run_manager.get_child())))

    def _transform(self, inputs: Iterator[RagInput], run_manager: CallbackManagerForChainRun,
                   config: RunnableConfig) -> Iterator[RagEvent]:
        for input in inputs:
            yield from drive(self._steps(input), patch_config(config, callbacks=run_manager.get_child()))

    async def _atransform(self, inputs: AsyncIterator[RagInput], run_manager: AsyncCallbackManagerForChainRun,
                          config: RunnableConfig) -> AsyncIterator[RagEvent]:
        async for input in inputs:
            async for event in adrive(self._steps(input), patch_config(config, callbacks=run_manager.get_child())):
                yield event

    # ----- the algorithm, once: its I/O is the driver's (sync or async, ragkit.chains.driver) ---------------------

    def _steps(self, input: RagInput) -> Steps:
        """Rewrite a follow-up into a standalone question, then answer that."""
        asked, history = parse_input(input)
        started = time.perf_counter()
        question = (yield Invoke(self._rewrite(), {"question": asked, "history": history})) if history else asked
        rewrite_s = time.perf_counter() - started
        answer = yield from self._question_steps(question)
        yield _asked(answer, asked, question if history else "", rewrite_s)

    def _rewrite(self) -> QuestionRewriter:
        assert self.rewriter is not None  # set in model_post_init
        return self.rewriter

    def _question_steps(self, question: str) -> Generator[RagEvent | Request, Any, Answer]:
        """Retrieve, then refuse, or stream the model's reply and ground it; the Answer is returned, not yielded."""
        started = time.perf_counter()
        retrieved, passages, refusal = self._usable(question, (yield Invoke(self.retriever, question)))
        timings = {"retrieve_s": time.perf_counter() - started}
        if not passages:
            *deltas, answer = self._not_found(question, started, timings, refusal, retrieved)
            for delta in deltas:
                yield delta
            assert isinstance(answer, Answer)
            return answer
        clean, warnings = self._screen(passages)
        parts: list[str] = []
        stream = yield Open(self._generator(), self._inputs(question, clean))
        while (chunk := (yield Read(stream))) is not END:
            piece = _text(chunk)
            timings.setdefault("first_token_s", time.perf_counter() - started - timings["retrieve_s"])
            timings.update(model_timings(chunk))
            parts.append(piece)
            yield TextDelta(piece)
        return self._finish(question, "".join(parts), passages, clean, warnings, started, timings)

    def _generator(self) -> Runnable[dict[str, Any], Any]:
        """prompt -> model, without an output parser: closing a parser's stream drains the model's, and a stream
        closed early (its client went away) must stop the generation."""
        params = {**(self.prompt.metadata or {}).get("model_params", {}), **self.model_params}
        return self.prompt | self.llm.bind(**params)

    def _usable(self, question: str, docs: list[Document]) -> tuple[list[Citation], list[Citation], str]:
        """(the retrieved passages, those to answer from, why there are none): none when the refusal policy
        refuses the question on them, else those within the context budget, counted with the embedder's
        tokenizer (words without one)."""
        passages, why = _passages(docs), self.refusal.before_model(question, docs)
        if why:
            return passages, [], why
        return passages, fit(question, passages, self.context_tokens, self._count_tokens()), ""

    def _count_tokens(self) -> Callable[[str], int]:
        return getattr(self.embedder, "count_tokens", word_count)

    def _screen(self, passages: list[Citation]) -> tuple[list[Citation], list[str]]:
        """The passages without their instruction-like sentences, and a warning for each passage that had some."""
        if not self.injection_guard:
            return passages, []
        clean, warnings = [], []
        for passage in passages:
            screened = screen(passage.text)
            clean.append(replace(passage, text=screened.text))
            if screened.removed:
                removed = " / ".join(screened.removed)
                warnings.append(f"passage [{passage.n}] ({passage.source}): removed instruction-like text \"{removed}\"")
        return clean, warnings

    def _inputs(self, question: str, passages: list[Citation]) -> dict[str, str]:
        return {"context": format_passages(passages, self.delimited), "question": question}

    def _not_found(self, question: str, started: float, timings: dict[str, float], why: str,
                   retrieved: list[Citation]) -> Iterator[RagEvent]:
        """The no-answer reply without the model; the Answer keeps what retrieval found, to show why."""
        timings["total_s"] = time.perf_counter() - started
        text = not_found(question)
        yield TextDelta(text)
        yield Answer(question, text, [], retrieved, "none (no relevant passages)", self._prompt_meta(), timings,
                     found=False, warnings=[why] if why else [])

    def _finish(self, question: str, reply: str, passages: list[Citation], clean: list[Citation],
                warnings: list[str], started: float, timings: dict[str, float]) -> Answer:
        """The grounded Answer: the guardrail judges the reply on the screened passages, citations show the originals."""
        generated, guarding = reply.strip(), time.perf_counter()
        text, grounded, extractive, because = self._grounded(question, clean_reply(generated), clean)
        refused = self.refusal.after_guardrail(question, text, because) if extractive and grounded else ""
        if refused:
            text, grounded = not_found(question), []
        timings["guardrail_s"] = time.perf_counter() - guarding
        timings["context_tokens"] = sum(map(self._count_tokens(), (p.text for p in passages)))
        warnings = warnings + unsupported_citations(text, grounded) + ([refused] if refused else [])
        originals = {p.n: p for p in passages}
        citations = [replace(originals[c.n], inferred=c.inferred) for c in grounded]
        timings["total_s"] = time.perf_counter() - started
        timings["generate_s"] = timings["total_s"] - timings["retrieve_s"] - timings["guardrail_s"]
        timings.setdefault("first_token_s", timings["generate_s"])
        return Answer(question, text, citations, passages, identity_of(self.llm).name, self._prompt_meta(), timings,
                      extractive=extractive, generated=generated, warnings=warnings, replaced_because=because)

    def _grounded(self, question: str, text: str,
                  passages: list[Citation]) -> tuple[str, list[Citation], bool, str]:
        """The guardrail: (text, citations, extractive, why it was replaced). A reply the passages back is kept and
        cited to the passage backing it (its [n] marks rewritten or added); a reply stating what no passage says
        (see ragkit.chains.grounding.unsupported) is replaced by the sentence answering the question, cited."""
        cited = cite(text, passages)
        if not self.grounding or says_not_found(text):
            return text, cited, False, ""
        # A reply longer than 1.5 passages is passages pasted together, not the one or two sentences asked for.
        pasted = len(text) > 1.5 * max((len(p.text) for p in passages), default=0)
        reason = ("an empty reply" if not text else "passages pasted together" if pasted
                  else unsupported(text, [p.text for p in passages], question))
        if not reason:
            explicit = bool(cited) and not cited[0].inferred
            if explicit and support(text, "\n".join(c.text for c in cited)) >= threshold_for(text):
                return text, cited, False, ""
            backing = max(passages, key=lambda p: (support(text, p.text), p in cited, -p.n))
            return with_mark(text, backing.n), [replace(backing, inferred=not explicit)], False, ""
        ordered = [p for p in cited + passages if p.text.strip()]
        if not ordered:
            return not_found(question), [], True, reason
        sentence = best_sentence([p.text for p in dict.fromkeys(ordered)], question, text, self.embedder)
        source = next((p for p in ordered if sentence in quote_units(p.text)), ordered[0])
        return f"{sentence} [{source.n}]", [source], True, reason

    def retrieve(self, question: str) -> list[Citation]:
        """The numbered passages a question would be answered from (within the context budget)."""
        return self._usable(question, self.retriever.invoke(question))[1]

    def _prompt_meta(self) -> dict[str, Any]:
        return dict(self.prompt.metadata or {})


def _asked(answer: Answer, asked: str, rewritten: str, rewrite_s: float) -> Answer:
    """The standalone question's Answer named for the question as asked and, after a rewrite, the rewritten one,
    its time (rewrite_s) counted in total_s."""
    if not rewritten:
        return answer
    timings = {**answer.timings, "rewrite_s": rewrite_s, "total_s": answer.timings.get("total_s", 0.0) + rewrite_s}
    return replace(answer, question=asked, rewritten=rewritten, timings=timings)


def _no_kwargs(kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise InvalidInputError(f"RagChain got unknown arguments {sorted(kwargs)}: set them on the chain")


def model_timings(chunk: Any) -> dict[str, float]:
    """The prefill/decode split a ragkit chat model puts in its last chunk's metadata (ragkit.models.base
    GenerationMeter); the chain measures the first token itself, from the end of retrieval."""
    meta = getattr(chunk, "response_metadata", None) or {}
    return {key: value for key, value in (meta.get("timings") or {}).items() if key != "first_token_s"}


def _text(chunk: Any) -> str:
    """The text of a streamed model chunk (a message chunk from chat models, a string from LLMs)."""
    return chunk if isinstance(chunk, str) else chunk.text


def _passages(docs: list[Document]) -> list[Citation]:
    return [_citation(n, doc) for n, doc in enumerate(docs, start=1)]


def _citation(n: int, doc: Document) -> Citation:
    meta = doc.metadata
    return Citation(n, str(meta.get("source", "?")), int(meta.get("page", 1)), int(meta.get("start", 0)),
                    int(meta.get("end", len(doc.page_content))), doc.id or "", float(meta.get("score", 0.0)),
                    doc.page_content, where=str(meta.get("label", "")))
