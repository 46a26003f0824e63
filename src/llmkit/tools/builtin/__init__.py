"""Built-in tools: a safe calculator, data manipulation, feed parsing, system info, and the
guarded ones — files, HTTP and processes — which do only what the run's policy grants.

The first four need no capability: they work on the text they are given, except
`system_info`, which reads ``/proc`` and `platform` but never user data.
"""

from __future__ import annotations

from ..toolset import Toolset
from .data_manipulation import data_manipulation
from .feed_processor import feed_processor
from .file_operations import file_operations
from .http_request import http_request
from .math_calculator import math_calculator
from .process_execution import process_execution
from .system_info import system_info

__all__ = [
    "builtin_toolset",
    "data_manipulation",
    "feed_processor",
    "file_operations",
    "http_request",
    "math_calculator",
    "process_execution",
    "system_info",
]


def builtin_toolset() -> Toolset:
    """The built-in tools as a `Toolset`."""
    return Toolset(
        [
            math_calculator,
            data_manipulation,
            feed_processor,
            system_info,
            file_operations,
            http_request,
            process_execution,
        ]
    )
