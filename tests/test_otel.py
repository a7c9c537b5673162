"""opentelemetry-instrumentation-grpc's interceptors in one chain with ours.

Users who trace with opentelemetry keep its server and client interceptors when they
add ours. In each test opentelemetry stands between two of ours, and the checks are:

* the order is the one of the list: our interceptor inside opentelemetry's runs in its
  span (its records carry the span's trace id; its client calls carry the
  ``traceparent`` opentelemetry adds), the one outside does not;
* the spans are right: one per RPC, named after the method, with the status code the
  client got, the server's span a child of the client's;
* our records are right: the access log's code and the metrics' counts.

The spans go to the SDK's in-memory exporter, through a tracer provider of the test's
own (the global one is left alone).
"""

from __future__ import annotations

import logging
from concurrent import futures

import grpc
import grpc.aio
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.grpc import (
    aio_client_interceptors,
    aio_server_interceptor,
    client_interceptor,
    server_interceptor,
)
from opentelemetry.instrumentation.grpc.grpcext import intercept_channel as otel_intercept_channel
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

from grpc_interceptor import (
    AccessLogClientInterceptor,
    AccessLogInterceptor,
    AsyncAccessLogClientInterceptor,
    AsyncAccessLogInterceptor,
    AsyncClientInterceptor,
    AsyncExceptionToStatusInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    aio_channel_interceptors,
)
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.metrics import AsyncMetricsInterceptor, MetricsInterceptor
from grpc_interceptor.testing import AsyncDummyService, DummyRequest, DummyService, dummy_channel, dummy_client, raises
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

SPECIAL = {"missing": raises(NotFound("no such thing"))}
#: (method, inputs, the code the client gets)
CALLS = [
    ("Execute", ["hi"], "OK"),
    ("Execute", ["missing"], "NOT_FOUND"),
    ("ExecuteServerStream", ["abc"], "OK"),
    ("ExecuteClientStream", ["a", "b"], "OK"),
    ("ExecuteClientServerStream", ["a", "missing"], "NOT_FOUND"),
]


@pytest.fixture
def tracing():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


