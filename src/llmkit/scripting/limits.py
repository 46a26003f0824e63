"""`Limits`: what one script run may spend, enforced by the host from outside the script."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Bounds for one script run (and for each later call into a script function).

    Args:
        timeout: Seconds the script itself may run, counted across `pcall`, coroutines
            and pattern matching. Time spent waiting on the host (a model reply, a tool,
            a store) does not count; each script callback the host runs meanwhile gets a
            clock of its own.
        wall_time: Seconds the whole run may take, waits on the host included (model
            replies, tools, `Async` batches, the callbacks run meanwhile); a host call
            still waiting at the end is cancelled. Reaching it raises `ScriptTimeout`
            whose message starts with ``wall_time:``. None (the default): no bound
            beyond `timeout` and the agents' own limits.
        memory: Bytes the engine may hold at once.
        call_depth: Nested script function calls (checked each time the limit hook runs,
            a few hundred times a second of running time, so a script may briefly
            overshoot).
        output: Bytes the script may print.
        bridge_calls: Calls from the script into the host.
        value_depth: Nesting of tables/objects crossing between script and host.
    """

    timeout: float = 5.0
    wall_time: float | None = None
    memory: int = 64 * 2**20
    call_depth: int = 2000
    output: int = 2**20
    bridge_calls: int = 100_000
    value_depth: int = 64

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ConfigError(f"Limits.timeout must be positive seconds, got {self.timeout!r}")
        if self.wall_time is not None and (
            isinstance(self.wall_time, bool)
            or not isinstance(self.wall_time, int | float)
            or not self.wall_time > 0
        ):
            raise ConfigError(
                f"Limits.wall_time must be positive seconds or None, got {self.wall_time!r}"
            )
        for name in ("memory", "call_depth", "output", "bridge_calls", "value_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"Limits.{name} must be a positive integer, got {value!r}")
        if self.memory < 2**20:
            raise ConfigError(f"Limits.memory must be at least 1 MiB, got {self.memory}")


DEFAULT_LIMITS = Limits()
