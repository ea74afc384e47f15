"""The prompt file format: valid files load as the fitting LangChain template; invalid ones fail with the exact
file:line message."""

from pathlib import Path

import pytest
from langchain_core.prompts import (
    BasePromptTemplate,
    ChatPromptTemplate,
    FewShotChatMessagePromptTemplate,
    FewShotPromptTemplate,
    PromptTemplate,
)

from ragkit.errors import PromptError, PromptFileError
from ragkit.prompts import check_prompt_file, list_prompts, load, parse_prompt_file

pytestmark = pytest.mark.unit

HEAD = "---\nid: p\nversion: 1\ndescription: A prompt.\n"
QUESTION = "input_variables:\n  question:\n    description: The question.\n"


def write(folder: Path, text: str, name: str = "p.prompt") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_f_string_prompt_loads_as_prompt_template_with_provenance(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + "---\nQ: {question}\nA:\n")
    template = load("p", tmp_path)
    assert isinstance(template, PromptTemplate)
    assert template.format(question="Why?") == "Q: Why?\nA:"
    assert template.metadata["prompt_id"] == "p" and template.metadata["prompt_version"] == 1
    assert len(template.metadata["prompt_sha256"]) == 64


def test_chat_prompt_loads_as_chat_template_with_roles(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + "---\nsystem:\nBe brief.\n\nuser:\n{question}\n")
    template = load("p", tmp_path)
    assert isinstance(template, ChatPromptTemplate)
    messages = template.format_messages(question="Why?")
    assert [(m.type, m.text) for m in messages] == [("system", "Be brief."), ("human", "Why?")]


def test_plain_few_shot_inserts_json_examples_verbatim(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + """examples:
  - question: Name?
    answer: '{"name": "Ann"}'
example_template: |
  Q: {question}
  A: {answer}
---
Reply in JSON.

examples:
Q: {question}
A:
""")
    template = load("p", tmp_path)
    assert isinstance(template, FewShotPromptTemplate)
    assert template.format(question="Age {x}?") == 'Reply in JSON.\n\nQ: Name?\nA: {"name": "Ann"}\n\nQ: Age {x}?\nA:'


def test_chat_few_shot_uses_few_shot_chat_message_template(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + """examples:
  - {question: "1+1?", answer: "{\\"sum\\": 2}"}
example_template: |
  user:
  {question}
  assistant:
  {answer}
---
system:
Add.

examples:
user:
{question}
""")
    template = load("p", tmp_path)
    assert isinstance(template, ChatPromptTemplate)
    assert any(isinstance(m, FewShotChatMessagePromptTemplate) for m in template.messages)
    messages = template.format_messages(question="2+2?")
    assert [(m.type, m.text) for m in messages] == [("system", "Add."), ("human", "1+1?"), ("ai", '{"sum": 2}'),
                                                    ("human", "2+2?")]


def test_optional_variable_renders_empty_and_can_be_given(tmp_path: Path):
    write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + """  context:
    description: Passages.
    optional: true
---
{% if context %}C: {{ context }}
{% endif %}Q: {{ question }}
""")
    template = load("p", tmp_path)
    assert template.input_variables == ["question"]
    assert template.format(question="q") == "Q: q"
    assert template.format(question="q", context="c") == "C: c\nQ: q"


def test_jinja_sandbox_blocks_reaching_outside_declared_values(tmp_path: Path):
    write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\n{{ question.__class__.__mro__ }}\n")
    template = load("p", tmp_path)
    with pytest.raises(PromptError, match=r"p.prompt:10: the template failed: SecurityError: access to attribute "
                                          "'__class__' of 'str' object is unsafe"):
        template.format(question="q")


def test_jinja_template_cannot_use_globals_it_was_not_given(tmp_path: Path):
    path = write(tmp_path, HEAD + "template_format: jinja2\n" + QUESTION + "---\n{{ question }} {{ cycler }}\n")
    with pytest.raises(PromptFileError) as info:
        parse_prompt_file(path)
    assert str(info.value) == f"{path}:10: variable 'cycler' is not declared in input_variables"


def test_examples_from_referenced_jsonl_file(tmp_path: Path):
    (tmp_path / "ex.jsonl").write_text('{"question": "a", "answer": "{1}"}\n{"question": "b", "answer": "2"}\n')
    write(tmp_path, HEAD + QUESTION + "examples: ex.jsonl\nexample_template: '{question}={answer}'\n---\n"
                                      "examples:\n{question}=\n")
    assert load("p", tmp_path).format(question="c") == "a={1}\n\nb=2\n\nc="


