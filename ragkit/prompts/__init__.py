"""Prompts kept as files (YAML front matter + role-marked template) loaded as LangChain prompt templates."""

from ragkit.prompts.loader import PromptFile, list_prompts, load, parse_prompt_file, prompt_repository

__all__ = ["PromptFile", "list_prompts", "load", "parse_prompt_file", "prompt_repository"]
