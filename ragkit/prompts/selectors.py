"""Few-shot example selectors (LangChain BaseExampleSelector): semantic similarity and maximal marginal relevance
over ragkit's FAISS store, a token budget of the target model, and word n-gram overlap.

Token counts other than whitespace words come from the caller (e.g. `ragkit.models.token_counter`): prompts know
no models."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from langchain_core.embeddings import Embeddings
from langchain_core.example_selectors import (
    BaseExampleSelector,
    MaxMarginalRelevanceExampleSelector,
    SemanticSimilarityExampleSelector,
)
from langchain_core.prompts import BasePromptTemplate
from pydantic import BaseModel, ConfigDict, Field

from ragkit.errors import PromptError
from ragkit.prompts.spec import (
    LengthSelectorConfig,
    MMRSelectorConfig,
    NGramSelectorConfig,
    SelectorConfig,
    SemanticSelectorConfig,
)
from ragkit.store import AnnVectorStore

_WORD = re.compile(r"\w+")
TokenCounter = Callable[[str], int]


def semantic_similarity_selector(examples: list[dict[str, Any]], embeddings: Embeddings, k: int = 4,
                                 input_keys: list[str] | None = None) -> SemanticSimilarityExampleSelector:
    """The k examples nearest the input, searched in a AnnVectorStore (cosine similarity)."""
    return SemanticSimilarityExampleSelector.from_examples(examples, embeddings, AnnVectorStore, k=k,
                                                           input_keys=input_keys)


class MMRExampleSelector(MaxMarginalRelevanceExampleSelector):
    """LangChain's MMR selector, but `vectorstore_kwargs` (e.g. lambda_mult) reach the search: LangChain's own
    MaxMarginalRelevanceExampleSelector documents them and then drops them."""

    def select_examples(self, input_variables: dict[str, str]) -> list[dict[str, Any]]:
        docs = self.vectorstore.max_marginal_relevance_search(
            self._example_to_text(input_variables, self.input_keys), k=self.k, fetch_k=self.fetch_k,
            **(self.vectorstore_kwargs or {}))
        return self._documents_to_examples(docs)

    async def aselect_examples(self, input_variables: dict[str, str]) -> list[dict[str, Any]]:
        docs = await self.vectorstore.amax_marginal_relevance_search(
            self._example_to_text(input_variables, self.input_keys), k=self.k, fetch_k=self.fetch_k,
            **(self.vectorstore_kwargs or {}))
        return self._documents_to_examples(docs)


def mmr_selector(examples: list[dict[str, Any]], embeddings: Embeddings, k: int = 4,
                 input_keys: list[str] | None = None, fetch_k: int = 20,
                 lambda_mult: float = 0.5) -> MMRExampleSelector:
    """k examples near the input but unlike each other: MMR over the fetch_k nearest in a AnnVectorStore;
    lambda_mult 1 ranks by similarity alone, 0 by diversity alone."""
    return cast(MMRExampleSelector, MMRExampleSelector.from_examples(
        examples, embeddings, AnnVectorStore, k=k, input_keys=input_keys, fetch_k=fetch_k,
        vectorstore_kwargs={"lambda_mult": lambda_mult},
    ))


class TokenBudgetExampleSelector(BaseExampleSelector, BaseModel):
    """Examples in order while input plus rendered examples fit max_tokens of the target model's tokenizer.

    Hand-written because LangChain's LengthBasedExampleSelector counts words and takes only string templates.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    examples: list[dict[str, Any]]
    example_prompt: BasePromptTemplate
    """How one example renders (string or chat template); its rendered text is what gets counted."""
    max_tokens: int = Field(ge=1)
    count_tokens: TokenCounter
    """Tokens of a text for the target model, e.g. `count_words` or `ragkit.models.token_counter('gemma3-270m')`."""

    def add_example(self, example: dict[str, Any]) -> None:
        self.examples.append(example)

    def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, Any]]:
        used = self.count_tokens(" ".join(str(v) for v in input_variables.values()))
        chosen: list[dict[str, Any]] = []
        for example in self.examples:
            used += self.count_tokens(self._render(example))
            if used > self.max_tokens:
                break
            chosen.append(example)
        return chosen

    def _render(self, example: dict[str, Any]) -> str:
        return self.example_prompt.format(**{k: example[k] for k in self.example_prompt.input_variables})


