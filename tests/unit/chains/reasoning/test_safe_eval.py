"""The program evaluator runs plain arithmetic programs and refuses, with a reason, each hostile one."""

import pytest

from ragkit.chains.reasoning import Limits, run_program

pytestmark = pytest.mark.unit


def test_a_plain_program_returns_its_value():
    source = """
import math
from math import floor

def cost(n, price):
    return n * price

def solution():
    total = 0
    prices = [3, 1.5]
    for i in range(4):
        total += cost(1, prices[0])
    for p in prices:
        if p < 2:
            total = total + p
        else:
            continue
    tally = {"a": 1}
    tally["a"] += 2
    a, b = divmod(17, 5)
    evens = sum(x for x in range(10) if x % 2 == 0)
    return math.ceil(total) + floor(2.7) + tally["a"] + a + b + evens + max([1, 2]) + round(2.5) + len("abc")

print(solution())
"""
    outcome = run_program(source)
    assert outcome.refused is None, outcome.refused
    assert outcome.value == 14 + 2 + 3 + 3 + 2 + 20 + 2 + 2 + 3
    assert outcome.steps > 0


HOSTILE = {
    "import os": ("import os\ndef solution():\n    return os.getcwd()", "import os is not allowed"),
    "from os import": ("from os import system\ndef solution():\n    return 1", "from os import"),
    "import as": ("import math as m\ndef solution():\n    return 1", "import math is not allowed"),
    "dunder attribute": ("def solution():\n    return ().__class__", "attribute .__class__"),
    "attribute": ("def solution():\n    x = [1]\n    x.append(2)\n    return x", "attribute .append"),
    "__import__": ("def solution():\n    return __import__('os')", "name '__import__'"),
    "while True": ("def solution():\n    while True:\n        pass", "While is not allowed"),
    "9**9**9": ("def solution():\n    return 9**9**9", "more than 100 digits"),
    "huge product": ("def solution():\n    x = 10**90\n    return x * x * x", "more than 100 digits"),
    "huge list": ("def solution():\n    return [0] * 10**9", "longer than 10000"),
    "huge string": ("def solution():\n    return 'a' * 10**8", "longer than 10000"),
    "nested lists": ("def solution():\n    return [[0] * 9000 for i in range(9000)]", "steps"),
    "long loop": ("def solution():\n    t = 0\n    for i in range(10**12):\n        t += i\n    return t", "steps"),
    "sum of a huge range": ("def solution():\n    return sum(range(10**12))", "steps"),
    "open": ("def solution():\n    return open('x').read()", "attribute .read"),
    "open call": ("def solution():\n    f = open('x')\n    return 1", "name 'open'"),
    "print": ("def solution():\n    print(1)\n    return 1", "name 'print'"),
    "eval": ("def solution():\n    return eval('1')", "name 'eval'"),
    "lambda": ("def solution():\n    f = lambda n: f(n)\n    return f(1)", "Lambda is not allowed"),
    "recursion": ("def f(n):\n    return f(n + 1)\n\ndef solution():\n    return f(0)", "nested deeper"),
    "class": ("class A:\n    pass\ndef solution():\n    return 1", "ClassDef is not allowed"),
    "try": ("def solution():\n    try:\n        return 1\n    except Exception:\n        return 2", "Try"),
    "with": ("def solution():\n    with x:\n        return 1", "With is not allowed"),
    "global": ("def solution():\n    global x\n    return 1", "Global is not allowed"),
    "f-string": ("def solution():\n    return f'{1}'", "JoinedStr is not allowed"),
    "keyword": ("def solution():\n    return sorted([2, 1], key=abs)", "keyword arguments"),
    "decorator": ("@cache\ndef solution():\n    return 1", "only plain parameters"),
    "default": ("def solution(x=[]):\n    return 1", "only plain parameters"),
    "bytes": ("def solution():\n    return b'x' * 3", "constant of type bytes"),
    "factorial": ("import math\ndef solution():\n    return math.factorial(10**6)", "factorial() of more than"),
    "return outside": ("return 5", "return outside"),
    "no solution": ("x = 1", "no solution() function"),
    "syntax": ("def solution(:\n    return 1", "syntax error"),
    "division by zero": ("def solution():\n    return 1 / 0", "ZeroDivisionError"),
    "deep parentheses": ("def solution():\n    return " + "(" * 5000 + "1" + ")" * 5000, "too many nested"),
    "deep expression": ("def solution():\n    return 1" + " + 1" * 4000, "too deeply nested"),
    "too long": ("def solution():\n    return 1\n" + "#" * 30_000, "longer than"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_programs_are_refused_with_a_reason(name):
    source, reason = HOSTILE[name]
    outcome = run_program(source)
    assert outcome.value is None
    assert outcome.refused is not None and reason in outcome.refused, outcome.refused


def test_wall_time_is_bounded():
    source = "def solution():\n    t = 0\n    for i in range(10**9):\n        t += i\n    return t"
    outcome = run_program(source, limits=Limits(steps=10**9, seconds=0.2))
    assert outcome.refused == "ran longer than 0.2 s"
