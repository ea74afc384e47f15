"""Read a prompt file strictly: every problem is reported as 'file:line: message', none is silently repaired.

A file is `---`, YAML front matter (see spec.py), `---`, then the template body. A body with `system:`, `user:`
or `assistant:` lines is a chat prompt; an `examples:` line marks where few-shot examples go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ragkit.errors import PromptError, PromptFileError
from ragkit.prompts import yamlsafe
from ragkit.prompts.spec import FrontMatter, LengthSelectorConfig, PromptFile
from ragkit.prompts.templates import TemplateSyntax, template_variables

ROLES = ("system", "user", "assistant")
EXAMPLES = "examples"
_MARKER = re.compile(r"^(system|user|assistant|examples):\s*$")
_FENCE = "---"
_TOKENIZERS_HINT = "'words', a model preset or a .gguf path"
MAX_PROMPT_BYTES = 1 << 20
MAX_EXAMPLES_BYTES = 8 << 20

Path_ = tuple[str | int, ...]
Reader = Callable[[Path], str]


@dataclass(frozen=True)
class Problem:
    """One defect, located in a file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Section:
    """A run of body lines after a marker: role None for text before any marker."""

    role: str | None
    text: str
    line: int
    """File line of the section's first text line (the marker is on the line before)."""


@dataclass
class _Context:
    """What checking one file accumulates: its problems and where each YAML key sits."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    lines: dict[Path_, int] = field(default_factory=dict)
    styles: dict[Path_, str | None] = field(default_factory=dict)
    example_at: list[tuple[str, int]] = field(default_factory=list)
    """File and line of each example row, for problems about one example."""

    def add(self, line: int, message: str, path: str | None = None) -> None:
        self.problems.append(Problem(path or self.path, line, message))

    def line(self, *path: str | int) -> int:
        """Line of the deepest key of `path` present in the file (line 1 when none is)."""
        key: Path_ = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)


def parse_prompt_file(path: str | Path, root: str | Path | None = None) -> PromptFile:
    """Parse and validate one prompt file (reading only inside `root`); raises PromptFileError listing every problem."""
    spec, problems = check_prompt_file(path, root=root)
    if problems or spec is None:
        raise PromptFileError([str(p) for p in problems])
    return spec


def check_prompt_file(path: str | Path, read: Reader | None = None,
                      root: str | Path | None = None) -> tuple[PromptFile | None, list[Problem]]:
    """Every problem of one file, and the parsed file when its front matter is usable.

    `read` reads the file and the examples file it references (default: from disk; lint passes one that reads
    from git HEAD); it raises OSError for a missing file. Files are read only inside `root`, the prompt repository
    (default: the file's folder), symlinks resolved.
    """
    ctx = _Context(str(path))
    read = read or _read_disk
    top = Path(root if root is not None else Path(path).parent).resolve()
    if not _inside(Path(path), top):
        ctx.add(1, f"the file resolves to {Path(path).resolve()}, outside the prompt repository {top}")
        return None, ctx.problems
    try:
        text = read(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        ctx.add(1, f"cannot read the file: {exc}")
        return None, ctx.problems
    split = _split(text, ctx)
    if split is None:
        return None, ctx.problems
    front_text, body, body_line = split
    data = _front_matter(front_text, ctx)
    if data is None:
        return None, ctx.problems
    front = _validate(data, ctx)
    if front is None:
        return None, ctx.problems
    rows = _examples(front, Path(path).parent, top, ctx, read)
    spec = PromptFile(**front.model_dump(by_alias=True), template=body, path=str(path), body_line=body_line,
                      example_rows=rows, key_lines={_dotted(k): v for k, v in ctx.lines.items()})
    _check_body(spec, ctx)
    return spec, ctx.problems


def read_front_matter(path: Path) -> dict[str, Any]:
    """Only the YAML front matter of a file (to index a repository by id cheaply); raises PromptFileError."""
    ctx = _Context(str(path))
    try:
        split = _split(_read_disk(path), ctx)
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptFileError([f"{path}:1: cannot read the file: {exc}"]) from exc
    data = _front_matter(split[0], ctx) if split else None
    if data is None:
        raise PromptFileError([str(p) for p in ctx.problems])
    return data


def sections(text: str, first_line: int) -> list[Section]:
    """Split template text at marker lines; the first section (role None) holds text before any marker."""
    found: list[Section] = []
    role: str | None = None
    start = first_line
    lines: list[str] = []
    for offset, line in enumerate(text.splitlines()):
        match = _MARKER.match(line)
        if match:
            found.append(Section(role, "\n".join(lines), start))
            role, start, lines = match.group(1), first_line + offset + 1, []
        else:
            lines.append(line)
    found.append(Section(role, "\n".join(lines), start))
    return found


# ----- file structure and YAML -------------------------------------------------------------------------------


def _split(text: str, ctx: _Context) -> tuple[str, str, int] | None:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != _FENCE:
        ctx.add(1, "a prompt file starts with a '---' line, then YAML front matter, a '---' line and the template")
        return None
    for number, line in enumerate(lines[1:], start=1):
        if line.rstrip() == _FENCE:
            return "".join(lines[1:number]), "".join(lines[number + 1 :]), number + 2
    ctx.add(1, "the front matter has no closing '---' line")
    return None


def _front_matter(text: str, ctx: _Context) -> dict[str, Any] | None:
    """The front matter as a dict, recording each key's line and refusing duplicate keys."""
    try:
        node, data = yamlsafe.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        ctx.add(mark.line + 2 if mark else 2, f"invalid YAML: {reason}")
        return None
    if not isinstance(data, dict) or node is None:
        ctx.add(2, "the front matter must be a YAML mapping of fields")
        return None
    before = len(ctx.problems)
    _map_lines(node, (), ctx, offset=2)
    return data if len(ctx.problems) == before else None


def _map_lines(node: yaml.Node, path: Path_, ctx: _Context, offset: int) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            line = key.start_mark.line + offset
            if path + (name,) in ctx.lines:
                dotted = _dotted(path + (name,))
                ctx.add(line, f"duplicate key '{dotted}' (first on line {ctx.lines[path + (name,)]})")
            ctx.lines[path + (name,)] = line
            ctx.styles[path + (name,)] = getattr(value, "style", None)
            _map_lines(value, path + (name,), ctx, offset)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            ctx.lines[path + (index,)] = item.start_mark.line + offset
            _map_lines(item, path + (index,), ctx, offset)


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validate(data: dict[str, Any], ctx: _Context) -> FrontMatter | None:
    examples = data.get("examples")
    if examples is not None and not isinstance(examples, str) and not (
        isinstance(examples, list) and all(isinstance(e, dict) for e in examples)
    ):
        ctx.add(ctx.line("examples"), "examples must be a list of mappings or the path of a .yaml, .json or "
                                      ".jsonl file holding such a list")
        return None
    try:
        return FrontMatter.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = _existing(data, error["loc"])
            where = _dotted(path)
            line = ctx.line(*(path[:-1] if error["type"] == "missing" else path))
            if error["type"] == "missing":
                ctx.add(line, f"missing {where}")
            elif error["type"] == "extra_forbidden":
                ctx.add(line, f"unknown field {where}")
            else:
                ctx.add(line, f"{where}: {error['msg']}")
        return None


def _existing(data: Any, loc: tuple[Any, ...]) -> Path_:
    """The part of a pydantic error location that names keys of the data (dropping union tags)."""
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
        elif index == len(loc) - 1:
            path.append(part)
    return tuple(path)


# ----- examples ------------------------------------------------------------------------------------------------


def _read_disk(path: Path) -> str:
    limit = MAX_PROMPT_BYTES if path.suffix == ".prompt" else MAX_EXAMPLES_BYTES
    with path.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{path} is larger than {limit >> 20} MiB")
    return data.decode("utf-8")


def _inside(path: Path, root: Path) -> bool:
    """Whether a path, symlinks resolved, lies inside root (itself resolved)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _examples(front: FrontMatter, folder: Path, root: Path, ctx: _Context, read: Reader) -> list[dict[str, Any]]:
    """The example rows, inline or read from the referenced file (whose problems name that file)."""
    if front.examples is None or isinstance(front.examples, list):
        rows = list(front.examples or [])
        ctx.example_at = [(ctx.path, ctx.line("examples", index)) for index in range(len(rows))]
        return rows
    ref = Path(front.examples)
    line = ctx.line("examples")
    if ref.is_absolute() or ref.suffix not in (".yaml", ".yml", ".json", ".jsonl"):
        ctx.add(line, f"examples: {front.examples!r} must be a relative path to a .yaml, .json or .jsonl file")
        return []
    target = folder / ref
    if not _inside(target, root):
        ctx.add(line, f"examples file {front.examples} is outside the prompt repository {root}")
        return []
    try:
        text = read(target)
    except (OSError, UnicodeDecodeError):
        ctx.add(line, f"examples file {front.examples} cannot be read (paths are relative to the prompt file)")
        return []
    rows, row_lines = _read_examples(target, text, ctx)
    ctx.example_at = [(str(target), row_line) for row_line in row_lines]
    return rows


def _read_examples(target: Path, text: str, ctx: _Context) -> tuple[list[dict[str, Any]], list[int]]:
    inner = _Context(str(target))
    rows: list[Any] = []
    row_lines: list[int] = []
    if target.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                    row_lines.append(number)
                except json.JSONDecodeError as exc:
                    inner.add(number, f"invalid JSON: {exc.msg}")
                except RecursionError:
                    inner.add(number, "invalid JSON: nested too deeply")
    else:
        try:
            node, loaded = yamlsafe.load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            inner.add(mark.line + 1 if mark else 1, f"invalid YAML: {getattr(exc, 'problem', exc)}")
            node, loaded = None, None
        if isinstance(loaded, list) and isinstance(node, yaml.SequenceNode):
            rows = loaded
            row_lines = [item.start_mark.line + 1 for item in node.value]
        elif not inner.problems:
            inner.add(1, "an examples file holds a list of mappings")
    for row, row_line in zip(rows, row_lines):
        if not isinstance(row, dict):
            inner.add(row_line, "each example must be a mapping of variable names to values")
    ctx.problems.extend(inner.problems)
    if inner.problems:
        return [], []
    return rows, row_lines


# ----- template body -------------------------------------------------------------------------------------------


def _check_body(spec: PromptFile, ctx: _Context) -> None:
    parts = sections(spec.template, spec.body_line)
    if not spec.template.strip():
        ctx.add(spec.body_line, "the template is empty")
        return
    chat = any(s.role in ROLES for s in parts)
    markers = [s for s in parts if s.role == EXAMPLES]
    for extra in markers[1:]:
        ctx.add(extra.line - 1, "only one 'examples:' line is allowed")
    if chat:
        _check_chat_sections(parts, ctx)
    used: dict[str, int] = {}
    compiled = True
    for part in parts:
        if chat and part.role == EXAMPLES:
            continue
        found = _variables(part.text, part.line, spec.template_format, ctx)
        compiled = compiled and found is not None
        for name, line in (found or {}).items():
            used.setdefault(name, line)
    _check_declared(spec, used, compiled, ctx)
    _check_examples(spec, chat, bool(markers), markers[0].line - 1 if markers else spec.body_line, ctx)
    _check_selector(spec, ctx)
    _check_tests(spec, ctx)


def _check_chat_sections(parts: list[Section], ctx: _Context) -> None:
    if parts[0].text.strip():
        ctx.add(_first_text_line(parts[0]), "text before the first role line: start the template with "
                                            "'system:', 'user:' or 'assistant:'")
    for part in parts[1:]:
        if part.role == EXAMPLES and part.text.strip():
            ctx.add(_first_text_line(part), "the 'examples:' line stands alone: start the next message with a "
                                            "role line")
        elif part.role in ROLES and not part.text.strip():
            ctx.add(part.line - 1, f"empty {part.role} message")


def _first_text_line(part: Section) -> int:
    lines = part.text.splitlines()
    return part.line + next(i for i, line in enumerate(lines) if line.strip())


def _variables(text: str, first_line: int, template_format: str, ctx: _Context) -> dict[str, int] | None:
    """Variables of one section with their file lines; None (and a problem) when the text does not compile."""
    try:
        found = template_variables(text, template_format)  # type: ignore[arg-type]
    except TemplateSyntax as exc:
        ctx.add(first_line + exc.line - 1, str(exc))
        return None
    return {name: first_line + line - 1 for name, line in found.items()}


def _check_declared(spec: PromptFile, used: dict[str, int], compiled: bool, ctx: _Context) -> None:
    for name, line in used.items():
        if name not in spec.input_variables:
            ctx.add(line, f"variable '{name}' is not declared in input_variables")
    # Unused is only known when every section compiled.
    for name in spec.input_variables if compiled else ():
        if name not in used:
            ctx.add(ctx.line("input_variables", name), f"input variable '{name}' is declared but the template "
                                                       "never uses it")


def _check_examples(spec: PromptFile, chat: bool, has_marker: bool, marker_line: int, ctx: _Context) -> None:
    declared = spec.examples is not None
    if declared and not has_marker:
        ctx.add(ctx.line("examples"), "examples are declared but the template has no 'examples:' line to place "
                                      "them")
    if has_marker and not declared:
        ctx.add(marker_line, "the 'examples:' line needs examples in the front matter")
    if spec.example_template is None:
        if declared:
            ctx.add(ctx.line("examples"), "examples need an example_template saying how one example renders")
        return
    if not declared:
        ctx.add(ctx.line("example_template"), "example_template is set but there are no examples")
    # A block scalar's text starts on the line after its key; a plain scalar on the key's own line.
    first = ctx.line("example_template") + (1 if ctx.styles.get(("example_template",)) in ("|", ">") else 0)
    parts = sections(spec.example_template, first)
    if any(p.role == EXAMPLES for p in parts):
        ctx.add(first, "example_template cannot hold an 'examples:' line")
        return
    if chat != any(p.role in ROLES for p in parts):
        wanted = "must be role-marked (user:/assistant:) like" if chat else "cannot have role lines: not in"
        ctx.add(ctx.line("example_template"), f"example_template {wanted} the template")
        return
    if chat:
        _check_chat_sections(parts, ctx)
    needed: dict[str, int] = {}
    for part in parts:
        needed.update(_variables(part.text, part.line, spec.template_format, ctx) or {})
    for index, row in enumerate(spec.example_rows):
        for name in needed:
            if name not in row:
                _add_at_example(ctx, index, f"example {index + 1} is missing '{name}', used by example_template")


def _add_at_example(ctx: _Context, index: int, message: str) -> None:
    path, line = ctx.example_at[index]
    ctx.add(line, message, path)


def _check_selector(spec: PromptFile, ctx: _Context) -> None:
    config = spec.example_selector
    if config is None:
        return
    line = ctx.line("example_selector")
    if spec.examples is None:
        ctx.add(line, "example_selector needs examples to select from")
        return
    if isinstance(config, LengthSelectorConfig):
        # Only the shape is checked: which presets exist is the models' business (the counter is handed in).
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*|.+\.gguf", config.tokenizer):
            ctx.add(ctx.line("example_selector", "tokenizer"),
                    f"example_selector.tokenizer: {config.tokenizer!r} is not {_TOKENIZERS_HINT}")
        return
    keys = config.input_keys
    if keys is None:
        if not any(all(name in row for row in spec.example_rows) for name in spec.input_variables):
            ctx.add(line, "example_selector has no input_keys and no input variable is a key of every example")
        return
    for key in keys:
        if key not in spec.input_variables:
            ctx.add(ctx.line("example_selector", "input_keys"),
                    f"example_selector.input_keys: '{key}' is not a declared input variable")
        for index, row in enumerate(spec.example_rows):
            if key not in row:
                _add_at_example(ctx, index, f"example {index + 1} has no '{key}', one of example_selector.input_keys")


def _check_tests(spec: PromptFile, ctx: _Context) -> None:
    import jsonschema

    required = [n for n, v in spec.input_variables.items() if not v.optional]
    for index, test in enumerate(spec.tests):
        line = ctx.line("tests", index)
        for name in test.vars:
            if name not in spec.input_variables:
                ctx.add(line, f"tests[{index}].vars: '{name}' is not a declared input variable")
        for name in required:
            if name not in test.vars:
                ctx.add(line, f"tests[{index}].vars: missing '{name}'")
        for number, check in enumerate(test.asserts):
            where = f"tests[{index}].assert[{number}]"
            at = ctx.line("tests", index, "assert", number)
            if check.type != "is-json" and check.value is None:
                ctx.add(at, f"{where}: {check.type} needs a value")
            elif check.type == "regex":
                try:
                    re.compile(str(check.value))
                except (re.error, OverflowError, RecursionError) as exc:
                    ctx.add(at, f"{where}: invalid regex: {exc}")
            elif check.type == "json-schema" and not isinstance(check.value, dict):
                ctx.add(at, f"{where}: a JSON schema is a mapping")
            elif check.type == "json-schema":
                try:
                    jsonschema.validators.validator_for(check.value).check_schema(check.value)
                except jsonschema.SchemaError as exc:
                    ctx.add(at, f"{where}: invalid JSON schema: {exc.message}")


def with_examples(spec: PromptFile, rows: list[dict[str, Any]]) -> PromptFile:
    """The file with other few-shot examples in place of its own, each having every key all its own examples have
    (what its example template and selector read)."""
    if spec.example_template is None:
        raise PromptError(f"{spec.path}:1: {spec.id} has no example_template, so it takes no examples")
    if not rows:
        raise PromptError(f"no examples given for {spec.id}")
    needed = set.intersection(*(set(row) for row in spec.example_rows)) if spec.example_rows else set()
    for number, row in enumerate(rows, start=1):
        missing = needed - set(row)
        if missing:
            raise PromptError(f"example {number} given for {spec.id} lacks {', '.join(sorted(missing))}")
    return spec.model_copy(update={"example_rows": [dict(row) for row in rows]})
