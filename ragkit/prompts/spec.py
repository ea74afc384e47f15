"""The front matter of a prompt file as strict pydantic models: what each field means and what it may hold."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ragkit.digests import content_hash

TemplateFormat = Literal["f-string", "jinja2"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputVariable(_Strict):
    """A declared template input."""

    description: str = Field(min_length=1)
    """What the caller passes; required so reviewers know what goes in."""
    optional: bool = False
    """An optional variable renders as empty text when not given."""


class ModelParams(_Strict):
    """Generation settings the prompt was written for; chains bind them on the model they call."""

    temperature: float | None = Field(default=None, ge=0.0)
    max_tokens: int | None = Field(default=None, ge=1)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=1)
    stop: list[str] | None = None
    seed: int | None = None

    def bound(self) -> dict[str, Any]:
        """The parameters that are set, as keyword arguments for `model.bind(...)`."""
        return self.model_dump(exclude_none=True)


class _SelectorBase(_Strict):
    input_keys: list[str] | None = None
    """Input variables matched against the same keys of each example; default: declared inputs every example has."""


class SemanticSelectorConfig(_SelectorBase):
    """The k examples most similar to the input (ragkit embeddings in a FAISS store)."""

    type: Literal["semantic_similarity"]
    k: int = Field(default=4, ge=1)


class MMRSelectorConfig(_SelectorBase):
    """k examples similar to the input yet different from each other (maximal marginal relevance)."""

    type: Literal["max_marginal_relevance"]
    k: int = Field(default=4, ge=1)
    fetch_k: int = Field(default=20, ge=1)
    lambda_mult: float = Field(default=0.5, ge=0.0, le=1.0)


class LengthSelectorConfig(_Strict):
    """Examples in file order while the rendered prompt fits max_tokens of the target model's tokenizer."""

    type: Literal["length_based"]
    max_tokens: int = Field(ge=1)
    tokenizer: str = "words"
    """'words' (whitespace words, no model needed), a model preset name, or a .gguf path."""


class NGramSelectorConfig(_SelectorBase):
    """The k examples sharing the most word n-grams with the input."""

    type: Literal["ngram_overlap"]
    k: int = Field(default=4, ge=1)
    n: int = Field(default=2, ge=1)
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    """Examples scoring at or below this overlap are never selected."""


SelectorConfig = Annotated[
    SemanticSelectorConfig | MMRSelectorConfig | LengthSelectorConfig | NGramSelectorConfig,
    Field(discriminator="type"),
]


class Assertion(_Strict):
    """A check on model output, in promptfoo's shape."""

    type: Literal["contains", "not-contains", "icontains", "regex", "is-json", "json-schema"]
    value: Any = None
    """The text, pattern or JSON schema; unused by is-json."""


class PromptTest(_Strict):
    """Inputs, the exact render expected from them, and checks on what a model replies."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    render: str | None = None
    """Snapshot of the rendered prompt; chat prompts render as 'role:' lines over each message."""
    asserts: list[Assertion] = Field(default_factory=list, alias="assert")


class FrontMatter(_Strict):
    """Everything a prompt file declares above its template."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    template_format: TemplateFormat = "f-string"
    input_variables: dict[str, InputVariable] = Field(default_factory=dict)
    model: ModelParams = Field(default_factory=ModelParams)
    examples: list[dict[str, Any]] | str | None = None
    """Few-shot examples inline, or the path (relative to the prompt file) of a .yaml/.json/.jsonl list of them."""
    example_template: str | None = None
    """How one example renders; role-marked like the body when the body is."""
    example_selector: SelectorConfig | None = None
    tests: list[PromptTest] = Field(default_factory=list)


class PromptFile(FrontMatter):
    """A parsed prompt file: front matter, template body, resolved examples and where it came from."""

    template: str
    path: str
    body_line: int = 1
    """File line of the first body line, so template errors point into the file."""
    example_rows: list[dict[str, Any]] = Field(default_factory=list)
    """The examples, loaded from the referenced file when `examples` is a path."""
    key_lines: dict[str, int] = Field(default_factory=dict)
    """File line of each front-matter key by dotted path ('version', 'tests[0]'), for located messages."""

    @property
    def sha256(self) -> str:
        """Hash of everything that changes the rendered text; recorded with every result that used the prompt."""
        payload = {
            "template_format": self.template_format,
            "template": self.template,
            "example_template": self.example_template,
            "examples": self.example_rows,
        }
        return content_hash(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str))

    def metadata(self) -> dict[str, Any]:
        """Provenance carried on the loaded template."""
        return {"prompt_id": self.id, "prompt_version": self.version, "prompt_sha256": self.sha256,
                "model_params": self.model.bound()}
