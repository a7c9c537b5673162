"""Mistakes the type checkers find in typed interceptors. Wrong on purpose: never run.

Each class makes one mistake. The documentation shows this file next to what mypy
and basedpyright print for it, and a test checks that they still print that.
"""

# ruff: noqa: D102
from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import grpc.aio

from grpc_interceptor import AsyncServerInterceptor, ClientInterceptor, ServerInterceptor
from grpc_interceptor.protocols import (
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
    CallFuture,
    ClientUnaryUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

AioContext = grpc.aio.ServicerContext[DummyRequest, DummyResponse]


class MisspeltField(ServerInterceptor[DummyRequest, DummyResponse]):
    """Reads a field the request does not have."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        print(request.inptu)  # the field is `input`
        return method(request, context)


class WrongMessage(ServerInterceptor[DummyRequest, DummyResponse]):
    """Returns the request as the response."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return request  # a request where the response should be


class ForgotTheContext(ServerInterceptor[DummyRequest, DummyResponse]):
    """Calls the continuation without the context."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(request)  # the continuation takes the context too


class StreamAsOneMessage(ServerInterceptor[DummyRequest, DummyResponse]):
    """Returns one message from a streaming-response hook."""

    def on_unary_stream(  # a streaming response is an iterator, not one message
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return next(iter(method(request, context)))


class MissingAwait(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Returns the continuation's awaitable instead of awaiting it."""

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: AioContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(request, context)  # an awaitable, not the response


class AwaitedStream(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Awaits a response stream instead of iterating it."""

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: AioContext,
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        for response in await method(request, context):  # a stream is iterated with `async for`
            yield response


class ResultNotCalled(ClientInterceptor[DummyRequest, DummyResponse]):
    """Reads the response from the call-future itself."""

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        future = method(request, call_details)
        print(future.output)  # the response is future.result()
        return future
