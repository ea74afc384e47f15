"""The Game-of-24 checker and step tracking: exact arithmetic, each number once, nothing by float rounding; wrong
steps are refused with a reason; replies in English and Chinese are read."""

import re
from fractions import Fraction

import pytest

from ragkit.chains.reasoning import game24
from ragkit.errors import InvalidInputError
from tests.helpers import REPO

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("puzzle", "expression"), [
    ((4, 5, 6, 10), "(5 * (10 - 4)) - 6"),
    ((3, 3, 8, 8), "8 / (3 - 8 / 3)"),  # exactly 24; in floats 23.999999999999993
    ((1, 1, 4, 6), "6 * 4 * 1 * 1"),
    ((2, 3, 4, 8), "(4 + 8 / 2) * 3 = 24"),
    ((2, 3, 4, 8), "（4 + 8 ÷ 2）× 3"),  # full-width parentheses, Chinese-style signs
])
def test_valid_solutions(puzzle, expression):
    assert game24.check(puzzle, expression) == game24.Verdict(True, "uses each number once and makes 24")


@pytest.mark.parametrize(("puzzle", "expression", "reason"), [
    ((4, 6, 1, 1), "4 * 6 * 2 / 2", "uses 2, 2 beyond the puzzle's numbers; does not use 1, 1"),
    ((4, 5, 6, 10), "4 * 6 + 10 - 10", "uses 10 beyond the puzzle's numbers; does not use 5"),
    ((4, 5, 6, 10), "4 * 6", "does not use 5, 10"),
    ((4, 5, 6, 10), "4 * 5 + 6 - 10", "makes 16, not 24"),
    ((1, 2, 3, 4), "4 * 3 * 2 / (1 - 1)", "division by zero"),
    ((3, 8, 9, 9), "2.6666666666666665 * 9", "only whole numbers, + - * / and parentheses are allowed, not "
                                             "'2.6666666666666665'"),
    ((1, 2, 3, 4), "-1 + 1 * 2 * 3 * 4", "only whole numbers, + - * / and parentheses are allowed, not '-1'"),
    ((1, 2, 3, 4), "__import__('os')", "only whole numbers, + - * / and parentheses are allowed, not "
                                       "\"__import__('os')\""),
    ((1, 2, 3, 4), "4 ** 2 + 3 + 2 + 1", "only whole numbers, + - * / and parentheses are allowed, not '4 ** 2'"),
    ((1, 2, 3, 4), "1 + (2", "not an arithmetic expression: '1 + (2'"),
    ((1, 2, 3, 4), "(" * 150 + "1" + ")" * 150, "longer than 200 characters"),
    ((1, 2, 3, 4), None, "no expression"),
])
def test_invalid_solutions_say_why(puzzle, expression, reason):
    assert game24.check(puzzle, expression) == game24.Verdict(False, reason)


def test_fractions_are_exact_where_floats_are_not():
    assert 8 / (3 - 8 / 3) != 24  # why the checker does not use floats
    assert game24.evaluate("8 / (3 - 8 / 3)") == (Fraction(24), [8, 3, 8, 3])


@pytest.mark.parametrize(("reply", "expression"), [
    ("8 / 2 = 4 (left: 3 4 4)\nAnswer: (4 + 8 / 2) * 3 = 24", "(4 + 8 / 2) * 3"),
    ("**Answer:** `(5 - 3) * 12 = 24`.", "(5 - 3) * 12"),
    ("Let me see.\n(10 - 4) * (5 - 1) = 24\n", "(10 - 4) * (5 - 1)"),
    ("答案：（10 - 4）×（5 - 1）= 24", "(10 - 4)*(5 - 1)"),
    ("我不知道。", None),
    (None, None),
])
def test_extract_reads_the_answer_line_in_english_and_chinese(reply, expression):
    assert game24.extract(reply) == expression


@pytest.mark.parametrize("line", ["4 5 6 10", "4, 5, 6, 10", "４ ５ ６ １０", "4，5，6，10"])
def test_parse_puzzle(line):
    assert game24.parse_puzzle(line) == (4, 5, 6, 10)