INVALID = [
    ("no-front.prompt", "Q: {question}\n", ("1: a prompt file starts with a '---' line, then YAML front matter, a "
                                         "'---' line and the template")),
    ("unclosed.prompt", HEAD + QUESTION, "1: the front matter has no closing '---' line"),
    ("yaml.prompt", HEAD + "input_variables: [a\n---\nx\n", "6: invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("dupkey.prompt", HEAD + "version: 2\n" + QUESTION + "---\n{question}\n",
     "5: duplicate key 'version' (first on line 3)"),
    ("unknown.prompt", HEAD + "temperature: 1\n" + QUESTION + "---\n{question}\n", "5: unknown field temperature"),
    ("version.prompt", "---\nid: p\nversion: 0\ndescription: d\n" + QUESTION + "---\n{question}\n",
     "3: version: Input should be greater than or equal to 1"),
    ("badid.prompt", "---\nid: Bad Id\nversion: 1\ndescription: d\n" + QUESTION + "---\n{question}\n",
     "2: id: String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
    ("fstring.prompt", HEAD + QUESTION + "---\nQ: {question}\nA: {question.upper}\n",
     ("10: invalid f-string template: Invalid variable name 'question.upper' in f-string template. Variable names "
     "cannot contain attribute access (.) or indexing ([]).")),
    ("roles.prompt", HEAD + QUESTION + "---\nhello\nuser:\n{question}\n",
     "9: text before the first role line: start the template with 'system:', 'user:' or 'assistant:'"),
    ("empty.prompt", HEAD + QUESTION + "---\n\n", "9: the template is empty"),
    ("noexamples.prompt", HEAD + QUESTION + "---\nexamples:\n{question}\n",
     "9: the 'examples:' line needs examples in the front matter"),
    ("notemplate.prompt", HEAD + QUESTION + "examples:\n  - {question: a}\n---\nexamples:\n{question}\n",
     "8: examples need an example_template saying how one example renders"),
    ("exfile.prompt", HEAD + QUESTION + "examples: missing.yaml\nexample_template: '{question}'\n---\nexamples:\n"
                                        "{question}\n",
     "8: examples file missing.yaml cannot be read (paths are relative to the prompt file)"),
    ("selector.prompt", HEAD + QUESTION + "examples:\n  - {question: a}\nexample_template: '{question}'\n"
                                          "example_selector:\n  type: ngram_overlap\n  input_keys: [answer]\n---\n"
                                          "examples:\n{question}\n",
     "13: example_selector.input_keys: 'answer' is not a declared input variable"),
    ("selectortype.prompt", HEAD + QUESTION + "examples:\n  - {question: a}\nexample_template: '{question}'\n"
                                              "example_selector:\n  type: random\n---\nexamples:\n{question}\n",
     ("11: example_selector: Input tag 'random' found using 'type' does not match any of the expected tags: "
     "'semantic_similarity', 'max_marginal_relevance', 'length_based', 'ngram_overlap'")),
    ("testvars.prompt", HEAD + QUESTION + "tests:\n  - vars: {answer: x}\n---\n{question}\n",
     "9: tests[0].vars: 'answer' is not a declared input variable"),
    ("schema.prompt", HEAD + QUESTION + "tests:\n  - vars: {question: x}\n    assert:\n      - type: json-schema\n"
                                        "        value: {type: 12}\n---\n{question}\n",
     "11: tests[0].assert[0]: invalid JSON schema: 12 is not valid under any of the given schemas"),
]


@pytest.mark.parametrize(("name", "text", "expected"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_file_fails_with_exact_message(tmp_path: Path, name: str, text: str, expected: str):
    path = write(tmp_path, text, name)
    with pytest.raises(PromptFileError) as info:
        parse_prompt_file(path)
    assert info.value.problems[0] == f"{path}:{expected}"


def test_check_reports_every_problem_not_just_the_first(tmp_path: Path):
    path = write(tmp_path, HEAD + QUESTION + "  unused:\n    description: x\n---\n{question} {other}\n")
    _, problems = check_prompt_file(path)
    assert [str(p) for p in problems] == [
        f"{path}:11: variable 'other' is not declared in input_variables",
        f"{path}:8: input variable 'unused' is declared but the template never uses it",
    ]


def test_repository_from_argument_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path, HEAD + QUESTION + "---\n{question}\n")
    assert list_prompts(tmp_path) == ["p"]
    monkeypatch.setenv("RAGKIT_PROMPTS", str(tmp_path))
    assert list_prompts() == ["p"]
    with pytest.raises(PromptError, match="no prompt with id 'nope'"):
        load("nope")


def test_duplicate_ids_refuse_to_load(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + "---\n{question}\n", "a.prompt")
    write(tmp_path, HEAD + QUESTION + "---\n{question}?\n", "b.prompt")
    with pytest.raises(PromptError, match="duplicate id 'p'"):
        load("p", tmp_path)


def test_rag_answer_keeps_its_contract():
    template = load("rag-answer")
    assert isinstance(template, ChatPromptTemplate)
    assert sorted(template.input_variables) == ["context", "question"]
    assert {"prompt_id", "prompt_version", "prompt_sha256"} <= set(template.metadata)


def test_sha256_changes_with_template_text_only(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + "---\n{question}\n")
    first = load("p", tmp_path).metadata["prompt_sha256"]
    write(tmp_path, HEAD.replace("A prompt.", "Reworded.") + QUESTION + "---\n{question}\n")
    assert load("p", tmp_path).metadata["prompt_sha256"] == first
    write(tmp_path, HEAD + QUESTION + "---\nQ: {question}\n")
    assert load("p", tmp_path).metadata["prompt_sha256"] != first


def test_base_prompt_template_everywhere(tmp_path: Path):
    write(tmp_path, HEAD + QUESTION + "---\n{question}\n")
    assert isinstance(load("p", tmp_path), BasePromptTemplate)
