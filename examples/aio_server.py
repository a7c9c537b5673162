"""An async server interceptor that sees every message, even with the read/write API.

Run it with ``python examples/aio_server.py``. A grpc.aio handler may stream responses
with ``await context.write(message)`` and return ``None``, and may take a request
stream with ``await context.read()``, instead of yielding and iterating. Then no
message passes through the handler's arguments or return value, where an interceptor
would usually look for them.

``Observe`` is a typed ``AsyncServerInterceptor[DummyRequest, DummyResponse]`` with one
hook per RPC kind. Its streaming hooks iterate what the continuation returns and pass
the continuation a request iterator of their own, as for any handler; the library
routes the handler's ``context.write()`` into that response iterator and its
``context.read()`` to that request iterator, so ``Observe`` records every message.

The example serves the testing kit's read/write-API echo service
(``aio_read_write=True``) on a grpc.aio server, calls each kind from a sync client, and
exits 0 when the interceptor saw exactly the requests sent and the responses received.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import grpc
import grpc.aio

from grpc_interceptor import AsyncServerInterceptor
from grpc_interceptor.protocols import (
    AsyncStreamStreamContinuation,
    AsyncStreamUnaryContinuation,
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client

_Context = grpc.aio.ServicerContext[DummyRequest, DummyResponse]


class Observe(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Record the input of every request and the output of every response, per RPC."""

    def __init__(self) -> None:
        #: (method, inputs seen, outputs seen), one entry per RPC.
        self.rpcs: list[tuple[str, list[str], list[str]]] = []

    def _rpc(self, method_name: str) -> tuple[list[str], list[str]]:
        inputs, outputs = list[str](), list[str]()
        self.rpcs.append((method_name.rsplit("/", 1)[-1], inputs, outputs))
        return inputs, outputs

    @staticmethod
    async def _recording(requests: AsyncIterator[DummyRequest], inputs: list[str]) -> AsyncIterator[DummyRequest]:
        async for request in requests:
            inputs.append(request.input)
            yield request

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: _Context,
        method_name: str,
        /,
    ) -> DummyResponse:
        inputs, outputs = self._rpc(method_name)
        inputs.append(request.input)
        response = await method(request, context)
        outputs.append(response.output)
        return response

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: _Context,
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        inputs, outputs = self._rpc(method_name)
        inputs.append(request.input)
        async for response in method(request, context):  # what the handler wrote
            outputs.append(response.output)
            yield response

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: _Context,
        method_name: str,
        /,
    ) -> DummyResponse:
        inputs, outputs = self._rpc(method_name)
        # The handler's context.read() takes its messages from this iterator.
        response = await method(self._recording(request_iterator, inputs), context)
        outputs.append(response.output)
        return response

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: _Context,
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        inputs, outputs = self._rpc(method_name)
        async for response in method(self._recording(request_iterator, inputs), context):
            outputs.append(response.output)
            yield response


def _requests(*inputs: str) -> list[DummyRequest]:
    return [DummyRequest(input=text) for text in inputs]


def main() -> int:
    """Call every kind of a read/write-API service; 0 if Observe saw every message."""
    observe = Observe()
    with dummy_client(None, [observe], aio_server=True, aio_read_write=True) as client:
        unary = client.Execute(DummyRequest(input="hi"), timeout=5).output
        server_stream = [r.output for r in client.ExecuteServerStream(DummyRequest(input="abc"), timeout=5)]
        client_stream = client.ExecuteClientStream(iter(_requests("x", "y", "z")), timeout=5).output
        both = [r.output for r in client.ExecuteClientServerStream(iter(_requests("1", "2", "3")), timeout=5)]
    # (method, requests sent, responses received)
    client_saw = [
        ("Execute", ["hi"], [unary]),
        ("ExecuteServerStream", ["abc"], server_stream),
        ("ExecuteClientStream", ["x", "y", "z"], [client_stream]),
        ("ExecuteClientServerStream", ["1", "2", "3"], both),
    ]
    print("The handler reads with context.read() and writes with context.write(); the interceptor saw:")
    for method, inputs, outputs in observe.rpcs:
        print(f"  {method:<26} requests={inputs} responses={outputs}")
    ok = observe.rpcs == client_saw and both == ["1", "2", "3"] and server_stream == ["a", "b", "c"]
    print("every request read and every response written went through the interceptor" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
