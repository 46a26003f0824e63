"""Retry policy: which statuses retry, how long to wait, and Retry-After in every form."""

from __future__ import annotations

import math
from email.utils import formatdate

import pytest

from llmkit import RetryPolicy
from llmkit.http.retry import retry_after_seconds


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "3000"}, 3.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_forms(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": header}, now=now) == pytest.approx(30.0)
    past = formatdate(now - 30, usegmt=True)
    assert retry_after_seconds({"retry-after": past}, now=now) == 0.0


@pytest.mark.parametrize("value", ["inf", "1e308", "99999999"])
def test_huge_waits_are_capped(value: str) -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    wait = retry_after_seconds({"retry-after": value})
    assert wait is not None and wait >= 5.0
    assert policy.delay(0, wait) == 5.0
    assert math.isinf(retry_after_seconds({"retry-after": "inf"}) or 0)


def test_backoff_grows_and_stays_within_jitter_and_cap() -> None:
    policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.25)
    for attempt, base in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 5.0)]:
        for _ in range(50):
            assert base * 0.75 <= policy.delay(attempt) <= base * 1.25


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retryable_statuses(status: int) -> None:
    assert RetryPolicy().is_retryable_status(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not RetryPolicy().is_retryable_status(status)
