"""How `ragkit ask` and `ragkit chat` show an answer (streamed text, notes, timings, sources), and where they get it:
a running `ragkit serve` when one is up and can answer as asked, else this process."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ragkit.cli_support import console, printable
from ragkit.errors import InvalidInputError

if TYPE_CHECKING:
    from ragkit.answer import Answer, RagEvent


def show_answer(events: Iterable[RagEvent], verbose: bool = False) -> Answer:
    """Print the answer as it streams, then the guardrail note, warnings and the model line (+ timings)."""
    from ragkit.answer import TextDelta, guardrail_note

    answer = None
    for event in events:
        if isinstance(event, TextDelta):
            console.print(event.text, end="", highlight=False, markup=False)
            sys.stdout.flush()
        else:
            answer = event
    console.print()
    assert answer is not None
    if answer.extractive:
        console.print(f"{guardrail_note(answer.question)} {answer.text}", style="yellow", highlight=False,
                      markup=False)
    for warning in answer.warnings:
        console.print(f"warning: {printable(warning)}", style="yellow", highlight=False, markup=False)
    cached = ", from the answer cache" if answer.cached else ""
    console.print(f"\nmodel: {answer.model}  ({answer.timings.get('total_s', 0):.1f} s{cached})", style="dim",
                  highlight=False, markup=False)
    if verbose:
        console.print(timing_line(answer.timings), style="dim", highlight=False, markup=False)
    return answer


def show_sources(answer: Answer) -> None:
    """The cited passages, one line each."""
    if answer.citations:
        console.print("sources:", style="bold")
        for citation in answer.citations:
            note = " (attributed: the model gave no [n])" if citation.inferred else ""
            console.print(f"  {printable(citation.label())}{note}", highlight=False, markup=False)


def timing_line(t: dict[str, float]) -> str:
    """One line of where an answer's time went (missing parts, e.g. no model call, are left out)."""
    parts = [f"retrieval {t.get('retrieve_s', 0):.2f} s"]
    if "context_tokens" in t:
        parts.append(f"context {int(t['context_tokens'])} tokens")
    if "prefill_tokens" in t:
        cached = int(t.get("prompt_tokens", 0) - t["prefill_tokens"])
        parts.append(f"prefill {int(t['prefill_tokens'])} tokens ({cached} cached) {t.get('prefill_s', 0):.2f} s, "
                     f"{t.get('prefill_tok_s', 0):.0f} tok/s")
    if "first_token_s" in t:
        parts.append(f"first token {t['first_token_s']:.2f} s")
    if "decode_tokens" in t:
        parts.append(f"decode {int(t['decode_tokens'])} tokens {t.get('decode_s', 0):.2f} s, "
                     f"{t.get('decode_tok_s', 0):.1f} tok/s")
    if "guardrail_s" in t:
        parts.append(f"guardrail {t['guardrail_s']:.2f} s")
    if "threads" in t:
        parts.append(f"threads {int(t['threads'])}")
    parts.append(f"total {t.get('total_s', 0):.2f} s")
    return "time: " + " | ".join(parts)


def server_url(given: str | None, use_server: bool, model: str | None, in_process_only: list[str]) -> str | None:
    """The server to ask: `given`, else the one `ragkit serve` announced for the indexes directory when it answers
    with the same model; None (answer in-process) with --no-server or options only this process honours."""
    if not use_server:
        return None
    if given is not None:
        if in_process_only:
            raise InvalidInputError(f"--server cannot take {', '.join(in_process_only)}: drop them or use --no-server")
        return given.rstrip("/")
    if in_process_only:
        return None
    from ragkit.models.presets import DEFAULT_PRESET
    from ragkit.paths import indexes_dir
    from ragkit.server.discovery import running_server

    info = running_server(indexes_dir())
    if info is None or (model or DEFAULT_PRESET) != (info.model or DEFAULT_PRESET):
        return None
    return info.url


def answer_events(url: str | None, explicit: bool, index: str, question: str,
                  in_process: Callable[[], Iterator[RagEvent]], **fields: Any) -> Iterator[RagEvent]:
    """The answer from the server at `url` (`fields`: AskRequest's), else from `in_process`; a server found by its
    state file that does not answer (gone, still starting) falls back to this process, a given one is an error."""
    if url is None:
        yield from in_process()
        return
    from ragkit.server.client import ServerUnavailable, stream_answer

    events = stream_answer(url, index, question, **fields)
    try:
        first = next(events)
    except ServerUnavailable:
        if explicit:
            raise
        yield from in_process()
        return
    yield first
    yield from events
