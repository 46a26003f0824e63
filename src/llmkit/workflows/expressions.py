"""Expressions (JMESPath) and templates (sandboxed Jinja2) over the run context.

The convention, in one place:

* A string that is exactly ``${ <jmespath> }`` is an **expression**; it evaluates to any
  JSON value (not only text). E.g. ``${ input.topic }``, ``${ steps.fetch.items[0] }``.
* A string containing ``{{`` or ``{%`` is a **Jinja2 template**, rendered to text in an
  `ImmutableSandboxedEnvironment` with `StrictUndefined` (an unknown name is an error).
* Any other string is a literal. Mappings and lists are walked recursively.
* Fields that are always expressions (``if``, ``while``, ``foreach``, ``over``, a
  workflow's ``output``, ``for`` when a string) take bare JMESPath; ``${ }`` is optional.

The context is ``{"input", "steps": {id: output}, "state": {output_key: output}}`` plus
``item``/``index`` (and the map's item name) inside loops and maps. JMESPath literals
need backticks: ``${ state.n < `3` }``.

Every expression is compiled once (a cache keyed by its text) — the loader compiles them
all at load, so a syntax error is a definition error and running never re-parses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ExpressionError

if TYPE_CHECKING:
    import jinja2
    from jmespath.parser import ParsedResult

__all__ = [
    "STEP_REFERENCE",
    "compile_query",
    "compile_template",
    "evaluate",
    "is_expression",
    "is_template",
    "query_source",
    "render",
    "resolve",
]

_WRAPPED = re.compile(r"^\s*\$\{(.*)\}\s*$", re.DOTALL)
#: ``steps.<id>`` as written in an expression or template; the loader checks the ids.
STEP_REFERENCE = re.compile(r"(?<![\w.])steps\.([A-Za-z_]\w*)")


def is_expression(value: Any) -> bool:
    """Whether `value` is a ``${ ... }`` expression string."""
    return isinstance(value, str) and _WRAPPED.match(value) is not None


def is_template(value: Any) -> bool:
    """Whether `value` is a Jinja2 template string (and not an expression)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value) and not is_expression(value)


def query_source(text: str) -> str:
    """The JMESPath text of an expression field, with an optional ``${ }`` removed."""
    match = _WRAPPED.match(text)
    return (match.group(1) if match else text).strip()


@functools.lru_cache(maxsize=4096)
def compile_query(source: str) -> ParsedResult:
    """Compile JMESPath `source` (raises `jmespath.exceptions.ParseError`)."""
    import jmespath

    return jmespath.compile(source)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # Immutable sandbox: templates come from definition files, so they must not reach
    # Python internals nor mutate the state they read.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@functools.lru_cache(maxsize=4096)
def compile_template(source: str) -> jinja2.Template:
    """Compile Jinja2 `source` (raises `jinja2.TemplateSyntaxError`)."""
    return _environment().from_string(source)


def evaluate(text: str, context: Mapping[str, Any], *, step_id: str | None) -> Any:
    """Evaluate an expression field (bare JMESPath or ``${ }``) against `context`."""
    source = query_source(text)
    try:
        return compile_query(source).search(dict(context))
    except Exception as exc:
        raise ExpressionError(str(exc), step_id=step_id, expression=text) from exc


def render(text: str, context: Mapping[str, Any], *, step_id: str | None) -> str:
    """Render a Jinja2 template against `context`."""
    try:
        return compile_template(text).render(dict(context))
    except Exception as exc:
        raise ExpressionError(str(exc), step_id=step_id, expression=text) from exc


def resolve(value: Any, context: Mapping[str, Any], *, step_id: str | None) -> Any:
    """Evaluate the expressions and templates inside `value`, leaving literals alone."""
    if isinstance(value, str):
        if is_expression(value):
            return evaluate(value, context, step_id=step_id)
        if is_template(value):
            return render(value, context, step_id=step_id)
        return value
    if isinstance(value, Mapping):
        return {k: resolve(v, context, step_id=step_id) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, context, step_id=step_id) for v in value]
    return value
