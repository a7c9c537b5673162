"""The Prometheus metrics interceptors, against real servers on 127.0.0.1.

Every test uses a ``CollectorRegistry`` of its own, never the global one. The names and
labels are go-grpc-prometheus's; the counts are checked exactly, also under concurrent
load (threads on a sync server, tasks on a grpc.aio server).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from concurrent import futures

import grpc
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.metrics import (
    DEFAULT_BUCKETS,
    AsyncMetricsClientInterceptor,
    AsyncMetricsInterceptor,
    MetricsClientInterceptor,
    MetricsInterceptor,
)
from grpc_interceptor.testing import DummyRequest, dummy_client, raises

SERVICE = "DummyService"
TYPES = {
    "Execute": "unary",
    "ExecuteServerStream": "server_stream",
    "ExecuteClientStream": "client_stream",
    "ExecuteClientServerStream": "bidi_stream",
}


def labels(method):
    return {"grpc_type": TYPES[method], "grpc_service": SERVICE, "grpc_method": method}


def sample(registry, name, method, **extra):
    return registry.get_sample_value(name, {**labels(method), **extra}) or 0.0


def call(client, method, inputs, timeout=5):
    requests = [DummyRequest(input=text) for text in inputs]
    try:
        if method == "Execute":
            client.Execute(requests[0], timeout=timeout)
        elif method == "ExecuteServerStream":
            list(client.ExecuteServerStream(requests[0], timeout=timeout))
        elif method == "ExecuteClientStream":
            client.ExecuteClientStream(iter(requests), timeout=timeout)
        else:
            list(client.ExecuteClientServerStream(iter(requests), timeout=timeout))
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


async def call_aio(client, method, inputs, timeout=5):
    requests = [DummyRequest(input=text) for text in inputs]
    try:
        if method == "Execute":
            await client.Execute(requests[0], timeout=timeout)
        elif method == "ExecuteServerStream":
            [r async for r in client.ExecuteServerStream(requests[0], timeout=timeout)]
        elif method == "ExecuteClientStream":
            await client.ExecuteClientStream(iter(requests), timeout=timeout)
        else:
            [r async for r in client.ExecuteClientServerStream(iter(requests), timeout=timeout)]
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


async def _deny_aio(text, context):
    await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no")


def _deny(text, context):
    context.abort(grpc.StatusCode.PERMISSION_DENIED, "no")


def special_cases(aio):
    return {
        "missing": raises(NotFound("no such thing")),
        "boom": raises(RuntimeError("broken")),
        "deny": _deny_aio if aio else _deny,
    }


#: (method, inputs, code, server messages received, server messages sent)
PLAN = [
    ("Execute", ["hi"], "OK", 1, 1),
    ("Execute", ["missing"], "NOT_FOUND", 1, 0),
    ("Execute", ["deny"], "PERMISSION_DENIED", 1, 0),
    ("ExecuteServerStream", ["abcd"], "OK", 1, 4),
    ("ExecuteServerStream", ["boom"], "UNKNOWN", 1, 0),
    ("ExecuteClientStream", ["a", "b", "c"], "OK", 3, 1),
    ("ExecuteClientServerStream", ["a", "b"], "OK", 2, 2),
    ("ExecuteClientServerStream", ["a", "boom", "c"], "UNKNOWN", 2, 1),
]


def expected(plan):
    """The exact counts the plan must leave: per method, and per (method, code)."""
    started, handled, received, sent = Counter(), Counter(), Counter(), Counter()
    for method, _, code, got, gave in plan:
        started[method] += 1
        handled[method, code] += 1
        received[method] += got
        sent[method] += gave
    return started, handled, received, sent


def check_server(registry, plan):
    started, handled, received, sent = expected(plan)
    for method in TYPES:
        assert sample(registry, "grpc_server_started_total", method) == started[method], method
        assert sample(registry, "grpc_server_msg_received_total", method) == received[method], method
        assert sample(registry, "grpc_server_msg_sent_total", method) == sent[method], method
        assert sample(registry, "grpc_server_handling_seconds_count", method) == started[method], method
    for (method, code), count in handled.items():
        assert sample(registry, "grpc_server_handled_total", method, grpc_code=code) == count, (method, code)
    total = sum(
        metric.value
        for family in registry.collect()
        if family.name == "grpc_server_handled"
        for metric in family.samples
        if metric.name == "grpc_server_handled_total"
    )
    assert total == len(plan)


@pytest.mark.parametrize(
    ("aio", "read_write"), [(False, False), (True, False), (True, True)], ids=["sync", "aio", "aio-read-write"]
)
def test_server_metrics_for_every_kind_and_ending(aio, read_write):
    registry = CollectorRegistry()
    if aio:
        interceptors = [AsyncMetricsInterceptor(registry), AsyncExceptionToStatusInterceptor()]
    else:
        interceptors = [MetricsInterceptor(registry), ExceptionToStatusInterceptor()]
    with dummy_client(special_cases(aio), interceptors, aio_server=aio, aio_read_write=read_write) as client:
        got = [call(client, method, inputs) for method, inputs, *_ in PLAN]
    assert got == [code for _, _, code, _, _ in PLAN]
    check_server(registry, PLAN)


def test_the_exposition_uses_go_grpc_prometheus_names():
    registry = CollectorRegistry()
    with dummy_client({}, [MetricsInterceptor(registry)]) as client:
        call(client, "Execute", ["x"])
    text = generate_latest(registry).decode()
    series = f'grpc_method="Execute",grpc_service="{SERVICE}",grpc_type="unary"'
    for line in (
        f"grpc_server_started_total{{{series}}} 1.0",
        f'grpc_server_handled_total{{grpc_code="OK",{series}}} 1.0',
        f"grpc_server_msg_received_total{{{series}}} 1.0",
        f"grpc_server_msg_sent_total{{{series}}} 1.0",
        f"grpc_server_handling_seconds_count{{{series}}} 1.0",
    ):
        assert line in text, text
    assert "# TYPE grpc_server_handling_seconds histogram" in text


def test_handling_seconds_lands_in_the_right_bucket():
    def slow(text, context):
        time.sleep(0.06)
        return text

    registry = CollectorRegistry()
    with dummy_client({"slow": slow}, [MetricsInterceptor(registry, buckets=[0.05, 1])]) as client:
        call(client, "Execute", ["slow"])
    assert sample(registry, "grpc_server_handling_seconds_bucket", "Execute", le="0.05") == 0
    assert sample(registry, "grpc_server_handling_seconds_bucket", "Execute", le="1.0") == 1
    assert sample(registry, "grpc_server_handling_seconds_bucket", "Execute", le="+Inf") == 1
    assert sample(registry, "grpc_server_handling_seconds_sum", "Execute") >= 0.06


def test_a_deadline_that_passes_is_counted_deadline_exceeded():
    def slow(text, context):
        # Returns once grpc has seen the deadline pass (a sync handler runs on regardless).
        end = time.monotonic() + 5
        while context.is_active() and time.monotonic() < end:
            time.sleep(0.01)
        return text

    registry = CollectorRegistry()
    with dummy_client({"slow": slow}, [MetricsInterceptor(registry)]) as client:
        assert call(client, "Execute", ["slow"], timeout=0.1) == "DEADLINE_EXCEEDED"
        for _ in range(100):  # the handler finishes after the client gave up
            if sample(registry, "grpc_server_handled_total", "Execute", grpc_code="DEADLINE_EXCEEDED"):
                break
            time.sleep(0.02)
    assert sample(registry, "grpc_server_handled_total", "Execute", grpc_code="DEADLINE_EXCEEDED") == 1
    assert sample(registry, "grpc_server_handled_total", "Execute", grpc_code="OK") == 0


def test_interceptors_on_one_registry_share_its_metrics():
    registry = CollectorRegistry()
    sync, aio = MetricsInterceptor(registry), AsyncMetricsInterceptor(registry)
    with dummy_client({}, [sync]) as client:
        call(client, "Execute", ["x"])
    with dummy_client({}, [aio], aio_server=True) as client:
        call(client, "Execute", ["x"])
    assert sample(registry, "grpc_server_started_total", "Execute") == 2
    with pytest.raises(ValueError, match="already has grpc_server_handling_seconds with buckets"):
        MetricsInterceptor(registry, buckets=[1, 2])
    MetricsClientInterceptor(registry, buckets=[1, 2])  # the client's histogram is another one


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"registry": "default"}, TypeError, "CollectorRegistry"),
        ({"buckets": "0.1"}, TypeError, "sequence of upper bounds"),
        ({"buckets": [0.1, "1"]}, TypeError, "numbers"),
        ({"buckets": []}, ValueError, "increasing order"),
        ({"buckets": [1, 0.5]}, ValueError, "increasing order"),
    ],
)
@pytest.mark.parametrize(
    "cls", [MetricsInterceptor, AsyncMetricsInterceptor, MetricsClientInterceptor, AsyncMetricsClientInterceptor]
)
def test_configuration_is_checked_when_built(cls, options, error, text):
    options = {"registry": CollectorRegistry(), **options}
    with pytest.raises(error, match=text):
        cls(**options)


def test_default_buckets_are_prometheus_clients():
    assert DEFAULT_BUCKETS[0] == 0.005
    assert DEFAULT_BUCKETS[-1] == float("inf")


#: (method, inputs, code, client messages sent, client messages received)
CLIENT_PLAN = [
    ("Execute", ["hi"], "OK", 1, 1),
    ("Execute", ["missing"], "NOT_FOUND", 1, 0),
    ("ExecuteServerStream", ["abc"], "OK", 1, 3),
    ("ExecuteServerStream", ["boom"], "UNKNOWN", 1, 0),
    ("ExecuteClientStream", ["a", "b"], "OK", 2, 1),
    ("ExecuteClientServerStream", ["a", "b", "c"], "OK", 3, 3),
]


def check_client(registry, plan):
    started, handled, sent, received = expected(plan)
    # A request stream the server fails part-way: the client may have sent more
    # requests than the server read (how many is a race); it sent at most all of them.
    most = Counter()
    for method, inputs, code, got, _ in plan:
        most[method] += got if code == "OK" or method in ("Execute", "ExecuteServerStream") else len(inputs)
    for method in TYPES:
        assert sample(registry, "grpc_client_started_total", method) == started[method], method
        assert sent[method] <= sample(registry, "grpc_client_msg_sent_total", method) <= most[method], method
        if most[method] == sent[method]:
            assert sample(registry, "grpc_client_msg_sent_total", method) == sent[method], method
        assert sample(registry, "grpc_client_msg_received_total", method) == received[method], method
        assert sample(registry, "grpc_client_handling_seconds_count", method) == started[method], method
    for (method, code), count in handled.items():
        assert sample(registry, "grpc_client_handled_total", method, grpc_code=code) == count, (method, code)


def test_sync_client_metrics():
    registry = CollectorRegistry()
    interceptor = MetricsClientInterceptor(registry)
    with dummy_client(special_cases(False), [ExceptionToStatusInterceptor()], [interceptor]) as client:
        got = [call(client, method, inputs) for method, inputs, *_ in CLIENT_PLAN]
    assert got == [code for _, _, code, _, _ in CLIENT_PLAN]
    check_client(registry, CLIENT_PLAN)


async def test_aio_client_metrics():
    registry = CollectorRegistry()
    interceptor = AsyncMetricsClientInterceptor(registry)
    async with dummy_client(
        special_cases(True), [AsyncExceptionToStatusInterceptor()], [interceptor], aio_server=True, aio_client=True
    ) as client:
        got = [await call_aio(client, method, inputs) for method, inputs, *_ in CLIENT_PLAN]
    assert got == [code for _, _, code, _, _ in CLIENT_PLAN]
    check_client(registry, CLIENT_PLAN)


# Load: many RPCs at once, the counts exact.

LOAD_RPCS = 400


def load_plan(seed):
    rng = random.Random(seed)
    return [rng.choice(PLAN) for _ in range(LOAD_RPCS)]


@pytest.mark.slow
def test_exact_counts_under_concurrency_on_a_sync_server():
    registry = CollectorRegistry()
    plan = load_plan(1)
    server_side = [MetricsInterceptor(registry), ExceptionToStatusInterceptor()]
    client_side = [MetricsClientInterceptor(registry)]
    with (
        dummy_client(special_cases(False), server_side, client_side) as client,
        futures.ThreadPoolExecutor(max_workers=8) as pool,
    ):
        got = list(pool.map(lambda step: call(client, step[0], step[1], timeout=30), plan, timeout=120))
    assert got == [code for _, _, code, _, _ in plan]
    check_server(registry, plan)
    check_client(registry, plan)


@pytest.mark.slow
async def test_exact_counts_under_concurrency_on_a_grpc_aio_server():
    registry = CollectorRegistry()
    plan = load_plan(2)
    async with dummy_client(
        special_cases(True),
        [AsyncMetricsInterceptor(registry), AsyncExceptionToStatusInterceptor()],
        [AsyncMetricsClientInterceptor(registry)],
        aio_server=True,
        aio_client=True,
    ) as client:
        limit = asyncio.Semaphore(64)

        async def one(step):
            async with limit:
                return await call_aio(client, step[0], step[1], timeout=30)

        got = await asyncio.wait_for(asyncio.gather(*(one(step) for step in plan)), 120)
    assert got == [code for _, _, code, _, _ in plan]
    check_server(registry, plan)
    check_client(registry, plan)


def test_metrics_count_from_many_threads_at_once():
    # The interceptor's own series cache is filled by many threads at the same time.
    registry = CollectorRegistry()
    interceptor = MetricsInterceptor(registry)
    barrier = threading.Barrier(8)

    def held(text, context):
        return text

    with dummy_client({"x": held}, [interceptor]) as client:

        def burst(_):
            barrier.wait(5)
            return [call(client, "Execute", ["x"]) for _ in range(10)]

        with futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(burst, range(8), timeout=60))
    assert all(code == "OK" for codes in results for code in codes)
    assert sample(registry, "grpc_server_started_total", "Execute") == 80
    assert sample(registry, "grpc_server_handled_total", "Execute", grpc_code="OK") == 80
