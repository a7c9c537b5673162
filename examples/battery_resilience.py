"""The ready-made retry, deadline and limit interceptors together, over a real connection.

Run it with ``python examples/battery_resilience.py``. The server (the testing kit's
echo service) sits behind a :class:`~grpc_interceptor.RateLimitInterceptor`: 5 RPCs a
second, 3 at once. Its "flaky" input fails twice with UNAVAILABLE before it works. The
client channel has a :class:`~grpc_interceptor.DeadlineInterceptor` (calls made without
a timeout get 2 seconds, for all their attempts together) outside a
:class:`~grpc_interceptor.RetryInterceptor` that retries UNAVAILABLE and
RESOURCE_EXHAUSTED. The retry's ``sleep`` records each wait before sleeping it, so the
output shows where the waits came from: the backoff, or the rate limiter's
``grpc-retry-pushback-ms``.

The example exits 0 when the flaky call succeeds on its third attempt, five calls in a
row all get through the rate limit (the ones over the burst after the server's
pushback), and every attempt had the default deadline.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import grpc

from grpc_interceptor import DeadlineInterceptor, ExceptionToStatusInterceptor, RateLimitInterceptor, RetryInterceptor
from grpc_interceptor.exceptions import Unavailable
from grpc_interceptor.testing import DummyRequest, dummy_client

lock = threading.Lock()
attempts: list[tuple[str, str | None, float]] = []  # input, x-retry-attempt, seconds left
failures = [Unavailable("warming up"), Unavailable("still warming up")]


def record(text: str, context: Any) -> str:
    metadata = dict(context.invocation_metadata())
    with lock:
        attempts.append((text, metadata.get("x-retry-attempt"), context.time_remaining()))
        failure = failures.pop(0) if text == "flaky" and failures else None
    if failure is not None:
        raise failure
    return text


waits: list[float] = []


def sleep(seconds: float) -> None:
    waits.append(seconds)
    time.sleep(seconds)


def main() -> int:
    retry = RetryInterceptor(
        codes=[grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED],
        max_attempts=4,
        initial_backoff=0.02,
        sleep=sleep,
    )
    with dummy_client(
        special_cases={"flaky": record, "steady": record},
        interceptors=[ExceptionToStatusInterceptor(), RateLimitInterceptor(rate=5, burst=3)],
        client_interceptors=[DeadlineInterceptor(2.0), retry],
    ) as client:
        flaky = client.Execute(DummyRequest(input="flaky")).output
        flaky_attempts = [attempt for text, attempt, _ in attempts if text == "flaky"]
        print(f"flaky: {flaky!r} after {len(flaky_attempts)} attempts, x-retry-attempt {flaky_attempts}")
        print(f"  backoff waits: {[f'{wait:.3f}' for wait in waits]}")
        time.sleep(0.7)  # the bucket fills up again: 3 tokens at 5 a second
        del waits[:]
        steady = [client.Execute(DummyRequest(input="steady")).output for _ in range(5)]
        print(f"5 calls in a row through a burst of 3: {steady.count('steady')} OK")
        print(f"  waits (the server's pushback): {[f'{wait:.3f}' for wait in waits]}")
    left = [seconds for _, _, seconds in attempts]
    print(f"every attempt had a deadline of at most 2 s: {all(0 < seconds <= 2.1 for seconds in left)}")
    ok = (
        flaky == "flaky"
        and flaky_attempts == [None, "2", "3"]
        and steady == ["steady"] * 5
        and len(waits) >= 2  # the fourth and fifth call waited for a token
        and all(0.1 <= wait <= 0.21 for wait in waits)  # a token every 200 ms
        and all(0 < seconds <= 2.1 for seconds in left)
    )
    if ok:
        print("retried transient failures and rate-limit refusals, each within the default deadline")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
