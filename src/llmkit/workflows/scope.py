"""The data a step sees: workflow input, step outputs, state, and loop/map variables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Scope"]


@dataclass(slots=True, kw_only=True)
class Scope:
    """Where steps read and write. `prefix` makes record keys unique in maps/sub-runs."""

    input: Any
    steps: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    prefix: str = ""

    def context(self) -> dict[str, Any]:
        """The expression context: ``input``, ``steps``, ``state`` plus loop variables."""
        return {**self.extra, "input": self.input, "steps": self.steps, "state": self.state}

    def with_extra(self, extra: dict[str, Any]) -> Scope:
        """Same outputs (writes are shared), more variables: a loop iteration."""
        return Scope(
            input=self.input,
            steps=self.steps,
            state=self.state,
            extra={**self.extra, **extra},
            prefix=self.prefix,
        )

    def isolated(self, extra: dict[str, Any], prefix: str) -> Scope:
        """A copy concurrent iterations write to without seeing each other."""
        return Scope(
            input=self.input,
            steps=dict(self.steps),
            state=dict(self.state),
            extra={**self.extra, **extra},
            prefix=prefix,
        )

    def store(self, step_id: str, key: str, output: Any) -> None:
        """Record a step's output under its id and its output key."""
        self.steps[step_id] = output
        self.state[key] = output
