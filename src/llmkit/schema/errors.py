"""The errors of the schema layer: a broken schema, and a value that does not fit one.

`ValidationFailed` is written for a model to read: one line per problem, each with the
path to the offending value, so a retry prompt can quote it as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import LLMKitError

__all__ = ["SchemaError", "SchemaIssue", "ValidationFailed", "format_path"]

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*\Z")


def format_path(parts: Iterable[str | int]) -> str:
    """A readable path such as ``items[2].price``; ``(root)`` for the value itself."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}"
        else:
            # Keys with spaces or dots would make a dotted path ambiguous.
            text += f"[{json.dumps(part)}]"
    return text.lstrip(".") or "(root)"


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem with a value: where it is, what is wrong, which keyword said so."""

    path: str
    message: str
    validator: str

    def __str__(self) -> str:
        return f"- {self.path}: {self.message}"


class SchemaError(LLMKitError):
    """A JSON schema is itself invalid (or cannot be built, read or resolved).

    `keyword` is the offending schema keyword and `path` where it sits in the schema;
    `source` names the file the schema came from, when it came from one.
    """

    def __init__(
        self,
        message: str,
        *,
        keyword: str | None = None,
        path: str = "(root)",
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.keyword = keyword
        self.path = path
        self.source = source

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.source}: {text}" if self.source else text


class ValidationFailed(LLMKitError):
    """A value does not match its schema.

    `errors` holds the issues (sorted by path, capped); `total` counts all of them.
    ``str()`` lists them one per line, e.g. ``- items[2].price: -1 is less than ...``.
    """

    def __init__(self, errors: Sequence[SchemaIssue], *, total: int | None = None) -> None:
        self.errors = list(errors)
        self.total = len(self.errors) if total is None else total
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [str(issue) for issue in self.errors]
        if self.total > len(self.errors):
            lines.append(f"- ... and {self.total - len(self.errors)} more")
        return "\n".join(lines) or "- (root): the value does not match the schema"

    def __str__(self) -> str:
        return self._render()
