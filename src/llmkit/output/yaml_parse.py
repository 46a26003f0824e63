"""YAML replies, loaded safely and with alias bombs refused."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from ._guard import guarded
from .errors import ParseError
from .limits import DEFAULT_LIMITS, Deadline, ParseLimits, check_json_depth, check_size
from .markdown import code_blocks

__all__ = ["parse_yaml"]

_CHECK_EVERY = 1024  # nodes between deadline checks: cheap, yet well under a millisecond apart


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that stops at the depth limit and the deadline while it builds nodes.

    The pure-Python loader is used on purpose: its hooks run per node, so the limits hold
    inside the library rather than only before and after it.
    """

    def __init__(self, text: str, limits: ParseLimits, deadline: Deadline) -> None:
        super().__init__(text)
        self._max_depth = limits.max_depth
        self._deadline = deadline
        self._depth = 0
        self._nodes = 0

    def _tick(self) -> None:
        self._nodes += 1
        if self._nodes % _CHECK_EVERY == 0:
            self._deadline.check()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._tick()
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise ParseError("yaml", f"nesting deeper than {self._max_depth}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        self._tick()
        return super().construct_object(node, deep)


def _expanded_size(root: Node, limit: int) -> int:
    """How many nodes the document holds once every alias is expanded; refuses cycles.

    Aliases share nodes, so an alias bomb is small as text and as nodes but explodes for
    anyone who walks the loaded value (serialising, validating, copying).
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            if sizes[key] > limit:
                raise ParseError("yaml", f"more than {limit} nodes once aliases are expanded")
            continue
        if key in sizes:
            continue
        if key in active:
            raise ParseError("yaml", "a recursive alias (a value containing itself)")
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _unfenced(text: str, limits: ParseLimits) -> str:
    if "```" in text or "~~~" in text:
        for block in code_blocks(text, limits=limits):
            if block.language in ("yaml", "yml"):
                return block.code
    return text


@guarded("yaml")
def parse_yaml(text: str, *, limits: ParseLimits = DEFAULT_LIMITS) -> Any:
    """One YAML document (or the first ```yaml block), with `yaml.SafeLoader` semantics.

    Raises:
        ParseError: Invalid YAML, several documents, recursive aliases, or a broken limit
            (size, depth, expanded node count, time).
    """
    check_size(text, limits.max_chars, "yaml")
    deadline = limits.deadline("yaml")
    source = _unfenced(text, limits)
    # Flow collections ([...], {...}) are scanned before the loader sees them; block nesting
    # is counted per node in the loader. PyYAML recurses ~3 frames per level, so below the
    # interpreter's recursion limit a RecursionError (reported as ParseError) comes first.
    check_json_depth(source, limits.max_depth, "yaml")
    loader = _BoundedLoader(source, limits, deadline)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, limits.max_yaml_nodes)
        deadline.check()
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        position = mark.index if mark is not None else None
        raise ParseError("yaml", exc.problem or str(exc), position) from None
    finally:
        loader.dispose()
