"""Validate tool arguments and results against JSON schemas, per tool.

An invalid call or result fails the call: the model gets an error result that lists each
problem with its path, and can try again within the tool's retry budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...schema import Schema, ValidationFailed
from ..registry import HookContext, HookHandle, HookRegistry
from ..results import Skip

__all__ = ["ValidationHooks"]


class ValidationHooks:
    """Schemas for the inputs and outputs of named tools (dicts or `Schema` objects)."""

    def __init__(
        self,
        *,
        inputs: Mapping[str, dict[str, Any] | Schema] | None = None,
        outputs: Mapping[str, dict[str, Any] | Schema] | None = None,
    ) -> None:
        # Schemas are checked and compiled once, here: a bad one fails at start-up.
        self.inputs = {name: _schema(s) for name, s in (inputs or {}).items()}
        self.outputs = {name: _schema(s) for name, s in (outputs or {}).items()}

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        handles = []
        if self.inputs:
            handles.append(
                hooks.register(
                    "tool.call.before", self._check_input, priority=-100, name="validate.input"
                )
            )
        if self.outputs:
            handles.append(
                hooks.register(
                    "tool.call.after", self._check_output, priority=100, name="validate.output"
                )
            )
        return handles

    def _check_input(self, ctx: HookContext) -> Skip | None:
        schema = self.inputs.get(ctx.tool or "")
        if schema is None:
            return None
        try:
            schema.validate(ctx.value)
        except ValidationFailed as exc:
            return Skip(ValueError(f"the arguments do not match the schema:\n{exc}"))
        return None

    def _check_output(self, ctx: HookContext) -> None:
        schema = self.outputs.get(ctx.tool or "")
        if schema is None or isinstance(ctx.value, Exception):
            return
        try:
            schema.validate(ctx.value)
        except ValidationFailed as exc:
            ctx.value = ValueError(f"the tool's result does not match its schema:\n{exc}")


def _schema(value: dict[str, Any] | Schema) -> Schema:
    return value if isinstance(value, Schema) else Schema(value)
