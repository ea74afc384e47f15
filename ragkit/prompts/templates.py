"""Template text: finding variables (with lines), rendering in ragkit's guarded sandbox, and the LangChain template
classes ragkit renders through.

LangChain renders Jinja2 in a default `SandboxedEnvironment`: templates still see its globals (`range`, `lipsum`,
`cycler`, `namespace`...), undefined names render silently as '', nothing bounds time or size, and even reading a
template's variables folds its constants (`{{ 9**(9**9) }}` hangs). ragkit's sandbox (sandbox.py) has no globals,
strict undefined names and limits, and gets only the declared variables, as plain data; f-string values are plain
data too and format widths are bounded. Its few-shot template also inserts rendered examples verbatim, where
LangChain formats them a second time (so literal `{` in an example broke f-strings). Every render failure is a
PromptError located in the prompt file.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes
from langchain_core.prompts import FewShotPromptTemplate, PromptTemplate
from langchain_core.prompts.string import validate_f_string_template
from langchain_core.utils.formatting import formatter
from pydantic import model_validator
from typing_extensions import Self

from ragkit.errors import PromptError, PromptRenderError
from ragkit.prompts.sandbox import TemplateLimitError, check_format_fields, compiled, plain_data, render_jinja, sandbox
from ragkit.prompts.spec import TemplateFormat

_JINJA_FILE = "<template>"


class TemplateSyntax(ValueError):
    """A template does not compile; `line` is 1-based within the template text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def template_variables(text: str, template_format: TemplateFormat) -> dict[str, int]:
    """Each variable a template reads, with the 1-based line of its first use; raises TemplateSyntax."""
    if template_format == "jinja2":
        return _jinja_variables(text)
    found: dict[str, int] = {}
    # f-string fields cannot span lines, so checking line by line locates errors without losing anything.
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            names = validate_f_string_template(line)
            check_format_fields(line)
        except (ValueError, TemplateLimitError) as exc:
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
        for stmt in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            raise TemplateSyntax(stmt.lineno, "a prompt cannot extend, include or import files")
        free = meta.find_undeclared_variables(tree)
        compiled(text)
    except TemplateSyntaxError as exc:
        raise TemplateSyntax(exc.lineno or 1, f"invalid Jinja2 template: {exc.message}") from None
    except RecursionError:
        raise TemplateSyntax(1, "invalid Jinja2 template: nested too deeply") from None
    found: dict[str, int] = {}
    for node in tree.find_all(nodes.Name):
        if node.name in free and node.ctx == "load":
            found[node.name] = min(found.get(node.name, node.lineno), node.lineno)
    return dict(sorted(found.items(), key=lambda item: item[1]))


def render(text: str, template_format: TemplateFormat, values: Mapping[str, Any], origin: str = "",
           first_line: int = 1) -> str:
    """Render template text with exactly the given values, as plain data and within the sandbox's limits.

    Raises PromptRenderError (the file and line of the failing template line) for any failure.
    """
    try:
        if template_format == "jinja2":
            return render_jinja(text, values)
        data = plain_data(values)
        check_format_fields(text, (), data)
        return formatter.format(text, **data)
    except PromptError as exc:
        raise PromptRenderError(origin, first_line, str(exc)) from exc
    except Exception as exc:  # a template may fail in any way: each is reported at the file line that failed
        reason = exc.message if isinstance(exc, TemplateSyntaxError) else str(exc)
        raise PromptRenderError(origin, first_line + _template_line(exc) - 1,
                                f"the template failed: {type(exc).__name__}: {reason}") from exc


def _template_line(exc: BaseException) -> int:
    """The template line an error was raised on (jinja2 rewrites tracebacks to template lines); 1 when unknown."""
    if isinstance(exc, TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == _JINJA_FILE]
    return (lines[-1] or 1) if lines else 1


class GuardedPromptTemplate(PromptTemplate):
    """A PromptTemplate (f-string or Jinja2) rendered by `render`: only its declared variables, as plain data, within
    the sandbox's limits; failures name the prompt file and line."""

    origin: str = ""
    """The prompt file the template comes from, for error messages."""
    first_line: int = 1
    """File line of the template's first line."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Not serializable: a reload as a plain PromptTemplate would drop the guards."""
        return False

    @model_validator(mode="before")
    @classmethod
    def pre_init_validation(cls, values: Any) -> Any:
        """Input variables found by ragkit's parser (LangChain's folds Jinja2 constants, so it can hang)."""
        if isinstance(values, dict) and values.get("template") is not None:
            partial = values.get("partial_variables") or {}
            found = template_variables(values["template"], values.get("template_format", "f-string"))
            values = {**values, "input_variables": sorted(name for name in found if name not in partial)}
        return values

    def format(self, **kwargs: Any) -> str:
        values = self._merge_partial_and_user_variables(**kwargs)
        declared = [*self.input_variables, *self.partial_variables]
        return render(self.template, self.template_format,  # type: ignore[arg-type]
                      {k: values[k] for k in declared if k in values}, self.origin, self.first_line)

    async def aformat(self, **kwargs: Any) -> str:
        return self.format(**kwargs)


class VerbatimFewShotPromptTemplate(FewShotPromptTemplate):
    """FewShotPromptTemplate whose rendered examples are inserted as they are, never formatted again."""

    origin: str = ""
    """The prompt file the template comes from, for error messages."""
    prefix_line: int = 1
    """File line of the prefix's first line."""
    suffix_line: int = 1
    """File line of the suffix's first line."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return False

    @model_validator(mode="after")
    def template_is_valid(self) -> Self:
        """Input variables of prefix and suffix found by ragkit's parser (LangChain's can hang on Jinja2 constants)."""
        found = {*template_variables(self.prefix, self.template_format),
                 *template_variables(self.suffix, self.template_format)}
        self.input_variables = sorted(name for name in found if name not in self.partial_variables)
        return self

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
        pieces = [render(self.prefix, self.template_format, own, self.origin, self.prefix_line), *shown,
                  render(self.suffix, self.template_format, own, self.origin, self.suffix_line)]
        return self.example_separator.join(piece for piece in pieces if piece)
