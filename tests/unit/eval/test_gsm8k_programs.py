"""GSM8K worked solutions become `solution()` programs: one commented step per calculator annotation, earlier
results used by name (not numbers the question states), the final answer returned; others are dropped."""

import pytest

from ragkit.chains.reasoning.safe_eval import run_program
from ragkit.eval.reasoning.gsm8k_programs import program_of

pytestmark = pytest.mark.unit

NATALIA = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many "
           "clips did Natalia sell altogether in April and May?")


def test_each_annotation_is_a_named_step_and_the_final_one_is_returned():
    answer = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether "
              "in April and May.\n#### 72")
    assert program_of(NATALIA, answer) == (
        "def solution():\n"
        "    # Natalia sold 48/2 = 24 clips in May.\n"
        "    clips_in_may = 48/2\n"
        "    # Natalia sold 48+24 = 72 clips altogether in April and May.\n"
        "    clips_altogether = 48+clips_in_may\n"
        "    return clips_altogether")


def test_a_number_the_question_states_stays_a_literal_and_names_are_unique():
    question = "Ann buys 4 pints, then 3 times as many, then a third of that. How many pints in all?"
    answer = "4*3=<<4*3=12>>12 pints\n12/3=<<12/3=4>>4 pints\n4+12+4=<<4+12+4=20>>20 pints\n#### 20"
    program = program_of(question, answer)
    assert program is not None
    assert "pints_3 = 4+pints+4" in program and program.endswith("return pints_3")
    assert run_program(program).value == 20


def test_chinese_solution_gets_step_names_and_its_comments():
    answer = "3 支笔花了 3*8=<<3*8=24>>24 元。\n还剩 45-24=<<45-24=21>>21 元。\n#### 21"
    program = program_of("小明有 45 元，买了 3 支笔，每支 8 元。他还剩多少元？", answer)
    assert program is not None and "# 3 支笔花了 3*8=24 元。" in program
    assert "step_2 = 45-step_1" in program and run_program(program).value == 21


def test_a_late_answer_is_returned_from_the_step_that_gives_it():
    answer = "Total 2+3=<<2+3=5>>5 apples\nHalf is 5/2=<<5/2=2.5>>2.5 apples\n#### 5"
    program = program_of("q", answer)
    assert program is not None and program.endswith("return apples")


@pytest.mark.parametrize("answer", [
    "He has 3 + 4 = 7 apples.\n#### 7",                      # no annotations
    "He has 3+4=<<3+4=7>>7 apples.\n#### 8",                 # no step gives the final answer
    "2 * x = <<2*x=4>>4 so x = 2\n#### 4",                   # not plain arithmetic: the program is refused
    "He has 3+4=<<3+4=seven>>seven apples.\n#### 7",         # a result that is no number
])
def test_solutions_that_give_no_right_program_are_dropped(answer):
    assert program_of("q", answer) is None
