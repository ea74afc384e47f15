"""Run a model-written Python program in a bounded interpreter of an `ast` whitelist, for program-aided reasoning.

Allowed: function definitions with plain parameters, assignments (names, tuples, list/dict items), `if`, `for` over
ranges and lists, `break`/`continue`/`return`, arithmetic, comparisons, boolean logic, conditional expressions,
lists, tuples, dicts, subscripts, comprehensions, calls of the program's own functions and of a few builtins and
`math` functions (`import math` / `from math import ...` only name that table: no module is imported). Refused:
every other import, attributes other than `math.NAME`, names starting with `__`, `while`, `lambda`, classes,
`try`/`with`, I/O and every other builtin. Bounded: interpreter steps, wall time, call depth, integer digits
(a power whose result would be too large is refused before it is computed), list and string lengths.

Hand-written because no well-kept library does this: simpleeval evaluates single expressions (no statements,
loops or functions), asteval runs a far larger language (`while`, `try`, imports it can enable) and its own docs
say it cannot guarantee safety, and RestrictedPython compiles to real bytecode with no step, time or size bounds.
"""

from __future__ import annotations

import ast
import math
import operator
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos,
                                                         ast.Not: operator.not_}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
    ast.GtE: operator.ge, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}
MATH: dict[str, Any] = {name: getattr(math, name) for name in (
    "ceil", "floor", "sqrt", "gcd", "lcm", "comb", "factorial", "isclose", "pi", "e", "log", "log10", "exp")}
_SIMPLE_TYPES = (int, float, bool, str, type(None))
_BITS_PER_DIGIT = math.log2(10)


class Limits(BaseModel):
    """How far a program may go before it is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    steps: int = Field(default=200_000, ge=1)
    """Interpreter steps (each node evaluated, each loop turn, each item a builtin reads)."""
    seconds: float = Field(default=2.0, gt=0)
    digits: int = Field(default=100, ge=1)
    """Most decimal digits of an integer."""
    items: int = Field(default=10_000, ge=1)
    """Most items of a list, tuple, dict or characters of a string."""
    depth: int = Field(default=30, ge=1)
    """Most nested calls of the program's own functions."""
    source_chars: int = Field(default=20_000, ge=1)


class ProgramOutcome(BaseModel):
    """What running a program gave: its value, or the reason it was refused."""

    value: Any = None
    refused: str | None = None
    """Why the program was stopped or not run; None when it returned."""
    steps: int = 0


class Refused(Exception):
    """A program did something outside the whitelist or its limits."""


def run_program(source: str, entry: str = "solution", limits: Limits | None = None) -> ProgramOutcome:
    """Define the program's functions (top-level expression statements such as `print(solution())` are not run)
    and call `entry()`; every failure is a refused outcome with a reason, never an exception."""
    machine = _Machine(limits or Limits())
    try:
        if len(source) > machine.limits.source_chars:
            raise Refused(f"program longer than {machine.limits.source_chars} characters")
        tree = ast.parse(source)
        _check(tree)
        for statement in tree.body:
            if not isinstance(statement, ast.Expr):
                machine.execute(statement, machine.globals)
        function = machine.globals.get(entry)
        if not isinstance(function, _Function):
            raise Refused(f"no {entry}() function")
        value = machine.call(function, [])
    except Refused as refused:
        return ProgramOutcome(refused=str(refused), steps=machine.steps)
    except (_Return, _Break, _Continue) as stray:
        return ProgramOutcome(refused=f"{type(stray).__name__[1:].lower()} outside a function or loop",
                              steps=machine.steps)
    except SyntaxError as exc:
        return ProgramOutcome(refused=f"syntax error: {exc.msg} (line {exc.lineno})", steps=machine.steps)
    except (RecursionError, MemoryError) as exc:
        return ProgramOutcome(refused=f"{type(exc).__name__}: program too deeply nested", steps=machine.steps)
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError) as exc:
        return ProgramOutcome(refused=f"{type(exc).__name__}: {exc}", steps=machine.steps)
    return ProgramOutcome(value=value, steps=machine.steps)


