"""The one error every `llmkit.output` parser raises."""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = ["ParseError"]


class ParseError(LLMKitError):
    """Text could not be parsed as the asked-for format, or it broke a `ParseLimits` bound.

    Attributes:
        format: The format being parsed ("json", "yaml", ...).
        reason: What went wrong, in a few words.
        position: The character offset in the input where it went wrong, when known.
    """

    def __init__(self, format: str, reason: str, position: int | None = None) -> None:
        where = f" (at character {position})" if position is not None else ""
        super().__init__(f"cannot parse {format}: {reason}{where}")
        self.format = format
        self.reason = reason
        self.position = position
