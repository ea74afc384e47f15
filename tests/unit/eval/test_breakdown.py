"""The answer-quality breakdown: every outcome reachable with a scripted model, gold matching in English and
Chinese, the SQuAD-as-files set, and the JSON and PNG reports."""

import json
import re
from pathlib import Path

import pytest

from ragkit.chains.rag import RagChain
from ragkit.embeddings import HashingEmbeddings
from ragkit.eval.breakdown import (
    ANSWERABLE_OUTCOMES,
    UNANSWERABLE_OUTCOMES,
    evaluate_breakdown,
    gold_contained,
    table_lines,
    write_breakdown,
)
from ragkit.eval.kbset import file_name, squad_kb_set
from ragkit.eval.qa import QAItem, index_paragraphs, jsonl_items
from ragkit.eval.squad import Article, Paragraph, Question
from ragkit.retrieval import DenseRetriever
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit

PARAGRAPHS = ["The Broncos won Super Bowl 50.", "Chess is played on a board of 64 squares.",
              "The Nile is the longest river in Africa."]
REPLIES = {  # question -> reply; {chess} is the number the prompt gave the chess passage
    "Which river is the longest in Africa?": "The Nile [{nile}].",
    "Which river is longest of all in Africa?": "The Nile [{chess}].",
    "Which long river flows in Africa?": "The Nile [{nile}].",
    "How many squares does a chess board have?": "Chess is played on a board [{chess}].",
    "How many squares are on a chess board?": "The documents do not say.",
    "How many squares has a board for chess?": "Seven hundred [{chess}].",
    "Who won Super Bowl 50?": "Denver Broncos, by 14 points [{broncos}].",
    "Who painted the Mona Lisa?": "The documents do not say.",
    "Who painted the famous Mona Lisa?": "Leonardo [{nile}].",
}
ITEMS = [
    QAItem("Which river is the longest in Africa?", ("Nile",), "Sports#2"),  # right
    QAItem("Which long river flows in Africa?", ("Nile",), "Geography#0"),  # retrieval miss: gold not indexed
    QAItem("How many squares are on a chess board?", ("64",), "Sports#1"),  # refused
    QAItem("Who won Super Bowl 50?", ("Denver Broncos",), "Sports#0"),  # guardrail broke a right reply
    QAItem("How many squares has a board for chess?", ("64",), "Sports#1"),  # guardrail rescued a wrong one
    QAItem("How many squares does a chess board have?", ("64",), "Sports#1"),  # model wrong
    QAItem("Who painted the Mona Lisa?", ()),  # refused (correct)
]


def _number(prompt: str, word: str) -> int:
    return int(re.search(rf"\[(\d+)\] \([^)]*\) [^\[]*{word}", prompt).group(1))  # type: ignore[union-attr]


def _reply(prompt: str, _: dict) -> str:
    question = after(prompt, "Question:").strip()
    return REPLIES[question].format(**{k: _number(prompt, w) for k, w in
                                       (("nile", "Nile"), ("chess", "Chess"), ("broncos", "Broncos"))})


def _chain(grounding: bool) -> RagChain:
    articles = [Article("Sports", tuple(Paragraph("Sports", i, text, ()) for i, text in enumerate(PARAGRAPHS)))]
    store = index_paragraphs(articles, HashingEmbeddings(256))
    return RagChain(retriever=DenseRetriever(store=store, k=3), llm=ScriptedChatModel(reply=_reply),
                    grounding=grounding)


def test_every_outcome_is_reachable_with_a_scripted_model() -> None:
    guarded = evaluate_breakdown("guarded", _chain(True).invoke, ITEMS)
    plain = evaluate_breakdown("plain", _chain(False).invoke, [
        QAItem("Which river is longest of all in Africa?", ("Nile",), "Sports#2"),  # cited the wrong passage
        QAItem("Who painted the famous Mona Lisa?", ()),  # answered (should refuse)
    ])
    outcomes = [r["outcome"] for r in guarded.rows] + [r["outcome"] for r in plain.rows]
    assert outcomes == ["right", "retrieval miss", "refused", "guardrail broke a right reply",
                        "guardrail rescued a wrong one", "model wrong", "refused (correct)",
                        "cited the wrong passage", "answered (should refuse)"]
    assert set(outcomes) == set(ANSWERABLE_OUTCOMES + UNANSWERABLE_OUTCOMES)
    assert guarded.answerable == 6 and guarded.unanswerable == 1
    assert guarded.right == pytest.approx(1 / 6) and guarded.refusal_rate == 1.0
    assert guarded.false_refusal_rate == pytest.approx(1 / 6) and guarded.replaced == 2
    assert guarded.contained == pytest.approx(3 / 6)  # right, rescued, retrieval miss (Nile stated anyway)
    assert plain.refusal_rate == 0.0 and plain.citation_accuracy == 0.0


