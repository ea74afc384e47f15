"""Dense retrieval from a AnnVectorStore with a relevance threshold and metadata filters."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ragkit.errors import reject_unknown_options
from ragkit.store import AnnVectorStore


class DenseRetriever(BaseRetriever):
    """Top-k chunks by cosine similarity; each returned Document carries its score in metadata['score']."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    store: AnnVectorStore
    k: int = 4
    """How many chunks to return."""
    score_threshold: float | None = None
    """Drop chunks whose cosine similarity is below this."""
    filter: dict[str, Any] | None = None
    """Metadata filter applied inside the search, e.g. {'source': 'docs/a.md'}."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        reject_unknown_options("DenseRetriever", kwargs, ("k", "filter"))
        hits = self.store.similarity_search_with_score(query, k=kwargs.get("k", self.k),
                                                       filter=kwargs.get("filter", self.filter))
        threshold = self.score_threshold
        return [
            Document(page_content=doc.page_content, metadata={**doc.metadata, "score": score}, id=doc.id)
            for doc, score in hits
            if threshold is None or score >= threshold
        ]
