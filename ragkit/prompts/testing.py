"""`ragkit prompts test`: render each test's inputs and compare with its snapshot; with a model, run the prompt
and check the assertions on the reply. Building and rendering failures are file:line problems, never tracebacks;
lint runs the same renders (`render_checks`)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLanguageModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate
from langchain_core.prompts.chat import BaseChatPromptTemplate

from ragkit.errors import PromptRenderError, RagkitError
from ragkit.prompts.build import to_template
from ragkit.prompts.loader import prompt_files
from ragkit.prompts.parse import Problem, check_prompt_file
from ragkit.prompts.selectors import TokenCounter
from ragkit.prompts.spec import Assertion, PromptFile, PromptTest

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


@dataclass
class TestReport:
    """What a test run found."""

    files: int = 0
    tests: int = 0
    failures: list[Problem] = field(default_factory=list)
    assertions_run: int = 0
    assertions_skipped: int = 0


def render_text(template: BasePromptTemplate, values: dict[str, Any]) -> str:
    """A template's render as text: chat messages as 'role:' lines over their content, like the file body."""
    if isinstance(template, BaseChatPromptTemplate):
        messages = template.format_messages(**values)
        return "\n\n".join(f"{_ROLES.get(m.type, m.type)}:\n{m.text}" for m in messages)
    return template.format(**values)


def repository_files(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Each prompt file under `paths` with its prompt repository (the directory given, or a file's folder)."""
    return [(file, path if path.is_dir() else path.parent) for path in map(Path, paths) for file in prompt_files(path)]


def build_template(spec: PromptFile, embeddings: Embeddings | None = None,
                   count_tokens: TokenCounter | None = None) -> tuple[BasePromptTemplate | None, list[Problem]]:
    """The LangChain template of a valid file, or the problem that kept it from being built."""
    try:
        return to_template(spec, embeddings=embeddings, count_tokens=count_tokens), []
    except RagkitError as exc:
        return None, [Problem(spec.path, 1, str(exc).removeprefix(f"{spec.path}:1: "))]


def render_case(spec: PromptFile, template: BasePromptTemplate, label: str, line: int,
                values: dict[str, Any]) -> tuple[str | None, Problem | None]:
    """The render of one set of values, or the problem (at the failing template line when known) that stopped it."""
    try:
        return render_text(template, values), None
    except PromptRenderError as exc:
        return None, Problem(exc.path or spec.path, exc.line, f"{label}: {exc.reason}")
    except Exception as exc:  # noqa: BLE001 -- LangChain's checks and example selectors fail in their own ways
        return None, Problem(spec.path, line, f"{label}: rendering failed: {type(exc).__name__}: {exc}")


def render_checks(spec: PromptFile, embeddings: Embeddings | None = None,
                  count_tokens: TokenCounter | None = None) -> list[Problem]:
    """Build a valid file's template and render every test case (placeholder values when it has no tests)."""
    template, problems = build_template(spec, embeddings, count_tokens)
    if template is None:
        return problems
    cases = [(_label(index, test), _line(spec, index), test.vars) for index, test in enumerate(spec.tests)] or [
        ("render with placeholder values ('<name>' for each required variable)", spec.body_line,
         {name: f"<{name}>" for name, var in spec.input_variables.items() if not var.optional})]
    for label, line, values in cases:
        problem = render_case(spec, template, label, line, values)[1]
        if problem is not None:
            problems.append(problem)
    return problems


def run_tests(paths: Iterable[Path], model: BaseLanguageModel | None = None,
              embeddings: Embeddings | None = None) -> TestReport:
    """Run the tests of every prompt file under `paths`; model assertions only when a model is given."""
    report = TestReport()
    for path, root in repository_files(paths):
        report.files += 1
        spec, problems = check_prompt_file(path, root=root)
        if spec is None or problems:
            report.failures.extend(problems)
            continue
        if not spec.tests:
            continue
        template, problems = build_template(spec, embeddings)
        report.failures.extend(problems)
        for index, test in enumerate(spec.tests if template is not None else ()):
            report.tests += 1
            _run_one(spec, template, index, test, model, report)  # type: ignore[arg-type]
    return report


def _label(index: int, test: PromptTest) -> str:
    return f"tests[{index}]" + (f" ({test.name})" if test.name else "")


def _line(spec: PromptFile, index: int) -> int:
    return spec.key_lines.get(f"tests[{index}]", 1)


def _run_one(spec: PromptFile, template: BasePromptTemplate, index: int, test: PromptTest,
             model: BaseLanguageModel | None, report: TestReport) -> None:
    line, label = _line(spec, index), _label(index, test)
    rendered, problem = render_case(spec, template, label, line, test.vars)
    if rendered is None:
        report.failures.append(problem)  # type: ignore[arg-type]
        return
    if test.render is not None and rendered.rstrip() != test.render.rstrip():
        diff = difflib.unified_diff(test.render.rstrip().splitlines(), rendered.rstrip().splitlines(),
                                    "snapshot", "rendered", lineterm="")
        report.failures.append(Problem(spec.path, spec.key_lines.get(f"tests[{index}].render", line),
                                       f"{label}: render differs from the snapshot\n" + "\n".join(diff)))
    if not test.asserts:
        return
    if model is None:
        report.assertions_skipped += len(test.asserts)
        return
    reply = (template | model.bind(**spec.model.bound()) | StrOutputParser()).invoke(test.vars)
    for number, check in enumerate(test.asserts):
        report.assertions_run += 1
        if not passes(check, reply):
            at = spec.key_lines.get(f"tests[{index}].assert[{number}]", line)
            report.failures.append(Problem(spec.path, at, f"{label}.assert[{number}]: {check.type} "
                                                          f"{_shown(check.value)}failed; the model replied {reply!r}"))


def passes(check: Assertion, reply: str) -> bool:
    """Whether a reply satisfies one assertion."""
    if check.type == "contains":
        return str(check.value) in reply
    if check.type == "not-contains":
        return str(check.value) not in reply
    if check.type == "icontains":
        return str(check.value).lower() in reply.lower()
    if check.type == "regex":
        return re.search(str(check.value), reply) is not None
    try:
        data = json.loads(reply)
    except json.JSONDecodeError:
        return False
    if check.type == "is-json":
        return True
    return jsonschema.Draft202012Validator(check.value).is_valid(data)


def _shown(value: Any) -> str:
    return "" if value is None else f"{json.dumps(value) if isinstance(value, dict) else repr(value)} "
