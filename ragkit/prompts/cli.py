"""`ragkit prompts ...`: lint and test a prompt repository."""

from __future__ import annotations

import typer

prompts_app = typer.Typer(no_args_is_help=True, help="Lint and test prompt files.")
