"""A seeded, bounded fuzz of prompt files: mutated copies of the shipped prompts (random bytes and lines, YAML and
template mutations, hostile snippets) each end in a clean problem list, a PromptError or a render, never another
exception or a hang."""

import random
import shutil
import time
from pathlib import Path

import pytest
import yaml

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import PromptError, PromptFileError
from ragkit.prompts.build import to_template as load_spec
from ragkit.prompts.lint import lint
from ragkit.prompts.parse import Problem, parse_prompt_file, read_front_matter
from ragkit.prompts.testing import render_text
from tests.helpers import REPO

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

SEED = 1414
CHUNKS = 6
CASES_PER_CHUNK = 50
SECONDS_PER_CASE = 10.0

JINJA_SNIPPETS = [
    "{{ 9**(9**9) }}", "{{ 'a' * 10**10 }}", "{{ [question] * 10**9 }}", "{{ '%999999999d' % 1 }}",
    "{{ '{:999999999}'.format(1) }}", "{{ '{:{w}}'.format(1, w=10**9) }}", "{{ question|center(999999999) }}",
    "{{ '%*d'|format(999999999, 1) }}", "{{ question|indent(999999999) }}", "{{ question|batch(10**9, 'x')|list }}",
    "{{ question|slice(10**9)|list }}", "{{ 10|round(-10**9) }}", "{{ question|wordwrap(1, wrapstring=question * 999) }}",
    "{% for a in question * 3000 %}{% for b in question * 3000 %}{% endfor %}{% endfor %}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% macro d(s) %}{{ d(s ~ s) }}{% endmacro %}{{ d(question) }}",
    ("{% set a = [question, question, question, question] %}{% set b = [a, a, a, a] %}{% set c = [b, b, b, b] %}"
    "{% set e = [c, c, c, c] %}{% set f = [e, e, e, e] %}{{ [f, f, f, f, f, f, f, f] }}"),
    "{{ question.__class__.__mro__ }}", "{{ question.encode() }}", "{{ question.format_map({}) }}", "{{ 1 / 0 }}",
    "{{ question + 1 }}", "{{ question.missing.deeper }}", "{{ cycler }}", "{{ range(10**9)|list }}",
    "{% include 'x' %}", "{% extends 'y' %}", "{{", "}}", "{% if %}", "{% for %}", "{% endfor %}", "{# ", "{% raw %}",
    "{{ question|replace('', question)|replace('', question)|replace('', question) }}", "{{ '中' * 3 }}{{ question }}",
    "{{ question|upper }}{{ question|length }}{{ question[:3] }}",
]
F_STRING_SNIPPETS = [
    "{question:999999999}", "{question:{question}}", "{question!r:>99999}", "{question!x}", "{0}", "{", "}", "{}",
    "{{}}", "{question.__class__}", "{question[0]}", "{question:d}", "中文：{question}", "{question:>10}",
]
BODY_SNIPPETS = ["system:", "user:", "assistant:", "examples:", "---", ""]
YAML_SNIPPETS = [
    "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
    "deep: " + "[" * 5_000 + "]" * 5_000 + "\n", "deep: " + "{a: " * 3_000 + "1" + "}" * 3_000 + "\n",
    "examples: ../../outside.yaml\n", "examples: ../outside.yaml\n", "examples: /etc/passwd.yaml\n",
    "examples: examples/arithmetic.yaml\n", "examples: examples/missing.jsonl\n", "examples: []\n",
    "examples: [1, 2]\n", "example_template: '{question}'\n", "version: 99999999999999999999999999\n",
    "version: -1\n", "id: Not An Id\n", "tests:\n  - vars: {question: 2024-01-01}\n",
    "tests:\n  - vars: {question: [1, 2, 3]}\n", "tests:\n  - vars: {question: *nowhere}\n",
    "tests:\n  - vars: {question: x}\n    assert:\n      - {type: regex, value: '(((('}\n",
    "tests:\n  - vars: {question: x}\n    assert:\n      - {type: regex, value: 'a{99999999999}'}\n",
    "tests:\n  - vars: {question: x}\n    assert:\n      - {type: json-schema, value: {type: 12}}\n",
    "example_selector: {type: semantic_similarity, k: 1}\n", ("example_selector: {type: length_based, max_tokens: 5, "
    "tokenizer: nope}\n"), "example_selector: {type: ngram_overlap, input_keys: [question]}\n",
    "template_format: jinja2\n", "template_format: f-string\n", "template_format: mustache\n",
    "input_variables: {}\n", "input_variables: []\n", "? [a, b]\n: c\n", "<<: *a0\n", "\t\n", "x: !!python/object:os.system {}\n",
    "x: !!binary aGVsbG8=\n", "x: !!set {a, b}\n", "key: 'unclosed\n", "---\n", "...\n", "%YAML 1.1\n",
]


