"""The Jinja2 sandbox prompt templates render in: jinja2's immutable sandbox plus limits on time, steps and the size
of everything a template builds, and values restricted to plain data.

Hand-written because nothing maintained bounds what a template computes: jinja2's sandbox stops attribute escapes,
not `{{ 9**(9**9) }}`, `'a'*10**10`, `'%999999999d'|format(1)` or a 10^10-step loop, and jinja2 folds constant
expressions while compiling, so even `ragkit prompts lint` hung. A subprocess with a timeout and rlimits would bound
everything but costs a process start per render, and every chain call renders. So here nothing is evaluated at
compile time (optimizer off, a context-passing finalize), every operator, call, filter, loop step and output chunk
is checked against a per-render budget, callables are an allow-list, and only plain data goes in.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import string
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_context
from jinja2.runtime import BlockReference, Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

from ragkit.errors import PromptError

MAX_TEXT = 2_000_000
"""Most characters (or items) of any string, list or render a template produces."""
MAX_WIDTH = 1_000
"""Largest width or precision in a format spec ('%5d', '{:>5}'), and most columns of the slice filter."""
MAX_INT_BITS = 4_096
"""Largest integer a template may compute."""
MAX_STEPS = 1_000_000
"""Loop iterations, calls, operators, filters and output chunks per render."""
MAX_SECONDS = 2.0
"""Wall-clock budget of one render."""
MAX_DEPTH = 32
"""Deepest nesting of lists and dicts passed into a template."""

_ITERATE = "ragkit_iterate"
_CONCAT = "ragkit_concat"
_SIZED = "ragkit_sized"
_PERCENT = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?)")
_DIGITS = re.compile(r"\d+")


class TemplateLimitError(SecurityError):
    """A template exceeded a limit of the sandbox (time, steps, size, arithmetic or format width)."""


# ----- plain data ------------------------------------------------------------------------------------------------


def plain_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """Copies of the values as plain data; raises PromptError naming the variable that holds anything else.

    Templates may call the public methods of what they get (passing `os` let a template run `os.system`), so only
    str, int, float, bool, None, and lists, tuples and dicts of them go in.
    """
    data: dict[str, Any] = {}
    for name, value in values.items():
        data[name] = _plain(value, name, name, 0, [0])
        if text_size(data[name]) > MAX_TEXT:
            raise PromptError(f"variable {name!r} holds more than {MAX_TEXT:,} characters")
    return data


def _plain(value: Any, name: str, where: str, depth: int, count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_TEXT:
        raise PromptError(f"variable {name!r} holds more than {MAX_TEXT:,} values")
    if value is None or isinstance(value, bool):
        return value
    # The base class's own conversion copies a subclass instance into the plain type without running its code.
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if depth >= MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        raise PromptError(f"variable {name!r} nests lists or dicts deeper than {MAX_DEPTH} levels")
    if isinstance(value, (list, tuple)):
        items = [_plain(v, name, f"{where}[{i}]", depth + 1, count) for i, v in enumerate(list.__iter__(value)
                 if isinstance(value, list) else tuple.__iter__(value))]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {_key(k, name, where): _plain(v, name, f"{where}[{k!r}]", depth + 1, count)
                for k, v in dict.items(value)}
    raise PromptError(f"variable {name!r} holds a {type(value).__name__} at {where}: prompt templates take only plain "
                      "data (str, int, float, bool, None, and lists, tuples and dicts of them)")


def _key(key: Any, name: str, where: str) -> Any:
    if key is None or isinstance(key, (str, int, float)):
        return _plain(key, name, where, 0, [0])
    raise PromptError(f"variable {name!r} has a {type(key).__name__} key at {where}: dict keys must be str or numbers")


# ----- the per-render budget -------------------------------------------------------------------------------------


@dataclass
class _Budget:
    deadline: float
    steps: int = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(f"the template took more than {MAX_STEPS:,} steps")
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"the template took longer than {MAX_SECONDS:g} s to render")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("ragkit_template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is None:
        raise SecurityError("prompt templates render only through ragkit.prompts.sandbox.render_jinja")
    budget.tick()


def text_size(value: Any, limit: int = MAX_TEXT) -> int:
    """About how many characters str(value) has (never fewer), counted only until `limit` is passed.

    Items a container holds several times count each time: `[x]*10` is ten times x once printed.
    """
    size, stack = 0, [value]
    while stack and size <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            size += len(item) + 2
        elif isinstance(item, (list, tuple, set, frozenset, dict)):
            size += 2 + 4 * len(item)
            if size <= limit:
                stack.extend(item)
                if isinstance(item, dict):
                    stack.extend(item.values())
        elif isinstance(item, int):
            size += item.bit_length() // 3 + 2
        else:
            size += 24
    return size


def _sized(value: Any) -> Any:
    """The value, if it is within the size limits."""
    if isinstance(value, (list, tuple, dict, set, frozenset)) and text_size(value) > MAX_TEXT:
        raise TemplateLimitError(f"the template built a value of more than {MAX_TEXT:,} characters")
    if isinstance(value, (str, bytes)) and len(value) > MAX_TEXT:
        raise TemplateLimitError(f"the template built a text of {len(value):,} characters (limit {MAX_TEXT:,})")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError(f"the template built an integer of more than {MAX_INT_BITS} bits")
    return value


def _check_size(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise TemplateLimitError(f"{what} would build {size:,} characters or items (limit {MAX_TEXT:,})")


# ----- format widths -------------------------------------------------------------------------------------------


def check_percent_format(text: str, args: Any) -> None:
    """Refuse `text % args` when a spec has '*' or a width or precision above MAX_WIDTH, or the result is too big."""
    specs = 0
    for match in _PERCENT.finditer(text):
        specs += match.group(0) != "%%"
        for number in match.groups():
            if number == "*" or (number and int(number) > MAX_WIDTH):
                raise TemplateLimitError(f"format spec {match.group(0)!r}: widths are at most {MAX_WIDTH} and "
                                         "cannot be '*'")
    _check_size(len(text) + specs * (text_size(args) + MAX_WIDTH), "formatting")


def check_format_fields(text: str, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> None:
    """Refuse str.format specs with nested fields or a number above MAX_WIDTH, and results above MAX_TEXT.

    Each field counts the whole argument it starts from. Raises ValueError when the text is malformed.
    """
    kwargs = kwargs or {}
    size, auto = len(text), 0
    for _, field, spec, _ in string.Formatter().parse(text):
        if field is None:
            continue
        if spec and "{" in spec:
            raise TemplateLimitError(f"format spec {spec!r} of field {field!r} cannot hold another field")
        if spec and any(int(number) > MAX_WIDTH for number in _DIGITS.findall(spec)):
            raise TemplateLimitError(f"format spec {spec!r} of field {field!r}: widths are at most {MAX_WIDTH}")
        first = re.split(r"[.\[]", field, maxsplit=1)[0]
        if not first:
            first, auto = str(auto), auto + 1
        value = args[int(first)] if first.isdigit() and int(first) < len(args) else kwargs.get(first, "")
        size += text_size(value) + MAX_WIDTH
    _check_size(size, "formatting")


# ----- operators and calls ---------------------------------------------------------------------------------------


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints and right > 0 and abs(left) > 1 and right * (abs(left).bit_length() - 1) > MAX_INT_BITS:
        raise TemplateLimitError(f"{left} ** {right} is larger than {MAX_INT_BITS} bits")
    if operator == "*" and ints and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise TemplateLimitError(f"the product is larger than {MAX_INT_BITS} bits")
    if operator == "*" and not ints:
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
                _check_size(len(seq) * times, "repeating a value")
    if operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        _check_size(len(left) + len(right), "joining two values")
    if operator == "%" and isinstance(left, str):
        check_percent_format(left, right)


def _replace_size(text: str, old: str, new: str, count: int | None = None) -> int:
    found = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _join_size(separator: str, items: list[Any]) -> int:
    return text_size(items) + len(separator) * max(len(items) - 1, 0)


_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "index", "isalnum", "isalpha", "isascii", "isdecimal",
    "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "lower",
    "lstrip", "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip",
    "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper",
    "center", "ljust", "rjust", "zfill", "replace", "join",
})
_METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values"}),
    int: frozenset({"bit_length"}),
    float: frozenset({"is_integer"}),
}


def _check_method(owner: Any, name: str, args: tuple[Any, ...]) -> None:
    """Refuse str methods whose result would exceed MAX_TEXT (padding, replace, join)."""
    if not isinstance(owner, str) or not args:
        return
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(args[0], int):
        _check_size(args[0], f"str.{name}")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        _check_size(_replace_size(owner, *args[:3]), "str.replace")
    elif name == "join" and isinstance(args[0], (list, tuple)):
        _check_size(_join_size(owner, list(args[0])), "str.join")


def _check_callable(obj: Any, args: tuple[Any, ...]) -> None:
    if isinstance(obj, (Macro, LoopContext, BlockReference)) or getattr(obj, "ragkit_checked", False):
        return
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if isinstance(obj, types.BuiltinMethodType) and name in _METHODS.get(type(owner), ()):
        _check_method(owner, name, args)
        return
    if isinstance(obj, types.MethodType) and isinstance(owner, LoopContext) and name in ("cycle", "changed"):
        return
    raise SecurityError(f"a prompt template cannot call {name or type(obj).__name__!r}")


# ----- filters -----------------------------------------------------------------------------------------------------


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _filter_checks() -> dict[str, Callable[[Mapping[str, Any]], None]]:
    """Per-filter checks on the bound arguments, before the filter runs."""

    def indent(a: Mapping[str, Any]) -> None:
        width = a.get("width", 4)
        add = len(width) if isinstance(width, str) else _number(width)
        text = str(a["s"])
        _check_size(len(text) + (text.count("\n") + 1) * add, "indent")

    def wordwrap(a: Mapping[str, Any]) -> None:
        text, wrap = str(a["s"]), a.get("wrapstring") or "\n"
        _check_size(len(text) * (1 + len(str(wrap))), "wordwrap")

    def bounded(name: str, limit: int) -> Callable[[Mapping[str, Any]], None]:
        def check(a: Mapping[str, Any]) -> None:
            if abs(_number(a.get(name))) > limit:
                raise TemplateLimitError(f"{name} is at most {limit:,}")
        return check

    def replace(a: Mapping[str, Any]) -> None:
        if all(isinstance(a.get(k), str) for k in ("s", "old", "new")):
            _check_size(_replace_size(a["s"], a["old"], a["new"], a.get("count")), "replace")

    def join(a: Mapping[str, Any]) -> None:
        _check_size(_join_size(str(a.get("d", "")), a["value"]), "join")

    def sum_(a: Mapping[str, Any]) -> None:
        if not isinstance(a.get("start", 0), (int, float)):
            raise TemplateLimitError("sum starts from a number")

    return {
        "center": bounded("width", MAX_TEXT), "indent": indent, "wordwrap": wordwrap, "replace": replace,
        "join": join, "batch": bounded("linecount", MAX_TEXT), "slice": bounded("slices", MAX_WIDTH),
        "round": bounded("precision", MAX_WIDTH), "sum": sum_,
        "format": lambda a: check_percent_format(str(a["value"]), (*a.get("args", ()), *a.get("kwargs", {}).values())),
    }


_SAFE_FILTERS = frozenset({
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last",
    "length", "list", "lower", "map", "max", "min", "pprint", "reject", "rejectattr", "replace", "reverse", "round",
    "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim",
    "truncate", "unique", "upper", "urlencode", "wordcount", "wordwrap", "xmlattr",
})


def _guard_filter(func: Callable[..., Any], check: Callable[[Mapping[str, Any]], None] | None) -> Callable[..., Any]:
    signature = inspect.signature(func)

    @functools.wraps(func)  # keeps jinja's pass_context/pass_environment mark
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if check is not None:
            bound = signature.bind(*args, **kwargs)
            value = bound.arguments.get("value")
            if isinstance(value, Iterable) and not isinstance(value, (str, Mapping)):
                bound.arguments["value"] = list(_sized_iter(bound.arguments["value"]))
            check(bound.arguments)
            args, kwargs = bound.args, bound.kwargs
        return _sized(func(*args, **kwargs))

    return guarded


def _sized_iter(values: Iterable[Any]) -> Iterator[Any]:
    for count, item in enumerate(values):
        if count >= MAX_TEXT:
            raise TemplateLimitError(f"more than {MAX_TEXT:,} items")
        yield item


def _iterate(values: Iterable[Any]) -> Iterator[Any]:
    """Every for loop iterates through this: one budget step per item."""
    for item in values:
        _tick()
        yield item


def _concat(parts: list[Any]) -> str:
    """The '~' operator: join as text within the size limit."""
    _check_size(text_size(parts), "'~'")
    return "".join(str(part) for part in parts)


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    # Taking the context keeps jinja2 from evaluating constant output at compile time.
    return _sized(value)


class _GuardNodes(NodeTransformer):
    """Route every loop, '~' and literal list, tuple and dict through the guards (jinja2 has no hook for them)."""

    def _sized(self, node: nodes.Expr) -> nodes.Node:
        visited = self.generic_visit(node)
        return nodes.Filter(visited, _SIZED, [], [], None, None, lineno=visited.lineno)

    visit_List = visit_Dict = _sized

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        return self._sized(node) if node.ctx == "load" else self.generic_visit(node)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = cast(nodes.For, self.generic_visit(node))  # generic_visit edits the node in place and returns it
        node.iter = nodes.Filter(node.iter, _ITERATE, [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = cast(nodes.Concat, self.generic_visit(node))  # generic_visit edits the node in place and returns it
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), _CONCAT, [], [], None, None,
                            lineno=node.lineno)


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox, no globals, strict undefined names, no compile-time evaluation, everything budgeted."""

    intercepted_binops = frozenset(SandboxedEnvironment.default_binop_table)

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, optimized=False,
                         finalize=_finalize)
        self.globals.clear()
        checks = _filter_checks()
        # Never async: the plain variant of a filter has the signature the checks bind to.
        self.filters = {name: _guard_filter(getattr(func, "__wrapped__", func) if getattr(
            func, "jinja_async_variant", False) else func, checks.get(name))
            for name, func in self.filters.items() if name in _SAFE_FILTERS}
        self.filters[_ITERATE] = _iterate
        self.filters[_CONCAT] = _concat
        self.filters[_SIZED] = _sized

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        _check_binop(operator, left, right)
        return _sized(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        _tick()
        _check_callable(obj, args)
        return _sized(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        text, is_map = value.__self__, value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            check_format_fields(text, () if is_map else args, mapping)
            return _sized(wrapper(*args, **kwargs))

        checked.ragkit_checked = True  # type: ignore[attr-defined]
        return checked

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """Join output chunks (of a render, a macro or a block) within the size limit."""
        out: list[str] = []
        size = 0
        for part in parts:
            _tick()
            size += len(part)
            _check_size(size, "the render")
            out.append(part)
        return "".join(out)

    def guarded_tree(self, text: str) -> nodes.Template:
        """The parsed template with loops and '~' routed through the guards; raises TemplateSyntaxError."""
        tree = _GuardNodes().visit(self.parse(text))
        tree.set_environment(self)
        return tree


@functools.lru_cache(maxsize=1)
def sandbox() -> GuardedSandbox:
    """The shared guarded environment."""
    return GuardedSandbox()


@functools.lru_cache(maxsize=512)
def compiled(text: str) -> Any:
    """The guarded, compiled template of some text (cached); raises TemplateSyntaxError."""
    env = sandbox()
    return env.from_string(env.guarded_tree(text))


def render_jinja(text: str, values: Mapping[str, Any]) -> str:
    """Render Jinja2 text with plain-data values within the budget; raises PromptError or the template's error."""
    data = plain_data(values)
    template = compiled(text)
    token = _BUDGET.set(_Budget(time.monotonic() + MAX_SECONDS))
    try:
        return template.render(**data)
    finally:
        _BUDGET.reset(token)

