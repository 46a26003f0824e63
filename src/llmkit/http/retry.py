"""When and how long to wait before retrying an HTTP request."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["RETRYABLE_STATUS", "RetryPolicy", "retry_after_seconds"]

#: Statuses worth another try: timeout, conflict, rate limit, server errors.
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(slots=True, kw_only=True, frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring the server's Retry-After up to a cap.

    `max_retries` counts retries, not attempts: 2 means up to three requests.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    multiplier: float = 2.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def is_retryable_status(self, status: int) -> bool:
        """Whether a response with this status should be tried again."""
        return status in RETRYABLE_STATUS or status >= 500

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based).

        A server-given wait wins (capped at `max_retry_after`); otherwise the exponential
        delay, spread by +/- `jitter` so that many clients do not retry in step.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        base = min(self.initial_delay * self.multiplier**attempt, self.max_delay)
        spread = base * self.jitter
        return max(0.0, base + random.uniform(-spread, spread))


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The wait a server asked for, in seconds, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be delta-seconds or an HTTP date. Values that are not finite or not
    parseable give None; negative waits give 0. The caller applies its own cap.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        seconds = _finite_float(raw_ms)
        if seconds is not None:
            return max(seconds / 1000.0, 0.0)
    raw = headers.get("retry-after")
    if raw is None:
        return None
    seconds = _finite_float(raw)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


def _finite_float(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    if math.isnan(value):
        return None
    # "inf" and absurdly large waits mean "a long time": treat as a very long wait the caller
    # caps, rather than as garbage to ignore.
    return value if math.isfinite(value) else float("inf")
