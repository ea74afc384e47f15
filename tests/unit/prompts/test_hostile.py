"""Hostile prompt files end in a file:line problem from both `ragkit prompts lint` and `ragkit prompts test`,
quickly, never an exception, a hang or exhausted memory; values passed into templates are plain data only."""

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import PromptError, PromptRenderError
from ragkit.prompts import check_prompt_file, load
from ragkit.prompts.lint import lint
from ragkit.prompts.sandbox import MAX_TEXT
from ragkit.prompts.testing import run_tests
from tests.helpers import REPO

pytestmark = [pytest.mark.unit, pytest.mark.timeout(60)]

HOSTILE = REPO / "tests" / "fixtures" / "hostile_prompts"
EXPECTED = {
    "billion-laughs": "10: invalid YAML: more than 200,000 values once aliases are expanded",
    "center-width": "12: tests[0]: the template failed: TemplateLimitError: width is at most 2,000,000",
    "concat-doubling": "12: tests[0]: the template failed: TemplateLimitError: '~' would build",
    "date-value": "12: tests[0]: variable 'question' holds a date at question: prompt templates take only plain data",
    "format-filter-width": "12: tests[0]: the template failed: TemplateLimitError: format spec '%999999999'",
    "format-width": "12: tests[0]: the template failed: TemplateLimitError: format spec '999999999' of field ''",
    "fstring-format-code": "12: tests[0]: the template failed: ValueError: Unknown format code 'd'",
    "fstring-width": "12: invalid f-string template: format spec '999999999' of field 'question': widths are at most",
    "integer-squaring": "12: tests[0]: the template failed: TemplateLimitError: the product is larger than 4096 bits",
    "literal-lists": "17: tests[0]: the template failed: TemplateLimitError: the template built a value of more than",
    "loop-1e10": "12: tests[0]: the template failed: TemplateLimitError: the template took more than 1,000,000 steps",
    "percent-width": "12: tests[0]: the template failed: TemplateLimitError: format spec '%999999999'",
    "pow-constant": "12: tests[0]: the template failed: TemplateLimitError: 9 ** 387420489 is larger than 4096 bits",
    "recursion": "12: tests[0]: the template failed: RecursionError",
    "repeat-memory": "12: tests[0]: the template failed: TemplateLimitError: repeating a value would build",
    "replace-growth": "12: tests[0]: the template failed: TemplateLimitError: replace would build",
    "round-precision": "12: tests[0]: the template failed: TemplateLimitError: precision is at most 1,000",
    "round-type": "12: tests[0]: the template failed: TypeError",
    "slice-zero": "12: tests[0]: the template failed: ZeroDivisionError",
    "type-error": "12: tests[0]: the template failed: TypeError: can only concatenate str",
    "undefined-attribute": "12: tests[0]: the template failed: UndefinedError: 'str object' has no attribute 'missing'",
    "unsafe-attribute": "12: tests[0]: the template failed: SecurityError: access to attribute '__class__'",
    "unsafe-call": "12: tests[0]: the template failed: SecurityError: a prompt template cannot call 'encode'",
    "zero-division": "12: tests[0]: the template failed: ZeroDivisionError: division by zero",
}
HEAD = "---\nid: p\nversion: 1\ndescription: A prompt.\n"
QUESTION = "input_variables:\n  question:\n    description: The question.\n"


