"""The errors a `Policy` raises when it refuses something.

Messages name what was refused and why, never the content of a file or a response, so
they are safe to log and to send back to a model.
"""

from __future__ import annotations

from ..errors import LLMKitError

__all__ = [
    "CapabilityDenied",
    "NetworkDenied",
    "PathDenied",
    "PolicyError",
    "ProcessDenied",
    "ResponseTooLarge",
]


class PolicyError(LLMKitError):
    """A policy refused an action (base class of every refusal)."""


class PathDenied(PolicyError):
    """A file path is outside the workspace, malformed, or the access mode is not granted."""


class NetworkDenied(PolicyError):
    """A URL's scheme, host or resolved address is not allowed."""


class ResponseTooLarge(NetworkDenied):
    """A response body went over the configured byte cap (reading stopped there)."""


class ProcessDenied(PolicyError):
    """A program is not on the allowlist, or its arguments or environment are malformed."""


class CapabilityDenied(PolicyError):
    """A capability ("fs.read", "fs.write", "net", "process") is not granted by the policy."""
