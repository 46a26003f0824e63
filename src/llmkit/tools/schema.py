"""A function's signature as a JSON schema and a validator for the model's arguments."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, ValidationError, create_model
from pydantic.json_schema import GenerateJsonSchema

from ..errors import ConfigError
from .base import ModelRetry, RunContext

__all__ = ["ArgumentsSchema", "build_arguments_schema"]

_MAX_INPUT_REPR = 80


class _NoFieldTitles(GenerateJsonSchema):
    # "title": "City" next to every property only spends the model's tokens.
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class _Param:
    name: str  # as in the signature and the schema
    field: str  # in the generated model (p0, p1, ...): never clashes with BaseModel names
    positional: bool  # positional-only: must be passed by position


@dataclass(frozen=True, slots=True)
class ArgumentsSchema:
    """The validator and JSON schema of a tool function's arguments, built once."""

    model: type[BaseModel]
    params: tuple[_Param, ...]
    context: str | None
    context_positional: bool
    json_schema: dict[str, Any]

    def bind(
        self, tool_name: str, ctx: RunContext[Any], arguments: Mapping[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """Validate the model's `arguments` and return the call's positional and keyword args.

        Raises:
            ModelRetry: The arguments do not fit the schema; the message names each bad field.
        """
        if not isinstance(arguments, Mapping):
            raise ModelRetry(
                f"arguments for tool {tool_name!r} must be a JSON object, "
                f"got {type(arguments).__name__}"
            )
        try:
            validated = self.model.model_validate(dict(arguments))
        except ValidationError as exc:
            raise ModelRetry(self._describe(tool_name, exc)) from None
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if self.context is not None:
            if self.context_positional:
                args.append(ctx)
            else:
                kwargs[self.context] = ctx
        for param in self.params:
            # getattr, not model_dump: nested models and dataclasses stay the objects they are.
            value = getattr(validated, param.field)
            if param.positional:
                args.append(value)
            else:
                kwargs[param.name] = value
        return args, kwargs

    def _describe(self, tool_name: str, exc: ValidationError) -> str:
        accepted = ", ".join(p.name for p in self.params) or "no arguments"
        lines = [f"Invalid arguments for tool {tool_name!r}:"]
        for error in exc.errors(include_url=False):
            where = _loc(error["loc"])
            if error["type"] == "missing":
                lines.append(f"- {where}: missing required argument")
            elif error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
                lines.append(f"- {where}: unexpected argument (this tool takes: {accepted})")
            else:
                got = repr(error["input"])
                if len(got) > _MAX_INPUT_REPR:
                    got = got[: _MAX_INPUT_REPR - 3] + "..."
                lines.append(f"- {where}: {error['msg']} (got {got})")
        lines.append("Fix the arguments and call the tool again.")
        return "\n".join(lines)


def build_arguments_schema(
    function: Callable[..., Any], *, tool_name: str, descriptions: Mapping[str, str]
) -> ArgumentsSchema:
    """Build the arguments model of `function` from its signature and type hints.

    A first parameter annotated `RunContext[...]` is the run's context: injected, not in
    the schema. `*args` and `**kwargs` cannot be described to a model, so they are refused.

    Raises:
        ConfigError: The signature cannot become a schema (names the parameter and why).
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"tool {tool_name!r}: cannot read the signature: {exc}") from exc
    hints = _type_hints(function, tool_name)
    context: str | None = None
    context_positional = False
    params: list[_Param] = []
    fields: dict[str, Any] = {}
    for index, param in enumerate(signature.parameters.values()):
        annotation = hints.get(param.name, param.annotation)
        if _is_run_context(annotation):
            if index != 0:
                raise ConfigError(
                    f"tool {tool_name!r}: the RunContext parameter {param.name!r} "
                    "must be the first parameter"
                )
            context = param.name
            context_positional = param.kind is not param.KEYWORD_ONLY
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ConfigError(
                f"tool {tool_name!r}: *{param.name} / **{param.name} cannot be described "
                "to a model; give each argument a name and a type"
            )
        if annotation is inspect.Parameter.empty:
            annotation = Any
        field_name = f"p{len(params)}"
        info = Field(alias=param.name, description=descriptions.get(param.name))
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[field_name] = (Annotated[annotation, info], default)
        params.append(_Param(param.name, field_name, param.kind is param.POSITIONAL_ONLY))
    try:
        model: type[BaseModel] = create_model(
            f"{tool_name}_arguments",
            __config__=ConfigDict(extra="forbid"),
            **fields,
        )
        json_schema = model.model_json_schema(schema_generator=_NoFieldTitles)
    except (PydanticUserError, TypeError, ValueError) as exc:
        raise ConfigError(f"tool {tool_name!r}: cannot build the argument schema: {exc}") from exc
    json_schema.pop("title", None)
    json_schema.setdefault("properties", {})
    return ArgumentsSchema(
        model=model,
        params=tuple(params),
        context=context,
        context_positional=context_positional,
        json_schema=json_schema,
    )


def _type_hints(function: Callable[..., Any], tool_name: str) -> dict[str, Any]:
    # Callable objects keep their annotations on __call__; partials have none to resolve.
    target: Any = function
    if not (inspect.isfunction(function) or inspect.ismethod(function)):
        target = getattr(type(function), "__call__", function)  # noqa: B004  # not a callable() test
    try:
        return typing.get_type_hints(target, include_extras=True)
    except NameError as exc:
        raise ConfigError(
            f"tool {tool_name!r}: cannot resolve a type hint ({exc}); types named in a "
            "tool's annotations must be importable from its module, not local to a function"
        ) from exc
    except TypeError:
        return {}


def _is_run_context(annotation: Any) -> bool:
    return annotation is RunContext or typing.get_origin(annotation) is RunContext


def _loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "arguments"
