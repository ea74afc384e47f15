"""YAML of prompt and example files read within limits: size, nesting depth, aliases and nodes after alias expansion
are checked on PyYAML's event stream before any node is built (its composer recurses once per nesting level, and
billion-laughs aliases expand exponentially once the loaded data is walked). The check reads events with LibYAML
when PyYAML has it (its scanner is fast on deep flow nesting, where the pure-Python one is quadratic); the nodes are
then built by the pure-Python loader, whose error messages and marks the file checks report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

MAX_CHARS = 4_000_000
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_NODES = 200_000
"""Scalars, lists and mappings, each alias counting the nodes it repeats."""
_EVENTS = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(yaml.MarkedYAMLError):
    """The YAML is over one of the limits; `problem_mark` is where."""


def load(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of one YAML document; raises yaml.YAMLError."""
    _check_limits(text)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _check_limits(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise YamlLimitError(problem=f"the YAML is longer than {MAX_CHARS:,} characters")
    try:
        _count(yaml.parse(text, Loader=_EVENTS))
    except YamlLimitError:
        raise
    except yaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # LibYAML's own nesting limit (1000)
            raise YamlLimitError(problem=f"lists and mappings nest deeper than {MAX_DEPTH} levels",
                                 problem_mark=getattr(exc, "problem_mark", None)) from None
        # The parsers may disagree on other errors: count again with the loader's own parser, which then reports.
        _count(yaml.parse(text, Loader=yaml.SafeLoader))


def _count(events: Iterator[yaml.Event]) -> None:
    nodes = aliases = 0
    anchors: dict[str, int] = {}
    open_: list[tuple[str | None, int]] = []
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            open_.append((event.anchor, nodes))
            nodes += 1
            if len(open_) > MAX_DEPTH:
                raise YamlLimitError(problem=f"lists and mappings nest deeper than {MAX_DEPTH} levels",
                                     problem_mark=event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent) and open_:
            anchor, start = open_.pop()
            if anchor is not None:
                anchors[anchor] = nodes - start
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                anchors[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            nodes += anchors.get(event.anchor, 1)
            if aliases > MAX_ALIASES:
                raise YamlLimitError(problem=f"more than {MAX_ALIASES} aliases", problem_mark=event.start_mark)
        if nodes > MAX_NODES:
            raise YamlLimitError(problem=f"more than {MAX_NODES:,} values once aliases are expanded",
                                 problem_mark=event.start_mark)
