"""What users of the sync ``ServerInterceptor`` get from the type checkers.

Every line that must be rejected carries the error code of each checker that must
reject it; an expected error that disappears fails the typing test as surely as an
unexpected one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.protocols import (
    ServerContinuation,
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

Req = DummyRequest
Resp = DummyResponse
Ctx = grpc.ServicerContext
AioCtx = grpc.aio.ServicerContext[DummyRequest, DummyResponse]
UU = UnaryUnaryContinuation[DummyRequest, DummyResponse]
US = UnaryStreamContinuation[DummyRequest, DummyResponse]
SU = StreamUnaryContinuation[DummyRequest, DummyResponse]
SS = StreamStreamContinuation[DummyRequest, DummyResponse]
Any4 = ServerContinuation[DummyRequest, DummyResponse]

# --- Correct programs ----------------------------------------------------------------


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    """Every typed hook overridden, with what each continuation gives."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        assert_type(request.input, str)
        response = method(request, context)
        assert_type(response, DummyResponse)
        return response

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        responses = method(request, context)
        assert_type(responses, Iterator[DummyResponse])
        for response in responses:
            yield DummyResponse(output=response.output.upper())

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        def logged() -> Iterator[DummyRequest]:
            for request in request_iterator:
                assert_type(request, DummyRequest)
                yield request

        return method(logged(), context)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        return method(request_iterator, context)


class CatchAll(ServerInterceptor[DummyRequest, DummyResponse]):
    """The typed catch-all hook: unions in and out."""

    def intercept(
        self,
        method: ServerContinuation[DummyRequest, DummyResponse],
        request_or_iterator: DummyRequest | Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse | Iterator[DummyResponse]:
        result = method(request_or_iterator, context)
        assert_type(result, DummyResponse | Iterator[DummyResponse])
        return result


class Renamed(ServerInterceptor[DummyRequest, DummyResponse]):
    """Positional-only hooks: the parameter names of an override are free."""

    def on_unary_unary(
        self,
        next_step: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        message: DummyRequest,
        ctx: grpc.ServicerContext,
        name: str,
    ) -> DummyResponse:
        return next_step(message, ctx)


class Log(ServerInterceptor):
    """0.15.4 style: unparametrised, every type defaults to ``Any``."""

    def intercept(
        self,
        method: ServerContinuation[Any, Any],
        request_or_iterator: Any,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Any:
        return method(request_or_iterator, context)


class LegacyAnnotated(ServerInterceptor):
    """0.15.4's annotations (a plain Callable, named parameters) under --strict."""

    def intercept(
        self,
        method: Callable[..., Any],
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> Any:
        return method(request, context)


class Base(ServerInterceptor[DummyRequest, DummyResponse], abstract=True):
    """A shared base that overrides no hook yet."""


def hook_types(
    audit: ServerInterceptor[DummyRequest, DummyResponse],
    untyped: ServerInterceptor,
    unary: UnaryUnaryContinuation[DummyRequest, DummyResponse],
    server_stream: UnaryStreamContinuation[DummyRequest, DummyResponse],
    client_stream: StreamUnaryContinuation[DummyRequest, DummyResponse],
    context: grpc.ServicerContext,
) -> None:
    """What the hooks of a parametrised class take and give, seen from outside."""
    assert_type(audit.on_unary_unary(unary, DummyRequest(), context, "/p.S/M"), DummyResponse)
    assert_type(audit.on_unary_stream(server_stream, DummyRequest(), context, "/p.S/M"), Iterator[DummyResponse])
    assert_type(audit.on_stream_unary(client_stream, iter([DummyRequest()]), context, "/p.S/M"), DummyResponse)
    assert_type(untyped.on_unary_unary(unary, DummyRequest(), context, "/p.S/M"), Any)


def serve() -> grpc.Server:
    interceptors: list[grpc.ServerInterceptor] = [Audit(), CatchAll(), Log(), LegacyAnnotated()]
    return grpc.server(futures.ThreadPoolExecutor(max_workers=1), interceptors=interceptors)


# --- Wrong programs ------------------------------------------------------------------


class WrongRequest(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Resp, context: Ctx, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(DummyRequest(), context)


class WrongResponse(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Req, context: Ctx, name: str, /) -> Req:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return request


class UnaryReturnsIterator(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Req, context: Ctx, name: str, /) -> Iterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        yield method(request, context)


class StreamReturnsMessage(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_stream(self, method: US, request: Req, context: Ctx, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return next(method(request, context))


class ClientStreamTakesMessage(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_unary(self, method: SU, requests: Req, context: Ctx, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(iter([requests]), context)


class BidiWrongRequest(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Iterator[Resp], context: Ctx, name: str, /) -> Iterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return iter([])


class ServerStreamWrongRequest(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_stream(self, method: US, request: Resp, context: Ctx, name: str, /) -> Iterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return iter([])


class ClientStreamWrongResponse(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_unary(self, method: SU, requests: Iterator[Req], context: Ctx, name: str, /) -> Req:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return next(requests)


class BidiWrongResponse(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Iterator[Req], context: Ctx, name: str, /) -> Iterator[Req]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return requests


class AsyncHookOnSyncServer(ServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Req, context: Ctx, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(request, context)


class AioContextOnSyncServer(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Req, context: AioCtx, name: str, /) -> Resp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return DummyResponse()


class NarrowCatchAll(ServerInterceptor[DummyRequest, DummyResponse]):
    def intercept(self, method: Any4, request: Req, context: Ctx, name: str, /) -> Resp | Iterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(request, context)


class MisusedContinuations(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        method(request)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        method(context, request)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        method(DummyResponse(), context)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        method(request=request, context=context)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        method(request, context).input.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        return iter([method(request, context)])  # type: ignore[return-value]  # pyright: ignore[reportReturnType]

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        method(request, context).output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        for response in method(request, context):
            yield response.output  # type: ignore[misc]  # pyright: ignore[reportReturnType]

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(next(request_iterator), context)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def wiring() -> None:
    class AsyncAudit(AsyncServerInterceptor[DummyRequest, DummyResponse], abstract=True):
        pass

    pool = futures.ThreadPoolExecutor(max_workers=1)
    grpc.server(pool, interceptors=[AsyncAudit()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]


def too_many_parameters() -> None:
    class Three(ServerInterceptor[Req, Resp, Resp], abstract=True):  # type: ignore[type-arg]  # pyright: ignore[reportInvalidTypeArguments]
        pass

    print(Three)
