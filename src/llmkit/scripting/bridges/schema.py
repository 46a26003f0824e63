"""``Schema``: validate, infer, coerce and extract with JSON schemas (llmkit.schema)."""

from __future__ import annotations

from typing import Any

from ..registry import Bridge, bridge_method

__all__ = ["SchemaBridge"]


class SchemaBridge(Bridge):
    """JSON schemas from scripts: check values, infer schemas, repair near-misses."""

    name = "Schema"
    summary = "Validate values against JSON schemas, infer schemas, coerce and extract."

    @bridge_method(returns="table")
    def validate(self, value: Any, schema: dict[str, Any]) -> dict[str, Any]:
        """Check `value` against `schema`: ``{valid = true}`` or ``{valid = false, errors =
        {{path, message}, ...}}``.

        Args:
            value: The value to check.
            schema: A JSON schema.

        Example (lua):
            local schema = {type = "object", properties = {age = {type = "integer"}}}
            assert(Schema.validate({age = 36}, schema).valid)
            local result = Schema.validate({age = "old"}, schema)
            assert(not result.valid and result.errors[1].path == "age")

        Example (javascript):
            const schema = {type: "object", properties: {age: {type: "integer"}}};
            assert((await Schema.validate({age: 36}, schema)).valid);
            const result = await Schema.validate({age: "old"}, schema);
            assert(!result.valid && result.errors[0].path === "age");
        """
        from ...schema import Schema

        issues = Schema(schema).issues(value)
        if not issues:
            return {"valid": True, "errors": []}
        errors = [{"path": issue.path, "message": issue.message} for issue in issues]
        return {"valid": False, "errors": errors}

    @bridge_method(returns="table")
    def generate(self, sample: Any) -> dict[str, Any]:
        """A JSON schema that `sample` matches, inferred from its shape.

        Args:
            sample: An example value.

        Example (lua):
            local schema = Schema.generate({name = "Ada", age = 36})
            assert(schema.type == "object" and schema.properties.age.type == "integer")

        Example (javascript):
            const schema = await Schema.generate({name: "Ada", age: 36});
            assert(schema.type === "object" && schema.properties.age.type === "integer");
        """
        from ...schema import generate_schema

        return generate_schema(sample)

    @bridge_method()
    def coerce(self, value: Any, schema: dict[str, Any]) -> Any:
        """`value` with near-misses repaired to fit `schema` ("36" for an integer, "yes"
        for a boolean); what cannot be repaired stays as it was.

        Args:
            value: The value to repair.
            schema: A JSON schema.

        Example (lua):
            local fixed = Schema.coerce({age = "36"},
              {type = "object", properties = {age = {type = "integer"}}})
            assert(fixed.age == 36)

        Example (javascript):
            const fixed = await Schema.coerce({age: "36"},
              {type: "object", properties: {age: {type: "integer"}}});
            assert(fixed.age === 36);
        """
        from ...schema import coerce

        return coerce(value, schema)

    @bridge_method(returns="table")
    def extract(self, text: str, schema: dict[str, Any]) -> dict[str, Any]:
        """An object with `schema`'s properties read out of messy text (JSON, broken JSON
        or ``key: value`` lines).

        Args:
            text: The model's reply.
            schema: A JSON schema of an object.

        Example (lua):
            local person = Schema.extract("Name: Ada\\nAge: 36",
              {type = "object", properties = {name = {type = "string"}, age = {type = "integer"}}})
            assert(person.name == "Ada" and person.age == 36)

        Example (javascript):
            const person = await Schema.extract("Name: Ada\\nAge: 36",
              {type: "object", properties: {name: {type: "string"}, age: {type: "integer"}}});
            assert(person.name === "Ada" && person.age === 36);
        """
        from ...schema import extract

        return extract(text, schema)
