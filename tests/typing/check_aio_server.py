"""What users of ``AsyncServerInterceptor`` (grpc.aio servers) get from the type checkers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.protocols import (
    AsyncResponseStream,
    AsyncServerContinuation,
    AsyncStreamStreamContinuation,
    AsyncStreamUnaryContinuation,
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

Req = DummyRequest
Resp = DummyResponse
AioContext = grpc.aio.ServicerContext[DummyRequest, DummyResponse]
UU = AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse]
US = AsyncUnaryStreamContinuation[DummyRequest, DummyResponse]
SU = AsyncStreamUnaryContinuation[DummyRequest, DummyResponse]
SS = AsyncStreamStreamContinuation[DummyRequest, DummyResponse]
Requests = AsyncIterator[DummyRequest]

# --- Correct programs ----------------------------------------------------------------


class AsyncAudit(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Every typed hook overridden: ``async def`` + ``return`` or ``async def`` + ``yield``."""

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse:
        pending = method(request, context)
        assert_type(pending, Awaitable[DummyResponse])
        response = await pending
        assert_type(response, DummyResponse)
        if not response.output:
            await context.abort(grpc.StatusCode.NOT_FOUND, "empty")
        context.set_code(grpc.StatusCode.OK)
        return response

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        responses = method(request, context)
        assert_type(responses, AsyncIterator[DummyResponse])
        async for response in responses:
            yield response

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse:
        async def logged() -> AsyncIterator[DummyRequest]:
            async for request in request_iterator:
                assert_type(request, DummyRequest)
                yield request

        return await method(logged(), context)

    def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        # A plain def handing the continuation's iterator on is an override too.
        return method(request_iterator, context)


class AsyncCatchAllReturn(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """The catch-all hook as ``async def`` + ``return`` (0.15.4's own tests)."""

    async def intercept(
        self,
        method: AsyncServerContinuation[DummyRequest, DummyResponse],
        request_or_iterator: DummyRequest | AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse | AsyncIterator[DummyResponse]:
        result = method(request_or_iterator, context)
        assert_type(result, Awaitable[DummyResponse] | AsyncResponseStream[DummyResponse])
        if isinstance(result, AsyncIterator):
            # A stream can be awaited too (0.15.4 code does): the iterator, or None.
            assert_type(await result, AsyncIterator[DummyResponse] | None)
            return result
        return await result


class AwaitsSuper(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """``await super().intercept(...)`` in an override, as 0.15.4 code has it."""

    async def intercept(
        self,
        method: AsyncServerContinuation[DummyRequest, DummyResponse],
        request_or_iterator: DummyRequest | AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> Any:
        return await super().intercept(method, request_or_iterator, context, method_name)


class AsyncCatchAllYield(AsyncServerInterceptor):
    """The catch-all hook as ``async def`` + ``yield``, unparametrised."""

    async def intercept(
        self,
        method: AsyncServerContinuation[Any, Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        result = method(request_or_iterator, context)
        if isinstance(result, AsyncIterator):
            async for response in result:
                yield response
        else:
            yield await result


async def hook_types(
    audit: AsyncServerInterceptor[DummyRequest, DummyResponse],
    unary: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
    server_stream: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
    context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
) -> None:
    """What the hooks of a parametrised class take and give, seen from outside."""
    assert_type(audit.on_unary_stream(server_stream, DummyRequest(), context, "/p.S/M"), AsyncIterator[DummyResponse])
    assert_type(await audit.on_unary_unary(unary, DummyRequest(), context, "/p.S/M"), DummyResponse)
    await audit.on_unary_unary(unary, DummyResponse(), context, "/p.S/M")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def serve() -> grpc.aio.Server:
    server = grpc.aio.server(interceptors=[AsyncAudit(), AsyncCatchAllReturn(), AsyncCatchAllYield()])
    await server.start()
    return server


# --- Wrong programs ------------------------------------------------------------------


class SyncUnaryHook(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Req, context: AioContext, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyResponse()


class AsyncWrongRequest(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Resp, context: AioContext, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return request


class AsyncWrongResponse(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_stream_unary(self, method: SU, requests: AsyncIterator[Req], context: AioContext, name: str, /) -> Req:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyRequest()


class AsyncServerStreamWrongRequest(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_stream(self, method: US, request: Resp, context: AioContext, name: str, /) -> AsyncIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(DummyRequest(), context)


class AsyncBidiWrongResponse(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Requests, context: AioContext, name: str, /) -> Requests:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return requests


class CoroutineNotGenerator(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_stream(self, method: US, request: Req, context: AioContext, name: str, /) -> AsyncIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(request, context)


class SyncGeneratorOnAioServer(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Requests, context: AioContext, name: str, /) -> Iterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        yield DummyResponse()


class UnaryAsyncReturnsStream(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Req, context: AioContext, name: str, /) -> AsyncIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        yield await method(request, context)


class SyncContextInAsyncHook(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Req, context: grpc.ServicerContext, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyResponse()


class StreamRequestNotAsync(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_stream_unary(self, method: SU, requests: Iterator[Req], context: AioContext, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyResponse()


class MisusedAsyncContinuations(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse:
        method(request, context).output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        await method(DummyResponse(), context)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await method(request)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        await method(context, request)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await context.set_code(grpc.StatusCode.NOT_FOUND)  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
        context.abort(grpc.StatusCode.NOT_FOUND, "missing")  # type: ignore[unused-coroutine]  # pyright: ignore[reportUnusedCoroutine]
        return method(request, context)  # type: ignore[return-value]  # pyright: ignore[reportReturnType]

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        await method(request, context)  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
        for _ in method(request, context):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues, reportUnknownVariableType]
            break
        async for response in method(request, context):
            yield response.output  # type: ignore[misc]  # pyright: ignore[reportReturnType]

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> DummyResponse:
        async for _ in method(request_iterator, context):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues, reportUnknownVariableType]
            break
        return await method(iter([DummyRequest()]), context)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
        /,
    ) -> AsyncIterator[DummyResponse]:
        async for request in request_iterator:
            yield request  # type: ignore[misc]  # pyright: ignore[reportReturnType]


def wiring() -> None:
    class SyncAudit(ServerInterceptor[DummyRequest, DummyResponse], abstract=True):
        pass

    grpc.aio.server(interceptors=[SyncAudit()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
