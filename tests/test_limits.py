"""Concurrency and rate limits on real servers: exact counts, refusals at once, slots always given back."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from conftest import KINDS, METHOD, call

from grpc_interceptor import select, services
from grpc_interceptor.limits import (
    AsyncConcurrencyLimitInterceptor,
    AsyncRateLimitInterceptor,
    ConcurrencyLimitInterceptor,
    RateLimitInterceptor,
)
from grpc_interceptor.testing import DummyRequest, DummyService, StubContext, dummy_client, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

SERVERS = ["sync", "aio"]
WAIT = 5.0  # seconds any wait in these tests may take at most


class Gate:
    """Special cases for DummyService: "block" waits for the gate, "count" counts, "boom" raises."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.lock = threading.Lock()
        self.entered = 0
        self.counted = 0

    def _enter(self) -> None:
        with self.lock:
            self.entered += 1

    def _count(self, text: str, context: Any) -> str:
        with self.lock:
            self.counted += 1
        return text

    def special_cases(self, server: str) -> dict[str, Any]:
        def boom(text: str, context: Any) -> str:
            raise RuntimeError("boom")

        if server == "sync":

            def block(text: str, context: Any) -> str:
                self._enter()
                self.open.wait(WAIT)
                return text

            def abort(text: str, context: Any) -> str:
                context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
                return text

            return {"block": block, "count": self._count, "boom": boom, "abort": abort}

        async def ablock(text: str, context: Any) -> str:
            self._enter()
            deadline = time.monotonic() + WAIT
            while not self.open.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            return text

        async def aabort(text: str, context: Any) -> str:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
            return text

        return {"block": ablock, "count": self._count, "boom": boom, "abort": aabort}


def concurrency(server: str, limit: int, **options: Any) -> Any:
    cls = ConcurrencyLimitInterceptor if server == "sync" else AsyncConcurrencyLimitInterceptor
    return cls(limit, **options)


def client_for(server: str, gate: Gate, interceptors: list[Any]) -> Any:
    if server == "aio":
        return dummy_client(special_cases=gate.special_cases(server), interceptors=interceptors, aio_server=True)
    # These tests hold several RPCs in flight at once; dummy_client's sync server runs one
    # at a time (as 0.15.4's), so the echo service gets a server with more workers here.
    service = DummyService(gate.special_cases(server))
    channel = serve(lambda grpc_server: add_DummyServiceServicer_to_server(service, grpc_server), interceptors)
    return StubContext(channel, DummyServiceStub)


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def code_of(future: Any) -> grpc.StatusCode:
    error = future.exception(timeout=WAIT)
    return grpc.StatusCode.OK if error is None else error.code()


