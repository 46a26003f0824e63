"""JSON schemas for model output: validate, build from types, infer, coerce, extract, name.

* `Schema`: a checked JSON schema (draft 2020-12 by default) or one built from a Python
  type with `Schema.from_type`; `validate` raises `ValidationFailed`, whose message lists
  every problem with its path for a model to read.
* `generate_schema` / `generate_from_samples`: infer a schema from example values.
* `coerce`: repair near-misses ("36" for an integer) before validating.
* `extract`: read an object out of messy model text (JSON, broken JSON, ``key: value``).
* `SchemaRegistry`: named schemas from code or files, ``$ref``-ing each other.
"""

from __future__ import annotations

from .coerce import coerce
from .errors import SchemaError, SchemaIssue, ValidationFailed, format_path
from .extract import extract
from .generate import generate_from_samples, generate_schema
from .registry import SchemaRegistry
from .schema import MAX_ERRORS, Schema, check_schema

__all__ = [
    "MAX_ERRORS",
    "Schema",
    "SchemaError",
    "SchemaIssue",
    "SchemaRegistry",
    "ValidationFailed",
    "check_schema",
    "coerce",
    "extract",
    "format_path",
    "generate_from_samples",
    "generate_schema",
]