_ALLOWED = (ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.AugAssign, ast.AnnAssign,
            ast.Return, ast.If, ast.For, ast.Break, ast.Continue, ast.Pass, ast.Expr, ast.Import, ast.ImportFrom,
            ast.alias, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.Name, ast.Constant,
            ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Slice, ast.ListComp, ast.GeneratorExp,
            ast.comprehension, ast.Attribute, ast.Load, ast.Store, ast.And, ast.Or, *_BINARY, *_UNARY, *_COMPARE)


def _check(tree: ast.AST) -> None:
    """Refuse, before anything runs, every construct outside the whitelist."""
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise Refused(f"{type(node).__name__} is not allowed (line {getattr(node, 'lineno', '?')})")
        if isinstance(node, ast.Name | ast.arg | ast.FunctionDef) and _private(_name_of(node)):
            raise Refused(f"name {_name_of(node)!r} is not allowed (line {node.lineno})")
        if isinstance(node, ast.Import) and any(a.name != "math" or a.asname for a in node.names):
            raise Refused(f"import {', '.join(a.name for a in node.names)} is not allowed: only math")
        if isinstance(node, ast.ImportFrom) and (node.module != "math" or any(
                a.name not in MATH or a.asname for a in node.names)):
            raise Refused(f"from {node.module} import ... is not allowed: only math's {', '.join(MATH)}")
        if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id == "math"
                                                    and node.attr in MATH):
            raise Refused(f"attribute .{node.attr} is not allowed (line {node.lineno})")
        if isinstance(node, ast.FunctionDef) and (node.decorator_list or node.args.vararg or node.args.kwarg
                                                  or node.args.kwonlyargs or node.args.defaults
                                                  or node.args.posonlyargs):
            raise Refused(f"function {node.name}: only plain parameters are allowed")
        if isinstance(node, ast.Call) and node.keywords:
            raise Refused(f"keyword arguments are not allowed (line {node.lineno})")
        if isinstance(node, ast.comprehension) and node.is_async:
            raise Refused("async comprehensions are not allowed")


def _name_of(node: ast.Name | ast.arg | ast.FunctionDef) -> str:
    return node.id if isinstance(node, ast.Name) else node.arg if isinstance(node, ast.arg) else node.name


def _private(name: str) -> bool:
    """Dunder-like names (`__import__`, `__class__`); a plain `_` loop variable is fine."""
    return name.startswith("__")


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class _Function:
    """A function the program defined."""

    node: ast.FunctionDef


