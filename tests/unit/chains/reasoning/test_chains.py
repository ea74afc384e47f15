"""CoT, self-consistency, least-to-most, selection-inference and the four-stage ToT chain against a scripted model:
answers parse, failures are scored not raised, budgets hold, provenance is recorded."""

import re

import pytest
from langchain_core.runnables import RunnableLambda

from ragkit.chains.reasoning import (
    FewShotCoT,
    LeastToMost,
    SelectionInference,
    SelfConsistency,
    TreeOfThoughtChain,
    ZeroShotCoT,
)
from ragkit.embeddings import HashingEmbeddings
from ragkit.prompts import load
from ragkit.store import AnnVectorStore
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit
COT = {"reason": load("cot-few-shot", embeddings=HashingEmbeddings())}
"""The default CoT prompt with a model-free embedder behind its example selector."""


def model(reply) -> ScriptedChatModel:
    return ScriptedChatModel(reply=reply)


def test_zero_shot_cot_reasons_then_extracts():
    def reply(text, params):
        return "4 * 2 = 8." if text.endswith("step by step.") else " 8 dollars.\n"
    result = ZeroShotCoT(llm=model(reply)).invoke("How much do 4 pens at $2 cost?")
    assert (result.answer, result.ok, result.calls) == ("8 dollars", True, 2)
    assert result.reasoning == "4 * 2 = 8."
    assert [r.stage for r in result.trace] == ["reason", "extract"]


def test_few_shot_cot_unparsed_reply_is_a_scored_failure():
    result = FewShotCoT(templates=COT, llm=model(lambda t, p: "I am not sure.")).invoke({"question": "2+2?"})
    assert (result.answer, result.ok, result.calls) == (None, False, 1)
    ok = FewShotCoT(templates=COT, llm=model(lambda t, p: " 2 + 2 = 4. The answer is 4.")).invoke({"question": "2+2?"})
    assert ok.answer == "4" and ok.ok


def test_prompt_model_params_are_bound_on_the_call():
    llm = model(lambda t, p: "The answer is 1.")
    FewShotCoT(templates=COT, llm=llm).invoke("1?")
    params = llm.calls[0][1]
    assert params["max_tokens"] == 384 and params["temperature"] == 0.0


def test_self_consistency_majority_vote_with_counts():
    replies = {0: "So 11. The answer is 11.", 1: "The answer is 11.0", 2: "The answer is 12.", 3: "no idea",
               4: "The answer is $11."}
    llm = model(lambda t, p: replies[p.get("seed", 0)])
    result = SelfConsistency(templates=COT, llm=llm, samples=5, temperature=0.8).invoke("Roger's balls?")
    assert result.votes == {"11": 3, "12": 1}
    assert (result.answer, result.failures, result.calls) == ("11", 1, 5)
    assert result.samples == ["11", "11.0", "12", None, "$11"]
    assert sorted(c[1]["temperature"] for c in llm.calls) == [0.0, 0.8, 0.8, 0.8, 0.8]  # sample 0 is greedy


def test_self_consistency_tie_goes_to_the_earliest_sample():
    replies = {0: "The answer is 7.", 1: "The answer is 9.", 2: "The answer is 9.", 3: "The answer is 7."}
    result = SelfConsistency(templates=COT, llm=model(lambda t, p: replies[p.get("seed", 0)]), samples=4).invoke("q")
    assert result.votes == {"7": 2, "9": 2} and result.answer == "7"


def test_budget_is_never_exceeded_and_skipped_calls_are_reported():
    llm = model(lambda t, p: "The answer is 3.")
    result = SelfConsistency(templates=COT, llm=llm, samples=5, max_calls=3).invoke("q")
    assert result.calls == 3 == len(llm.calls)
    assert result.budget_exhausted and result.votes == {"3": 3} and result.failures == 2
    assert [r.output for r in result.trace].count(None) == 2


async def test_async_matches_sync():
    replies = {0: "The answer is 5.", 1: "The answer is 6.", 2: "The answer is 5."}
    chain = SelfConsistency(templates=COT, llm=model(lambda t, p: replies[p.get("seed", 0)]), samples=3)
    sync, other = chain.invoke("q"), await chain.ainvoke("q")
    assert sync.model_dump() == other.model_dump()