def _variables_and_format(text: str) -> tuple[list[str], str]:
    """The declared variables and the template format of a shipped prompt (which is valid)."""
    front = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
    return list(front.get("input_variables", {})) or ["question"], front.get("template_format", "f-string")


def _mutate(text: str, rng: random.Random) -> bytes:
    names, template_format = _variables_and_format(text)
    snippets = (JINJA_SNIPPETS if template_format == "jinja2" else F_STRING_SNIPPETS) * 3 + BODY_SNIPPETS
    data = text.encode("utf-8")
    lines = text.splitlines(keepends=True)
    fence = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"), len(lines))
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["byte", "bytes", "truncate", "line", "line", *["yaml"] * 3, *["template"] * 8])
        if kind in ("byte", "bytes", "truncate"):
            data = "".join(lines).encode("utf-8", "surrogateescape")
            at = rng.randrange(len(data) + 1)
            if kind == "byte":
                data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
            elif kind == "bytes":
                data = data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[at:]
            else:
                data = data[:at]
            lines = data.decode("utf-8", "surrogateescape").splitlines(keepends=True)
            fence = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"), len(lines))
            continue
        if kind == "line" and lines:
            at = rng.randrange(len(lines))
            action = rng.choice(["delete", "duplicate", "swap"])
            if action == "delete":
                del lines[at]
            elif action == "duplicate":
                lines.insert(at, lines[at])
            else:
                other = rng.randrange(len(lines))
                lines[at], lines[other] = lines[other], lines[at]
        elif kind == "yaml":
            lines.insert(rng.randint(1, max(fence, 1)), rng.choice(YAML_SNIPPETS))
        else:
            snippet = rng.choice(snippets).replace("question", rng.choice(names))
            at = rng.randint(min(fence + 1, len(lines)), len(lines))
            lines.insert(at, snippet + "\n")
        fence = next((i for i, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"), len(lines))
    return "".join(lines).encode("utf-8", "surrogateescape")


def _check_one(path: Path, repo: Path) -> str:
    """What happened to one mutated file: 'invalid' (lint problems, refused to parse), 'refused' (a PromptError
    while building or rendering, which lint reported too) or 'render' (lint clean, every case rendered)."""
    _, problems = lint([path])
    for problem in problems:
        assert isinstance(problem, Problem) and problem.line >= 1 and problem.message, problem
        assert str(problem).startswith(f"{problem.path}:{problem.line}: ")
    try:
        read_front_matter(path)
    except PromptFileError:
        pass
    try:
        spec = parse_prompt_file(path, root=repo)
        template = load_spec(spec, embeddings=HashingEmbeddings(), count_tokens=lambda text: len(text.split()))
        cases = [test.vars for test in spec.tests] or [{n: f"<{n}>" for n, v in spec.input_variables.items()
                                                        if not v.optional}]
        rendered = [render_text(template, values) for values in cases]
    except PromptError:
        assert problems, "lint was clean, yet loading or rendering failed"
        return "invalid" if not _parses(path, repo) else "refused"
    assert all(isinstance(text, str) for text in rendered)
    return "render"


def _parses(path: Path, repo: Path) -> bool:
    try:
        parse_prompt_file(path, root=repo)
    except PromptFileError:
        return False
    return True


@pytest.fixture(scope="module")
def seeds() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted((REPO / "prompts").glob("*.prompt"))]


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutated_prompt_files_end_in_problems_or_renders(tmp_path: Path, seeds: list[tuple[str, str]], chunk: int):
    repo = tmp_path / "a" / "repo"
    shutil.copytree(REPO / "prompts" / "examples", repo / "examples")
    (tmp_path / "outside.yaml").write_text("- {question: secret}\n")
    (tmp_path / "a" / "outside.yaml").write_text("- {question: secret}\n")
    rng = random.Random(SEED + chunk)
    outcomes: dict[str, int] = {}
    for case in range(CASES_PER_CHUNK):
        name, text = rng.choice(seeds)
        path = repo / f"case-{case}-{name}"
        path.write_bytes(_mutate(text, rng))
        started = time.monotonic()
        outcome = _check_one(path, repo)
        assert time.monotonic() - started < SECONDS_PER_CASE, f"{name}: {path.read_bytes()[:2000]!r}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        path.unlink()
    # Each chunk reaches the lint-error path and at least one of the paths past lint (which of the two depends on
    # the seeded draw over the prompt files, whose number grows).
    assert outcomes.get("invalid", 0) > 0 and outcomes.get("refused", 0) + outcomes.get("render", 0) > 0, outcomes
