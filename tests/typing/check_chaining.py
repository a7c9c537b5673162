"""What users of ``chain()`` get from the type checkers: one interceptor of its members' sort."""

from __future__ import annotations

from concurrent import futures

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ClientCallDetails,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
    aio_channel_interceptors,
    chain,
)
from grpc_interceptor.chaining import (
    ChainedAsyncClientInterceptor,
    ChainedAsyncServerInterceptor,
    ChainedClientInterceptor,
    ChainedServerInterceptor,
)
from grpc_interceptor.protocols import (
    AsyncClientUnaryUnaryContinuation,
    AsyncUnaryUnaryContinuation,
    CallFuture,
    ClientUnaryUnaryContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(request, context)


class AsyncAudit(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse:
        return await method(request, context)


class Tag(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request, call_details)


class AsyncTag(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> DummyResponse | grpc.aio.UnaryUnaryCall[DummyRequest, DummyResponse]:
        return await method(request, call_details)


class RawServer(grpc.ServerInterceptor):
    def intercept_service(
        self,
        continuation: object,
        handler_call_details: grpc.HandlerCallDetails,
    ) -> None:
        return None


# --- Correct programs ----------------------------------------------------------------

sync_chain = chain(ExceptionToStatusInterceptor(), Audit(), RawServer())
assert_type(sync_chain, ChainedServerInterceptor)
aio_chain = chain(AsyncExceptionToStatusInterceptor(), AsyncAudit())
assert_type(aio_chain, ChainedAsyncServerInterceptor)
client_chain = chain(Tag(), Tag())
assert_type(client_chain, ChainedClientInterceptor)
aio_client_chain = chain(AsyncTag(), AsyncTag())
assert_type(aio_client_chain, ChainedAsyncClientInterceptor)
nested = chain(chain(Audit(), Audit()), Audit())
assert_type(nested, ChainedServerInterceptor)


def wiring() -> None:
    """Each chain goes where its members would go (checked, not run: it would serve)."""
    grpc.server(futures.ThreadPoolExecutor(), interceptors=[sync_chain])
    grpc.aio.server(interceptors=[aio_chain])
    grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), client_chain)
    grpc.aio.insecure_channel("127.0.0.1:1", interceptors=aio_channel_interceptors(aio_client_chain))


# --- Wrong programs (checked, never run) ------------------------------------------


def wrong_chains() -> None:
    # Members of different sorts.
    chain(Audit(), AsyncAudit())  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    chain(Tag(), AsyncTag())  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    chain(Audit(), Tag())  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    chain(object())  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    # A chain goes where its members would go, nowhere else.
    grpc.aio.server(interceptors=[sync_chain])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    aio_channel_interceptors(client_chain)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), aio_client_chain)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
