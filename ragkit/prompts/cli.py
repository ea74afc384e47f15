"""`ragkit prompts ...`: lint and test a prompt repository (both exit 1 with file:line messages on failure)."""

from __future__ import annotations

from pathlib import Path

import typer

from ragkit.cli_support import console, err, one_line_errors
from ragkit.errors import InvalidInputError
from ragkit.prompts.lint import lint
from ragkit.prompts.loader import prompt_repository
from ragkit.prompts.testing import run_tests

prompts_app = typer.Typer(no_args_is_help=True, help="Lint and test prompt files.")

_PATHS = typer.Argument(None, help="Prompt files or directories; default: the configured prompt repository.")


def _targets(paths: list[Path] | None) -> list[Path]:
    targets = paths or [prompt_repository()]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise InvalidInputError(f"no such file or directory: {missing[0]}")
    return targets


@prompts_app.command("lint")
@one_line_errors
def lint_command(paths: list[Path] | None = _PATHS) -> None:
    """Check prompt files: format, variables, templates, descriptions, examples, duplicate ids, version bumps."""
    files, problems = lint(_targets(paths))
    for problem in problems:
        err.print(str(problem), highlight=False, soft_wrap=True, markup=False)
    if problems:
        err.print(f"{len(problems)} problem(s) in {files} prompt file(s)", highlight=False)
        raise typer.Exit(1)
    console.print(f"{files} prompt file(s) ok", highlight=False)


@prompts_app.command("test")
@one_line_errors
def test_command(
    paths: list[Path] | None = _PATHS,
    model: str | None = typer.Option(None, "--model", "-m",
                                     help="Run model assertions with this model: gemma3-270m, qwen2.5-1.5b or a "
                                          ".gguf path. Without it only render snapshots are checked."),
) -> None:
    """Render each prompt test and compare with its snapshot; with --model, check assertions on the reply."""
    llm = None
    if model is not None:
        from ragkit.models import ChatLlamaCpp

        llm = ChatLlamaCpp(model=model).load()
    report = run_tests(_targets(paths), llm)
    for problem in report.failures:
        err.print(str(problem), highlight=False, soft_wrap=True, markup=False)
    if llm is None and report.assertions_skipped:
        console.print(f"model assertions skipped: {report.assertions_skipped} (no --model given)", highlight=False)
    summary = (f"{report.tests} test(s) in {report.files} prompt file(s): {len(report.failures)} failure(s), "
               f"{report.assertions_run} model assertion(s) run")
    if report.failures:
        err.print(summary, highlight=False)
        raise typer.Exit(1)
    console.print(summary, highlight=False)
