"""Default deadlines on real channels: applied to calls without one, never changing one the caller set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from conftest import KINDS

from grpc_interceptor.deadline import AsyncDeadlineInterceptor, DeadlineInterceptor
from grpc_interceptor.testing import DummyRequest, dummy_client


def remaining(text: str, context: Any) -> str:
    return repr(context.time_remaining())


SPECIAL = {"remaining": remaining}

#: What the server reads may exceed the timeout the client set: grpc rounds the timeout it
#: sends up (up to a second for long ones, measured), and the clocks differ a little.
SLACK = 1.1


def seen(client: Any, kind: str, timeout: float | None = None) -> float | None:
    """The time the server had left when the handler ran, as it told the client."""
    request = DummyRequest(input="remaining")
    if kind == "unary_unary":
        text = client.Execute(request, timeout=timeout).output
    elif kind == "unary_stream":
        text = "".join(r.output for r in client.ExecuteServerStream(request, timeout=timeout))
    elif kind == "stream_unary":
        text = client.ExecuteClientStream(iter([request]), timeout=timeout).output
    else:
        text = "".join(r.output for r in client.ExecuteClientServerStream(iter([request]), timeout=timeout))
    left = None if text == "None" else float(text)
    # grpc reports a call without a deadline as having some 292 billion years left.
    return None if left is None or left > 1e9 else left


def test_a_call_without_a_timeout_gets_the_default_for_every_kind(kind: str) -> None:
    with dummy_client(special_cases=SPECIAL, client_interceptors=[DeadlineInterceptor(30)]) as client:
        left = seen(client, kind)
        assert left is not None and 25 < left <= 30 + SLACK


def test_without_the_interceptor_there_is_no_deadline() -> None:
    with dummy_client(special_cases=SPECIAL) as client:
        assert seen(client, "unary_unary") is None


@pytest.mark.parametrize("timeout", [3.0, 300.0])
def test_a_timeout_the_caller_set_is_kept_shorter_or_longer(timeout: float) -> None:
    with dummy_client(special_cases=SPECIAL, client_interceptors=[DeadlineInterceptor(30)]) as client:
        for kind in KINDS:
            left = seen(client, kind, timeout=timeout)
            assert left is not None and timeout - 2 < left <= timeout + SLACK, kind


def test_the_most_precise_entry_wins() -> None:
    service = "DummyService"
    deadline = DeadlineInterceptor(
        30, per_method={service: 60, f"/{service}/ExecuteServerStream": 90, "/other.Svc/Execute": 5}
    )
    with dummy_client(special_cases=SPECIAL, client_interceptors=[deadline]) as client:
        assert 55 < (seen(client, "unary_unary") or 0) <= 60 + SLACK
        assert 85 < (seen(client, "unary_stream") or 0) <= 90 + SLACK
    # A bare service name matches the service in any package; None means no deadline.
    bare = DeadlineInterceptor(30, per_method={"DummyService": None})
    with dummy_client(special_cases=SPECIAL, client_interceptors=[bare]) as client:
        assert seen(client, "unary_unary") is None
    assert bare.timeout_for("/other.Svc/M") == 30.0
    assert bare.timeout_for("not a method name") == 30.0


def test_only_listed_methods_without_a_default() -> None:
    deadline = DeadlineInterceptor(per_method={"/DummyService/Execute": 10})
    with dummy_client(special_cases=SPECIAL, client_interceptors=[deadline]) as client:
        assert 5 < (seen(client, "unary_unary") or 0) <= 10 + SLACK
        assert seen(client, "unary_stream") is None


async def test_aio_channel_for_every_kind() -> None:
    deadline = AsyncDeadlineInterceptor(30, per_method={"/DummyService/Execute": 10})
    async with dummy_client(
        special_cases=SPECIAL, client_interceptors=[deadline], aio_server=True, aio_client=True
    ) as client:
        request = DummyRequest(input="remaining")
        texts = [
            (await client.Execute(request)).output,
            "".join([r.output async for r in client.ExecuteServerStream(request)]),
            (await client.ExecuteClientStream(iter([request]))).output,
            "".join([r.output async for r in client.ExecuteClientServerStream(iter([request]))]),
            (await client.Execute(request, timeout=200)).output,
        ]
    lefts = [float(text) for text in texts]  # each with a deadline
    assert 5 < lefts[0] <= 10 + SLACK
    assert all(25 < left <= 30 + SLACK for left in lefts[1:4])
    assert 195 < lefts[4] <= 200 + SLACK


def test_the_deadline_really_ends_a_slow_call() -> None:
    import time

    def slow(text: str, context: Any) -> str:
        time.sleep(1.0)
        return text

    with dummy_client(special_cases={"slow": slow}, client_interceptors=[DeadlineInterceptor(0.1)]) as client:
        with pytest.raises(grpc.RpcError) as caught:
            client.Execute(DummyRequest(input="slow"))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: DeadlineInterceptor(0), ValueError, "timeout must be a positive, finite number of seconds"),
        (lambda: DeadlineInterceptor(-1.0), ValueError, "timeout must be a positive"),
        (lambda: DeadlineInterceptor(float("nan")), ValueError, "timeout must be a positive"),
        (lambda: DeadlineInterceptor("5"), TypeError, "timeout must be a number of seconds or None"),
        (lambda: DeadlineInterceptor(per_method=[("a.B", 1)]), TypeError, "per_method must map"),
        (lambda: DeadlineInterceptor(per_method={"/a.B": 1}), ValueError, "is not a method name"),
        (lambda: DeadlineInterceptor(per_method={"a/B": 1}), ValueError, "neither a method"),
        (lambda: DeadlineInterceptor(per_method={"a..B": 1}), ValueError, "neither a method"),
        (
            lambda: AsyncDeadlineInterceptor(per_method={"a.B": 0}),
            ValueError,
            r"per_method\['a.B'\] must be a positive",
        ),
        (lambda: AsyncDeadlineInterceptor(per_method={3: 1}), TypeError, "keys are method or service names"),
    ],
)
def test_configuration_is_checked_when_built(build: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


GRPC_METHOD = {
    "unary_unary": "intercept_unary_unary",
    "unary_stream": "intercept_unary_stream",
    "stream_unary": "intercept_stream_unary",
    "stream_stream": "intercept_stream_stream",
}


class GrpcDetails(grpc.ClientCallDetails):
    """Call details as grpc's sync channel builds them: not ours, so hooks would get a copy."""

    def __init__(self, method: str, timeout: float | None) -> None:
        self.method, self.timeout, self.metadata = method, timeout, None
        self.credentials, self.wait_for_ready, self.compression = None, None, None


