"""Prompts kept as files (YAML front matter + role-marked template) loaded as LangChain prompt templates,
with the example selectors few-shot prompts use and the lint and test checks run in CI."""

from ragkit.prompts.build import to_template
from ragkit.prompts.loader import list_prompts, load, prompt_repository
from ragkit.prompts.parse import check_prompt_file, parse_prompt_file
from ragkit.prompts.selectors import (
    NGramOverlapExampleSelector,
    TokenBudgetExampleSelector,
    count_words,
    mmr_selector,
    semantic_similarity_selector,
)
from ragkit.prompts.spec import PromptFile

__all__ = [
    "NGramOverlapExampleSelector",
    "PromptFile",
    "TokenBudgetExampleSelector",
    "check_prompt_file",
    "count_words",
    "list_prompts",
    "load",
    "mmr_selector",
    "parse_prompt_file",
    "prompt_repository",
    "semantic_similarity_selector",
    "to_template",
]
