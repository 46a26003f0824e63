"""`Schema`: a JSON schema checked once, with its validator built once.

Draft 2020-12 is the default; a ``$schema`` keyword picks another draft jsonschema knows.
`Schema.from_type` builds one from a Python type through pydantic and keeps the type,
so `validate_python` can return the typed value (a model instance, a dataclass...).
jsonschema, referencing and pydantic are imported here lazily: ``import llmkit`` stays light.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .errors import SchemaError, SchemaIssue, ValidationFailed, format_path

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from pydantic import TypeAdapter
    from referencing import Registry

__all__ = ["MAX_ERRORS", "Schema", "check_schema"]

MAX_ERRORS = 50
# Keywords whose values are data, not subschemas: a "$ref" inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "examples"})
# Keywords whose values map names to subschemas: the names are not keywords.
_NAMED_KEYWORDS = frozenset(
    {"$defs", "definitions", "properties", "patternProperties", "dependentSchemas"}
)


class Schema:
    """A JSON schema, checked at construction, that validates values.

    Args:
        schema: The JSON schema (a mapping); it is copied, so later edits do not leak in.
        registry: A `referencing.Registry` holding other schemas ``$ref`` may name.
        check_formats: Also enforce ``format`` (email, date-time...), off by default as
            JSON Schema itself says formats are annotations.
        max_errors: How many issues a `ValidationFailed` lists at most.

    Raises:
        SchemaError: The schema is not a valid schema of its draft, or names a ``$ref``
            that cannot be resolved.
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        registry: Registry[Any] | None = None,
        check_formats: bool = False,
        max_errors: int = MAX_ERRORS,
    ) -> None:
        if not isinstance(schema, Mapping):
            raise SchemaError(f"a schema must be a JSON object, not {type(schema).__name__}")
        self._schema: dict[str, Any] = copy.deepcopy(dict(schema))
        self._max_errors = max_errors
        self._adapter: TypeAdapter[Any] | None = None
        self._python_type: Any = None
        self._validator = _build_validator(self._schema, registry, check_formats)

    @classmethod
    def from_type(cls, python_type: Any, **options: Any) -> Schema:
        """The schema of a Python type: a pydantic model, dataclass, TypedDict, primitive,
        ``list``/``dict``/``Literal``/``Optional``/``Enum`` and their combinations.

        Raises:
            SchemaError: pydantic cannot build a JSON schema for the type.
        """
        from pydantic import TypeAdapter

        try:
            adapter: TypeAdapter[Any] = TypeAdapter(python_type)
            json_schema = adapter.json_schema()
        except Exception as exc:  # pydantic raises several unrelated kinds for this
            raise SchemaError(f"cannot build a JSON schema for {python_type!r}: {exc}") from exc
        schema = cls(json_schema, **options)
        schema._adapter = adapter
        schema._python_type = python_type
        return schema

    @property
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema (shared, treat as read-only)."""
        return self._schema

    @property
    def python_type(self) -> Any:
        """The type given to `from_type`, or None for a schema built from a dict."""
        return self._python_type

    def issues(self, value: Any) -> list[SchemaIssue]:
        """Every problem with `value`, sorted by path (not capped)."""
        errors = sorted(self._iter_errors(value), key=lambda e: _sort_key(e.absolute_path))
        return [_issue(error) for error in errors]

    def validate(self, value: Any) -> Any:
        """Return `value` unchanged if it matches the JSON schema.

        Raises:
            ValidationFailed: Listing every problem (up to ``max_errors``) with its path.
        """
        issues = self.issues(value)
        if issues:
            raise ValidationFailed(issues[: self._max_errors], total=len(issues))
        return value

    def is_valid(self, value: Any) -> bool:
        """Whether `value` matches the schema."""
        from referencing.exceptions import Unresolvable

        try:
            return bool(self._validator.is_valid(value))  # stops at the first error
        except Unresolvable as exc:
            raise SchemaError(f"cannot resolve $ref {exc}", keyword="$ref") from None

    def validate_python(self, value: Any, *, strict: bool | None = None) -> Any:
        """The typed value for a schema built by `from_type` (pydantic validation, which
        also converts, e.g. a dict into a model instance); `validate` for other schemas.

        Raises:
            ValidationFailed: With pydantic's errors as issues.
        """
        if self._adapter is None:
            return self.validate(value)
        from pydantic import ValidationError as PydanticError

        try:
            return self._adapter.validate_python(value, strict=strict)
        except PydanticError as exc:
            details = exc.errors(include_url=False)
            issues = [
                SchemaIssue(format_path(e.get("loc", ())), str(e.get("msg")), str(e.get("type")))
                for e in details
            ]
            raise ValidationFailed(issues[: self._max_errors], total=len(issues)) from None

    def _iter_errors(self, value: Any) -> Iterator[ValidationError]:
        from referencing.exceptions import Unresolvable

        try:
            # Materialized so a reference failing midway surfaces here, not in the caller.
            yield from list(self._validator.iter_errors(value))
        except Unresolvable as exc:
            # Only references built at run time (e.g. $dynamicRef) get past the eager check.
            raise SchemaError(f"cannot resolve $ref {exc}", keyword="$ref") from None

    def __repr__(self) -> str:
        title = self._schema.get("title") or self._schema.get("type") or "..."
        return f"Schema({title!r})"


def check_schema(schema: Mapping[str, Any]) -> type[Validator]:
    """The validator class for `schema` once `schema` is known to be valid for its draft.

    Raises:
        SchemaError: Unknown ``$schema`` or a keyword misused; names the keyword and path.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError as JsonSchemaError
    from jsonschema.validators import validator_for
    from referencing.jsonschema import UnknownDialect, specification_with

    if not isinstance(schema, Mapping):
        raise SchemaError(f"a schema must be a JSON object, not {type(schema).__name__}")
    dialect = schema.get("$schema")
    if dialect is not None:
        # validator_for only warns about an unknown dialect, then guesses.
        try:
            specification_with(dialect)
        except (UnknownDialect, TypeError):
            raise SchemaError(f"unknown $schema {dialect!r}", keyword="$schema") from None
    validator_class: type[Validator] = validator_for(schema, default=Draft202012Validator)
    try:
        validator_class.check_schema(dict(schema))
    except JsonSchemaError as exc:
        path = list(exc.absolute_path)
        keyword = next((p for p in reversed(path) if isinstance(p, str)), None)
        where = format_path(path)
        raise SchemaError(
            f"invalid schema at {where}: {exc.message}", keyword=keyword, path=where
        ) from None
    return validator_class


