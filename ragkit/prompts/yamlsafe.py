"""YAML of prompt and example files read within limits: size, nesting depth, aliases and nodes after alias expansion
are checked on PyYAML's event stream before any node is built (its composer recurses once per nesting level, and
billion-laughs aliases expand exponentially once the loaded data is walked)."""

from __future__ import annotations

from typing import Any

import yaml

MAX_CHARS = 4_000_000
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_NODES = 200_000
"""Scalars, lists and mappings, each alias counting the nodes it repeats."""


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
    nodes = aliases = 0
    anchors: dict[str, int] = {}
    open_: list[tuple[str | None, int]] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
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
