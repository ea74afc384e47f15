"""`ragkit prompts lint` catches each defect of the bad fixture repository; `ragkit prompts test` fails when a
render snapshot changes; the prompts in prompts/ are clean and pass."""

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.prompts.lint import lint
from ragkit.prompts.spec import Assertion
from ragkit.prompts.testing import passes, run_tests
from tests.helpers import REPO
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit

BAD = REPO / "tests" / "fixtures" / "bad_prompts"
GOOD = """---
id: good
version: 1
description: A good prompt.
input_variables:
  question:
    description: The question.
tests:
  - vars: {question: "Why?"}
    render: "Q: Why?"
    assert:
      - {type: contains, value: because}
---
Q: {question}
"""


def test_lint_reports_each_defect_of_the_bad_fixtures_with_file_and_line():
    files, problems = lint([BAD])
    found = {str(p).replace(str(BAD) + "/", "") for p in problems}
    assert files == 8
    assert found == {
        "duplicate-id-b.prompt:2: duplicate id 'duplicate-id', first defined at duplicate-id-a.prompt:2",
        "example-missing-variable.prompt:11: example 2 is missing 'answer', used by example_template",
        ("invalid-template.prompt:11: invalid Jinja2 template: Unexpected end of template. Jinja was looking for the "
        "following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."),
        "missing-description.prompt:1: missing description",
        "missing-variable-description.prompt:6: missing input_variables.question.description",
        "undeclared-variable.prompt:10: variable 'context' is not declared in input_variables",
        "unused-variable.prompt:8: input variable 'context' is declared but the template never uses it",
    }


def test_lint_cli_exits_1_on_problems_and_0_on_the_shipped_prompts():
    runner = CliRunner()
    bad = runner.invoke(app, ["prompts", "lint", str(BAD)])
    assert bad.exit_code == 1
    assert "undeclared-variable.prompt:10: variable 'context'" in bad.output
    good = runner.invoke(app, ["prompts", "lint", str(REPO / "prompts")])
    assert good.exit_code == 0, good.output
    missing = runner.invoke(app, ["prompts", "lint", "no/such/dir"])
    assert missing.exit_code == 2


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_lint_wants_a_version_bump_when_the_template_changed_since_head(tmp_path: Path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    path = tmp_path / "good.prompt"
    path.write_text(GOOD)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "good.prompt")
    _git(tmp_path, "commit", "-q", "-m", "prompt")
    assert lint([tmp_path])[1] == []
    path.write_text(GOOD.replace("description: A good prompt.", "description: Reworded."))
    assert lint([tmp_path])[1] == [], "a description change does not change the template"
    path.write_text(GOOD.replace("Q: {question}\n", "Question: {question}\n"))
    assert [str(p) for p in lint([tmp_path])[1]] == [
        f"{path}:3: the template changed since git HEAD but version is 1 (HEAD has 1): bump it to 2"]
    path.write_text(GOOD.replace("Q: {question}\n", "Question: {question}\n").replace("version: 1", "version: 2"))
    assert lint([tmp_path])[1] == []


def test_prompts_test_fails_with_a_diff_when_a_snapshot_changes(tmp_path: Path):
    path = tmp_path / "good.prompt"
    path.write_text(GOOD)
    runner = CliRunner()
    ok = runner.invoke(app, ["prompts", "test", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert "model assertions skipped: 1 (no --model given)" in ok.output
    path.write_text(GOOD.replace("Q: {question}\n", "Question: {question}\n"))
    changed = runner.invoke(app, ["prompts", "test", str(tmp_path)])
    assert changed.exit_code == 1
    assert f"{path}:10: tests[0]: render differs from the snapshot" in changed.output
    assert "+Question: Why?" in changed.output


def test_model_assertions_run_against_the_given_model(tmp_path: Path):
    (tmp_path / "good.prompt").write_text(GOOD)
    passed = run_tests([tmp_path], ScriptedChatModel.saying("because it is"))
    assert passed.failures == [] and passed.assertions_run == 1
    failed = run_tests([tmp_path], ScriptedChatModel.saying("no idea"))
    assert [str(p) for p in failed.failures] == [
        f"{tmp_path / 'good.prompt'}:12: tests[0].assert[0]: contains 'because' failed; the model replied 'no idea'"]


@pytest.mark.parametrize(("check", "reply", "expected"), [
    (Assertion(type="contains", value="42"), "it is 42", True),
    (Assertion(type="not-contains", value="42"), "it is 42", False),
    (Assertion(type="icontains", value="PARIS"), "paris", True),
    (Assertion(type="regex", value=r"^\d+$"), "123", True),
    (Assertion(type="is-json"), "{not json", False),
    (Assertion(type="json-schema", value={"type": "object", "required": ["a"]}), '{"a": 1}', True),
    (Assertion(type="json-schema", value={"type": "object", "required": ["a"]}), '{"b": 1}', False),
])
def test_each_assertion_type(check: Assertion, reply: str, expected: bool):
    assert passes(check, reply) is expected


def test_shipped_prompt_tests_pass():
    report = run_tests([REPO / "prompts"])
    assert report.failures == []
    assert report.tests >= 17