@pytest.mark.parametrize("kind", KINDS)
def test_a_call_that_keeps_its_deadline_goes_straight_on_with_grpc_s_own_details(kind: str) -> None:
    # Nothing to do (the caller set a timeout, or the method has no default): grpc's
    # continuation gets the very details grpc passed, nothing built for the hooks.
    interceptor = DeadlineInterceptor(per_method={"/pkg.Svc/Slow": 1.0})
    given: list[Any] = []

    def continuation(details: Any, request: Any) -> str:
        given.append(details)
        return "call"

    entry = getattr(interceptor, GRPC_METHOD[kind])
    with_timeout = GrpcDetails("/pkg.Svc/Slow", 3.0)
    without_default = GrpcDetails("/pkg.Svc/Fast", None)
    for details in (with_timeout, without_default, without_default):
        assert entry(continuation, details, "request") == "call"
    assert given[0] is with_timeout
    assert given[2] is without_default  # once the method's default is known: straight on
    assert entry(continuation, GrpcDetails("/pkg.Svc/Slow", None), "request") == "call"
    assert given[-1].timeout == 1.0  # the default is still applied where there is one


def test_a_subclass_that_overrides_intercept_sees_the_calls_that_keep_their_deadline() -> None:
    seen_methods: list[str] = []

    class Spied(DeadlineInterceptor):
        def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
            seen_methods.append(call_details.method)
            return super().intercept(method, request_or_iterator, call_details)

    with dummy_client(special_cases=SPECIAL, client_interceptors=[Spied(per_method={"Other": 1.0})]) as client:
        assert seen(client, "unary_unary", timeout=5.0) is not None
        assert seen(client, "unary_unary") is None
        assert seen(client, "unary_unary") is None
    assert seen_methods == ["/DummyService/Execute"] * 3
