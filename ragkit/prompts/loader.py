"""Find prompt repositories and load prompts from them by id as LangChain templates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.prompts import BasePromptTemplate

from ragkit.errors import PromptError
from ragkit.prompts.build import to_template
from ragkit.prompts.parse import parse_prompt_file, read_front_matter, with_examples
from ragkit.prompts.selectors import TokenCounter

SUFFIX = ".prompt"
ENV = "RAGKIT_PROMPTS"


def prompt_repository(repository: str | Path | None = None) -> Path:
    """The given directory, else $RAGKIT_PROMPTS, else the repo's prompts/, else the copy packaged in the wheel."""
    if repository is not None or os.environ.get(ENV):
        path = Path(repository if repository is not None else os.environ[ENV])
        if not path.is_dir():
            raise PromptError(f"prompt repository {path} is not a directory")
        return path
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "prompts", package / "_prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError(f"no prompt repository found: set {ENV} to a directory of *{SUFFIX} files")


def prompt_files(root: Path) -> list[Path]:
    """The prompt files under a directory (or the file itself), sorted."""
    return [root] if root.is_file() else sorted(root.rglob(f"*{SUFFIX}"))


def index_prompts(repository: str | Path | None = None) -> dict[str, Path]:
    """Map each prompt id to its file, reading only front matter; two files with one id are an error."""
    found: dict[str, Path] = {}
    for path in prompt_files(prompt_repository(repository)):
        prompt_id = str(read_front_matter(path).get("id", ""))
        if prompt_id in found:
            raise PromptError(f"{path}:1: duplicate id {prompt_id!r}, also in {found[prompt_id]}")
        found[prompt_id] = path
    return found


def list_prompts(repository: str | Path | None = None) -> list[str]:
    """Ids of the prompts in a repository, sorted."""
    return sorted(index_prompts(repository))


def load(prompt_id: str, repository: str | Path | None = None, *, embeddings: Embeddings | None = None,
         count_tokens: TokenCounter | None = None, examples: list[dict[str, Any]] | None = None) -> BasePromptTemplate:
    """Load a prompt by id as a LangChain template; its metadata carries prompt_id, prompt_version, prompt_sha256.

    `embeddings` back semantic example selectors (default: the packaged sentence-transformer); `count_tokens`
    counts for a length-based selector (needed unless it names the 'words' tokenizer), e.g.
    `ragkit.models.token_counter(name)` for the model preset or .gguf file it names. `examples` replace a few-shot
    prompt's own examples (its selector then picks from them): a pool too large, or not ours, to keep in the
    repository; each must have the keys its example template and selector read.
    """
    files = index_prompts(repository)
    if prompt_id not in files:
        raise PromptError(f"no prompt with id {prompt_id!r} in {prompt_repository(repository)}")
    spec = parse_prompt_file(files[prompt_id], root=prompt_repository(repository))
    if examples is not None:
        spec = with_examples(spec, examples)
    return to_template(spec, embeddings=embeddings, count_tokens=count_tokens)