@pytest.mark.parametrize("line", ["4 5 6", "4 5 6 x", "1 2 3 4 5", ""])
def test_parse_puzzle_refuses_other_lines(line):
    with pytest.raises(InvalidInputError, match="four whole numbers"):
        game24.parse_puzzle(line)


def test_steps_track_the_numbers_left_and_build_the_expression():
    state = game24.Numbers.start((4, 5, 6, 10))
    state, step = state.apply("10 - 4 = 6 (left: 5 6 6)")
    assert step == "10 - 4 = 6 (left: 5 6 6)" and state.left() == "5 6 6"
    state, step = state.apply("2. 5 * 6 = 30")  # a list marker and no 'left' part are fine
    assert step == "5 * 6 = 30 (left: 6 30)"
    state, _ = state.apply("30 - 6 = 24 (left: 9 9)")  # the model's own 'left' is ignored
    assert state.solved() and state.solution() == "(5 * 6) - (10 - 4)"  # the first 6 of two equal ones
    assert game24.check(state.puzzle, state.solution()).ok


def test_fractional_intermediate_results_are_exact():
    state = game24.Numbers.start((1, 5, 5, 5))
    state, step = state.apply("1 / 5 = 1/5")
    assert step == "1 / 5 = 1/5 (left: 1/5 5 5)"
    state, _ = state.apply("5 - 1/5 = 24/5")
    state, _ = state.apply("24/5 * 5 = 24")
    assert state.solution() == "(5 - (1 / 5)) * 5" and game24.check((1, 5, 5, 5), state.solution()).ok


@pytest.mark.parametrize(("step", "reason"), [
    ("2 * 12 = 24", "2 is not among the numbers left (4 5 6 10)"),
    ("5 * 5 = 25", "5 is not among the numbers left (4 5 6 10)"),  # one 5, not two
    ("4 + 6 = 11", "4 + 6 is 10, not 11"),
    ("10 / 6 = 1.67", "10 / 6 is 5/3, not 1.67"),  # rounded decimals are not exact
    ("I would multiply 4 and 6", "not a step 'a op b = c': 'I would multiply 4 and 6'"),
    ("4乘6等于24", "not a step 'a op b = c': '4乘6等于24'"),
])
def test_wrong_steps_are_refused_with_a_reason(step, reason):
    with pytest.raises(game24.StepError) as refused:
        game24.Numbers.start((4, 5, 6, 10)).apply(step)
    assert str(refused.value) == reason


def test_division_by_zero_step_is_refused():
    state, _ = game24.Numbers.start((3, 3, 8, 8)).apply("3 - 3 = 0")
    with pytest.raises(game24.StepError, match="division by zero"):
        state.apply("8 / 0 = 0")


def test_chinese_and_full_width_steps():
    state, step = game24.Numbers.start((4, 5, 6, 10)).apply("第一步：４ × ６ ＝ ２４")
    assert step == "4 * 6 = 24 (left: 5 10 24)"


