"""Per-partner throttling with Microsoft's 429 body and Retry-After."""

from __future__ import annotations

from nceflow.partner_center_sim.api.ratelimit import PartnerRateLimiter
from nceflow.testing.simulator import Sim


def test_partner_over_its_limit_gets_microsofts_429(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"rate_limit_per_minute": 3})
    statuses = [sim.pc("GET", "/v1/customers").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = sim.pc("GET", "/v1/customers")
    retry_after = int(throttled.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert throttled.json() == {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {retry_after} seconds.",
    }
    # Another partner tenant has its own budget.
    assert sim.pc("GET", "/v1/customers", "indirect").status_code == 200


def test_zero_turns_throttling_off(sim: Sim) -> None:
    sim.http.patch("/_sim/config", json={"rate_limit_per_minute": 0})
    assert {sim.pc("GET", "/v1/customers").status_code for _ in range(20)} == {200}


def test_window_slides_and_refusals_do_not_count() -> None:
    limiter = PartnerRateLimiter()
    assert limiter.admit("p", 2, now=0.0) is None
    assert limiter.admit("p", 2, now=10.0) is None
    assert limiter.admit("p", 2, now=20.0) == 40
    assert limiter.admit("p", 2, now=59.5) == 1
    assert limiter.admit("p", 2, now=60.0) is None  # the request at 0 left the window
    assert limiter.admit("p", 2, now=65.0) == 5
    assert limiter.admit("p", 0, now=65.0) is None
