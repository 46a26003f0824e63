"""What a hook returns: carry on, change the value, short-circuit, cancel, or retry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import LLMKitError

__all__ = ["Cancel", "HookCancelled", "HookError", "HookResult", "Modify", "Retry", "Skip"]


@dataclass(slots=True, frozen=True)
class Modify:
    """Replace the value flowing through this point (the input before, the output after)."""

    value: Any
    kind: Literal["modify"] = "modify"


@dataclass(slots=True, frozen=True)
class Skip:
    """Do not do the step; use `value` as its result (a cached reply, a canned tool result)."""

    value: Any
    kind: Literal["skip"] = "skip"


@dataclass(slots=True, frozen=True)
class Cancel:
    """Stop: the step fails with `HookCancelled(reason)`."""

    reason: str = "cancelled by a hook"
    kind: Literal["cancel"] = "cancel"


@dataclass(slots=True, frozen=True)
class Retry:
    """On an error point: try the step again after `delay` seconds, at most `attempts` times."""

    delay: float = 0.0
    attempts: int = 1
    kind: Literal["retry"] = "retry"


HookResult = Modify | Skip | Cancel | Retry | None
"""None (or no return) means continue."""


class HookCancelled(LLMKitError):
    """A hook cancelled the step it was called for."""

    def __init__(self, point: str, reason: str) -> None:
        super().__init__(f"{point}: {reason}")
        self.point = point
        self.reason = reason


class HookError(LLMKitError):
    """A hook marked critical raised; the run stops with this error (its cause attached)."""
