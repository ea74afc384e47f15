"""`ragkit eval ...`: retrieval and question-answering evaluation commands."""

from __future__ import annotations

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Evaluate retrieval and question answering.")
