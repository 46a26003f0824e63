"""Token buckets per model: requests per minute and tokens per minute, waited for, not failed."""

from __future__ import annotations

import asyncio
import time

from ..registry import HookContext, HookHandle, HookRegistry
from .timing import call_key

__all__ = ["RateLimitHooks", "TokenBucket"]


class TokenBucket:
    """`capacity` units, refilled evenly over a minute; `take` waits until enough are there."""

    def __init__(self, per_minute: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self.level = per_minute
        self.updated = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    async def take(self, amount: float) -> float:
        """Wait until `amount` (capped at the capacity) is available; return the wait."""
        amount = min(amount, self.capacity)
        waited = 0.0
        async with self._lock:
            self._refill()
            if self.level < amount:
                wait = (amount - self.level) / self.rate
                await asyncio.sleep(wait)
                waited = wait
                self._refill()
            self.level -= amount
        return waited

    def adjust(self, amount: float) -> None:
        """Charge (or refund, when negative) after the fact; the level may go below zero."""
        self._refill()
        self.level = min(self.capacity, self.level - amount)


class RateLimitHooks:
    """Keep each model under `requests_per_minute` and `tokens_per_minute`.

    Tokens are estimated from the request text before it is sent (4 characters a token) and
    corrected with the provider's usage afterwards. `waited` sums the seconds spent waiting.
    """

    def __init__(
        self, *, requests_per_minute: float | None = None, tokens_per_minute: float | None = None
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.waited = 0.0
        self._requests: dict[str, TokenBucket] = {}
        self._tokens: dict[str, TokenBucket] = {}
        self._estimates: dict[tuple[str, str, str], tuple[str, float]] = {}

    def install(self, hooks: HookRegistry) -> list[HookHandle]:
        """Register on `hooks`; returns the handles."""
        return [
            hooks.register(
                "model.request.before", self._before, priority=-500, name="ratelimit.before"
            ),
            hooks.register("model.request.after", self._after, name="ratelimit.after"),
        ]

    async def _before(self, ctx: HookContext) -> None:
        model = ctx.model or "unknown"
        if self.requests_per_minute is not None:
            bucket = self._requests.setdefault(model, TokenBucket(self.requests_per_minute))
            self.waited += await bucket.take(1)
        if self.tokens_per_minute is not None:
            estimate = sum(len(m.text) for m in ctx.value) / 4 + 1
            bucket = self._tokens.setdefault(model, TokenBucket(self.tokens_per_minute))
            self.waited += await bucket.take(estimate)
            self._estimates[call_key(ctx, "model")] = (model, estimate)

    def _after(self, ctx: HookContext) -> None:
        pending = self._estimates.pop(call_key(ctx, "model"), None)
        if pending is not None:
            model, estimate = pending
            usage = ctx.value.usage
            self._tokens[model].adjust(usage.input_tokens + usage.output_tokens - estimate)
