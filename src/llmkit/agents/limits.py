"""What a run may spend, and the error that stops it with everything it did so far."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import LLMKitError

if TYPE_CHECKING:
    from ..messages import Message, Usage

__all__ = ["LimitExceeded", "UsageLimits"]


@dataclass(slots=True, kw_only=True, frozen=True)
class UsageLimits:
    """Budgets a run may not exceed; None means no limit.

    `max_steps` counts model requests. Token limits are checked after each reply against
    the provider's usage; `max_seconds` is wall time for the whole run.
    """

    max_steps: int | None = 25
    max_tool_calls: int | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_seconds: float | None = None


class LimitExceeded(LLMKitError):
    """A run hit one of its `UsageLimits`.

    Nothing is lost: `messages` holds the conversation up to the stop (tool results included)
    and `usage` what was spent, so the run can be inspected or continued.
    """

    def __init__(
        self, message: str, *, limit: str, messages: list[Message], usage: Usage, run_id: str
    ) -> None:
        super().__init__(message)
        self.limit = limit
        self.messages = messages
        self.usage = usage
        self.run_id = run_id