@dataclass
class _Machine:
    """The interpreter state of one run: limits, counters, globals."""

    limits: Limits
    steps: int = 0
    depth: int = 0
    started: float = field(default_factory=time.monotonic)
    globals: dict[str, Any] = field(default_factory=dict)

    def tick(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limits.steps:
            raise Refused(f"more than {self.limits.steps} steps")
        if time.monotonic() - self.started > self.limits.seconds:
            raise Refused(f"ran longer than {self.limits.seconds} s")

    # ----- statements -------------------------------------------------------------------------------------

    def execute(self, node: ast.stmt, scope: dict[str, Any]) -> None:
        self.tick()
        if isinstance(node, ast.FunctionDef):
            scope[node.name] = _Function(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                scope[alias.name] = _MATH_NAMESPACE if alias.name == "math" else MATH[alias.name]
        elif isinstance(node, ast.Assign):
            value = self.evaluate(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.evaluate(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            current = self.evaluate(_loading(node.target), scope)
            self.assign(node.target, self.binary(node.op, current, self.evaluate(node.value, scope)), scope)
        elif isinstance(node, ast.Return):
            raise _Return(None if node.value is None else self.evaluate(node.value, scope))
        elif isinstance(node, ast.If):
            self.block(node.body if self.evaluate(node.test, scope) else node.orelse, scope)
        elif isinstance(node, ast.For):
            self.loop(node, scope)
        elif isinstance(node, ast.Break):
            raise _Break
        elif isinstance(node, ast.Continue):
            raise _Continue
        elif isinstance(node, ast.Expr):
            self.evaluate(node.value, scope)
        # ast.Pass: nothing to do

    def block(self, body: list[ast.stmt], scope: dict[str, Any]) -> None:
        for statement in body:
            self.execute(statement, scope)

    def loop(self, node: ast.For, scope: dict[str, Any]) -> None:
        for item in self.iterate(self.evaluate(node.iter, scope)):
            self.tick()
            self.assign(node.target, item, scope)
            try:
                self.block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.block(node.orelse, scope)

    def assign(self, target: ast.expr, value: Any, scope: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            values = list(self.iterate(value))
            if len(values) != len(target.elts):
                raise Refused(f"cannot unpack {len(values)} values into {len(target.elts)} names")
            for element, item in zip(target.elts, values):
                self.assign(element, item, scope)
        elif isinstance(target, ast.Subscript):
            container = self.evaluate(target.value, scope)
            if not isinstance(container, list | dict):
                raise Refused("only list and dict items can be assigned")
            if isinstance(container, dict) and len(container) >= self.limits.items:
                raise Refused(f"dict longer than {self.limits.items} items")
            container[self.evaluate(target.slice, scope)] = self.sized(value)
        else:
            raise Refused(f"cannot assign to {type(target).__name__}")

    # ----- expressions ------------------------------------------------------------------------------------

    def evaluate(self, node: ast.expr, scope: dict[str, Any]) -> Any:
        self.tick()
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, _SIMPLE_TYPES):
                raise Refused(f"constant of type {type(node.value).__name__} is not allowed")
            return self.sized(node.value)
        if isinstance(node, ast.Name):
            return self.lookup(node.id, scope)
        if isinstance(node, ast.BinOp):
            return self.binary(node.op, self.evaluate(node.left, scope), self.evaluate(node.right, scope))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self.evaluate(node.operand, scope))
        if isinstance(node, ast.BoolOp):
            return self.boolean(node, scope)
        if isinstance(node, ast.Compare):
            left = self.evaluate(node.left, scope)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.evaluate(right_node, scope)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.evaluate(node.body if self.evaluate(node.test, scope) else node.orelse, scope)
        if isinstance(node, ast.List | ast.Tuple):
            items = [self.evaluate(e, scope) for e in node.elts]
            return self.sized(items if isinstance(node, ast.List) else tuple(items))
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise Refused("dict unpacking is not allowed")
            return {self.evaluate(k, scope): self.evaluate(v, scope) for k, v in zip(node.keys, node.values)
                    if k is not None}
        if isinstance(node, ast.Subscript):
            return self.sized(self.evaluate(node.value, scope)[self.evaluate(node.slice, scope)])
        if isinstance(node, ast.Slice):
            return slice(*(None if part is None else self.evaluate(part, scope)
                           for part in (node.lower, node.upper, node.step)))
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(node, scope)
        if isinstance(node, ast.Attribute):  # only math.NAME passes _check
            return MATH[node.attr]
        if isinstance(node, ast.Call):
            function = self.evaluate(node.func, scope)
            return self.call(function, [self.evaluate(a, scope) for a in node.args])
        raise Refused(f"{type(node).__name__} is not allowed")

    def lookup(self, name: str, scope: dict[str, Any]) -> Any:
        for names in (scope, self.globals, _BUILTINS):
            if name in names:
                return names[name]
        raise Refused(f"name {name!r} is not defined or not allowed")

    def boolean(self, node: ast.BoolOp, scope: dict[str, Any]) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.evaluate(operand, scope)
            if bool(value) == isinstance(node.op, ast.Or):
                return value
        return value

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp, scope: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        inner = dict(scope)

        def walk(level: int) -> None:
            if level == len(node.generators):
                out.append(self.evaluate(node.elt, inner))
                self.sized(out)
                return
            generator = node.generators[level]
            for item in self.iterate(self.evaluate(generator.iter, inner)):
                self.tick()
                self.assign(generator.target, item, inner)
                if all(self.evaluate(test, inner) for test in generator.ifs):
                    walk(level + 1)

        walk(0)
        return out

    def binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        if isinstance(op, ast.Pow) and isinstance(left, int) and isinstance(right, int) and right > 0 \
                and abs(left) > 1 and right * math.log10(abs(left)) > self.limits.digits:
            raise Refused(f"{left} ** {right} has more than {self.limits.digits} digits")
        if isinstance(op, ast.Mult) and isinstance(left, int) and isinstance(right, list | tuple | str):
            left, right = right, left
        if isinstance(op, ast.Mult) and isinstance(left, list | tuple | str) and isinstance(right, int) \
                and len(left) * right > self.limits.items:
            raise Refused(f"a sequence of {len(left)} * {right} items is longer than {self.limits.items}")
        if isinstance(left, list | tuple | str) or isinstance(right, list | tuple | str):
            self.tick(len(left) * right if isinstance(right, int) else len(left) + len(right))
        return self.sized(_BINARY[type(op)](left, right))

    def sized(self, value: Any) -> Any:
        """The value, unless it is an integer with too many digits or a sequence with too many items."""
        if isinstance(value, int) and value.bit_length() > self.limits.digits * _BITS_PER_DIGIT:
            raise Refused(f"an integer of more than {self.limits.digits} digits")
        if isinstance(value, list | tuple | str | dict) and len(value) > self.limits.items:
            raise Refused(f"a {type(value).__name__} of more than {self.limits.items} items")
        return value

    def iterate(self, value: Any) -> Iterable[Any]:
        if not isinstance(value, range | list | tuple | str | dict):
            raise Refused(f"cannot loop over {type(value).__name__}")
        return list(value) if isinstance(value, dict) else value

    def call(self, function: Any, args: list[Any]) -> Any:
        if isinstance(function, _Function):
            return self.call_own(function, args)
        if not callable(function) or not (function in _BUILTINS.values() or function in MATH.values()):
            raise Refused(f"{function!r} cannot be called")
        for arg in args:
            if isinstance(arg, range | list | tuple | dict | str):
                self.tick(len(arg))  # builtins read every item
        if function is round and len(args) == 2 and abs(args[1]) > self.limits.digits:
            raise Refused("round() to too many digits")
        if function in (math.factorial, math.comb) and any(isinstance(a, int) and a > 500 for a in args):
            raise Refused(f"{function.__name__}() of more than 500")
        return self.sized(function(*args))

    def call_own(self, function: _Function, args: list[Any]) -> Any:
        parameters = [a.arg for a in function.node.args.args]
        if len(args) != len(parameters):
            raise Refused(f"{function.node.name}() takes {len(parameters)} arguments, got {len(args)}")
        if self.depth >= self.limits.depth:
            raise Refused(f"calls nested deeper than {self.limits.depth}")
        self.depth += 1
        try:
            self.block(function.node.body, dict(zip(parameters, args)))
        except _Return as returned:
            return returned.value
        finally:
            self.depth -= 1
        return None


def _loading(target: ast.expr) -> ast.expr:
    """The target of an augmented assignment read as an expression."""
    copy = ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()) \
        if isinstance(target, ast.Subscript) else ast.Name(id=getattr(target, "id", ""), ctx=ast.Load())
    return ast.copy_location(copy, target)


class _MathNamespace:
    """What `import math` binds: nothing callable or readable itself; `math.NAME` is resolved by the checker."""


_MATH_NAMESPACE = _MathNamespace()
_BUILTINS: dict[str, Any] = {"abs": abs, "min": min, "max": max, "round": round, "sum": sum, "len": len,
                             "int": int, "float": float, "range": range, "bool": bool, "divmod": divmod}
