"""What every `ragkit` command shares: the consoles and the one-line error exit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from ragkit.errors import RagkitError

# soft_wrap: lines are never cut at the terminal width, so output piped to a file or a program keeps one item a line.
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn ragkit errors (the user's to fix) into one line on stderr and exit code 2; anything else is a bug and
    keeps its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RagkitError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def printable(text: str) -> str:
    """Text safe to print: control characters (ANSI escapes in a file name, newlines) shown escaped."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