class NGramOverlapExampleSelector(BaseExampleSelector, BaseModel):
    """The k examples sharing the largest fraction of the input's word n-grams (orders 1..n), best first.

    Hand-written because langchain-community's version needs nltk, scores with smoothed BLEU and has no k.
    """

    model_config = ConfigDict(extra="forbid")
    examples: list[dict[str, Any]]
    k: int = Field(default=4, ge=1)
    n: int = Field(default=2, ge=1)
    threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    """Examples scoring at or below this are never chosen."""
    input_keys: list[str] | None = None
    """Keys compared on both sides; None compares all input values against all example values."""

    def add_example(self, example: dict[str, Any]) -> None:
        self.examples.append(example)

    def score(self, input_variables: dict[str, Any], example: dict[str, Any]) -> float:
        """Fraction of the input's n-grams that also occur in the example."""
        wanted = self._grams(self._text(input_variables))
        if not wanted:
            return 0.0
        return len(wanted & self._grams(self._text(example))) / len(wanted)

    def select_examples(self, input_variables: dict[str, Any]) -> list[dict[str, Any]]:
        scored = [(self.score(input_variables, e), i) for i, e in enumerate(self.examples)]
        ranked = sorted((pair for pair in scored if pair[0] > self.threshold), key=lambda p: (-p[0], p[1]))
        return [self.examples[i] for _, i in ranked[: self.k]]

    def _text(self, values: dict[str, Any]) -> str:
        keys = self.input_keys or sorted(values)
        return " ".join(str(values.get(k, "")) for k in keys)

    def _grams(self, text: str) -> set[tuple[str, ...]]:
        words = _WORD.findall(text.lower())
        return {tuple(words[i : i + m]) for m in range(1, self.n + 1) for i in range(len(words) - m + 1)}


def count_words(text: str) -> int:
    """Whitespace words: the 'words' tokenizer of a length-based selector, which needs no model."""
    return len(text.split())


def build_selector(config: SelectorConfig, examples: list[dict[str, Any]], example_prompt: BasePromptTemplate,
                   input_keys: list[str], embeddings: Embeddings | None = None,
                   count_tokens: TokenCounter | None = None) -> BaseExampleSelector:
    """The selector a prompt file configures; embeddings default to the packaged sentence-transformer.

    A length-based selector counts with `count_tokens`; without one, only the 'words' tokenizer can be used.
    """
    keys = getattr(config, "input_keys", None) or input_keys
    if isinstance(config, LengthSelectorConfig):
        if count_tokens is None and config.tokenizer != "words":
            raise PromptError(f"example_selector.tokenizer {config.tokenizer!r} needs its token counter: load the "
                              f"prompt with count_tokens=ragkit.models.token_counter({config.tokenizer!r})")
        return TokenBudgetExampleSelector(examples=examples, example_prompt=example_prompt,
                                          max_tokens=config.max_tokens, count_tokens=count_tokens or count_words)
    if isinstance(config, NGramSelectorConfig):
        return NGramOverlapExampleSelector(examples=examples, k=config.k, n=config.n, threshold=config.threshold,
                                           input_keys=keys)
    if embeddings is None:
        from ragkit.embeddings import SentenceTransformerEmbeddings

        embeddings = SentenceTransformerEmbeddings()
    if isinstance(config, MMRSelectorConfig):
        return mmr_selector(examples, embeddings, config.k, keys, config.fetch_k, config.lambda_mult)
    assert isinstance(config, SemanticSelectorConfig)
    return semantic_similarity_selector(examples, embeddings, config.k, keys)
