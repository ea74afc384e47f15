"""The grounding guardrail keeps supported answers and replaces unsupported ones with a passage sentence."""

import pytest
from langchain_core.embeddings import Embeddings

from ragkit.chains.grounding import (
    SUPPORT_THRESHOLD,
    best_sentence,
    ground,
    missing_names,
    numbers,
    quote_units,
    sentences,
    support,
    table_records,
    unsupported,
)

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


class _Meaning(Embeddings):
    """Embeds a text as one-hot on the first of the passage's sentences it is; the question means the third."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        spans = [s for _, s in sentences(PASSAGE)]
        return [[float(text.strip() == s) for s in spans] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return [0.0, 0.0, 1.0]


def test_embedder_ranks_sentences_when_given() -> None:
    assert best_sentence(PASSAGE, "Tell me more?", embedder=_Meaning()) == (
        "It was played at Levi's Stadium in Santa Clara.")


def test_a_sentence_only_repeating_the_question_is_not_quoted() -> None:
    assert best_sentence(PASSAGE, "Was Super Bowl 50 an American football game?", "Yes") != (
        "Super Bowl 50 was an American football game.") or len(sentences(PASSAGE)) == 1


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


BIOGRAPHY = ("Frédéric Chopin was born in Żelazowa Wola in 1810. His family moved to Warsaw when he was seven "
             "months old. He left Poland for Paris at the age of twenty, and never returned. Chopin wrote three "
             "piano sonatas.")


@pytest.mark.parametrize("reply", [
    "According to passage [1], Chopin left Poland for Paris when he was 20 [1].",  # 'twenty' written in digits
    "He wrote 3 piano sonatas [1].",
    "Chopin moved to Paris at twenty and never came back [1].",  # paraphrase: 'came back' for 'returned'
    "The family moved to Warsaw [1].",
    "Żelazowa Wola, in 1810 [1].",
])
def test_faithful_english_replies_and_paraphrases_are_kept(reply: str) -> None:
    assert unsupported(reply, [BIOGRAPHY], "When did Chopin leave Poland?") == ""


@pytest.mark.parametrize(("reply", "why"), [
    ("Chopin was born in 1812 [1].", "the number 1812 is in no passage"),  # wrong date
    ("He wrote four piano sonatas [1].", "the number 4 is in no passage"),  # wrong number, in words
    ("Chopin was born in Kraków [1].", "the name Kraków is in no passage"),  # wrong place
    ("Chopin was taught by Józef Elsner [1].", "the name Józef Elsner is in no passage"),  # wrong name
    ("He played violin in orchestras across Vienna and Berlin [1].", "the name Vienna is in no passage"),
    ("Chopin wrote violin concertos for the orchestra of the court [1].", "only 33% of its words are in the passages"),
])
def test_wrong_numbers_dates_names_and_claims_are_caught(reply: str, why: str) -> None:
    assert unsupported(reply, [BIOGRAPHY], "Where was Chopin born?") == why


def test_a_number_or_name_of_the_question_is_not_held_against_the_reply() -> None:
    assert unsupported("Yes, in 1811 Chopin's family was in Warsaw.", [BIOGRAPHY],
                       "Did Chopin live in Warsaw in 1811?") == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("十四天", {"14", "14天"}), ("一百二十元", {"120", "120元"}), ("两万名", {"20000", "20000名"}),
    ("二〇一九年", {"2019", "2019年"}), ("十", {"10"}), ("450 元", {"450", "450元"}),
    ("统一管理", set()), ("1,250 people", {"1250"}), ("twenty-five", {"25"}), ("three", {"3"}), ("3.5", {"3.5"}),
])
def test_numbers_are_read_in_digits_words_and_chinese_numerals(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


def test_chinese_numbers_in_digits_match_chinese_numerals() -> None:
    passage = "国内航班必须在出发前至少十四天预订，每天的餐费补贴为一百二十元。"
    assert unsupported("国内航班要提前14天预订。[1]", [passage], "国内航班需要提前多少天预订？") == ""
    assert unsupported("餐费补贴每天120元。", [passage], "餐费补贴是多少？") == ""
    assert unsupported("国内航班要提前15天预订。", [passage], "国内航班需要提前多少天预订？") == (
        "the number 15 is in no passage")


def test_the_quote_is_the_sentence_answering_the_question_not_the_most_overlapping() -> None:
    passage = ("Chopin's birthplace has a museum. Many visitors ask when Chopin left Poland for good. "
               "He left Poland for Paris in 1830, at the age of twenty.")
    question = "When did Chopin leave Poland?"
    assert best_sentence(passage, question, "Chopin left Poland in 1831.") == (
        "He left Poland for Paris in 1830, at the age of twenty.")


def test_a_chinese_number_must_come_with_its_unit_and_the_question_backs_no_words() -> None:
    passage = "公司电脑在十分钟无操作后会自动锁屏。员工的登录密码至少十二位。"
    assert unsupported("员工每年有10天年假。", [passage], "员工每年有多少天年假？") == "the number 10天 is in no passage"
    assert unsupported("电脑十分钟无操作会锁屏。", [passage], "电脑多久会自动锁屏？") == ""
    assert unsupported("密码至少12位。[1]", [passage], "登录密码至少要多少位？") == ""
    assert unsupported("员工每年都有年假和年终奖。", [passage], "员工每年有年假吗？").startswith("only")


def test_names_the_question_asks_about_must_be_in_some_passage() -> None:
    passages = ["Tesla's family moved to Gospić in 1862, where his father was a priest.",
                "The Broncos defeated the Carolina Panthers 24–10 to win Super Bowl 50."]
    assert missing_names("In what year did Tesla's family move to Gospic?", passages) == []  # accents, 's
    assert missing_names("Which team did the Panthers defeat in Super Bowl 50?", passages) == []
    assert missing_names("What did Goodell say about Super Bowl 50?", passages) == ["Goodell"]
    assert missing_names("How much did the stadium of Super Bowl XLVIII cost?", passages) == ["Super Bowl XLVIII"]
    assert missing_names("what did his father do?", passages) == []  # no name asked about
    assert missing_names("Where did Tesla's father Milutin serve as priest?", passages) == ["Milutin"]


def test_a_misspelt_name_is_not_a_missing_one() -> None:
    passages = ["Bill Aken was adopted by Lupe Mayorga.", "Labor holds Bendigo and Geelong."]
    assert missing_names("Who was Bill Aiken's adopted mother?", passages) == []  # one letter added
    assert missing_names("What party is favored in Bedigo and Geelong?", passages) == []  # one dropped
    assert missing_names("Who adopted Bill Akin?", passages) == ["Bill Akin"]  # four letters: too short to call a slip
    assert missing_names("Who adopted Bill Aiken?", ["Bill Allen was adopted."]) == ["Bill Aiken"]
    assert missing_names("What did Goodall say?", ["Goodell said so."]) == ["Goodall"]
    assert missing_names("特斯拉的父亲是做什么的？", ["特斯拉的父亲是一名牧师。"]) == []  # no capitalized names in Chinese


PRICES_ZH = ("办公用品价格表（2025年）\n| 货号 | 品名 | 单位 | 单价（元） | 起订量 |\n| --- | --- | --- | --- | --- |\n"
             "| OS-2214 | 订书钉 | 包（100个） | 65.13 | 2 |\n| OS-2215 | 回形针 | 包（5个） | 83.92 | 5 |")
PRICES_EN = ("Price list 2025\n| Item | Unit | Price (EUR) | Minimum order |\n| --- | --- | --- | --- |\n"
             "| Batteries AAA | pack of 4 | 17.14 | 3 |\n| Pencils | pack of 5 | 2.40 | 10 |")


def test_table_rows_read_as_records_under_their_header() -> None:
    assert table_records(PRICES_ZH)[1] == "货号: OS-2215; 品名: 回形针; 单位: 包（5个）; 单价（元）: 83.92; 起订量: 5"
    assert table_records("| a | b |\n| --- | --- |\n| x \\| y | |") == ["a: x | y"]  # escaped pipe, empty cell
    assert quote_units(PRICES_EN) == ["Price list 2025", "Item: Batteries AAA; Unit: pack of 4; Price (EUR): 17.14; "
                                      "Minimum order: 3", "Item: Pencils; Unit: pack of 5; Price (EUR): 2.40; "
                                      "Minimum order: 10"]


def test_a_number_in_a_table_cell_backs_it_with_the_unit_its_header_states() -> None:
    question = "回形针的单价是多少元？"
    assert unsupported("回形针的单价是83.92元。[1]", [PRICES_ZH], question) == ""
    assert unsupported("回形针的单价是93.92元。[1]", [PRICES_ZH], question) == "the number 93.92 is in no passage"
    assert unsupported("It costs 17.14 EUR a pack [1].", [PRICES_EN], "What is the price of Batteries AAA?") == ""
    # Outside a table the unit must still be stated beside the number: 14 days is not 14 months.
    assert unsupported("须提前14个月预订。", ["机票须提前14天预订。"], "提前几天？") == "the number 14个 is in no passage"


@pytest.mark.parametrize(("passage", "question", "row"), [
    (PRICES_ZH, "回形针的单价是多少元？", "货号: OS-2215; 品名: 回形针"),
    (PRICES_EN, "What is the price of Pencils?", "Item: Pencils; Unit: pack of 5"),
])
def test_the_quote_of_a_table_is_the_asked_row_with_its_header(passage: str, question: str, row: str) -> None:
    assert best_sentence([passage], question).startswith(row)
