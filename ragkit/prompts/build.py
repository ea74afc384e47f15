"""Turn a parsed prompt file into the LangChain template that fits it: PromptTemplate, ChatPromptTemplate,
FewShotPromptTemplate, or a ChatPromptTemplate holding a FewShotChatMessagePromptTemplate."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.prompts import (
    AIMessagePromptTemplate,
    BasePromptTemplate,
    ChatPromptTemplate,
    FewShotChatMessagePromptTemplate,
    HumanMessagePromptTemplate,
    PromptTemplate,
    SystemMessagePromptTemplate,
)

from ragkit.errors import PromptError, RagkitError
from ragkit.prompts.parse import EXAMPLES, ROLES, Section, sections
from ragkit.prompts.selectors import TokenCounter, build_selector
from ragkit.prompts.spec import PromptFile, TemplateFormat
from ragkit.prompts.templates import GuardedPromptTemplate, VerbatimFewShotPromptTemplate

_MESSAGES = {"system": SystemMessagePromptTemplate, "user": HumanMessagePromptTemplate,
             "assistant": AIMessagePromptTemplate}


def to_template(spec: PromptFile, *, embeddings: Embeddings | None = None,
                count_tokens: TokenCounter | None = None) -> BasePromptTemplate:
    """The LangChain template of a valid prompt file; `.metadata` carries its id, version and sha256.

    Raises PromptError naming the file when its examples or selector cannot be built (other RagkitErrors, such as a
    missing embedding model, pass through).
    """
    try:
        return _build(spec, embeddings, count_tokens)
    except RagkitError:
        raise
    except Exception as exc:  # LangChain and the selectors fail on a file's data in ways of their own
        raise PromptError(f"{spec.path}:1: the template cannot be built: {type(exc).__name__}: {exc}") from exc


def _build(spec: PromptFile, embeddings: Embeddings | None, count_tokens: TokenCounter | None) -> BasePromptTemplate:
    parts = sections(spec.template, spec.body_line)
    chat = any(p.role in ROLES for p in parts)
    fmt, origin = spec.template_format, spec.path
    example_line = spec.key_lines.get("example_template", 1)
    template: BasePromptTemplate
    if spec.example_template is None:
        template = ChatPromptTemplate(messages=_messages(parts[1:], fmt, origin)) if chat else string_template(
            spec.template, fmt, origin, spec.body_line)
    elif chat:
        example_prompt = ChatPromptTemplate(
            messages=_messages(sections(spec.example_template, example_line)[1:], fmt, origin))
        few_shot = FewShotChatMessagePromptTemplate(
            example_prompt=example_prompt, **_example_source(spec, example_prompt, embeddings, count_tokens))
        template = ChatPromptTemplate(messages=_messages(parts[1:], fmt, origin, few_shot))
    else:
        string_example = string_template(spec.example_template, fmt, origin, example_line)
        (prefix, prefix_line), (suffix, suffix_line) = (_stripped(part.text, part.line) for part in parts[:2])
        template = VerbatimFewShotPromptTemplate(
            prefix=prefix, suffix=suffix, template_format=fmt, origin=origin, prefix_line=prefix_line,
            suffix_line=suffix_line, example_prompt=string_example,
            **_example_source(spec, string_example, embeddings, count_tokens))
    optional = {name: "" for name, var in spec.input_variables.items() if var.optional}
    if optional:
        template = template.partial(**optional)
    template.metadata = spec.metadata()
    return template


def string_template(text: str, template_format: TemplateFormat, origin: str = "", first_line: int = 1) -> PromptTemplate:
    """A string template rendered in ragkit's guarded sandbox; `origin` and `first_line` locate its errors."""
    stripped, line = _stripped(text, first_line)
    # input_variables is filled in by GuardedPromptTemplate's before-validator, from the template text
    return GuardedPromptTemplate(  # type: ignore[call-arg]
        template=stripped, template_format=template_format, origin=origin, first_line=line)


def _stripped(text: str, first_line: int) -> tuple[str, int]:
    """Text without surrounding blank space, and the file line it now starts on."""
    leading = text[: len(text) - len(text.lstrip())]
    return text.strip(), first_line + leading.count("\n")


def _messages(parts: list[Section], template_format: TemplateFormat, origin: str,
              few_shot: FewShotChatMessagePromptTemplate | None = None) -> list[Any]:
    """Message templates for role sections; the 'examples:' section becomes the few-shot block."""
    return [few_shot if part.role == EXAMPLES else
            _MESSAGES[str(part.role)](prompt=string_template(part.text, template_format, origin, part.line))
            for part in parts]


def _example_source(spec: PromptFile, example_prompt: BasePromptTemplate, embeddings: Embeddings | None,
                    count_tokens: TokenCounter | None) -> dict[str, Any]:
    """Either the fixed examples or the selector that picks them per input."""
    if spec.example_selector is None:
        return {"examples": spec.example_rows}
    keys = [name for name in spec.input_variables if all(name in row for row in spec.example_rows)]
    selector: BaseExampleSelector = build_selector(spec.example_selector, list(spec.example_rows), example_prompt,
                                                   keys, embeddings, count_tokens)
    return {"example_selector": selector}
