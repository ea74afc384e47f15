"""Every shipped prompt is a LangChain BasePromptTemplate that works inside LCEL with a chat model."""

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate

from ragkit.prompts import list_prompts, load, parse_prompt_file, prompt_repository
from ragkit.prompts.loader import index_prompts
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def _inputs(prompt_id: str) -> dict:
    spec = parse_prompt_file(index_prompts()[prompt_id])
    if spec.tests:
        return dict(spec.tests[0].vars)
    return {name: "x" for name, var in spec.input_variables.items() if not var.optional}


@pytest.mark.parametrize("prompt_id", list_prompts(prompt_repository()))
def test_prompt_works_in_lcel(prompt_id: str, hashing):
    template = load(prompt_id, embeddings=hashing)
    assert isinstance(template, BasePromptTemplate)
    chain = template | ScriptedChatModel.saying("ok") | StrOutputParser()
    assert chain.invoke(_inputs(prompt_id)) == "ok"
    assert template.metadata["prompt_id"] == prompt_id
