"""An async client interceptor that adds a request id to the metadata of every call.

Run it with ``python examples/aio_client_metadata.py``. ``RequestId`` is a typed
grpc.aio client interceptor, ``AsyncClientInterceptor[DummyRequest, DummyResponse]``,
with one hook per RPC kind. Each hook adds ``x-request-id: <fresh id>`` to the call's
metadata, keeping what the caller already put there, and goes on with
``await method(request, call_details)``.

grpc.aio registers an interceptor object for one RPC kind only, so the channel gets it
through ``aio_channel_interceptors(RequestId())``, which covers all four (the testing
kit's ``dummy_client(..., client_interceptors=[...], aio_client=True)`` does this).

The server is a grpc.aio server too. Its echo service has a special case: the input
``"x-request-id"`` (or any metadata key) is answered with the value of that key in the
metadata it received, read with ``context.invocation_metadata()``. The example calls
all four kinds and exits 0 when the server received, on each call, the id the
interceptor sent, and the caller's own metadata too.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterable, Callable, Iterable

import grpc
import grpc.aio

from grpc_interceptor import AsyncClientInterceptor, ClientCallDetails
from grpc_interceptor.protocols import (
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, SpecialCase, dummy_client

REQUEST_ID = "x-request-id"


class RequestId(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    """Add ``x-request-id`` to every call's metadata.

    Args:
        new_id: Makes the id of each call.
    """

    def __init__(self, new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self._new_id = new_id
        #: The ids sent, in order, for the example to compare with what the server got.
        self.sent: list[str] = []

    def with_id(self, call_details: ClientCallDetails) -> ClientCallDetails:
        """Return ``call_details`` with a fresh request id added to its metadata."""
        request_id = self._new_id()
        self.sent.append(request_id)
        return call_details._replace(metadata=(*(call_details.metadata or ()), (REQUEST_ID, request_id)))

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.UnaryUnaryCall[DummyRequest, DummyResponse]:
        return await method(request, self.with_id(call_details))

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.UnaryStreamCall[DummyRequest, DummyResponse]:
        return await method(request, self.with_id(call_details))

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.StreamUnaryCall[DummyRequest, DummyResponse]:
        return await method(request_iterator, self.with_id(call_details))

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.StreamStreamCall[DummyRequest, DummyResponse]:
        return await method(request_iterator, self.with_id(call_details))


def received_metadata(key: str, context: grpc.aio.ServicerContext[DummyRequest, DummyResponse]) -> str:
    """Server side: the value of metadata ``key`` in what this RPC received."""
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return value if isinstance(value, str) else value.decode()
    return f"<no {key}>"


async def joined(responses: AsyncIterable[DummyResponse]) -> str:
    """The outputs of a response stream, joined."""
    return "".join([response.output async for response in responses])


async def main() -> int:
    """Call every kind through RequestId; 0 if the server received each call's id."""
    request_id = RequestId()
    special_cases: dict[str, SpecialCase] = {REQUEST_ID: received_metadata, "tenant": received_metadata}
    ask = DummyRequest(input=REQUEST_ID)
    own = (("tenant", "acme"),)  # metadata of the caller's own, which must survive
    serving = dummy_client(special_cases, client_interceptors=[request_id], aio_server=True, aio_client=True)
    async with serving as client:
        received = [
            ("unary_unary", (await client.Execute(ask, timeout=5)).output),
            ("unary_stream", await joined(client.ExecuteServerStream(ask, timeout=5))),
            ("stream_unary", (await client.ExecuteClientStream(iter([ask]), timeout=5)).output),
            ("stream_stream", await joined(client.ExecuteClientServerStream(iter([ask]), timeout=5))),
        ]
        tenant = (await client.Execute(DummyRequest(input="tenant"), metadata=own, timeout=5)).output
        tenant_id = await client.Execute(ask, metadata=own, timeout=5)
    if len(request_id.sent) != 6:
        print(f"MISMATCH: {len(request_id.sent)} ids sent for 6 calls")
        return 1
    ok = True
    for (kind, got), sent in zip(received, request_id.sent[:4], strict=True):
        print(f"{kind:<14} sent {REQUEST_ID}: {sent}, the server received: {got}")
        ok = ok and got == sent
    print(f"with the caller's own metadata: the server received tenant={tenant!r}, {REQUEST_ID}={tenant_id.output}")
    ok = ok and tenant == "acme" and tenant_id.output == request_id.sent[-1]
    print("every call carried its request id" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
