"""Game of 24 (the task Yao et al. 2023 built Tree-of-Thoughts for): check a solution exactly and track the numbers
each step "a op b = c" leaves, so a search prunes wrong arithmetic without asking the model.

Written here because no library checks it: the expression is parsed with `ast` (numbers, + - * / and parentheses
only, never evaluated by Python) and computed in `fractions.Fraction`, so 8 / (3 - 8 / 3) is exactly 24 and
nothing passes by float rounding.
"""

from __future__ import annotations

import ast
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ragkit.errors import InvalidInputError

TARGET = Fraction(24)
MAX_EXPRESSION = 200
"""Longer replies are refused before parsing (a puzzle's solution is about 20 characters)."""

_APPLY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_SYMBOL: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_SYMBOLS = {"×": "*", "∗": "*", "·": "*", "÷": "/", "−": "-", "–": "-"}
_NUMBER = r"-?\d+(?:\.\d+)?(?:/\d+)?"
_STEP = re.compile(rf"({_NUMBER})\s*([-+*/xX])\s*({_NUMBER})\s*=\s*({_NUMBER})")
_ANSWER = re.compile(r"(?:answer|答案|解)\s*[:：是为]?\s*(.+)", re.IGNORECASE)


class StepError(ValueError):
    """A proposed step that cannot be taken from the current numbers; the message says why."""


@dataclass(frozen=True)
class Verdict:
    """Whether an expression solves a puzzle, and why not when it does not."""

    ok: bool
    reason: str


def parse_puzzle(line: str) -> tuple[int, ...]:
    """Four whole numbers from a line such as '4 5 6 10' or '4, 5, 6, 10'."""
    parts = re.split(r"[\s,，、]+", normalize(line).strip())
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise InvalidInputError(f"a Game-of-24 puzzle is four whole numbers, got {line.strip()!r}")
    return tuple(int(p) for p in parts)


def normalize(text: str) -> str:
    """Full-width characters to ASCII (NFKC) and the multiplication/division signs to * and /."""
    text = unicodedata.normalize("NFKC", text)
    for symbol, ascii_op in _SYMBOLS.items():
        text = text.replace(symbol, ascii_op)
    return text


def render(value: Fraction) -> str:
    """A number as the prompts write it: 5, -2 or 8/3."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def extract(reply: str | None) -> str | None:
    """The solution expression in a model reply: the last 'Answer: ...' line, else the last line saying '= 24'."""
    lines = [normalize(line).strip().strip("*`$ ") for line in (reply or "").splitlines()]
    answers = [m.group(1) for m in map(_ANSWER.search, lines) if m]
    candidates = answers or [line for line in lines if re.search(r"=\s*24\b", line)]
    if not candidates:
        return None
    expression = candidates[-1].split("=")[0].strip().strip("*`$ ").rstrip(".")
    return expression or None


def follow(puzzle: Sequence[int], reply: str | None) -> str | None:
    """The expression a reply's steps build when they solve the puzzle: each line that writes a step "a op b = c"
    (answer lines skipped) is applied in order, exactly; None when a step is wrong or the steps do not end at 24.

    Chain-of-thought replies often get every step right and then write the wrong expression on their answer line;
    this reads them as the tree search reads its steps.
    """
    state = Numbers.start(puzzle)
    for line in (reply or "").splitlines():
        if _ANSWER.search(normalize(line)) or not _STEP.search(normalize(line).replace(",", "")):
            continue
        try:
            state = state.apply(line)[0]
        except StepError:
            return None
    return state.solution()


def evaluate(expression: str) -> tuple[Fraction, list[int]]:
    """The exact value of an arithmetic expression and the numbers it is written with, in order.

    Raises StepError when the text is not numbers, + - * / and parentheses, or divides by zero.
    """
    text = normalize(expression).strip()
    if len(text) > MAX_EXPRESSION:
        raise StepError(f"longer than {MAX_EXPRESSION} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise StepError(f"not an arithmetic expression: {text!r}") from exc
    used: list[int] = []

    def value(node: ast.expr) -> Fraction:
        if isinstance(node, ast.BinOp) and type(node.op) in _SYMBOL:
            return _combine(value(node.left), _SYMBOL[type(node.op)], value(node.right))
        if isinstance(node, ast.Constant) and type(node.value) is int:
            used.append(node.value)
            return Fraction(node.value)
        raise StepError(f"only whole numbers, + - * / and parentheses are allowed, not {ast.unparse(node)!r}")

    return value(tree.body), used


def check(puzzle: Sequence[int], expression: str | None) -> Verdict:
    """Whether `expression` (a trailing '= 24' allowed) uses each of the puzzle's numbers once and makes exactly 24."""
    if not expression or not expression.split("=")[0].strip():
        return Verdict(False, "no expression")
    try:
        total, used = evaluate(expression.split("=")[0])
    except (StepError, RecursionError) as exc:
        return Verdict(False, str(exc) or "too deeply nested")
    wanted, got = Counter(puzzle), Counter(used)
    if got != wanted:
        extra = sorted((got - wanted).elements())
        missing = sorted((wanted - got).elements())
        parts = [f"uses {', '.join(map(str, extra))} beyond the puzzle's numbers"] if extra else []
        parts += [f"does not use {', '.join(map(str, missing))}"] if missing else []
        return Verdict(False, "; ".join(parts))
    if total != TARGET:
        return Verdict(False, f"makes {render(total)}, not 24")
    return Verdict(True, "uses each number once and makes 24")


