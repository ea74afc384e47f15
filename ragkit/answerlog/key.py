"""What makes two questions the same answer: the cache key of an answer and the question normalization under it.

A key holds everything the answer depends on: the index version (its manifest generation), the question as asked
and as retrieved for (they differ once a follow-up is rewritten), the model's identity (ragkit.models.ModelIdentity:
backend, preset or path, adapter, settings), the prompt (id, version, sha256), the generation parameters, the
chain's guard settings and the retrieval settings.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseLanguageModel
from langchain_core.prompts import BasePromptTemplate

from ragkit.chains.rag import RagChain
from ragkit.models import identity_of
from ragkit.models.identity import as_json
from ragkit.settings import RefusalSettings, RetrievalSettings

KEY_VERSION = 2
"""Changes whenever what goes into a key (or how answers are stored) changes, so old rows never match."""
GUARDS = ("grounding", "injection_guard", "delimited")
"""RagChain settings that change the answer."""
_SPACE = re.compile(r"\s+")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_SPACE_IN_CJK = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def normalize_question(question: str) -> str:
    """NFKC (full-width letters and punctuation become plain: ？ -> ?), case-folded, whitespace collapsed to one
    space and dropped between Chinese or Japanese characters (which are written without spaces)."""
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", question).casefold()).strip()
    return _SPACE_IN_CJK.sub("", text)


@dataclass(frozen=True)
class CacheKey:
    """One answer's identity; `digest` is the cache row's key, the other fields say what it was made of."""

    generation: str
    """The index version the answer was retrieved from."""
    question: str
    """The question as asked, normalized."""
    retrieved: str
    """The question retrieval searched for (the rewritten follow-up), normalized."""
    parts: dict[str, Any] = field(repr=False)
    """Model, prompt, parameters and retrieval settings."""

    @property
    def digest(self) -> str:
        payload = {"v": KEY_VERSION, "generation": self.generation, "question": self.question,
                   "retrieved": self.retrieved, **self.parts}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    @property
    def model(self) -> str:
        """The answering model's name."""
        return str(self.parts["model"]["name"])

    @property
    def prompt(self) -> dict[str, Any]:
        """The prompt's id, version and sha256."""
        return dict(self.parts["prompt"])


def cache_key(generation: str, question: str, retrieval: RetrievalSettings, llm: BaseLanguageModel,
              prompt: BasePromptTemplate, model_params: Mapping[str, Any], retrieved: str | None = None,
              guards: Mapping[str, bool] | None = None, scope: str = "",
              refusal: RefusalSettings | None = None) -> CacheKey:
    """The key of answering `question` on this index version with a RagChain of this model, prompt, parameters
    (over the prompt's `model:` block), guards (grounding, injection_guard, delimited; default RagChain's) and
    refusal settings (default: RefusalSettings());
    `retrieved` is the question searched for when it differs (a rewritten follow-up); a `scope` (the server's API
    key id) keeps one caller's answers from another. Nothing is loaded: a hit needs neither the embedder nor the
    index."""
    meta = dict(prompt.metadata or {})
    params = {**meta.pop("model_params", {}), **model_params}
    parts = {
        "model": identity_of(llm).model_dump(mode="json"),
        "prompt": {key: meta.get(key) for key in ("prompt_id", "prompt_version", "prompt_sha256")},
        "params": as_json(params),
        "guards": {name: RagChain.model_fields[name].default for name in GUARDS} | dict(guards or {}),
        "retrieval": retrieval.model_dump(mode="json"),
        "refusal": (refusal or RefusalSettings()).model_dump(mode="json"),
        **({"scope": scope} if scope else {}),
    }
    asked = normalize_question(question)
    return CacheKey(generation, asked, normalize_question(retrieved) if retrieved else asked, parts)