class TraceIds(logging.Handler):
    """Keep each record with the trace id of the span current when it was written (0: none)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[logging.LogRecord, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record, trace.get_current_span().get_span_context().trace_id))


def access_logger(name):
    logger = logging.getLogger(f"test.otel.{name}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = TraceIds()
    logger.handlers[:] = [handler]
    return logger, handler


def call(client, method, inputs):
    requests = [DummyRequest(input=text) for text in inputs]
    try:
        if method == "Execute":
            client.Execute(requests[0], timeout=5)
        elif method == "ExecuteServerStream":
            list(client.ExecuteServerStream(requests[0], timeout=5))
        elif method == "ExecuteClientStream":
            client.ExecuteClientStream(iter(requests), timeout=5)
        else:
            list(client.ExecuteClientServerStream(iter(requests), timeout=5))
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


async def call_aio(client, method, inputs):
    requests = [DummyRequest(input=text) for text in inputs]
    try:
        if method == "Execute":
            await client.Execute(requests[0], timeout=5)
        elif method == "ExecuteServerStream":
            [r async for r in client.ExecuteServerStream(requests[0], timeout=5)]
        elif method == "ExecuteClientStream":
            await client.ExecuteClientStream(iter(requests), timeout=5)
        else:
            [r async for r in client.ExecuteClientServerStream(iter(requests), timeout=5)]
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


def spans_of(exporter, kind):
    return [span for span in exporter.get_finished_spans() if span.kind is kind]


#: The codes that make a server span an error, in opentelemetry's semantic conventions
#: for gRPC; on the client, every code but OK does.
SERVER_ERRORS = {"UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"}


def check_spans(spans, calls, server=True):
    by_method = {}
    for span in spans:
        by_method.setdefault(span.name, []).append(span)
    expected = {}
    for method, _, code in calls:
        expected.setdefault(f"/DummyService/{method}", []).append(code)
    assert sorted(by_method) == sorted(expected)
    for name, codes in expected.items():
        got = sorted(span.attributes["rpc.grpc.status_code"] for span in by_method[name])
        assert got == sorted(getattr(grpc.StatusCode, code).value[0] for code in codes), name
        for span in by_method[name]:
            assert span.attributes["rpc.system"] == "grpc"
            code = grpc.StatusCode(
                next(c.value for c in grpc.StatusCode if c.value[0] == span.attributes["rpc.grpc.status_code"])
            )
            failed = code.name in SERVER_ERRORS if server else code is not grpc.StatusCode.OK
            assert (span.status.status_code is StatusCode.ERROR) == failed, (name, code)


def check_server_order(outer, inner, server_spans):
    """The log outside opentelemetry ran outside its span, the one inside in it."""
    assert [trace_id for _, trace_id in outer.records] == [0] * len(CALLS)
    assert sorted(trace_id for _, trace_id in inner.records) == sorted(span.context.trace_id for span in server_spans)
    assert [record.grpc_code for record, _ in outer.records] == [code for _, _, code in CALLS]
    assert [record.grpc_code for record, _ in inner.records] == [code for _, _, code in CALLS]


def check_metrics(registry):
    def handled(method, kind, code):
        labels = {"grpc_type": kind, "grpc_service": "DummyService", "grpc_method": method, "grpc_code": code}
        return registry.get_sample_value("grpc_server_handled_total", labels)

    assert handled("Execute", "unary", "OK") == 1
    assert handled("Execute", "unary", "NOT_FOUND") == 1
    assert handled("ExecuteServerStream", "server_stream", "OK") == 1
    assert handled("ExecuteClientStream", "client_stream", "OK") == 1
    assert handled("ExecuteClientServerStream", "bidi_stream", "NOT_FOUND") == 1


def test_sync_server_chain_with_opentelemetry(tracing):
    provider, exporter = tracing
    outer_log, outer = access_logger("sync-outer")
    inner_log, inner = access_logger("sync-inner")
    registry = CollectorRegistry()
    interceptors = [
        AccessLogInterceptor(outer_log),
        server_interceptor(tracer_provider=provider),
        AccessLogInterceptor(inner_log),
        MetricsInterceptor(registry),
        ExceptionToStatusInterceptor(),
    ]
    with dummy_client(SPECIAL, interceptors) as client:
        assert [call(client, method, inputs) for method, inputs, _ in CALLS] == [code for _, _, code in CALLS]
    server_spans = spans_of(exporter, SpanKind.SERVER)
    check_spans(server_spans, CALLS)
    check_server_order(outer, inner, server_spans)
    check_metrics(registry)


def test_aio_server_chain_with_opentelemetry(tracing):
    provider, exporter = tracing
    outer_log, outer = access_logger("aio-outer")
    inner_log, inner = access_logger("aio-inner")
    registry = CollectorRegistry()
    interceptors = [
        AsyncAccessLogInterceptor(outer_log),
        aio_server_interceptor(tracer_provider=provider),
        AsyncAccessLogInterceptor(inner_log),
        AsyncMetricsInterceptor(registry),
        AsyncExceptionToStatusInterceptor(),
    ]
    with dummy_client(SPECIAL, interceptors, aio_server=True) as client:
        assert [call(client, method, inputs) for method, inputs, _ in CALLS] == [code for _, _, code in CALLS]
    server_spans = spans_of(exporter, SpanKind.SERVER)
    check_spans(server_spans, CALLS)
    check_server_order(outer, inner, server_spans)
    check_metrics(registry)


class SeesTraceparent(ClientInterceptor):
    """Note, for each call, whether opentelemetry's ``traceparent`` is already in its metadata."""

    def __init__(self) -> None:
        self.seen = []

    def intercept(self, method, request_or_iterator, call_details):
        self.seen.append(any(key == "traceparent" for key, _ in call_details.metadata or ()))
        return method(request_or_iterator, call_details)