@dataclass(frozen=True)
class Numbers:
    """The numbers still to combine, each with the expression over the puzzle's numbers that made it."""

    puzzle: tuple[int, ...]
    values: tuple[Fraction, ...]
    expressions: tuple[str, ...]

    @classmethod
    def start(cls, puzzle: Sequence[int]) -> Numbers:
        """The puzzle itself: its numbers, each its own expression."""
        return cls(tuple(puzzle), tuple(Fraction(n) for n in puzzle), tuple(str(n) for n in puzzle))

    def left(self) -> str:
        """The numbers as the prompts show them, smallest first: '4 6 10'."""
        return " ".join(render(v) for v in sorted(self.values))

    def key(self) -> tuple[Fraction, ...]:
        """What two states reaching the same numbers share (the rest of the search is the same from both)."""
        return tuple(sorted(self.values))

    def solved(self) -> bool:
        """One number is left and it is exactly 24."""
        return self.values == (TARGET,)

    def solution(self) -> str | None:
        """The expression over the puzzle's numbers that made 24, outer parentheses dropped; None unless solved."""
        if not self.solved():
            return None
        text = self.expressions[0]
        return text[1:-1] if text.startswith("(") and text.endswith(")") else text

    def apply(self, step: str) -> tuple[Numbers, str]:
        """The numbers after a step written 'a op b = c' (anywhere in the text), and the step as recorded.

        Raises StepError when no step is written, a or b is not among the numbers left, or a op b is not exactly c.
        """
        match = _STEP.search(normalize(step).replace(",", ""))
        if match is None:
            raise StepError(f"not a step 'a op b = c': {step.strip()!r}")
        a_text, op, b_text, c_text = match.groups()
        op = "*" if op in "xX" else op
        a, b, c = _exact(a_text), _exact(b_text), _exact(c_text)
        values, expressions = list(self.values), list(self.expressions)
        picked = []
        for operand, text in ((a, a_text), (b, b_text)):
            if operand not in values:
                raise StepError(f"{text} is not among the numbers left ({self.left()})")
            index = values.index(operand)
            picked.append(expressions[index])
            del values[index], expressions[index]
        result = _combine(a, op, b)
        if result != c:
            raise StepError(f"{a_text} {op} {b_text} is {render(result)}, not {c_text}")
        values.append(result)
        expressions.append(f"({picked[0]} {op} {picked[1]})")
        after = Numbers(self.puzzle, tuple(values), tuple(expressions))
        return after, f"{a_text} {op} {b_text} = {render(result)} (left: {after.left()})"

    def finish(self, line: str) -> tuple[Numbers, str]:
        """The solved state when `line` writes an expression over exactly the (whole) numbers left that makes 24,
        e.g. "(10 - 4) * 4 = 6 * 4 = 24" for 4 4 10; each number stands for the expression that made it.

        Raises StepError when the line is no such expression (other numbers, another value, not arithmetic).
        """
        expression = normalize(line).replace(",", "").split("=")[0].strip().strip("*`$ ")
        total, used = evaluate(expression)
        if Counter(map(Fraction, used)) != Counter(self.values):
            raise StepError(f"{expression!r} does not use exactly the numbers left ({self.left()})")
        if total != TARGET:
            raise StepError(f"{expression} makes {render(total)}, not 24")
        values, expressions = list(self.values), list(self.expressions)

        def build(node: ast.expr) -> str:
            if isinstance(node, ast.BinOp):
                return f"({build(node.left)} {_SYMBOL[type(node.op)]} {build(node.right)})"
            index = values.index(Fraction(node.value if isinstance(node, ast.Constant) and type(node.value) is int
                                          else 0))
            del values[index]
            return expressions.pop(index)

        solved = Numbers(self.puzzle, (TARGET,), (build(ast.parse(expression, mode="eval").body),))
        return solved, f"{expression} = 24 (left: 24)"


def _combine(a: Fraction, op: str, b: Fraction) -> Fraction:
    """a op b exactly; StepError for a division by zero."""
    if op == "/" and b == 0:
        raise StepError("division by zero")
    return _APPLY[op](a, b)


def _exact(text: str) -> Fraction:
    """A number as written: 5, 2.5 or 8/3, exactly (Fraction reads all three)."""
    try:
        return Fraction(text)
    except ZeroDivisionError as exc:
        raise StepError(f"{text} divides by zero") from exc