@pytest.mark.parametrize("server", SERVERS)
def test_load_admits_exactly_the_limit_and_refuses_the_rest_at_once(server: str) -> None:
    gate = Gate()
    limit = concurrency(server, 3)
    with client_for(server, gate, [limit]) as client:
        futures = [client.Execute.future(DummyRequest(input="block"), timeout=WAIT) for _ in range(12)]
        # The refused come back while the admitted are still blocked: no queueing.
        wait_until(lambda: sum(future.done() for future in futures) == 9)
        refused = [future for future in futures if future.done()]
        assert {code_of(future) for future in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert "3 RPCs on this server are already in flight" in refused[0].exception().details()
        assert gate.entered == 3
        assert limit.in_flight() == 3
        gate.open.set()
        assert [code_of(future) for future in futures].count(grpc.StatusCode.OK) == 3
        wait_until(lambda: limit.in_flight() == 0)
        assert gate.entered == 3


@pytest.mark.parametrize("server", SERVERS)
def test_a_refused_rpc_never_reaches_the_handler_for_every_kind(server: str) -> None:
    gate = Gate()
    limit = concurrency(server, 1)
    with client_for(server, gate, [limit]) as client:
        holder = client.Execute.future(DummyRequest(input="block"), timeout=WAIT)
        wait_until(lambda: gate.entered == 1)
        for kind in KINDS:
            outcome = call(client, kind, "count")
            assert outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED, kind
            assert outcome.outputs == []
        assert gate.counted == 0
        gate.open.set()
        assert holder.result().output == "block"
        wait_until(lambda: limit.in_flight() == 0)
        for kind in KINDS:
            assert call(client, kind, "count").code == grpc.StatusCode.OK, kind
        assert gate.counted == 4


def _requests_then_wait(release: threading.Event) -> Iterator[DummyRequest]:
    yield DummyRequest(input="a")
    release.wait(WAIT)


PATHS = ["error", "abort", "deadline", "cancelled", "stream abandoned"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("server", SERVERS)
def test_the_slot_is_given_back_on_every_path(server: str, path: str) -> None:
    gate = Gate()
    limit = concurrency(server, 1)
    with client_for(server, gate, [limit]) as client:
        if path == "error":
            assert call(client, "unary_unary", "boom").code == grpc.StatusCode.UNKNOWN
        elif path == "abort":
            assert call(client, "unary_stream", "abort").code == grpc.StatusCode.NOT_FOUND
        elif path == "deadline":
            with pytest.raises(grpc.RpcError) as caught:
                client.Execute(DummyRequest(input="block"), timeout=0.2)
            assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        elif path == "cancelled":
            future = client.Execute.future(DummyRequest(input="block"), timeout=WAIT)
            wait_until(lambda: gate.entered == 1)
            assert future.cancel()
        else:
            release = threading.Event()
            responses = client.ExecuteClientServerStream(_requests_then_wait(release), timeout=WAIT)
            assert next(responses).output == "a"
            assert limit.in_flight() == 1
            responses.cancel()
            release.set()
        # A sync handler cannot be interrupted: it holds its slot until it returns.
        gate.open.set()
        wait_until(lambda: limit.in_flight() == 0)
        assert call(client, "unary_unary", "ok").code == grpc.StatusCode.OK


@pytest.mark.parametrize("server", SERVERS)
def test_per_method_limits_count_each_method_on_its_own(server: str) -> None:
    gate = Gate()
    limit = concurrency(server, 1, per_method=True)
    with client_for(server, gate, [limit]) as client:
        holder = client.Execute.future(DummyRequest(input="block"), timeout=WAIT)
        wait_until(lambda: gate.entered == 1)
        assert limit.in_flight(METHOD["unary_unary"]) == 1
        assert limit.in_flight(METHOD["unary_stream"]) == 0
        assert call(client, "unary_stream", "ab").outputs == ["a", "b"]
        assert call(client, "unary_unary", "x").code == grpc.StatusCode.RESOURCE_EXHAUSTED
        gate.open.set()
        holder.result()
        wait_until(lambda: limit.in_flight() == 0)


@pytest.mark.parametrize("server", SERVERS)
def test_select_narrows_a_limit_to_some_services(server: str) -> None:
    gate = Gate()
    limit = select(concurrency(server, 1), services("other.Service"))
    with client_for(server, gate, [limit]) as client:
        futures = [client.Execute.future(DummyRequest(input="block"), timeout=WAIT) for _ in range(2)]
        wait_until(lambda: gate.entered == 2)  # not limited: both run
        gate.open.set()
        assert [code_of(future) for future in futures] == [grpc.StatusCode.OK] * 2


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate(server: str, *args: Any, **options: Any) -> Any:
    return (RateLimitInterceptor if server == "sync" else AsyncRateLimitInterceptor)(*args, **options)


@pytest.mark.parametrize("server", SERVERS)
def test_rate_limit_refuses_beyond_the_burst_with_a_pushback(server: str) -> None:
    clock, gate = FakeClock(), Gate()
    with client_for(server, gate, [rate(server, 2, burst=2, clock=clock)]) as client:
        assert [call(client, kind, "count").code for kind in ("unary_unary", "unary_stream")] == [
            grpc.StatusCode.OK
        ] * 2
        for kind in KINDS:
            assert call(client, kind, "count").code == grpc.StatusCode.RESOURCE_EXHAUSTED, kind
        assert gate.counted == 2
        with pytest.raises(grpc.RpcError) as caught:
            client.Execute(DummyRequest(input="count"))
        assert ("grpc-retry-pushback-ms", "500") in tuple(caught.value.trailing_metadata())
        assert "retry in 500 ms" in caught.value.details()
        clock.now += 0.5  # one token at 2 a second
        assert call(client, "stream_stream", "count").code == grpc.StatusCode.OK
        assert call(client, "unary_unary", "count").code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert gate.counted == 3


@pytest.mark.parametrize("server", SERVERS)
def test_rate_limit_load_admits_exactly_the_burst(server: str) -> None:
    clock, gate = FakeClock(), Gate()
    limiter = rate(server, 1, burst=5, per_method=True, clock=clock)
    with client_for(server, gate, [limiter]) as client:
        futures = [client.Execute.future(DummyRequest(input="count"), timeout=WAIT) for _ in range(40)]
        codes = [code_of(future) for future in futures]
        assert codes.count(grpc.StatusCode.OK) == 5
        assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 35
        assert gate.counted == 5
        # Another method has a bucket of its own.
        assert call(client, "unary_stream", "count").code == grpc.StatusCode.OK


def test_rate_limit_is_exact_under_threads() -> None:
    clock = FakeClock()
    limiter = RateLimitInterceptor(1000, burst=300, clock=clock)
    admitted: list[int] = []

    def take() -> None:
        admitted.append(sum(limiter._buckets.take("") == 0.0 for _ in range(100)))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sum(admitted) == 300


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: ConcurrencyLimitInterceptor(0), ValueError, "max_in_flight must be from 1 to 1,000,000, got 0"),
        (lambda: ConcurrencyLimitInterceptor(2.5), TypeError, "max_in_flight must be an int"),
        (lambda: ConcurrencyLimitInterceptor(True), TypeError, "max_in_flight must be an int"),
        (lambda: AsyncConcurrencyLimitInterceptor(1, per_method="yes"), TypeError, "per_method must be True or False"),
        (lambda: RateLimitInterceptor(0), ValueError, "rate must be a positive, finite number"),
        (lambda: RateLimitInterceptor(float("inf")), ValueError, "rate must be a positive, finite number"),
        (lambda: RateLimitInterceptor("10"), TypeError, "rate must be a number of RPCs per second"),
        (lambda: AsyncRateLimitInterceptor(10, burst=0), ValueError, "burst must be from 1 to"),
        (lambda: RateLimitInterceptor(10, burst=10**7), ValueError, "burst must be from 1 to 1,000,000"),
        (lambda: RateLimitInterceptor(10, clock=5), TypeError, "clock must be a function"),
    ],
)
def test_configuration_is_checked_when_built(build: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_burst_defaults_to_one_second_of_rate() -> None:
    assert RateLimitInterceptor(0.5).burst == 1
    assert RateLimitInterceptor(7.2).burst == 8


class CountingClock(FakeClock):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


@pytest.mark.parametrize("server", SERVERS)
def test_a_rate_limit_decides_its_bucket_once_per_method_and_reads_the_clock_once_per_rpc(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grpc_interceptor import limits

    looked_up: list[str] = []
    bucket_of = limits._Buckets.bucket

    def counted(self: Any, key: str) -> Any:
        looked_up.append(key)
        return bucket_of(self, key)

    monkeypatch.setattr(limits._Buckets, "bucket", counted)
    clock, gate = CountingClock(), Gate()
    limiter = rate(server, 1, burst=100, per_method=True, clock=clock)
    with client_for(server, gate, [limiter]) as client:
        assert call(client, "unary_unary", "count").code == grpc.StatusCode.OK  # makes the method's bucket
        before = clock.reads
        for _ in range(4):
            assert call(client, "unary_unary", "count").code == grpc.StatusCode.OK
        assert clock.reads - before == 4  # the RPC's one read, no other
        for _ in range(3):
            assert call(client, "unary_stream", "count").code == grpc.StatusCode.OK
    # Built into each method's handler when it was first seen, not looked up per RPC
    # (a grpc.aio response stream goes through the hook, which looks it up).
    assert looked_up.count(METHOD["unary_unary"]) == 1
    assert looked_up.count(METHOD["unary_stream"]) == (1 if server == "sync" else 3)
    assert gate.counted == 8


@pytest.mark.parametrize("server", SERVERS)
def test_a_concurrency_limit_decides_its_slots_once_per_method(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from grpc_interceptor import limits

    looked_up: list[str] = []
    slots_of = limits._InFlight.slots

    def counted(self: Any, key: str) -> Any:
        looked_up.append(key)
        return slots_of(self, key)

    monkeypatch.setattr(limits._InFlight, "slots", counted)
    gate = Gate()
    limit = concurrency(server, 2, per_method=True)
    with client_for(server, gate, [limit]) as client:
        for _ in range(5):
            assert call(client, "unary_unary", "count").code == grpc.StatusCode.OK
            assert call(client, "stream_unary", "count").code == grpc.StatusCode.OK
    assert looked_up.count(METHOD["unary_unary"]) == 1
    assert looked_up.count(METHOD["stream_unary"]) == 1
    assert limit.in_flight() == 0


@pytest.mark.parametrize("hook", ["intercept", "on_unary_unary"])
def test_a_subclass_that_overrides_a_hook_of_a_sync_limit_still_runs_it(hook: str) -> None:
    seen: list[str] = []

    def spy(self: Any, method: Any, request: Any, context: Any, method_name: str) -> Any:
        seen.append(method_name)
        return getattr(super(type(self), self), hook)(method, request, context, method_name)

    rate_cls = type("SpiedRate", (RateLimitInterceptor,), {hook: spy})
    limit_cls = type("SpiedLimit", (ConcurrencyLimitInterceptor,), {hook: spy})
    gate = Gate()
    with client_for("sync", gate, [rate_cls(100, burst=100), limit_cls(10)]) as client:
        assert call(client, "unary_unary", "count").code == grpc.StatusCode.OK
    assert seen == [METHOD["unary_unary"]] * 2
