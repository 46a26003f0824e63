"""Ready-made hooks: logging, metrics, tracing, events, caching, rate limiting, validation.

Each is an object with ``install(hooks)``; install it on the registry you give agents.
"""

from .caching_hooks import CachingHooks, MemoryCache, ResponseCache, SqliteCache
from .event_hooks import EventHooks
from .logging_hooks import LoggingHooks
from .metrics_hooks import MetricsHooks
from .rate_limit_hooks import RateLimitHooks, TokenBucket
from .tracing_hooks import TracingHooks
from .validation_hooks import ValidationHooks

__all__ = [
    "CachingHooks",
    "EventHooks",
    "LoggingHooks",
    "MemoryCache",
    "MetricsHooks",
    "RateLimitHooks",
    "ResponseCache",
    "SqliteCache",
    "TokenBucket",
    "TracingHooks",
    "ValidationHooks",
]
