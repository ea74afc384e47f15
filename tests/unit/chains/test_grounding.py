"""The grounding guardrail keeps supported answers and replaces unsupported ones with a passage sentence."""

import pytest

from ragkit.chains.grounding import SUPPORT_THRESHOLD, best_sentence, ground, sentences, support
from ragkit.embeddings import HashingEmbeddings

pytestmark = pytest.mark.unit

PASSAGE = ("Super Bowl 50 was an American football game. The Denver Broncos defeated the Carolina Panthers 24-10. "
           "It was played at Levi's Stadium in Santa Clara.")


def test_sentences_keep_offsets() -> None:
    spans = sentences(PASSAGE)
    assert len(spans) == 3
    assert all(PASSAGE[start:].startswith(text) for start, text in spans)


def test_extractive_and_paraphrased_answers_are_kept() -> None:
    assert ground("Denver Broncos [1]", PASSAGE, "Who won?") == ("Denver Broncos [1]", False)
    assert ground("The Broncos defeated the Panthers.", PASSAGE, "Who won?")[1] is False


def test_unsupported_answer_falls_back_to_the_best_sentence() -> None:
    text, extractive = ground("The Green Bay Packers", PASSAGE, "At which stadium was the game played?")
    assert extractive is True
    assert text == "It was played at Levi's Stadium in Santa Clara."


def test_empty_answer_is_replaced() -> None:
    assert ground("", PASSAGE, "Who defeated the Carolina Panthers?") == (
        "The Denver Broncos defeated the Carolina Panthers 24-10.", True)


def test_support_ignores_citations_and_function_words() -> None:
    assert support("the Denver Broncos [1]", PASSAGE) == 1.0
    assert support("Packers of Green Bay", PASSAGE) == 0.0


def test_embedder_ranks_sentences_when_given() -> None:
    embedder = HashingEmbeddings()
    assert best_sentence(PASSAGE, "It was played at Levi's Stadium in Santa Clara.", embedder=embedder) == (
        "It was played at Levi's Stadium in Santa Clara.")


ZH_PASSAGE = ("青石镇位于清水河下游，始建于明朝嘉靖年间。镇上的永安桥是一座三孔石拱桥，全长四十六米，建于1562年，至今仍在使用。"
              "每年农历五月初五，镇上都会举行龙舟比赛，吸引周边数万名游客。")
ZH_DATES = "东州到西川的高速铁路于2019年12月正式通车，全程最快约两小时四十分钟。"


def test_chinese_sentences_are_found_at_full_width_stops() -> None:
    spans = sentences(ZH_PASSAGE)
    assert [text for _, text in spans] == ["青石镇位于清水河下游，始建于明朝嘉靖年间。",
                                           "镇上的永安桥是一座三孔石拱桥，全长四十六米，建于1562年，至今仍在使用。",
                                           "每年农历五月初五，镇上都会举行龙舟比赛，吸引周边数万名游客。"]
    assert all(ZH_PASSAGE[start:].startswith(text) for start, text in spans)


@pytest.mark.parametrize("answer", [
    "永安桥建于1562年。[1]",
    "这座三孔石拱桥建于1562年，全长四十六米 [1]",
    "龙舟比赛在每年农历五月初五举行。",
    "1562年",
])
def test_faithful_chinese_answers_and_paraphrases_are_kept(answer: str) -> None:
    assert ground(answer, ZH_PASSAGE, "永安桥是哪一年建的？") == (answer, False)


BRIDGE = "镇上的永安桥是一座三孔石拱桥，全长四十六米，建于1562年，至今仍在使用。"
RACE = "每年农历五月初五，镇上都会举行龙舟比赛，吸引周边数万名游客。"


@pytest.mark.parametrize(("answer", "question", "sentence"), [
    ("永安桥建于1662年。", "永安桥是哪一年建的？", BRIDGE),
    ("永安桥是一座木桥，建于清朝。", "永安桥是什么样的桥？", BRIDGE),
    ("青石镇建于清朝。", "青石镇始建于什么时候？", "青石镇位于清水河下游，始建于明朝嘉靖年间。"),
    ("龙舟比赛在每年中秋节举行。", "龙舟比赛在什么时候举行？", RACE),
])
def test_unsupported_chinese_answers_are_replaced_by_the_best_sentence(answer: str, question: str,
                                                                      sentence: str) -> None:
    assert ground(answer, ZH_PASSAGE, question) == (sentence, True)  # one sentence, not the whole chunk


def test_a_wrong_number_is_not_outweighed_by_its_right_units() -> None:
    assert support("2019年12月通车", ZH_DATES) == 1.0
    assert support("2019年5月通车", ZH_DATES) < SUPPORT_THRESHOLD
    assert ground("2020年12月", ZH_DATES, "高铁什么时候通车？")[1] is True


def test_english_paraphrase_and_contradiction_pairs() -> None:
    assert ground("Levi's Stadium in Santa Clara hosted the game [1]", PASSAGE, "Where?")[1] is False
    assert ground("It was played at Wembley Stadium in London.", PASSAGE, "Where was it played?") == (
        "It was played at Levi's Stadium in Santa Clara.", True)
