"""GSM8K worked solutions turned into `solution()` programs, so that examples the selector draws from GSM8K train
come with a program for the `program` prompt: one commented assignment per `<<48/2=24>>` calculator annotation,
earlier results used by name, `return` of the step that gives the final answer."""

from __future__ import annotations

import keyword
import re
from fractions import Fraction

from ragkit.chains.reasoning.program import answer_text
from ragkit.chains.reasoning.safe_eval import MATH, run_program
from ragkit.eval.reasoning.tasks import gold_answer, same_answer, worked_solution

_STEP = re.compile(r"<<([^<>=]*)=([^<>]*)>>")
_LITERAL = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_AFTER = re.compile(r"\s*[$€£]?\s*-?[\d.,]*\s*%?\s*((?:[A-Za-z]+'?s?\s*){1,3})")
_WORD = re.compile(r"[a-z]+")
_TAKEN = set(keyword.kwlist) | set(MATH) | {"math", "solution", "abs", "max", "min", "round", "sum", "int", "float",
                                            "len", "range", "list", "str", "pow", "divmod", "answer"}
_MAX_NAME_WORDS = 3
_TRAILING = {"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "per", "the", "to", "with"}


def program_of(question: str, answer: str) -> str | None:
    """The `solution()` program of a GSM8K problem; None when its answer has no annotations, an annotation is not
    plain arithmetic, or the program it gives does not return the `#### N` answer in ragkit's safe evaluator."""
    given = {Fraction(n) for n in _LITERAL.findall(question.replace(",", ""))}
    lines: list[str] = []
    names: list[str] = []
    values: list[Fraction] = []
    for line in answer.rsplit("####", 1)[0].splitlines():
        steps = list(_STEP.finditer(line))
        if steps:
            lines.append(f"    # {worked_solution(line)}")
        for step in steps:
            value = _number(step.group(2))
            if value is None:
                return None
            name = _name(line[step.end():], names)
            lines.append(f"    {name} = {_expression(step.group(1), names, values, given)}")
            names.append(name)
            values.append(value)
    gold = gold_answer(answer)
    final = next((n for n, v in zip(reversed(names), reversed(values), strict=True) if same_answer(str(v), gold)),
                 None)
    if final is None:
        return None
    program = "def solution():\n" + "\n".join(lines) + f"\n    return {final}"
    outcome = run_program(program)
    return program if outcome.refused is None and same_answer(answer_text(outcome.value), gold) else None


def _number(text: str) -> Fraction | None:
    """An annotation's stated result (GSM8K writes some with a unit or a trailing period)."""
    found = _LITERAL.search(text.replace(",", ""))
    return Fraction(found.group(0)) if found else None


def _expression(text: str, names: list[str], values: list[Fraction], given: set[Fraction]) -> str:
    """An annotation's arithmetic in Python: a literal equal to an earlier step's result becomes that step's name
    (the latest such) unless the question states that number (then it is read as the question's), other literals
    are written without leading zeros."""
    def literal(match: re.Match[str]) -> str:
        value = Fraction(match.group(0))
        for name, earlier in zip(reversed(names), reversed(values), strict=True):
            if earlier == value and value not in given:
                return name
        whole, dot, part = match.group(0).partition(".")
        return (whole.lstrip("0") or "0") + dot + part
    return " ".join(_LITERAL.sub(literal, text).split())


def _name(after: str, taken: list[str]) -> str:
    """A variable name from the words after a step's result ('24 clips in May' -> clips_in_may), else step_N;
    made unique with a number."""
    found = _AFTER.match(after)
    words = _WORD.findall(found.group(1).lower())[:_MAX_NAME_WORDS] if found else []
    while words and words[-1] in _TRAILING:
        words.pop()
    base = "_".join(words) or f"step_{len(taken) + 1}"
    if base in _TAKEN:
        base = f"{base}_value"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name
