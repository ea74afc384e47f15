"""`ragkit prompts test`: render each test's inputs and compare with its snapshot; with a model, run the prompt
and check the assertions on the reply."""

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

from ragkit.prompts.build import to_template
from ragkit.prompts.loader import prompt_files
from ragkit.prompts.parse import Problem, check_prompt_file
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


def run_tests(paths: Iterable[Path], model: BaseLanguageModel | None = None,
              embeddings: Embeddings | None = None) -> TestReport:
    """Run the tests of every prompt file under `paths`; model assertions only when a model is given."""
    report = TestReport()
    for path in (f for p in paths for f in prompt_files(Path(p))):
        report.files += 1
        spec, problems = check_prompt_file(path)
        if spec is None or problems:
            report.failures.extend(problems)
            continue
        template = to_template(spec, embeddings=embeddings) if spec.tests else None
        for index, test in enumerate(spec.tests):
            report.tests += 1
            _run_one(spec, template, index, test, model, report)  # type: ignore[arg-type]
    return report


def _run_one(spec: PromptFile, template: BasePromptTemplate, index: int, test: PromptTest,
             model: BaseLanguageModel | None, report: TestReport) -> None:
    line = spec.key_lines.get(f"tests[{index}]", 1)
    label = f"tests[{index}]" + (f" ({test.name})" if test.name else "")
    rendered = render_text(template, test.vars)
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
