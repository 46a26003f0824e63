"""Checks shared by every tool: a name providers accept, capabilities policies know."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import get_args

from ..errors import ConfigError
from .base import Capability

__all__ = ["KNOWN_CAPABILITIES", "check_capabilities", "check_tool_name"]

KNOWN_CAPABILITIES: frozenset[str] = frozenset(get_args(Capability))
# What OpenAI, Anthropic and Gemini all accept as a function name.
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_tool_name(name: str) -> str:
    """Return `name` when every provider accepts it as a tool name.

    Raises:
        ConfigError: The name is empty, too long or has characters outside ``[A-Za-z0-9_-]``.
    """
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid tool name {name!r}: use 1-64 letters, digits, '_' or '-' "
            "(pass name=... to choose one)"
        )
    return name


def check_capabilities(tool_name: str, capabilities: Iterable[str]) -> frozenset[str]:
    """Return `capabilities` as a frozenset, refusing names no policy knows.

    Raises:
        ConfigError: A capability is not one of `Capability`'s values.
    """
    if isinstance(capabilities, str):
        capabilities = [capabilities]  # one capability passed bare, not its characters
    result = frozenset(capabilities)
    unknown = sorted(result - KNOWN_CAPABILITIES)
    if unknown:
        known = ", ".join(sorted(KNOWN_CAPABILITIES))
        raise ConfigError(
            f"tool {tool_name!r}: unknown capabilit{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(map(repr, unknown))}; known: {known}"
        )
    return result
