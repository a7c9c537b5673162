"""0.15.4 catch-alls for a streaming response that wait before they return the stream.

0.15.4's pass-through is a coroutine that returns ``method(...)``'s stream at once; the
library runs such a coroutine up to its first wait when the RPC starts. These are the
ones that do wait first (a lookup, a sleep): they go on where they stopped, see a
cancellation where they wait, and what they raise reaches the client.
"""

import asyncio
import threading

import grpc
import pytest

from grpc_interceptor import AsyncExceptionToStatusInterceptor, AsyncServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, dummy_client

STREAMING = ["unary_stream", "stream_stream"]


def stream_call(client, kind, *inputs, timeout=10.0):
    if kind == "unary_stream":
        return [r.output for r in client.ExecuteServerStream(DummyRequest(input=inputs[0]), timeout=timeout)]
    requests = iter([DummyRequest(input=text) for text in inputs])
    return [r.output for r in client.ExecuteClientServerStream(requests, timeout=timeout)]


class SleepsFirst(AsyncServerInterceptor):
    def __init__(self):
        self.waited = 0

    async def intercept(self, method, request_or_iterator, context, method_name):
        await asyncio.sleep(0.01)
        self.waited += 1
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


class WaitsForever(AsyncServerInterceptor):
    def __init__(self):
        self.cancelled = threading.Event()

    async def intercept(self, method, request_or_iterator, context, method_name):
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return method(request_or_iterator, context)


class RaisesAfterWaiting(AsyncServerInterceptor):
    async def intercept(self, method, request_or_iterator, context, method_name):
        await asyncio.sleep(0)
        raise NotFound("not after all")


@pytest.mark.parametrize("kind", STREAMING)
@pytest.mark.parametrize("read_write", [False, True])
def test_an_intercept_that_waits_before_returning_the_stream(kind, read_write):
    interceptor = SleepsFirst()
    with dummy_client(
        special_cases={}, interceptors=[interceptor], aio_server=True, aio_read_write=read_write
    ) as client:
        outputs = stream_call(client, kind, "abc") if kind == "unary_stream" else stream_call(client, kind, "a", "b")
    assert outputs == (["a", "b", "c"] if kind == "unary_stream" else ["a", "b"])
    assert interceptor.waited == 1


@pytest.mark.parametrize("kind", STREAMING)
def test_a_cancellation_reaches_an_intercept_where_it_waits(kind):
    interceptor = WaitsForever()
    with dummy_client(special_cases={}, interceptors=[interceptor], aio_server=True) as client:
        with pytest.raises(grpc.RpcError) as raised:
            stream_call(client, kind, "a", timeout=0.5)
        assert interceptor.cancelled.wait(10)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize("kind", STREAMING)
def test_what_an_intercept_raises_after_waiting_reaches_the_client(kind):
    interceptors = [AsyncExceptionToStatusInterceptor(), RaisesAfterWaiting()]
    with dummy_client(special_cases={}, interceptors=interceptors, aio_server=True) as client:
        with pytest.raises(grpc.RpcError) as raised:
            stream_call(client, kind, "a")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "not after all"


class SendsNothing(AsyncServerInterceptor):
    """Returns None at once for a stream: nothing left to send, as 0.15.4 allowed."""

    async def intercept(self, method, request_or_iterator, context, method_name):
        return None


@pytest.mark.parametrize("kind", STREAMING)
def test_an_intercept_that_returns_none_at_once_sends_no_responses(kind):
    with dummy_client(special_cases={}, interceptors=[SendsNothing()], aio_server=True) as client:
        assert stream_call(client, kind, "a") == []
