"""Structured output: the type an agent must answer with, how it is asked for, and validation.

Three strategies, as users of pydantic-ai know them:

* ``tool`` (default): the model calls a ``final_result`` tool whose arguments are the output;
* ``native``: the provider's JSON-schema mode (`ResponseFormat`);
* ``prompted``: the schema goes into the instructions and the JSON is found in the reply text.

A value that fails validation goes back to the model with the errors; the model retries within
`output_retries`. The schema and the validator are built once, when the agent is made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError
from ..models.request import ResponseFormat, ToolDefinition

__all__ = ["OUTPUT_TOOL", "OutputInvalid", "OutputSpec", "OutputStrategy", "extract_json"]

OutputStrategy = Literal["tool", "native", "prompted"]
OUTPUT_TOOL = "final_result"
_WRAPPED = "response"  # tool arguments must be an object: other types are wrapped in one


class OutputInvalid(Exception):
    """The model's output did not validate; the message is written for the model to read."""


@dataclass(slots=True, frozen=True)
class OutputSpec:
    """An output type turned into a JSON schema and a validator."""

    schema: dict[str, Any]
    strategy: OutputStrategy
    wrapped: bool
    _validate: Any  # (decoded JSON) -> value; raises OutputInvalid

    @classmethod
    def build(cls, output_type: Any, strategy: OutputStrategy) -> OutputSpec:
        """The spec for a pydantic model, dataclass, TypedDict, primitive or a JSON schema."""
        from ..schema import Schema, SchemaError, ValidationFailed

        if strategy not in ("tool", "native", "prompted"):
            raise ConfigError(f"output strategy must be tool, native or prompted, not {strategy!r}")
        try:
            schema = (
                Schema(output_type)
                if isinstance(output_type, dict)
                else Schema.from_type(output_type)
            )
        except SchemaError as exc:
            raise ConfigError(f"the output schema is not a valid JSON schema: {exc}") from None

        def validate(value: Any) -> Any:
            try:
                return schema.validate_python(value)
            except ValidationFailed as exc:
                raise OutputInvalid(str(exc)) from None

        json_schema = schema.json_schema
        wrapped = json_schema.get("type") != "object"
        return cls(schema=json_schema, strategy=strategy, wrapped=wrapped, _validate=validate)

    def tool_definition(self) -> ToolDefinition:
        """The ``final_result`` tool of the ``tool`` strategy."""
        parameters = (
            {"type": "object", "properties": {_WRAPPED: self.schema}, "required": [_WRAPPED]}
            if self.wrapped
            else self.schema
        )
        return ToolDefinition(
            name=OUTPUT_TOOL,
            description="Give the final answer. Call this exactly once, with the whole answer.",
            parameters=parameters,
        )

    def response_format(self) -> ResponseFormat:
        """The provider JSON-schema mode of the ``native`` strategy."""
        return ResponseFormat(type="json_schema", schema=self.schema, name="output")

    def instructions(self) -> str:
        """The schema as instructions, for the ``prompted`` strategy."""
        return (
            "Answer with one JSON value that matches this JSON schema, and nothing else:\n"
            + json.dumps(self.schema)
        )

    def from_tool_arguments(self, arguments: dict[str, Any]) -> Any:
        """Validate the ``final_result`` call's arguments."""
        if self.wrapped:
            if _WRAPPED not in arguments:
                raise OutputInvalid(f"the arguments need a {_WRAPPED!r} field")
            return self._validate(arguments[_WRAPPED])
        return self._validate(arguments)

    def from_text(self, text: str) -> Any:
        """Find the JSON in a reply's text and validate it."""
        return self._validate(extract_json(text))


def extract_json(text: str) -> Any:
    """The JSON value in a model's reply (whole, fenced, or in prose; repaired if broken).

    Raises `OutputInvalid` with the parser's reason, written for the model to read.
    """
    from ..output import ParseError
    from ..output import extract_json as find_json

    try:
        return find_json(text)
    except ParseError as exc:
        if not text.strip():
            raise OutputInvalid("the reply was empty; answer with JSON") from None
        raise OutputInvalid(
            f"the reply holds no valid JSON value ({exc.reason}); answer with JSON only"
        ) from None
