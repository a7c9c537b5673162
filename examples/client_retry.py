"""A client-side retry with exponential backoff that keeps to the caller's deadline.

Run it with ``python examples/client_retry.py``. ``Retry`` is a typed sync client
interceptor, ``ClientInterceptor[DummyRequest, DummyResponse]``. For a unary-unary call
it calls the continuation again when the status is UNAVAILABLE or RESOURCE_EXHAUSTED,
waiting ``first_backoff`` seconds, then twice as long each time, up to ``attempts``
attempts. Other codes are returned at once: retrying NOT_FOUND will not make it found.

If the call has a timeout, that is a budget for all attempts together: each attempt
gets what is left of it as its own timeout, and ``Retry`` gives up (with the last
error) rather than sleep past the deadline.

Only unary-unary calls are retried: a request stream would have to be kept to be sent
again, and a response stream may have delivered messages before it failed. The
other kinds pass through.

The server fails the first two calls for "flaky" with ``Unavailable`` (turned into the
status by ``ExceptionToStatusInterceptor``), always fails "down", and answers
"missing" with NOT_FOUND. The example exits 0 when "flaky" succeeds on the third
attempt, "down" gives up after the last attempt, a tight deadline stops the retries
before it runs out, and NOT_FOUND is not retried.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from itertools import count

import grpc

from grpc_interceptor import ClientCallDetails, ClientInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import NotFound, Unavailable
from grpc_interceptor.protocols import CallFuture, ClientUnaryUnaryContinuation
from grpc_interceptor.testing import DummyRequest, DummyResponse, SpecialCase, dummy_client, raises

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})


class Retry(ClientInterceptor[DummyRequest, DummyResponse]):
    """Retry unary-unary calls that failed with a transient status, with exponential backoff.

    Args:
        attempts: The most attempts per call, the first one included.
        first_backoff: Seconds to wait before the second attempt.
        multiplier: How much longer each wait is than the one before.
        max_backoff: The longest wait.
        jitter: Up to this fraction of each wait is taken off at random, so that
            clients that failed together do not all come back together.
        sleep: How to wait (``time.sleep``; a test may record the waits instead).
    """

    def __init__(
        self,
        attempts: int = 4,
        first_backoff: float = 0.05,
        multiplier: float = 2.0,
        max_backoff: float = 1.0,
        jitter: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.attempts = attempts
        self.first_backoff = first_backoff
        self.multiplier = multiplier
        self.max_backoff = max_backoff
        self.jitter = jitter
        self.sleep = sleep
        #: What happened, one line per attempt, for the example to print.
        self.log: list[str] = []

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        deadline = None if call_details.timeout is None else time.monotonic() + call_details.timeout
        backoff = self.first_backoff
        attempt = 1
        while True:
            details = call_details
            if deadline is not None:  # this attempt may take what is left of the budget
                details = ClientCallDetails(
                    call_details.method,
                    max(deadline - time.monotonic(), 0.0),
                    call_details.metadata,
                    call_details.credentials,
                    call_details.wait_for_ready,
                    call_details.compression,
                )
            outcome = method(request, details)
            code = outcome.code() if outcome.exception() is not None else grpc.StatusCode.OK
            name = code.name
            if code not in RETRYABLE:
                self.log.append(f"attempt {attempt}: {name}, done")
                return outcome
            if attempt == self.attempts:
                self.log.append(f"attempt {attempt}: {name}, giving up: no attempts left")
                return outcome
            delay = backoff * (1 - self.jitter * random.random())
            if deadline is not None and time.monotonic() + delay >= deadline:
                self.log.append(f"attempt {attempt}: {name}, giving up: waiting {delay:.3f}s would pass the deadline")
                return outcome
            self.log.append(f"attempt {attempt}: {name}, retrying in {delay:.3f}s")
            self.sleep(delay)
            backoff = min(backoff * self.multiplier, self.max_backoff)
            attempt += 1


def main() -> int:
    """Call a flaky, a down and a missing thing; 0 if each was retried as it should be."""
    flaky_calls = count(1)

    def flaky(text: str, context: grpc.ServicerContext) -> str:
        if next(flaky_calls) <= 2:
            raise Unavailable("warming up, try again")
        return "finally"

    special_cases: dict[str, SpecialCase] = {
        "flaky": flaky,
        "down": raises(Unavailable("down for maintenance")),
        "missing": raises(NotFound("no such thing")),
    }
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    retry = Retry(attempts=4, first_backoff=0.05, sleep=sleep)
    # (input, timeout, the status or output the caller should get, the attempts expected)
    plan: list[tuple[str, float, str, int | None]] = [
        ("flaky", 5.0, "finally", 3),
        ("down", 5.0, "UNAVAILABLE", 4),
        ("missing", 5.0, "NOT_FOUND", 1),
        # 0.05 + 0.1 + 0.2 of backoff do not fit in 0.25 s: fewer attempts than allowed.
        ("down", 0.25, "UNAVAILABLE", None),
    ]
    ok = True
    with dummy_client(special_cases, [ExceptionToStatusInterceptor()], [retry]) as client:
        for text, timeout, expected, attempts in plan:
            retry.log.clear()
            waits.clear()
            started = time.monotonic()
            try:
                got = client.Execute(DummyRequest(input=text), timeout=timeout).output
            except grpc.RpcError as error:
                got = error.code().name
            elapsed = time.monotonic() - started
            print(f"Execute({text!r}, timeout={timeout}) -> {got} after {elapsed:.3f}s")
            for line in retry.log:
                print(f"  {line}")
            tried = len(retry.log)
            ok = ok and got == expected and elapsed < timeout and sum(waits) < timeout
            ok = ok and (tried == attempts if attempts is not None else 1 < tried < retry.attempts)
    print("retried transient failures, within the deadline" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