def test_every_worked_example_in_the_game24_prompts_is_right():
    """The few-shot answers check, and each listed step is one ragkit accepts from its input."""
    for name in ("game24-direct", "game24-cot"):
        text = (REPO / "prompts" / f"{name}.prompt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
        pairs = re.findall(r"Input: ([\d ]+)\n\nassistant:\n(.*?)(?:\n\n|$)", text, re.S)
        assert len(pairs) == 5
        for puzzle, reply in pairs:
            numbers = game24.parse_puzzle(puzzle)
            assert game24.check(numbers, game24.extract(reply)).ok, (name, puzzle)
            state = game24.Numbers.start(numbers)
            for line in reply.splitlines()[:-1]:
                state, step = state.apply(line)
                assert step == line, (name, line)
            assert state.solved() or name == "game24-direct"
    text = (REPO / "prompts" / "game24-propose.prompt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    for numbers, reply in re.findall(r"Input: ([\d ]+)\n\nassistant:\n(.*?)\n\n", text, re.S):
        start = game24.Numbers(tuple(), tuple(Fraction(n) for n in numbers.split()), tuple(numbers.split()))
        for line in reply.splitlines():
            assert start.apply(line)[1] == line


def test_a_tried_line_over_the_numbers_left_finishes_the_puzzle():
    state, _ = game24.Numbers.start((4, 5, 6, 10)).apply("10 - 4 = 6")
    solved, thought = state.finish("6 * 5 - 6 = 30 - 6 = 24")
    assert thought == "6 * 5 - 6 = 24 (left: 24)" and solved.solved()
    assert solved.solution() == "(6 * 5) - (10 - 4)"  # the last 6 stands for 10 - 4
    assert game24.check((4, 5, 6, 10), solved.solution()).ok


def test_a_chinese_full_width_tried_line_finishes_the_puzzle():
    state, _ = game24.Numbers.start((4, 5, 6, 10)).apply("10 - 4 = 6")
    solved, _ = state.finish("（６ × ５）－ ６ ＝ ２４")
    assert solved.solution() == "(6 * 5) - (10 - 4)"


@pytest.mark.parametrize(("line", "reason"), [
    ("5 + 6 + 6 = 24", "5 + 6 + 6 makes 17, not 24"),  # the model's claimed value is not trusted
    ("6 * 4 = 24", "'6 * 4' does not use exactly the numbers left (5 6 6)"),
    ("5 * 6 = 30", "'5 * 6' does not use exactly the numbers left (5 6 6)"),
    ("sure", "only whole numbers, + - * / and parentheses are allowed, not 'sure'"),
    ("I cannot make 24", "not an arithmetic expression: 'I cannot make 24'"),
    ("6 * 4.0 = 24", "only whole numbers, + - * / and parentheses are allowed, not '4.0'"),
])
def test_tried_lines_that_do_not_make_24_from_the_numbers_left_are_refused(line, reason):
    state, _ = game24.Numbers.start((4, 5, 6, 10)).apply("10 - 4 = 6")
    with pytest.raises(game24.StepError) as refused:
        state.finish(line)
    assert str(refused.value) == reason


def test_every_tried_line_in_the_value_prompt_is_right_and_sure_means_one_made_24():
    text = (REPO / "prompts" / "game24-value.prompt").read_text(encoding="utf-8").split("\n---\n", 1)[1]
    examples = re.findall(r"user:\n([\d ]+)\n\nassistant:\n(.*?)\n\n", text, re.S)
    assert len(examples) >= 6
    for numbers, reply in examples:
        values = sorted(Fraction(n) for n in numbers.split())
        lines, verdict = reply.splitlines()[:-1], reply.splitlines()[-1]
        made = []
        for line in lines:
            if "=" not in line:
                continue
            expression, value = line.split("=")[0], line.split("=")[-1]
            total, used = game24.evaluate(expression)
            assert sorted(map(Fraction, used)) == values and total == Fraction(value.strip()), line
            made.append(total == 24)
        assert (verdict == "sure") == any(made), numbers


@pytest.mark.parametrize(("reply", "expression"), [
    # right steps, wrong answer line: the steps count
    ("8 / 4 = 2 (left: 2 6 9)\n2 * 9 = 18 (left: 6 18)\n18 + 6 = 24 (left: 24)\nAnswer: 8 * 4 = 24",
     "((8 / 4) * 9) + 6"),
    ("第一步：８ ÷ ４ ＝ ２\n第二步：2 × 9 = 18\n第三步：18 + 6 = 24\n答案：18 + 6 = 24", "((8 / 4) * 9) + 6"),
    ("8 / 4 = 2\n2 * 9 = 19 (left: 6 19)\n19 + 5 = 24", None),  # a wrong step ends it
    ("8 / 4 = 2 (left: 2 6 9)\n2 * 9 = 18 (left: 6 18)", None),  # not at 24
    ("Answer: 8 / 4 * 9 + 6 = 24", None),  # no steps: the answer line is read by extract, not here
    (None, None),
])
def test_follow_reads_the_steps_a_reply_writes(reply, expression):
    assert game24.follow((4, 6, 8, 9), reply) == expression