def test_least_to_most_solves_subquestions_in_order_then_the_problem():
    def reply(text, params):
        if text.rstrip().endswith("Subquestions:"):
            return "1. How many apples are in the boxes?\n2. How many apples are left?"
        sub = after(text, "Q: ")
        return {"How many apples are in the boxes?\nA:": "3 * 4 = 12. The answer is 12.",
                "How many apples are left?\nA:": "12 - 2 = 10. The answer is 10."}.get(sub, "The answer is 10.")
    question = "Tom has 3 boxes with 4 apples each and eats 2. How many are left?"
    llm = model(reply)
    result = LeastToMost(llm=llm).invoke(question)
    assert [(s.question, s.answer) for s in result.subquestions] == [
        ("How many apples are in the boxes?", "12"), ("How many apples are left?", "10"), (question, "10")]
    assert result.answer == "10" and result.calls == 4
    assert "A: The answer is 12." in llm.calls[2][0]


def test_least_to_most_unparsed_decomposition_fails_without_raising():
    result = LeastToMost(llm=model(lambda t, p: "")).invoke("q?")
    assert (result.ok, result.subquestions, result.calls) == (False, [], 1)


def test_selection_inference_selects_infers_and_answers():
    def reply(text, params):
        if text.endswith("Selected facts:"):
            return " 1, 3" if "4. " not in after(text, "Facts:\n1. The") else " 4"
        if text.endswith("New fact:"):
            return " Alice is taller than Carol."
        return " The answer is yes."
    facts = ["Alice is taller than Bob.", "The sky is blue.", "Bob is taller than Carol."]
    result = SelectionInference(llm=model(reply), reasoning_steps=2).invoke(
        {"question": "Is Alice taller than Carol?", "facts": facts})
    assert result.answer == "yes" and result.calls == 5
    assert [s.selected for s in result.steps_taken] == [[1, 3], [4]]
    assert result.facts[3] == "Alice is taller than Carol."


def test_four_stage_tot_generates_evaluates_deepens_and_ranks():
    def reply(text, params):
        if text.endswith("Solutions (3):"):
            return "1. Daily stand-up\n2. Smaller tasks\n3. Hire more"
        if text.endswith("Evaluation:"):
            solution = re.findall(r"Solution: (.*)", text)[-1]
            return {"Daily stand-up": "Cheap. Score: 4/10", "Smaller tasks": "Good. Score: 9/10"}.get(solution, "??")
        if text.endswith("Plan:"):
            return "Split each task into day-sized pieces."
        return " 2, 1, 3\nSmaller tasks are easiest."
    llm = model(reply)
    result = TreeOfThoughtChain(llm=llm, solutions=3, deepen=1).invoke(
        {"problem": "Our team misses deadlines.", "factors": "cost, morale"})
    assert result.calls == 6 and result.answer == "Smaller tasks"
    assert [s.score for s in result.solutions] == [0.4, 0.9, None]
    assert [s.deepened is not None for s in result.solutions] == [False, True, False]
    assert result.ranking == [2, 1, 3] and result.ranking_parsed
    assert "Evaluation score: 9.0/10" in llm.calls[-1][0]


def test_four_stage_tot_falls_back_to_scores_when_ranking_does_not_parse():
    def reply(text, params):
        if text.endswith("Solutions (2):"):
            return "1. A\n2. B"
        if text.endswith("Evaluation:"):
            return "Score: 2/10" if "Solution: A" in after(text, "Problem:") else "Score: 8/10"
        return "unclear"
    result = TreeOfThoughtChain(llm=model(reply), solutions=2, deepen=0).invoke({"problem": "p"})
    assert result.ranking == [2, 1] and not result.ranking_parsed and result.answer == "B"
    assert result.calls == 4


def test_provenance_records_prompt_versions_hashes_and_retrieved_chunks(hashing):
    store = AnnVectorStore.from_texts(["Pens cost $2 each.", "The shop opens at 9."], hashing,
                                        ids=["chunk-a", "chunk-b"])
    llm = model(lambda t, p: "The answer is 8.")
    result = FewShotCoT(templates=COT, llm=llm, retriever=store.as_retriever(search_kwargs={"k": 2})).invoke("Cost of 4 pens?")
    meta = COT["reason"].metadata
    assert [(p.id, p.version, p.sha256) for p in result.prompts] == [
        ("cot-few-shot", meta["prompt_version"], meta["prompt_sha256"])]
    assert sorted(result.chunk_ids) == ["chunk-a", "chunk-b"]
    assert "Passages:\n[1]" in llm.calls[0][0]


def test_chains_compose_in_lcel():
    chain = FewShotCoT(templates=COT, llm=model(lambda t, p: "The answer is 4.")) | RunnableLambda(lambda r: r.answer)
    assert chain.invoke("2+2?") == "4"


def test_missing_input_is_an_error_not_a_call():
    llm = model(lambda t, p: "x")
    with pytest.raises(Exception, match="needs inputs"):
        TreeOfThoughtChain(llm=llm).invoke({"question": "wrong key"})
    assert llm.calls == []