def test_the_fixture_set_is_the_expected_one():
    assert sorted(p.stem for p in HOSTILE.glob("*.prompt")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lint_reports_each_attack_as_a_located_problem_in_seconds(name: str):
    path = HOSTILE / f"{name}.prompt"
    started = time.monotonic()
    files, problems = lint([path])
    assert time.monotonic() - started < 10
    assert files == 1
    assert [str(p) for p in problems] == [f"{path}:{EXPECTED[name]}"] or any(
        str(p).startswith(f"{path}:{EXPECTED[name]}") for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_prompts_test_reports_the_same_problem_not_a_traceback(name: str):
    path = HOSTILE / f"{name}.prompt"
    report = run_tests([path])
    assert any(str(p).startswith(f"{path}:{EXPECTED[name]}") for p in report.failures), report.failures


def test_cli_lint_and_test_exit_1_with_messages_on_the_whole_hostile_set():
    runner = CliRunner()
    for command in ("lint", "test"):
        result = runner.invoke(app, ["prompts", command, str(HOSTILE)])
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert f"{HOSTILE / 'pow-constant.prompt'}:12:" in result.output


def write(folder: Path, text: str, name: str = "p.prompt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, root: Path | None = None) -> list[str]:
    return [str(p) for p in check_prompt_file(path, root=root)[1]]


def test_yaml_nested_20000_deep_is_a_problem_not_a_recursion_error(tmp_path: Path):
    path = write(tmp_path, HEAD + "deep: " + "[" * 20_000 + "]" * 20_000 + "\n" + QUESTION + "---\n{question}\n")
    assert problems_of(path) == [f"{path}:5: invalid YAML: lists and mappings nest deeper than 64 levels"]


def test_an_oversized_prompt_file_is_refused_before_parsing(tmp_path: Path):
    path = write(tmp_path, HEAD + QUESTION + "---\n{question}\n" + "x" * (1 << 20))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:1: cannot read the file:") and "larger than 1 MiB" in problem


def test_examples_outside_the_prompt_repository_are_not_read(tmp_path: Path):
    (tmp_path / "outside.yaml").write_text("- {question: secret, answer: leaked}\n")
    repo = tmp_path / "a" / "b"
    body = HEAD + QUESTION + "examples: ../../outside.yaml\nexample_template: '{question}'\n---\nexamples:\n{question}\n"
    path = write(repo, body)
    assert problems_of(path, root=repo) == [
        f"{path}:8: examples file ../../outside.yaml is outside the prompt repository {repo.resolve()}"]
    with pytest.raises(PromptError, match="outside the prompt repository"):
        load("p", repo)
    _, problems = lint([repo])
    assert [p.message for p in problems] == [
        f"examples file ../../outside.yaml is outside the prompt repository {repo.resolve()}"]


def test_an_examples_symlink_leading_out_of_the_repository_is_not_followed(tmp_path: Path):
    (tmp_path / "secret.yaml").write_text("- {question: secret}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "examples.yaml").symlink_to(tmp_path / "secret.yaml")
    path = write(repo, HEAD + QUESTION + "examples: examples.yaml\nexample_template: '{question}'\n---\n"
                                         "examples:\n{question}\n")
    assert problems_of(path, root=repo) == [
        f"{path}:8: examples file examples.yaml is outside the prompt repository {repo.resolve()}"]


def test_examples_in_a_sibling_folder_inside_the_repository_are_read(tmp_path: Path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "ex.yaml").write_text("- {question: \"一加一?\"}\n")
    path = write(tmp_path / "sub", HEAD + QUESTION + "examples: ../examples/ex.yaml\nexample_template: "
                                                     "'Q: {question}'\n---\nexamples:\nQ: {question}\n")
    assert problems_of(path, root=tmp_path) == []
    assert load("p", tmp_path).format(question="Why?") == "Q: 一加一?\n\nQ: Why?"


def test_a_prompt_file_symlinked_from_outside_is_refused(tmp_path: Path):
    outside = write(tmp_path / "elsewhere", HEAD + QUESTION + "---\n{question}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "p.prompt").symlink_to(outside)
    (problem,) = problems_of(repo / "p.prompt", root=repo)
    assert problem == (f"{repo / 'p.prompt'}:1: the file resolves to {outside.resolve()}, outside the prompt "
                       f"repository {repo.resolve()}")


def test_deeply_nested_jsonl_example_is_a_problem(tmp_path: Path):
    (tmp_path / "ex.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n")
    path = write(tmp_path, HEAD + QUESTION + "examples: ex.jsonl\nexample_template: '{question}'\n---\n"
                                             "examples:\n{question}\n")
    assert problems_of(path) == [f"{tmp_path / 'ex.jsonl'}:1: invalid JSON: nested too deeply"]


@pytest.mark.parametrize(("pattern", "reason"), [("a{99999999999}", "the repetition number is too large"),
                                                 ("(" * 2000 + ")" * 2000, "maximum recursion depth exceeded")])
def test_a_test_regex_too_large_to_compile_is_a_problem(tmp_path: Path, pattern: str, reason: str):
    path = write(tmp_path, HEAD + QUESTION + f"tests:\n  - vars: {{question: x}}\n    assert:\n"
                                             f"      - {{type: regex, value: '{pattern}'}}\n---\n{{question}}\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:11: tests[0].assert[0]: invalid regex: ") and reason in problem


def test_examples_a_selector_cannot_embed_are_a_problem_and_a_prompt_error(tmp_path: Path):
    path = write(tmp_path, HEAD + QUESTION + "examples:\n  - {question: 1, answer: 2}\nexample_template: "
                                             "'{question}={answer}'\nexample_selector: {type: semantic_similarity}\n"
                                             "---\nexamples:\n{question}=\n")
    expected = f"{path}:1: the template cannot be built: TypeError: sequence item 0: expected str instance, int found"
    assert [str(p) for p in lint([path])[1]] == [expected]
    with pytest.raises(PromptError) as info:
        load("p", tmp_path, embeddings=HashingEmbeddings())
    assert str(info.value) == expected


def test_lint_renders_a_file_without_tests_with_placeholder_values(tmp_path: Path):
    path = write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\nQ: {{ question }}\n"
                                                                       "{{ question.missing }}\n")
    _, problems = lint([path])
    assert [str(p) for p in problems] == [
        (f"{path}:11: render with placeholder values ('<name>' for each required variable): the template failed: "
        "UndefinedError: 'str object' has no attribute 'missing'")]


def test_a_template_that_fails_at_runtime_names_its_file_and_line(tmp_path: Path):
    write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\nsystem:\nBe brief.\n\nuser:\n"
                                                                 "{{ question }}\n{{ 1 / 0 }}\n")
    template = load("p", tmp_path)
    with pytest.raises(PromptRenderError) as info:
        template.invoke({"question": "为什么?"})
    assert (info.value.path, info.value.line) == (str(tmp_path / "p.prompt"), 15)
    assert info.value.reason == "the template failed: ZeroDivisionError: division by zero"


@pytest.mark.parametrize("template_format,body", [("jinja2", "{{ question.system('id') }}"),
                                                  ("f-string", "{question}")])
def test_a_python_object_is_refused_naming_the_variable(tmp_path: Path, template_format: str, body: str):
    write(tmp_path, HEAD + f"template_format: {template_format}\n" + QUESTION + "---\n" + body + "\n")
    template = load("p", tmp_path)
    with pytest.raises(PromptError, match="variable 'question' holds a module at question: prompt templates take "
                                          "only plain data"):
        template.format(question=os)
    with pytest.raises(PromptError, match=r"variable 'question' holds a builtin_function_or_method at question\[1\]\['f'\]"):
        template.format(question=["a", {"f": os.system}])


def test_plain_data_subclasses_are_copied_so_templates_never_run_their_code(tmp_path: Path):
    calls = []

    class Loud(str):
        def upper(self) -> str:
            calls.append("upper")
            return "HIJACKED"

    write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\n{{ question.upper() }} "
                                                                 "{{ question|length }}\n")
    assert load("p", tmp_path).format(question=Loud("中文 and English")) == "中文 AND ENGLISH 14"
    assert calls == []


def test_values_deeper_or_larger_than_the_limits_are_refused(tmp_path: Path):
    write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\n{{ question }}\n")
    template = load("p", tmp_path)
    deep: list = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(PromptError, match="variable 'question' nests lists or dicts deeper than 32 levels"):
        template.format(question=deep)
    with pytest.raises(PromptError, match="variable 'question' holds more than 2,000,000 characters"):
        template.format(question="文" * (MAX_TEXT + 1))
    assert template.format(question={"答案": [1, 2.5, True, None]}) == "{'答案': [1, 2.5, True, None]}"


def test_ordinary_jinja_still_works_in_the_guarded_sandbox(tmp_path: Path):
    write(tmp_path, HEAD + "template_format: jinja2\ninput_variables:\n  docs:\n    description: Passages.\n"
                           "---\n{% for d in docs %}[{{ loop.index }}] {{ d.title|upper }}: {{ '%.1f' % d.score }} "
                           "{{ '{:>4}'.format(d.n) }}{{ ' ~ ' ~ d.title|length }}\n{% endfor %}")
    docs = [{"title": "中文", "score": 0.25, "n": 7}, {"title": "English", "score": 1.0, "n": 12}]
    assert load("p", tmp_path).format(docs=docs) == "[1] 中文: 0.2    7 ~ 2\n[2] ENGLISH: 1.0   12 ~ 7\n"