def test_a_refusal_counts_as_one_even_when_retrieval_missed() -> None:
    missed = evaluate_breakdown("missed", _chain(True).invoke,
                                [QAItem("How many squares are on a chess board?", ("64",), "Geography#0")])
    assert [r["outcome"] for r in missed.rows] == ["retrieval miss"] and missed.rows[0]["refused"]
    assert missed.false_refusal_rate == 1.0


def test_reports_are_written(tmp_path: Path) -> None:
    result = evaluate_breakdown("guarded", _chain(True).invoke, ITEMS)
    json_path, png_path = write_breakdown([result], tmp_path, {"seed": 0})
    saved = json.loads(json_path.read_text(encoding="utf-8"))
    assert saved["results"][0]["outcomes"]["right"] == 1 and len(saved["results"][0]["rows"]) == len(ITEMS)
    assert saved["results"][0]["rows"][3]["generated"].startswith("Denver Broncos")
    assert png_path.read_bytes().startswith(b"\x89PNG")
    lines = table_lines([result])
    assert any(line.startswith("guardrail broke a right reply") and line.endswith("1") for line in lines)
    assert any(line.startswith("out-of-KB refused") and line.endswith("100.0%") for line in lines)


@pytest.mark.parametrize(("text", "golds", "expected"), [
    ("It was the Denver Broncos [1].", ("Denver Broncos",), True),
    ("The Broncos of Denver.", ("Denver Broncos",), False),
    ("Denverbroncos", ("Denver Broncos",), False),
    ("The garden covers more than 10,000 m² [2].", ("10,000 m2",), True),  # NFKC: m² is m2
    ("The garden covers 10,000 m³.", ("10,000 m2",), False),
    ("国内航班必须提前十四天预订[1]。", ("十四天",), True),
    ("国内航班必须提前 十四 天预订。", ("十四天",), True),  # spaces ignored between characters
    ("提前十天预订。", ("十四天",), False),
    ("支持ＡＰＩ调用", ("API",), True),  # full-width forms
])
def test_gold_answers_are_matched_on_words_or_characters(text: str, golds: tuple[str, ...], expected: bool) -> None:
    assert gold_contained(text, golds) is expected


def test_jsonl_questions_with_no_answers_are_to_be_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "年假有多少天？", "answers": ["十五天"], "source": "leave.md"}\n'
                    '{"question": "火山爆发前有哪些征兆？", "answers": []}\n', encoding="utf-8")
    items = jsonl_items(path)
    assert items[0].answers == ("十五天",) and items[0].gold == "leave.md" and items[1].answers == ()


def test_squad_articles_become_files_with_questions_inside_and_outside() -> None:
    articles = [Article(f"Article {a}/x", tuple(
        Paragraph(f"Article {a}/x", p, f"Text {a}.{p}.", (Question(f"{a}{p}", f"Q {a}.{p}?", (f"A{a}{p}",), 0),))
        for p in range(10))) for a in range(5)]
    kb_set = squad_kb_set(articles, 3, per_article=2, unanswerable=4, paragraphs=8, seed=1)
    assert len(kb_set.files) == 3 and all(name.endswith(".txt") and "/" not in name for name in kb_set.files)
    inside = [i for i in kb_set.items if i.answers]
    assert len(inside) == 6 and all(i.gold in kb_set.files for i in inside)
    for item in inside:  # each question comes from the first 8 paragraphs of its own article's file
        assert f"Text {item.question[2:-1]}." in kb_set.files[item.gold]  # type: ignore[index]
    outside = [i for i in kb_set.items if not i.answers]
    assert len(outside) == 4 and all(file_name(f"Article {i.question[2]}/x") not in kb_set.files for i in outside)


def test_answers_get_rouge_l_and_bleu_beside_em_and_f1() -> None:
    result = evaluate_breakdown("guarded", _chain(True).invoke, ITEMS)
    first = result.rows[0]
    assert first["answer"] == "The Nile [1]." and first["rouge_l"] == pytest.approx(2 / 3)  # the nile / nile
    assert 0 < first["bleu"] < 100 and result.rows[2]["bleu"] == 0.0  # a refusal shares no word with "64"
    answerable = [r for r in result.rows if r["gold"]]
    assert result.rouge_l == pytest.approx(sum(r["rouge_l"] for r in answerable) / len(answerable))
    assert 0 < result.bleu < 100
    lines = table_lines([result])
    assert any(line.startswith("ROUGE-L F") and line.endswith(f"{result.rouge_l:.1%}") for line in lines)
    assert any(line.startswith("BLEU (corpus, 0-100)") and line.endswith(f"{result.bleu:.1f}") for line in lines)
