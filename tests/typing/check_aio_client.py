"""What users of ``AsyncClientInterceptor`` (grpc.aio channels) get from the type checkers."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor, aio_channel_interceptors
from grpc_interceptor.protocols import (
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

Req = DummyRequest
Resp = DummyResponse
Details = ClientCallDetails
Requests = AsyncIterable[DummyRequest] | Iterable[DummyRequest]
UU = AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse]
US = AsyncClientUnaryStreamContinuation[DummyRequest, DummyResponse]
SU = AsyncClientStreamUnaryContinuation[DummyRequest, DummyResponse]
SS = AsyncClientStreamStreamContinuation[DummyRequest, DummyResponse]

# --- Correct programs ----------------------------------------------------------------


class AsyncMetadata(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    """Every typed hook overridden, with what each continuation gives."""

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> DummyResponse | grpc.aio.UnaryUnaryCall[Any, DummyResponse]:
        assert_type(call_details.method, str)
        new_details = call_details._replace(metadata=[("authorization", "Bearer token")])
        call = await method(request, new_details)
        assert_type(call, grpc.aio.UnaryUnaryCall[Any, DummyResponse])
        assert_type(await call.code(), grpc.StatusCode)
        response = await call
        assert_type(response, DummyResponse)
        return response

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[DummyResponse] | grpc.aio.UnaryStreamCall[Any, DummyResponse]:
        call = await method(request, call_details)
        async for response in call:
            assert_type(response, DummyResponse)
        return call

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> DummyResponse | grpc.aio.StreamUnaryCall[Any, DummyResponse]:
        call = await method(request_iterator, call_details)
        assert_type(await call, DummyResponse)
        return call

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[DummyResponse] | grpc.aio.StreamStreamCall[Any, DummyResponse]:
        return await method(request_iterator, call_details)


class AsyncLog(AsyncClientInterceptor):
    """The catch-all hook, unparametrised as a 0.15.4 user would write it."""

    async def intercept(
        self,
        method: Callable[[Any, grpc.ClientCallDetails], Awaitable[grpc.aio.Call]],
        request_or_iterator: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        return await method(request_or_iterator, call_details)


async def channel() -> None:
    interceptors = aio_channel_interceptors(AsyncMetadata(), AsyncLog())
    assert_type(interceptors, list[grpc.aio.ClientInterceptor])
    async with grpc.aio.insecure_channel("127.0.0.1:1", interceptors=interceptors) as opened:
        assert_type(opened, grpc.aio.Channel)


class AsyncCatchAll(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    """The typed catch-all hook; an override may narrow the continuation's request type."""

    async def intercept(
        self,
        method: Callable[[DummyRequest | Requests, grpc.ClientCallDetails], Awaitable[grpc.aio.Call]],
        request_or_iterator: DummyRequest | Requests,
        call_details: ClientCallDetails,
        /,
    ) -> DummyResponse | AsyncIterator[DummyResponse] | grpc.aio.Call:
        call = await method(request_or_iterator, call_details)
        assert_type(await call.details(), str)
        return call


async def outside(
    typed: AsyncClientInterceptor[DummyRequest, DummyResponse],
    method: Callable[[Any, grpc.ClientCallDetails], Awaitable[grpc.aio.Call]],
    details: ClientCallDetails,
) -> None:
    result = await typed.intercept(method, DummyRequest(), details)
    assert_type(result, DummyResponse | AsyncIterator[DummyResponse] | grpc.aio.Call)
    await typed.intercept(method, DummyResponse(), details)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


# --- Wrong programs ------------------------------------------------------------------


class SyncHookOnAioChannel(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Req, details: Details, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyResponse()


class AioClientWrongRequest(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Resp, details: Details, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return request


class AioClientWrongResponse(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_stream_unary(self, method: SU, requests: Requests, details: Details, /) -> Req:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyRequest()


class AioClientServerStreamWrongRequest(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_stream(self, method: US, request: Resp, details: Details, /) -> AsyncIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class AioClientBidiWrongResponse(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_stream_stream(self, method: SS, requests: Requests, details: Details, /) -> AsyncIterator[Req]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class AioClientStreamAsyncGenerator(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_stream(self, method: US, request: Req, details: Details, /) -> AsyncIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        yield DummyResponse()


class MisusedAioClientContinuations(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> DummyResponse | grpc.aio.UnaryUnaryCall[Any, DummyResponse]:
        call = await method(request, call_details)
        call.output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        wrong: DummyRequest = await call  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
        await method(call_details, request)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        await method(request)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        await method(DummyResponse(), call_details)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        call_details.method.decode()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        finished = call.code() == grpc.StatusCode.OK  # type: ignore[comparison-overlap]  # pyright: ignore[reportUnnecessaryComparison]
        print(wrong, finished)
        return method(request, call_details)  # type: ignore[return-value]  # pyright: ignore[reportReturnType]

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[DummyResponse] | grpc.aio.UnaryStreamCall[Any, DummyResponse]:
        call = await method(request, call_details)
        await call  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
        return call


def wrong_wiring() -> None:
    class SyncMetadata(ClientInterceptor[DummyRequest, DummyResponse], abstract=True):
        pass

    aio_channel_interceptors(SyncMetadata())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    grpc.aio.insecure_channel("127.0.0.1:1", interceptors=[AsyncMetadata()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
