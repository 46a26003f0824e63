"""The rules for values crossing between a script and Python, shared by every engine.

| script value            | Python value          | back to the script       |
|-------------------------|-----------------------|--------------------------|
| nil / null / undefined  | None                  | nil / null               |
| boolean                 | bool                  | boolean                  |
| integer                 | int (64-bit)          | integer                  |
| float                   | float                 | float                    |
| string (UTF-8)          | str                   | string                   |
| array (Lua: keys 1..n)  | list                  | array (Lua: 1-based)     |
| map / other table       | dict (str/int keys)   | map                      |
| empty table             | dict (list if it came from an empty list) | -        |
| function                | `ScriptFunction`      | the same function        |

Python tuples become arrays; dataclasses and pydantic models become maps. Nesting deeper
than `Limits.value_depth` and cycles are refused with `ScriptValueError`, as are integers
outside 64 bits, strings that are not UTF-8 and keys that are neither strings nor integers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .errors import ScriptValueError

__all__ = ["INT_MAX", "INT_MIN", "check_int", "normalise"]

INT_MAX = 2**63 - 1
INT_MIN = -(2**63)


def check_int(value: int, where: str) -> int:
    """`value` when a 64-bit script integer holds it.

    Raises:
        ScriptValueError: It does not fit (the message says where the value was).
    """
    if INT_MIN <= value <= INT_MAX:
        return value
    raise ScriptValueError(f"{where}: integer {value} does not fit in 64 bits")


def normalise(value: Any, where: str) -> dict[Any, Any] | list[Any]:
    """A container a script can hold for a Python object that is not a plain dict or list.

    Raises:
        ScriptValueError: Nothing script-side can represent `value` (its type is named).
    """
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | list):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        result = dump(mode="json")
        if isinstance(result, dict):
            return result
    raise ScriptValueError(f"{where}: a {type(value).__name__} cannot be passed to a script")