def _build_validator(
    schema: dict[str, Any], registry: Registry[Any] | None, check_formats: bool
) -> Validator:
    from referencing import Registry

    validator_class = check_schema(schema)
    format_checker = validator_class.FORMAT_CHECKER if check_formats else None
    registry = registry if registry is not None else Registry()
    validator = validator_class(schema, registry=registry, format_checker=format_checker)
    _check_references(schema, registry)
    return validator


def _check_references(schema: dict[str, Any], registry: Registry[Any]) -> None:
    # Resolving every $ref now turns a typo into a SchemaError at construction instead
    # of an exception in the middle of some later validation.
    from referencing.exceptions import Unresolvable
    from referencing.jsonschema import DRAFT202012

    resource = DRAFT202012.create_resource(schema)
    resolver = registry.resolver_with_root(resource)

    def walk(node: Any, path: list[str | int], resolver: Any) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, [*path, index], resolver)
            return
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$id"), str) and path:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.lookup(ref)
            except Unresolvable:
                where = format_path([*path, "$ref"])
                raise SchemaError(
                    f"invalid schema at {where}: cannot resolve $ref {ref!r}",
                    keyword="$ref",
                    path=where,
                ) from None
        for key, child in node.items():
            if key in _DATA_KEYWORDS:
                continue
            if key in _NAMED_KEYWORDS and isinstance(child, dict):
                for name, sub in child.items():
                    walk(sub, [*path, key, name], resolver)
            else:
                walk(child, [*path, key], resolver)

    walk(schema, [], resolver)


def _issue(error: ValidationError) -> SchemaIssue:
    message = error.message
    if error.context:
        # anyOf/oneOf only say "not valid under any"; the closest branch says why.
        from jsonschema.exceptions import best_match

        # A branch whose type does not even fit the value explains nothing.
        fitting = [e for e in error.context if e.validator != "type" or e.relative_path]
        best = best_match(fitting or error.context)
        if best is not None:
            inner = format_path([*error.absolute_path, *best.relative_path])
            message = f"{message} (closest match: {inner}: {best.message})"
    return SchemaIssue(format_path(error.absolute_path), message, str(error.validator))


def _sort_key(parts: Any) -> tuple[tuple[int, int, str], ...]:
    # Paths mix ints and strings; comparing them directly raises, and "10" < "2" as text.
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)
