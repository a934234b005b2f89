"""Retries, Retry-After and timeouts of the model clients, against the mock server. No assertion
depends on sleeping: retries use a recording fake sleep, and the one wall-clock bound (a
timed-out call returns long before the server's 30 s stall ends) has a wide margin."""

from __future__ import annotations

import random

import pytest

from harness.mock.server import MockServer
from harness.models.factory import make_client
from harness.models.retry import RetryPolicy
from tests.model_helpers import (
    MODES,
    client_for,
    request,
    run,
    with_retry,
)

# --- retries, Retry-After, timeouts ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_retries_429_and_500_honouring_retry_after(mode: str) -> None:
    with MockServer("oracle", seed=3, fault_script=["429", "500"], retry_after="0.25") as server:
        client = client_for(server, mode, max_retries=3, retry_delay=100.0)
        sleep = with_retry(client)
        (c,) = run(client, request())
    assert c.ok and c.attempts_made == 3
    assert sleep.delays[0] == 0.25  # Retry-After, not a backoff of up to 100 s
    assert 0.0 <= sleep.delays[1] <= 200.0  # no header on the 500: jittered 100 * 2**1
    assert server.stats["fault_429"] == 1 and server.stats["fault_500"] == 1


def test_backoff_is_full_jitter_and_deterministic() -> None:
    a = RetryPolicy(retry_delay=1.0, max_delay=8.0, rng=random.Random(5))
    b = RetryPolicy(retry_delay=1.0, max_delay=8.0, rng=random.Random(5))
    delays = [a.backoff(i, None) for i in range(6)]
    assert delays == [b.backoff(i, None) for i in range(6)]
    assert all(0.0 <= d <= min(8.0, 2.0**i) for i, d in enumerate(delays))
    assert a.backoff(3, 2.5) == 2.5 and a.backoff(0, 1000.0) == 8.0


def test_exhausted_retries_record_api_error() -> None:
    with MockServer("oracle", fault_script=["500", "500", "500"]) as server:
        client = client_for(server, "responses", max_retries=2)
        with_retry(client)
        (c,) = run(client, request())
    assert c.error_kind == "api_error" and c.attempts_made == 3 and not c.ok
    assert c.error_detail and "500" in c.error_detail and c.text == ""


def test_client_errors_are_not_retried(oracle_server: MockServer) -> None:
    client = make_client(
        "responses",
        "mock",
        base_url=oracle_server.base_url + "/nowhere",
        api_key="k",
        max_retries=3,
    )
    sleep = with_retry(client)
    (c,) = run(client, request())
    assert c.error_kind == "api_error" and c.attempts_made == 1 and sleep.delays == []
    assert "404" in (c.error_detail or "")


@pytest.mark.parametrize("mode", MODES)
def test_timeout_really_stops_waiting_and_is_not_an_api_error(mode: str) -> None:
    with MockServer("oracle", fault_script=["slow", "slow"], slow_s=30.0) as server:
        client = client_for(server, mode, timeout_s=0.3, max_retries=1)
        sleep = with_retry(client)
        (c,) = run(client, request())
    assert c.error_kind == "timeout" and c.attempts_made == 2 and len(sleep.delays) == 1
    assert c.duration_ms < 15_000  # the server stalls 30 s per call; we left long before


def test_timeout_then_success_returns_the_same_answer() -> None:
    with MockServer("noisy", seed=11) as server:
        (plain,) = run(client_for(server, "responses"), request())
    with MockServer("noisy", seed=11, fault_script=["slow"], slow_s=30.0) as server:
        client = client_for(server, "responses", timeout_s=0.3, max_retries=2)
        with_retry(client)
        (retried,) = run(client, request())
    assert retried.ok and retried.attempts_made == 2
    assert retried.text == plain.text


@pytest.mark.parametrize("mode", MODES)
def test_fail_rate_still_completes_with_enough_retries(mode: str) -> None:
    tasks = [f"fn_{c}/L20" for c in "abcdefgj"] * 2
    with MockServer("oracle", seed=5, fail_rate=0.3, slow_s=30.0) as server:
        client = client_for(server, mode, timeout_s=0.5, max_retries=10)
        with_retry(client)
        results = run(client, *(request(task_id=t) for t in tasks))
        faults = sum(server.stats[k] for k in ("fault_429", "fault_500", "fault_slow"))
    assert all(c.ok for c in results)
    # every injected fault costs one failed call (a loaded machine may add a timeout or two)
    assert faults > 0 and sum(c.attempts_made - 1 for c in results) >= faults
