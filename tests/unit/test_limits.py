"""The failed-authentication throttle: a sliding window per client address."""

from __future__ import annotations

import pytest

from inferjobs.errors import TooManyRequests
from inferjobs.services import limits
from inferjobs.services.limits import AuthThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_refused_after_its_limit_until_the_window_passes() -> None:
    clock = Clock()
    throttle = AuthThrottle(3, 10, clock)
    for _ in range(3):
        throttle.check("a")
        throttle.failed("a")
        clock.now += 1
    with pytest.raises(TooManyRequests) as refused:
        throttle.check("a")
    assert refused.value.retry_after == 7  # the first failure (at 1000) leaves it at 1010
    throttle.check("b")  # other clients are not affected
    clock.now = 1010.5
    throttle.check("a")


def test_zero_disables_the_limit() -> None:
    throttle = AuthThrottle(0, 10)
    for _ in range(100):
        throttle.failed("a")
    throttle.check("a")


def test_memory_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TRACKED_CLIENTS", 10)
    clock = Clock()
    throttle = AuthThrottle(5, 10, clock)
    for n in range(100):
        throttle.failed(f"client-{n}")
        clock.now += 0.01
    assert len(throttle._failures) <= 10
