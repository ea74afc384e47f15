"""Language detection, sentences and words in Chinese, English and mixed text."""

import pytest

from ragkit.text import detect_language, has_han, is_han, sentences, words

pytestmark = pytest.mark.unit

ZH = "北风实验室的差旅制度规定，国内航班必须在出发前至少十四天预订。员工出差期间每天的餐费补贴为一百二十元。"
EN = "Flights must be booked at least 14 days before departure. The meal allowance is 120 yuan per day."
ZH_TECH = "使用 Python 的 FAISS 库建立向量索引，再用 BM25 做关键词检索，最后把两路结果融合排序。"


def test_chinese_corpus_is_zh_even_with_english_terms() -> None:
    assert detect_language([ZH, ZH_TECH]) == "zh"
    assert detect_language(ZH) == "zh"
    assert detect_language(["猫喜欢吃鱼吗？"]) == "zh"


def test_english_corpus_is_en_even_with_a_chinese_name() -> None:
    assert detect_language([EN, EN + " The office is in Beijing (北京)."]) == "en"
    assert detect_language([]) == "en"
    assert detect_language(["12345 !!!"]) == "en"


def test_mixed_corpus_and_one_chinese_file_among_english_ones() -> None:
    assert detect_language([ZH, EN, EN]) == "mixed"
    assert detect_language([EN * 30, ZH]) == "mixed"  # few Han characters overall, but one text is Chinese


def test_chinese_sentences_end_at_full_width_marks_with_closing_quotes() -> None:
    text = "他说：“明天开会。”大家都同意了！会议在几点开始？上午九点。"
    spans = sentences(text)
    assert [t for _, t in spans] == ["他说：“明天开会。”", "大家都同意了！", "会议在几点开始？", "上午九点。"]
    assert all(text[start:].startswith(t) for start, t in spans)


def test_english_sentences_are_split_as_before() -> None:
    text = "Super Bowl 50 was a game. The Broncos won 24-10. It was played at Levi's Stadium in Santa Clara, Calif."
    assert [t for _, t in sentences(text)] == ["Super Bowl 50 was a game.", "The Broncos won 24-10.",
                                              "It was played at Levi's Stadium in Santa Clara, Calif."]
    assert [t for _, t in sentences("Dr. smith arrived at 3 p.m. yesterday.")] == [
        "Dr. smith arrived at 3 p.m. yesterday."]


def test_mixed_sentences_and_blank_lines() -> None:
    text = "The index uses FAISS. 向量检索很快!关键词检索用BM25。\n\nNext paragraph"
    assert [t for _, t in sentences(text)] == ["The index uses FAISS.", "向量检索很快!", "关键词检索用BM25。",
                                              "Next paragraph"]


def test_words_segment_chinese_and_keep_english_words() -> None:
    assert words("Cats, DOGS_2 and 3.5") == ["cats", "dogs_2", "and", "3", "5"]
    segmented = words("会议在2019年3月举行，使用Python的FAISS库")
    assert "会议" in segmented and "举行" in segmented and "python" in segmented and "faiss" in segmented
    assert "2019" in segmented and "会议在2019年3月举行" not in segmented
    assert has_han(ZH) and not has_han(EN) and is_han("会议") and not is_han("会议a")
