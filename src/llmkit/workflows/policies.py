"""Error policies the engine applies around a step: which errors retry, how long to wait,
and circuit breakers shared by the steps that name them.

A `Circuit` is the live state of one `CircuitBreaker`. It is *closed* while calls go
through; `threshold` consecutive failures *open* it, and calls then fail fast with
`CircuitOpen` without running. Once `cooldown` seconds have passed it is *half open*: the
next call is a trial (others still fail fast while it runs); its success closes the
circuit, its failure opens it for another cooldown.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from .definition import CircuitBreaker, Retry, Step
from .errors import CircuitOpen, WorkflowDefinitionError

__all__ = ["Circuit", "CircuitState", "error_names", "register_circuits", "retries", "retry_wait"]

CircuitState = Literal["closed", "open", "half_open"]


def error_names(error: BaseException) -> set[str]:
    """Class names along the MRO of `error` and of each error in its ``__cause__`` chain."""
    names: set[str] = set()
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names.update(cls.__name__ for cls in type(current).__mro__)
        current = current.__cause__
    return names


def retries(policy: Retry, error: BaseException) -> bool:
    """Whether `policy` retries `error`: listed in `on` (or `on` empty), not in `not_on`."""
    if not (policy.on or policy.not_on):
        return True
    names = error_names(error)
    if policy.on and names.isdisjoint(policy.on):
        return False
    return names.isdisjoint(policy.not_on)


def retry_wait(policy: Retry, base: float, rng: random.Random) -> float:
    """The wait before a retry whose un-jittered delay is `base`: capped, then jittered."""
    if policy.max_delay is not None:
        base = min(base, policy.max_delay)
    return base + base * policy.jitter * rng.random()


class Circuit:
    """The live state of one named circuit breaker (see the module docstring).

    Lives on the `WorkflowRunner` (``runner.circuits[name]``), so every run of that runner
    and every step naming the breaker share it. `clock` is a monotonic clock in seconds.
    """

    __slots__ = ("_opened_at", "_trial", "clock", "failures", "spec")

    def __init__(
        self, spec: CircuitBreaker, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.failures = 0  # consecutive
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> CircuitState:
        """``closed``, ``open``, or ``half_open`` (cooled down or running a trial call)."""
        if self._opened_at is None:
            return "closed"
        if self._trial or self._remaining() <= 0:
            return "half_open"
        return "open"

    @contextlib.contextmanager
    def guard(self, step_id: str) -> Iterator[None]:
        """Around one call of a step: fail fast if open, count the outcome otherwise.

        Raises:
            CircuitOpen: The circuit is open, or half open with a trial call running.
        """
        trial = self._enter(step_id)
        try:
            yield
        except Exception:
            self._failed(trial)
            raise
        except BaseException:
            if trial:  # cancelled or paused: neither outcome; let the next call try
                self._trial = False
            raise
        self._succeeded(trial)

    def _remaining(self) -> float:
        assert self._opened_at is not None
        return self._opened_at + self.spec.cooldown - self.clock()

    def _enter(self, step_id: str) -> bool:
        if self._opened_at is None:
            return False
        remaining = self._remaining()
        if remaining <= 0 and not self._trial:
            self._trial = True
            return True
        why = "a trial call is running" if self._trial else f"retry in {remaining:.3g}s"
        raise CircuitOpen(
            f"step {step_id!r}: circuit {self.spec.name!r} is open after "
            f"{self.failures} consecutive failures ({why})",
            step_id=step_id,
            circuit=self.spec.name,
            retry_after=max(remaining, 0.0),
        )

    def _failed(self, trial: bool) -> None:
        if trial:
            self._trial = False
            self._opened_at = self.clock()
        elif self._opened_at is None:
            self.failures += 1
            if self.failures >= self.spec.threshold:
                self._opened_at = self.clock()
        # A call that began before the circuit opened and fails now changes nothing.

    def _succeeded(self, trial: bool) -> None:
        if trial or self._opened_at is None:
            self.failures = 0
            self._opened_at = None
            self._trial = False


def register_circuits(
    circuits: dict[str, Circuit], steps: Iterable[Step], *, source: str = "<runner>"
) -> None:
    """Create the circuits `steps` name that `circuits` lacks.

    Raises:
        WorkflowDefinitionError: A step declares a known breaker with other settings.
    """
    for step in steps:
        spec = step.circuit_breaker
        if spec is None:
            continue
        circuit = circuits.get(spec.name)
        if circuit is None:
            circuits[spec.name] = Circuit(spec)
        elif circuit.spec != spec:
            raise WorkflowDefinitionError(
                f"circuit breaker {spec.name!r} is declared as {spec} here but as "
                f"{circuit.spec} elsewhere; steps sharing a breaker need the same settings",
                source=source,
                step_id=step.id,
                field="circuit_breaker",
            )
