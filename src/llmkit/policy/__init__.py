"""Deny-by-default policies for what tools may touch: files, network, processes.

`Policy` grants capabilities; `Workspace`, `NetworkPolicy` and `ProcessPolicy` enforce
them; `safe_async_client`/`fetch` make HTTP requests that only reach checked addresses.
"""

from .errors import (
    CapabilityDenied,
    NetworkDenied,
    PathDenied,
    PolicyError,
    ProcessDenied,
    ResponseTooLarge,
)
from .network import CheckedTarget, NetworkPolicy, Resolver
from .paths import Workspace
from .policy import CAPABILITIES, Policy
from .process import ProcessPolicy, ProcessResult
from .safe_http import FetchResponse, fetch, safe_async_client

__all__ = [
    "CAPABILITIES",
    "CapabilityDenied",
    "CheckedTarget",
    "FetchResponse",
    "NetworkDenied",
    "NetworkPolicy",
    "PathDenied",
    "Policy",
    "PolicyError",
    "ProcessDenied",
    "ProcessPolicy",
    "ProcessResult",
    "Resolver",
    "ResponseTooLarge",
    "Workspace",
    "fetch",
    "safe_async_client",
]
