"""ragkit: retrieval-augmented generation on LangChain with FAISS (no pickle), llama.cpp and cited answers."""

from ragkit.chains import Answer, Citation, RagChain
from ragkit.errors import RagkitError
from ragkit.kb import KnowledgeBase

__all__ = ["Answer", "Citation", "KnowledgeBase", "RagChain", "RagkitError"]
__version__ = "0.1.0"
