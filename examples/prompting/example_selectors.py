"""The four example selectors on one example set: semantic similarity and MMR (MiniLM embeddings in FAISS),
a gemma3-270m token budget, and word n-gram overlap; then a prompt file that configures one."""

from langchain_core.prompts import PromptTemplate

from ragkit.embeddings import SentenceTransformerEmbeddings
from ragkit.models import token_counter
from ragkit.prompts import (
    NGramOverlapExampleSelector,
    TokenBudgetExampleSelector,
    load,
    mmr_selector,
    semantic_similarity_selector,
)

examples = [
    {"question": "How many apples are in the basket?", "answer": "3"},
    {"question": "How many apples are in the basket now?", "answer": "5"},
    {"question": "Who wrote the play Hamlet?", "answer": "Shakespeare"},
    {"question": "How many pears did Tom eat?", "answer": "2"},
]
query = {"question": "How many apples are in the box?"}
embeddings = SentenceTransformerEmbeddings()
prompt = PromptTemplate.from_template("Q: {question}\nA: {answer}")
selectors = {
    "semantic_similarity k=2": semantic_similarity_selector(examples, embeddings, k=2, input_keys=["question"]),
    "max_marginal_relevance k=2": mmr_selector(examples, embeddings, k=2, input_keys=["question"], fetch_k=4,
                                               lambda_mult=0.3),
    "length_based 40 gemma tokens": TokenBudgetExampleSelector(examples=examples, example_prompt=prompt,
                                                               max_tokens=40,
                                                               count_tokens=token_counter("gemma3-270m")),
    "ngram_overlap k=2": NGramOverlapExampleSelector(examples=examples, k=2, input_keys=["question"]),
}
for name, selector in selectors.items():
    print(f"{name}: {[e['question'] for e in selector.select_examples(query)]}")

few_shot = load("cot-few-shot-similar", embeddings=embeddings)
print("\ncot-few-shot-similar rendered for a question about pens:\n")
print(few_shot.format(question="There are 5 boxes with 2 pens in each. How many pens?"))
