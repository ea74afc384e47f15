"""`ragkit chat`: one process answers question after question, so the embedder, the index and the model load once
and llama.cpp's KV cache stays warm; follow-ups are rewritten from the conversation (ragkit.chains.rewrite)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ragkit import cli_support as support
from ragkit.cli_answer import show_answer, show_sources
from ragkit.cli_support import BackendOpt, IndexOpt, KOpt, MaxTokensOpt, ModelOpt, TemperatureOpt, VerboseOpt
from ragkit.errors import RagkitError

if TYPE_CHECKING:
    from ragkit.answer import Answer

HELP = "/sources: the last answer's passages in full  /clear: forget the conversation  /quit: leave (or Ctrl-D)"
PASSAGE_CHARS = 600


@support.one_line_errors
def chat(index: IndexOpt = "default", model: ModelOpt = None, backend: BackendOpt = "llamacpp", k: KOpt = 4,
         max_tokens: MaxTokensOpt = None, temperature: TemperatureOpt = None, verbose: VerboseOpt = False) -> None:
    """Ask question after question (follow-ups included) with the models loaded once; streamed, with sources."""
    from ragkit.kb import KnowledgeBase
    from ragkit.models import chat_model
    from ragkit.settings import RetrievalSettings, validated

    kb = KnowledgeBase(index, llm=chat_model(backend, model), retrieval=validated(RetrievalSettings, k=k))
    kb.manifest()  # an unknown index is a one-line error before the first prompt
    params: dict[str, Any] = {key: value for key, value in (("max_tokens", max_tokens), ("temperature", temperature))
              if value is not None}
    if sys.stdin.isatty():
        import readline  # noqa: F401 - line editing and history for input()
    support.console.print(f"chat with index '{support.printable(index)}'. {HELP}",
                          style="dim", highlight=False, markup=False)
    history: list[tuple[str, str]] = []
    last: Answer | None = None
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            support.console.print()
            return
        if line in ("/quit", "/exit"):
            return
        if line == "/clear":
            history, last = [], None
            support.console.print("conversation cleared", style="dim", highlight=False, markup=False)
        elif line == "/sources":
            _passages(last)
        elif line.startswith("/"):
            support.console.print(f"unknown command {support.printable(line)}. {HELP}",
                                  style="yellow", highlight=False, markup=False)
        elif line:
            try:
                last = show_answer(kb.stream(line, history=history, **params), verbose)
            except RagkitError as exc:
                support.err.print(f"[red]error:[/red] {exc}", highlight=False)
                continue
            if last.rewritten and last.rewritten != line:
                support.console.print(f"(asked as: {support.printable(last.rewritten)})",
                                      style="dim", highlight=False, markup=False)
            show_sources(last)
            history += [("user", line), ("assistant", last.text)]


def _passages(answer: Answer | None) -> None:
    """The cited passages of the last answer, each with its text."""
    if answer is None or not answer.citations:
        support.console.print("no sources yet: ask a question first", style="dim", highlight=False, markup=False)
        return
    for citation in answer.citations:
        support.console.print(support.printable(citation.label()), style="bold", highlight=False, markup=False)
        text = " ".join(citation.text.split())
        support.console.print(f"  {text[:PASSAGE_CHARS]}{'...' if len(text) > PASSAGE_CHARS else ''}", highlight=False,
                      markup=False)
