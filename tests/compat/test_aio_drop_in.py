"""0.15.4-style AsyncServerInterceptor code on a grpc.aio server.

Written as 0.15.4 code is written (untyped, the catch-all ``intercept`` with four
positional parameters, ``dummy_client(special_cases=..., interceptors=...)``):
``await super().intercept(...)``, ``return await method(request, context)`` on handlers
of every style, a context of the interceptor's own that captures ``write()``, unit tests
that drive ``intercept_service`` with ``asyncio.run``, and no coroutine left unawaited.
"""

import asyncio
import gc
import warnings
from typing import Any

import grpc
import grpc.aio
import pytest

from grpc_interceptor import AsyncServerInterceptor
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client

KINDS = ["unary_unary", "unary_stream", "stream_unary", "stream_stream"]


def call(client, kind, text="abc"):
    """One RPC of ``kind``; the outputs the client got."""
    if kind == "unary_unary":
        return [client.Execute(DummyRequest(input=text), timeout=10).output]
    if kind == "unary_stream":
        return [r.output for r in client.ExecuteServerStream(DummyRequest(input=text), timeout=10)]
    requests = iter([DummyRequest(input=c) for c in text])
    if kind == "stream_unary":
        return [client.ExecuteClientStream(requests, timeout=10).output]
    return [r.output for r in client.ExecuteClientServerStream(requests, timeout=10)]


def expected(kind, text="abc"):
    return [text] if kind.endswith("unary") else list(text)


class SuperIntercept(AsyncServerInterceptor):
    """Awaits the default intercept, as 0.15.4 code that adds to it does."""

    def __init__(self):
        self.results = []

    async def intercept(self, method, request_or_iterator, context, method_name):
        result = await super().intercept(method, request_or_iterator, context, method_name)
        self.results.append(type(result).__name__)
        return result


class AwaitMethod(AsyncServerInterceptor):
    """0.15.4's own test interceptors: always ``return await method(request, context)``."""

    def __init__(self):
        self.calls = 0

    async def intercept(self, method, request_or_iterator, context, method_name):
        self.calls += 1
        return await method(request_or_iterator, context)


class Iterates(AsyncServerInterceptor):
    """Iterates a streaming result and records every message it sees."""

    def __init__(self):
        self.seen = []

    async def intercept(self, method, request_or_iterator, context, method_name):
        result = method(request_or_iterator, context)
        if not hasattr(result, "__aiter__"):
            return await result
        return self._record(result)

    async def _record(self, responses):
        async for response in responses:
            self.seen.append(response.output)
            yield response


@pytest.mark.parametrize("read_write", [False, True], ids=["yield", "read_write"])
@pytest.mark.parametrize("kind", KINDS)
def test_await_super_intercept(kind, read_write):
    interceptor = SuperIntercept()
    with dummy_client(
        special_cases={}, interceptors=[interceptor], aio_server=True, aio_read_write=read_write
    ) as client:
        assert call(client, kind) == expected(kind)

    assert len(interceptor.results) == 1
    if kind.endswith("unary"):
        assert interceptor.results == ["DummyResponse"]
    elif read_write:
        # A write-style handler has written its responses by the time it returns None.
        assert interceptor.results == ["NoneType"]
    else:
        assert interceptor.results != ["NoneType"]


@pytest.mark.parametrize("read_write", [False, True], ids=["yield", "read_write"])
@pytest.mark.parametrize("kind", KINDS)
def test_return_await_method_on_every_handler_style(kind, read_write):
    interceptor = AwaitMethod()
    with dummy_client(
        special_cases={}, interceptors=[interceptor], aio_server=True, aio_read_write=read_write
    ) as client:
        assert call(client, kind) == expected(kind)
    assert interceptor.calls == 1


@pytest.mark.parametrize("read_write", [False, True], ids=["yield", "read_write"])
@pytest.mark.parametrize("kind", ["unary_stream", "stream_stream"])
def test_an_outer_interceptor_that_iterates_sees_what_an_inner_awaiting_one_lets_through(kind, read_write):
    outer, inner = Iterates(), AwaitMethod()
    with dummy_client(
        special_cases={}, interceptors=[outer, inner], aio_server=True, aio_read_write=read_write
    ) as client:
        assert call(client, kind) == expected(kind)
    assert outer.seen == expected(kind)
    assert inner.calls == 1


class CapturingContext:
    """0.15.4's documented way to see written messages: wrap the context."""

    def __init__(self, context, written):
        self._context = context
        self._written = written

    async def write(self, message):
        self._written.append(message.output)
        await self._context.write(message)

    def __getattr__(self, name):
        return getattr(self._context, name)


class Captures(AsyncServerInterceptor):
    def __init__(self):
        self.written = []

    async def intercept(self, method, request_or_iterator, context, method_name):
        return await method(request_or_iterator, CapturingContext(context, self.written))


