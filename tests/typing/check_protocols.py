"""The continuation Protocols: what may stand for a continuation, and what a call gives."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import grpc.aio
from google.protobuf.message import Message
from typing_extensions import assert_type

from grpc_interceptor.protocols import (
    AsyncStreamUnaryContinuation,
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
    CallFuture,
    CallIterator,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

Req = DummyRequest
Resp = DummyResponse
AioContext = grpc.aio.ServicerContext[Any, Any]

# Method implementations as users write them; the names of their parameters are free.


def execute(request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
    return DummyResponse(output=request.input)


def execute_any_message(request: Message, context: grpc.ServicerContext) -> DummyResponse:
    return DummyResponse()


def execute_server_stream(request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
    yield DummyResponse(output=request.input)


def execute_client_stream(requests: Iterator[DummyRequest], context: grpc.ServicerContext) -> DummyResponse:
    return DummyResponse(output="".join(request.input for request in requests))


def execute_bidi(requests: Iterator[DummyRequest], context: grpc.ServicerContext) -> Iterator[DummyResponse]:
    for request in requests:
        yield DummyResponse(output=request.input)


async def execute_async(request: DummyRequest, context: AioContext) -> DummyResponse:
    return DummyResponse(output=request.input)


async def execute_async_server_stream(request: DummyRequest, context: AioContext) -> AsyncIterator[DummyResponse]:
    yield DummyResponse(output=request.input)


async def execute_async_client_stream(requests: AsyncIterator[DummyRequest], context: AioContext) -> DummyResponse:
    return DummyResponse(output="".join([request.input async for request in requests]))


def call_unary(request: DummyRequest, call_details: grpc.ClientCallDetails) -> CallFuture[DummyResponse]:
    raise NotImplementedError


def call_server_stream(request: DummyRequest, call_details: grpc.ClientCallDetails) -> CallIterator[DummyResponse]:
    raise NotImplementedError


# --- Correct programs ----------------------------------------------------------------


def assignable() -> None:
    unary: UnaryUnaryContinuation[DummyRequest, DummyResponse] = execute
    # Contravariant in the request: a continuation for any Message will do.
    unary = execute_any_message
    # Covariant in the response: a DummyResponse continuation is a Message continuation.
    widened: UnaryUnaryContinuation[DummyRequest, Message] = unary
    server_stream: UnaryStreamContinuation[DummyRequest, DummyResponse] = execute_server_stream
    client_stream: StreamUnaryContinuation[DummyRequest, DummyResponse] = execute_client_stream
    bidi: StreamStreamContinuation[DummyRequest, DummyResponse] = execute_bidi
    aio_unary: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse] = execute_async
    aio_server_stream: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse] = execute_async_server_stream
    aio_client_stream: AsyncStreamUnaryContinuation[DummyRequest, DummyResponse] = execute_async_client_stream
    client_unary: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse] = call_unary
    client_server_stream: ClientUnaryStreamContinuation[DummyRequest, DummyResponse] = call_server_stream
    print(widened, server_stream, client_stream, bidi, aio_unary, aio_server_stream, aio_client_stream)
    print(client_unary, client_server_stream)


async def results(
    unary: UnaryUnaryContinuation[DummyRequest, DummyResponse],
    bidi: StreamStreamContinuation[DummyRequest, DummyResponse],
    aio_unary: AsyncUnaryUnaryContinuation[DummyRequest, DummyResponse],
    aio_server_stream: AsyncUnaryStreamContinuation[DummyRequest, DummyResponse],
    client_unary: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
    client_server_stream: ClientUnaryStreamContinuation[DummyRequest, DummyResponse],
    context: grpc.ServicerContext,
    aio_context: AioContext,
    call_details: grpc.ClientCallDetails,
) -> None:
    assert_type(unary(DummyRequest(), context), DummyResponse)
    assert_type(bidi(iter([DummyRequest()]), context), Iterator[DummyResponse])
    assert_type(await aio_unary(DummyRequest(), aio_context), DummyResponse)
    assert_type(aio_server_stream(DummyRequest(), aio_context), AsyncIterator[DummyResponse])
    future = client_unary(DummyRequest(), call_details)
    assert_type(future.result(timeout=1.0), DummyResponse)
    assert_type(future.exception(), Exception | None)
    assert_type(future.details(), str)
    assert_type(next(iter(client_server_stream(DummyRequest(), call_details))), DummyResponse)
    # The metadata of a call, typed as grpc's stubs type it.
    assert_type(future.trailing_metadata(), tuple[tuple[str, str | bytes], ...])
    assert_type(future.initial_metadata(), tuple[tuple[str, str | bytes], ...])


# --- Wrong programs ------------------------------------------------------------------


def no_context(request: DummyRequest) -> DummyResponse:
    return DummyResponse()


def gives_request(request: DummyRequest, context: grpc.ServicerContext) -> DummyRequest:
    return request


def takes_aio_context(request: DummyRequest, context: AioContext) -> DummyResponse:
    return DummyResponse()


async def coroutine_of_iterator(request: DummyRequest, context: AioContext) -> AsyncIterator[DummyResponse]:
    return execute_async_server_stream(request, context)


def sync_generator(request: DummyRequest, context: AioContext) -> Iterator[DummyResponse]:
    yield DummyResponse()


def call_gives_message(request: DummyRequest, call_details: grpc.ClientCallDetails) -> DummyResponse:
    return DummyResponse()


def not_assignable() -> None:
    a: UnaryUnaryContinuation[Req, Resp] = no_context  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    b: UnaryUnaryContinuation[Req, Resp] = gives_request  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    c: UnaryUnaryContinuation[Req, Resp] = takes_aio_context  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    d: UnaryUnaryContinuation[Req, Resp] = execute_async  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    e: UnaryStreamContinuation[Req, Resp] = execute  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    f: StreamUnaryContinuation[Req, Resp] = execute  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    g: AsyncUnaryUnaryContinuation[Req, Resp] = execute  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    h: AsyncUnaryStreamContinuation[Req, Resp] = coroutine_of_iterator  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    i: AsyncUnaryStreamContinuation[Req, Resp] = sync_generator  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    j: ClientUnaryUnaryContinuation[Req, Resp] = call_gives_message  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(a, b, c, d, e, f, g, h, i, j)


def variance(
    unary: UnaryUnaryContinuation[DummyRequest, DummyResponse],
    any_response: UnaryUnaryContinuation[DummyRequest, Message],
) -> None:
    narrower_request: UnaryUnaryContinuation[Message, DummyResponse] = unary  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    narrower_response: UnaryUnaryContinuation[DummyRequest, DummyResponse] = any_response  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(narrower_request, narrower_response)


def wrong_calls(
    bidi: StreamStreamContinuation[DummyRequest, DummyResponse],
    future: CallFuture[DummyResponse],
    context: grpc.ServicerContext,
) -> None:
    bidi(request_iterator=iter([DummyRequest()]), context=context)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    bidi(iter([DummyRequest()]), context, "/p.S/M")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    future.result().input.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
