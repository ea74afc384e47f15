"""The context budget: passages cut to the sentences matching the question, in English and Chinese."""

from pathlib import Path

import pytest

from ragkit import Citation
from ragkit.chains.budget import GAP, fit, word_count
from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def _passages(*texts: str) -> list[Citation]:
    return [Citation(n, f"doc{n}.txt", 1, 0, len(t), f"c{n}", 1.0 - n / 10, t) for n, t in enumerate(texts, start=1)]


TRAVEL = ("The office opens at nine. Flights must be booked at least 14 days before departure. Economy class is "
          "the rule for flights under six hours. Receipts go to finance within a month.")
PARKING = "Parking permits are issued by facilities. Bicycles may be kept in the basement. Visitors sign in."


def test_passages_within_the_budget_are_left_whole():
    passages = _passages(TRAVEL, PARKING)
    assert fit("When must flights be booked?", passages, 500) == passages
    assert fit("When must flights be booked?", passages, None) == passages


def test_over_budget_keeps_the_matching_sentence_and_its_neighbour_and_drops_the_rest():
    kept = fit("How many days before departure must flights be booked?", _passages(PARKING, TRAVEL), 22)
    assert [(p.n, p.source) for p in kept] == [(1, "doc2.txt")]  # the parking passage added nothing: dropped
    assert kept[0].text == ("Flights must be booked at least 14 days before departure. Economy class is the rule "
                            "for flights under six hours.")
    assert word_count(kept[0].text) <= 22


def test_sentences_left_out_between_kept_ones_are_marked():
    kept = fit("When does the office open, and where do receipts go?", _passages(TRAVEL), 14)
    assert kept[0].text == f"The office opens at nine.{GAP}Receipts go to finance within a month."


def test_the_best_sentence_is_kept_even_over_the_budget():
    kept = fit("How many days before departure must flights be booked?", _passages(TRAVEL), 3)
    assert kept[0].text == "Flights must be booked at least 14 days before departure."


def test_a_question_sharing_no_words_keeps_the_top_passages_from_their_start():
    kept = fit("Quelle est la règle?", _passages(TRAVEL, PARKING), 16)
    assert [p.source for p in kept] == ["doc1.txt"]
    assert kept[0].text == "The office opens at nine. Flights must be booked at least 14 days before departure."


def test_chinese_passages_are_cut_at_chinese_sentence_ends():
    leave = "员工入职满一年后每年享有十天带薪年假。年假须提前两周申请。病假需要医生证明。加班可以调休。"
    other = "公司食堂每天中午开放。停车位需要向行政部申请。访客须登记。"
    kept = fit("入职满一年的员工每年有几天带薪年假？", _passages(other, leave), 20)
    assert [p.source for p in kept] == ["doc2.txt"]
    assert kept[0].text.startswith("员工入职满一年后每年享有十天带薪年假。年假须提前两周申请。")
    assert "食堂" not in kept[0].text and word_count(kept[0].text) <= 20


def test_the_chain_gives_the_model_only_the_budgeted_context(tmp_path: Path, hashing):
    def ask(budget: int | None) -> tuple[str, list[Citation]]:
        llm = ScriptedChatModel.saying("Book at least 14 days before departure [1].")
        kb = KnowledgeBase(path=tmp_path / f"idx{budget}", embedder=hashing, llm=llm,
                           retrieval=RetrievalSettings(score_threshold=None, context_tokens=budget))
        kb.index([EXAMPLES_KB])
        answer = kb.ask("How many days before departure must flights be booked?")
        return llm.calls[0][0], answer.passages

    whole_prompt, whole = ask(None)
    budget_prompt, budgeted = ask(40)
    assert len(budget_prompt) < len(whole_prompt)
    assert sum(hashing.count_tokens(p.text) for p in budgeted) <= 40 < sum(hashing.count_tokens(p.text) for p in whole)
    assert [p.n for p in budgeted] == list(range(1, len(budgeted) + 1))
    assert "14 days" in budgeted[0].text and "14 days" in budget_prompt
