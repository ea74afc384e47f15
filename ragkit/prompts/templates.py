"""Template text: finding variables (with lines), rendering in a sandbox, and the two LangChain template classes
ragkit needs beyond LangChain's own.

LangChain renders Jinja2 in a default `SandboxedEnvironment`: templates still see its globals (`range`, `lipsum`,
`cycler`, `namespace`...) and undefined names render silently as ''. ragkit's sandbox has no globals and strict
undefined names, and gets only the variables a template declares. Its few-shot template also inserts rendered
examples verbatim, where LangChain formats them a second time (so literal `{` in an example broke f-strings).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from langchain_core.prompts import FewShotPromptTemplate, PromptTemplate
from langchain_core.prompts.string import validate_f_string_template
from langchain_core.utils.formatting import formatter

from ragkit.prompts.spec import TemplateFormat


class TemplateSyntax(ValueError):
    """A template does not compile; `line` is 1-based within the template text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@functools.lru_cache(maxsize=1)
def sandbox() -> ImmutableSandboxedEnvironment:
    """The shared Jinja2 sandbox: immutable, no globals, undefined names are errors, no autoescaping of text."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals.clear()
    return env


def template_variables(text: str, template_format: TemplateFormat) -> dict[str, int]:
    """Each variable a template reads, with the 1-based line of its first use; raises TemplateSyntax."""
    if template_format == "jinja2":
        return _jinja_variables(text)
    found: dict[str, int] = {}
    # f-string fields cannot span lines, so checking line by line locates errors without losing anything.
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            names = validate_f_string_template(line)
        except ValueError as exc:
            raise TemplateSyntax(number, f"invalid f-string template: {exc}") from None
        if "" in names:
            raise TemplateSyntax(number, "invalid f-string template: '{}' has no variable name (write {{ }} for "
                                         "literal braces)")
        for name in names:
            found.setdefault(name, number)
    return found


def _jinja_variables(text: str) -> dict[str, int]:
    try:
        tree = sandbox().parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateSyntax(exc.lineno or 1, f"invalid Jinja2 template: {exc.message}") from None
    for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        raise TemplateSyntax(node.lineno, "invalid Jinja2 template: a prompt cannot extend, include or import files")
    free = meta.find_undeclared_variables(tree)
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in free and node.ctx == "load":
            found[node.name] = min(found.get(node.name, node.lineno), node.lineno)
    return dict(sorted(found.items(), key=lambda item: item[1]))


def render(text: str, template_format: TemplateFormat, values: Mapping[str, Any]) -> str:
    """Render template text with exactly the given values (f-string via LangChain's strict formatter)."""
    if template_format == "jinja2":
        return sandbox().from_string(text).render(**values)
    return formatter.format(text, **values)


class SandboxedPromptTemplate(PromptTemplate):
    """A Jinja2 PromptTemplate rendered in ragkit's sandbox, seeing only the variables it declares."""

    template_format: Literal["jinja2"] = "jinja2"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serializable: a reload as a plain PromptTemplate would drop the sandbox."""
        return False

    def format(self, **kwargs: Any) -> str:
        values = self._merge_partial_and_user_variables(**kwargs)
        declared = [*self.input_variables, *self.partial_variables]
        return render(self.template, "jinja2", {k: values[k] for k in declared if k in values})

    async def aformat(self, **kwargs: Any) -> str:
        return self.format(**kwargs)


class VerbatimFewShotPromptTemplate(FewShotPromptTemplate):
    """FewShotPromptTemplate whose rendered examples are inserted as they are, never formatted again."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return False

    def format(self, **kwargs: Any) -> str:
        values = self._merge_partial_and_user_variables(**kwargs)
        return self._assemble(self._get_examples(**values), values)

    async def aformat(self, **kwargs: Any) -> str:
        values = self._merge_partial_and_user_variables(**kwargs)
        return self._assemble(await self._aget_examples(**values), values)

    def _assemble(self, examples: list[dict[str, Any]], values: dict[str, Any]) -> str:
        keys = self.example_prompt.input_variables
        shown = [self.example_prompt.format(**{k: example[k] for k in keys}) for example in examples]
        declared = [*self.input_variables, *self.partial_variables]
        own = {k: values[k] for k in declared if k in values}
        pieces = [render(self.prefix, self.template_format, own), *shown, render(self.suffix, self.template_format, own)]
        return self.example_separator.join(piece for piece in pieces if piece)