@pytest.mark.parametrize("kind", ["unary_stream", "stream_stream"])
def test_a_wrapped_context_captures_what_a_write_style_handler_writes(kind):
    interceptor = Captures()
    with dummy_client(special_cases={}, interceptors=[interceptor], aio_server=True, aio_read_write=True) as client:
        assert call(client, kind) == expected(kind)
    assert interceptor.written == expected(kind)


class FailsAfterCalling(AsyncServerInterceptor):
    """Calls the continuation, then fails before using its result."""

    async def intercept(self, method, request_or_iterator, context, method_name):
        method(request_or_iterator, context)
        raise RuntimeError("changed my mind")


class Handler:
    def __init__(self, kind):
        self.request_streaming = kind.startswith("stream")
        self.response_streaming = kind.endswith("stream")
        self.request_deserializer = None
        self.response_serializer = None
        self.unary_unary = self.unary_stream = self.stream_unary = self.stream_stream = None
        setattr(self, kind, self.stream if self.response_streaming else self.unary)

    async def unary(self, request, context):
        return DummyResponse(output="x")

    async def stream(self, request, context):
        yield DummyResponse(output="x")


class Details:
    method = "/DummyService/Execute"
    invocation_metadata = ()


def behaviour_of(handler) -> Any:
    return handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream


@pytest.mark.parametrize("kind", KINDS)
def test_no_coroutine_is_left_unawaited_when_an_outer_interceptor_fails(kind):
    interceptors = [FailsAfterCalling(), AwaitMethod(), SuperIntercept()]

    async def run():
        async def innermost(details) -> Any:
            return Handler(kind)

        continuation = innermost
        for interceptor in reversed(interceptors):
            continuation = (lambda i, c: lambda details: i.intercept_service(c, details))(interceptor, continuation)
        handler: Any = await continuation(Details())
        behaviour = behaviour_of(handler)
        with pytest.raises(RuntimeError, match="changed my mind"):
            if handler.response_streaming:
                async for _ in behaviour(DummyRequest(input="x"), None):
                    pass
            else:
                await behaviour(DummyRequest(input="x"), None)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(run())
        gc.collect()
    assert [str(w.message) for w in caught if "never awaited" in str(w.message)] == []
    assert interceptors[1].calls == 0


@pytest.mark.parametrize("kind", KINDS)
def test_intercept_service_under_asyncio_run(kind):
    """0.15.4's intercept_service was a coroutine function: a unit test could drive it."""
    interceptor = SuperIntercept()

    async def continuation(details) -> Any:
        return Handler(kind)

    handler: Any = asyncio.run(interceptor.intercept_service(continuation, Details()))
    behaviour = behaviour_of(handler)

    async def run():
        if handler.response_streaming:
            return [r.output async for r in behaviour(DummyRequest(input="x"), None)]
        return [(await behaviour(DummyRequest(input="x"), None)).output]

    assert asyncio.run(run()) == ["x"]
    assert len(interceptor.results) == 1


def test_on_a_sync_server_it_still_fails_loudly():
    interceptors: Any = [AwaitMethod()]
    with pytest.raises(TypeError, match="aio_server=True"):
        with dummy_client(special_cases={}, interceptors=interceptors):
            pass

    # Served by hand on a sync grpc.server, the RPC fails at once, never hangs.
    from concurrent import futures

    from grpc_interceptor.testing import DummyService
    from grpc_interceptor.testing.protos import dummy_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(1), interceptors=interceptors)
    dummy_pb2_grpc.add_DummyServiceServicer_to_server(DummyService({}), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = dummy_pb2_grpc.DummyServiceStub(channel)
            with pytest.raises(grpc.RpcError) as raised:
                stub.Execute(DummyRequest(input="x"), timeout=10)
            assert raised.value.code() == grpc.StatusCode.UNKNOWN
    finally:
        server.stop(None)


class CapturingReads:
    """0.15.4's documented way to see read messages: wrap the context."""

    def __init__(self, context, read):
        self._context = context
        self._read = read

    async def read(self):
        message = await self._context.read()
        if message is not grpc.aio.EOF:
            self._read.append(message.input)
        return message

    def __getattr__(self, name):
        return getattr(self._context, name)


class CapturesReads(AsyncServerInterceptor):
    def __init__(self):
        self.read = []

    async def intercept(self, method, request_or_iterator, context, method_name):
        return await method(request_or_iterator, CapturingReads(context, self.read))


@pytest.mark.parametrize("kind", ["stream_unary", "stream_stream"])
def test_a_wrapped_context_captures_what_a_read_style_handler_reads(kind):
    interceptor = CapturesReads()
    with dummy_client(special_cases={}, interceptors=[interceptor], aio_server=True, aio_read_write=True) as client:
        assert call(client, kind) == expected(kind)
    assert interceptor.read == ["a", "b", "c"]