class AsyncSeesTraceparent(AsyncClientInterceptor):
    def __init__(self) -> None:
        self.seen = []

    async def intercept(self, method, request_or_iterator, call_details):
        self.seen.append(any(key == "traceparent" for key, _ in call_details.metadata or ()))
        return await method(request_or_iterator, call_details)


def check_client_side(exporter, outer_probe, inner_probe, client_log):
    client_spans = spans_of(exporter, SpanKind.CLIENT)
    check_spans(client_spans, CALLS, server=False)
    assert outer_probe.seen == [False] * len(CALLS)
    assert inner_probe.seen == [True] * len(CALLS)
    assert [record.grpc_code for record, _ in client_log.records] == [code for _, _, code in CALLS]
    assert [record.grpc_side for record, _ in client_log.records] == ["client"] * len(CALLS)
    # opentelemetry carried the trace to the server: each server span is a client span's child.
    server_spans = spans_of(exporter, SpanKind.SERVER)
    client_ids = {span.context.span_id for span in client_spans}
    assert len(server_spans) == len(CALLS)
    assert all(span.parent is not None and span.parent.span_id in client_ids for span in server_spans)


def test_sync_client_chain_with_opentelemetry(tracing):
    provider, exporter = tracing
    log, records = access_logger("sync-client")
    outer_probe, inner_probe = SeesTraceparent(), SeesTraceparent()
    server_side = [server_interceptor(tracer_provider=provider), ExceptionToStatusInterceptor()]
    with dummy_channel(SPECIAL, server_side) as channel:
        # opentelemetry's sync client interceptor goes on a channel with its own
        # intercept_channel; the order is outer_probe, the log, opentelemetry, inner_probe.
        inner = grpc.intercept_channel(channel, inner_probe)
        traced = otel_intercept_channel(inner, client_interceptor(tracer_provider=provider))
        client = DummyServiceStub(grpc.intercept_channel(traced, outer_probe, AccessLogClientInterceptor(log)))
        assert [call(client, method, inputs) for method, inputs, _ in CALLS] == [code for _, _, code in CALLS]
    check_client_side(exporter, outer_probe, inner_probe, records)


async def test_aio_client_chain_with_opentelemetry(tracing):
    provider, exporter = tracing
    log, records = access_logger("aio-client")
    outer_probe, inner_probe = AsyncSeesTraceparent(), AsyncSeesTraceparent()
    server = grpc.aio.server(
        futures.ThreadPoolExecutor(max_workers=2),
        interceptors=[aio_server_interceptor(tracer_provider=provider), AsyncExceptionToStatusInterceptor()],
    )
    add_DummyServiceServicer_to_server(AsyncDummyService(SPECIAL), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        interceptors = [
            *aio_channel_interceptors(outer_probe, AsyncAccessLogClientInterceptor(log)),
            *aio_client_interceptors(tracer_provider=provider),
            *aio_channel_interceptors(inner_probe),
        ]
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=interceptors) as channel:
            client = DummyServiceStub(channel)
            got = [await call_aio(client, method, inputs) for method, inputs, _ in CALLS]
    finally:
        await server.stop(None)
    assert got == [code for _, _, code in CALLS]
    check_client_side(exporter, outer_probe, inner_probe, records)


def test_sync_server_serves_the_same_without_opentelemetry():
    # The control: the plan's codes are grpc's, not something the tracing changed.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[ExceptionToStatusInterceptor()])
    add_DummyServiceServicer_to_server(DummyService(SPECIAL), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            client = DummyServiceStub(channel)
            assert [call(client, method, inputs) for method, inputs, _ in CALLS] == [code for _, _, code in CALLS]
    finally:
        server.stop(None)
