"""Final answers are found in English and Chinese replies and read as numbers: currency, units, commas,
fractions, percentages, `x = 5`, boxed, Chinese numerals."""

from fractions import Fraction

import pytest

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.numeric import canonical, last_number, parse_number
from ragkit.eval.reasoning.tasks import gold_answer, same_answer, worked_solution

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "value"), [
    ("18", 18), ("$18", 18), ("$18.00", 18), ("18 dollars", 18), ("1,200", 1200), ("$1,234,567.50", 1234567.5),
    ("3/4", Fraction(3, 4)), ("1 1/2 cups", Fraction(3, 2)), ("25%", 25), ("x = 5", 5), ("5 * 5 = 25", 25),
    ("-7 degrees", -7), ("\u22127", -7), (".5", 0.5), ("\\frac{3}{4}", Fraction(3, 4)), ("\\$20", 20),
    ("20 \\text{ apples}", 20), ("12 km/h", 12),
    ("¥1,200 元", 1200), ("共 5 个", 5), ("１２ 元", 12), ("十二", 12), ("三百五十", 350), ("两千零五", 2005),
    ("一万二千", 12000), ("二〇二四", 2024), ("十", 10),
])
def test_parse_number_reads_each_form(text, value):
    assert parse_number(text) == Fraction(value)


@pytest.mark.parametrize("text", ["", "no number here", "不知道", None, "1" * 100])
def test_parse_number_is_none_without_a_number(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(("reply", "stated"), [
    ("So 11 balls. The answer is 11.", "11"),
    ("Step 1 ... Final answer: $1,200.", "$1,200"),
    ("The answer is x = 5. Check: ok", "x = 5"),
    ("so the total is \\boxed{42} apples", "42"),
    ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("Answer: 7\n", "7"),
    ("#### 72", "72"),
    ("一共花了 36 元。\n答案是 ¥1,200 元。", "¥1,200 元"),
    ("所以答案为 9。", "9"),
    ("答：共 5 个。", "共 5 个"),
    ("最终答案：82 棵", "82 棵"),
    ("The answer is 3. Later the answer is 4.", "4"),
])
def test_final_answer_finds_the_statement(reply, stated):
    assert answers.final_answer(reply) == stated


def test_a_reply_without_a_statement_falls_back_to_its_last_number():
    assert answers.stated_or_last_number("He has 3 + 4 = 7 apples, then 7 * 2 = 14 apples") == "14"
    assert answers.stated_or_last_number("他一共有 14 个苹果") == "14"
    assert answers.stated_or_last_number("I do not know") is None
    assert last_number("1,000 and 2.5") == Fraction(5, 2)


@pytest.mark.parametrize(("got", "gold", "same"), [
    ("$18.00", "18", True), ("18 dollars", "18", True), ("¥1,200 元", "1200", True), ("共 5 个", "5", True),
    ("0.75", "3/4", True), ("75%", "75", True), ("x = 5", "5", True), ("17", "18", False), (None, "18", False),
    ("Paris.", "paris", True), ("Lyon", "Paris", False), ("五", "5", True), ("no idea", "5", False),
])
def test_answers_compare_as_numbers_else_normalized(got, gold, same):
    assert same_answer(got, gold) is same


def test_votes_count_equal_numbers_as_one():
    answer, votes = answers.majority(["$18", "18.00", "18 dollars", "20", None])
    assert (answer, votes) == ("$18", {"18": 3, "20": 1})
    assert answers.vote_key("Paris.") == "paris"


def test_canonical_forms():
    assert [canonical(Fraction(v)) for v in (18, Fraction(3, 4), Fraction(-5, 2))] == ["18", "0.75", "-2.5"]
    assert canonical(Fraction(1, 3)) == "1/3"


def test_gsm8k_answer_fields():
    field = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nSo 48+24 = <<48+24=72>>72.\n#### 1,072"
    assert gold_answer(field) == "1,072" and gold_answer("42") == "42"
    assert worked_solution(field) == "Natalia sold 48/2 = 24 clips in May.\nSo 48+24 = 72."
