"""Read `*.prompt` files: YAML front matter validated by pydantic, then a template body with `system:`/`user:`/
`assistant:` role lines. Templates render with f-strings or Jinja2 (LangChain renders Jinja2 in a sandbox)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.prompts import BasePromptTemplate, ChatPromptTemplate, PromptTemplate
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit.errors import PromptError
from ragkit.hashing import content_hash

SUFFIX = ".prompt"
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n(.*)\Z", re.DOTALL)
_ROLE = re.compile(r"^(system|user|assistant):\s*$", re.MULTILINE)
_ROLE_NAMES = {"system": "system", "user": "human", "assistant": "ai"}


class InputVariable(BaseModel):
    """A declared template input."""

    model_config = ConfigDict(extra="forbid")
    description: str
    optional: bool = False


class PromptFile(BaseModel):
    """Front matter of a prompt file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    template_format: Literal["f-string", "jinja2"] = "f-string"
    input_variables: dict[str, InputVariable] = Field(default_factory=dict)
    model: dict[str, Any] = Field(default_factory=dict)
    template: str = ""
    path: str = ""

    @property
    def sha256(self) -> str:
        """Hash of the template text, recorded with every result that used it."""
        return content_hash(self.template)


def prompt_repository() -> Path:
    """The prompt repository: $RAGKIT_PROMPTS, else the repo's prompts/, else the copy packaged in the wheel."""
    env = os.environ.get("RAGKIT_PROMPTS")
    if env:
        return Path(env)
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "prompts", package / "_prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError("no prompt repository found: set RAGKIT_PROMPTS to a directory of *.prompt files")


def parse_prompt_file(path: Path) -> PromptFile:
    """Parse and validate one prompt file; errors name the file and the field."""
    match = _FRONT.match(path.read_text(encoding="utf-8"))
    if not match:
        raise PromptError(f"{path}:1: a prompt file starts with '---', YAML front matter, '---', then the template")
    try:
        front = yaml.safe_load(match.group(1)) or {}
        return PromptFile(**front, template=match.group(2), path=str(path))
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}:1: invalid YAML front matter: {exc}") from exc
    except (ValidationError, TypeError) as exc:
        raise PromptError(f"{path}:1: invalid front matter: {exc}") from exc


def list_prompts(repository: str | Path | None = None) -> list[str]:
    """Ids of the prompts in a repository, sorted."""
    root = Path(repository) if repository else prompt_repository()
    return sorted(parse_prompt_file(p).id for p in root.rglob(f"*{SUFFIX}"))


def load(prompt_id: str, repository: str | Path | None = None) -> BasePromptTemplate:
    """Load a prompt by id as a LangChain template; its metadata carries id, version and sha256."""
    root = Path(repository) if repository else prompt_repository()
    for path in sorted(root.rglob(f"*{SUFFIX}")):
        spec = parse_prompt_file(path)
        if spec.id == prompt_id:
            return to_template(spec)
    raise PromptError(f"no prompt with id {prompt_id!r} in {root}")


def to_template(spec: PromptFile) -> BasePromptTemplate:
    """Build the LangChain template: a chat template when the body has role lines, else a plain one."""
    metadata = {"prompt_id": spec.id, "prompt_version": spec.version, "prompt_sha256": spec.sha256}
    parts = _ROLE.split(spec.template)
    try:
        if len(parts) == 1:
            template: BasePromptTemplate = PromptTemplate.from_template(
                spec.template.strip(), template_format=spec.template_format
            )
        else:
            messages = [(_ROLE_NAMES[role], body.strip()) for role, body in zip(parts[1::2], parts[2::2])]
            template = ChatPromptTemplate.from_messages(messages, template_format=spec.template_format)
    except (ValueError, KeyError) as exc:
        raise PromptError(f"{spec.path}: invalid template: {exc}") from exc
    declared = set(spec.input_variables)
    used = set(template.input_variables)
    if used - declared:
        raise PromptError(f"{spec.path}: template uses undeclared variables {sorted(used - declared)}")
    template.metadata = metadata
    return template
