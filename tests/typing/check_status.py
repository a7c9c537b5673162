"""What users of the status interceptors get from the type checkers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from concurrent import futures
from typing import Any, NoReturn

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse

AioContext = grpc.aio.ServicerContext[Any, Any]
Context = grpc.ServicerContext
R = Any
E = Exception
Requests = DummyRequest | Iterator[DummyRequest]
Responses = DummyResponse | Iterator[DummyResponse]

# --- Correct programs ----------------------------------------------------------------


class ValueErrorToStatus(ExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    """0.15.4's way to extend: override ``handle_exception``, end with ``super()``."""

    def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str
    ) -> NoReturn:
        if isinstance(ex, ValueError):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(ex))
        super().handle_exception(ex, request_or_iterator, context, method_name)


class AsyncValueErrorToStatus(AsyncExceptionToStatusInterceptor):
    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any], method_name: str
    ) -> NoReturn:
        if isinstance(ex, GrpcException):
            assert_type(ex.details, str)
            assert_type(ex.status_code, grpc.StatusCode)
            await context.abort(ex.status_code, ex.details)
        await super().handle_exception(ex, request_or_iterator, context, method_name)


class TypedRequestToStatus(ExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    """The request of ``handle_exception`` is typed from the class's parameters."""

    def handle_exception(
        self,
        ex: Exception,
        request_or_iterator: DummyRequest | Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
    ) -> NoReturn:
        if isinstance(request_or_iterator, DummyRequest):
            assert_type(request_or_iterator.input, str)
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, request_or_iterator.input)
        super().handle_exception(ex, request_or_iterator, context, method_name)


class AsyncTypedRequestToStatus(AsyncExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    async def handle_exception(
        self,
        ex: Exception,
        request_or_iterator: DummyRequest | AsyncIterator[DummyRequest],
        context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
        method_name: str,
    ) -> NoReturn:
        if isinstance(request_or_iterator, DummyRequest):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request_or_iterator.input)
        await super().handle_exception(ex, request_or_iterator, context, method_name)


def handle_a_request(
    typed: ExceptionToStatusInterceptor[DummyRequest, DummyResponse], context: grpc.ServicerContext
) -> NoReturn:
    typed.handle_exception(ValueError(), DummyRequest(input="a"), context, "/DummyService/Execute")


def handle_a_request_stream(
    typed: ExceptionToStatusInterceptor[DummyRequest, DummyResponse], context: grpc.ServicerContext
) -> NoReturn:
    typed.handle_exception(ValueError(), iter([DummyRequest()]), context, "/DummyService/ExecuteClientStream")


async def handle_an_async_request(
    typed: AsyncExceptionToStatusInterceptor[DummyRequest, DummyResponse],
    context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
) -> NoReturn:
    await typed.handle_exception(ValueError(), DummyRequest(input="a"), context, "/DummyService/Execute")


def construct() -> None:
    assert_type(ExceptionToStatusInterceptor(), ExceptionToStatusInterceptor[Any, Any])
    typed = ExceptionToStatusInterceptor[DummyRequest, DummyResponse](grpc.StatusCode.INTERNAL)
    assert_type(typed, ExceptionToStatusInterceptor[DummyRequest, DummyResponse])
    AsyncExceptionToStatusInterceptor(status_on_unknown_exception=None, unknown_exception_details="internal error")
    interceptors: list[grpc.ServerInterceptor] = [ExceptionToStatusInterceptor(), ValueErrorToStatus()]
    grpc.server(futures.ThreadPoolExecutor(max_workers=1), interceptors=interceptors)
    grpc.aio.server(interceptors=[AsyncExceptionToStatusInterceptor(), AsyncValueErrorToStatus()])


# --- Wrong programs ------------------------------------------------------------------


def wrong_arguments() -> None:
    ExceptionToStatusInterceptor(status_on_unknown_exception="INTERNAL")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ExceptionToStatusInterceptor(grpc.StatusCode.INTERNAL, "internal error")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    AsyncExceptionToStatusInterceptor(unknown_exception_details=NotFound())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ExceptionToStatusInterceptor(grpc.StatusCode.NOT_FOUND.value)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def wrong_wiring() -> None:
    pool = futures.ThreadPoolExecutor(max_workers=1)
    grpc.server(pool, interceptors=[AsyncExceptionToStatusInterceptor()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    grpc.aio.server(interceptors=[ExceptionToStatusInterceptor()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]


class AsyncHandlerOnSyncInterceptor(ExceptionToStatusInterceptor):
    async def handle_exception(self, ex: E, request_or_iterator: R, context: Context, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class SyncHandlerOnAsyncInterceptor(AsyncExceptionToStatusInterceptor):
    # Declared -> NoReturn, a plain def would be a valid override: it never returns.
    def handle_exception(self, ex: E, request_or_iterator: R, context: AioContext, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class AioContextInSyncHandler(ExceptionToStatusInterceptor):
    def handle_exception(self, ex: E, request_or_iterator: R, context: AioContext, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class NarrowExceptionType(ExceptionToStatusInterceptor):
    def handle_exception(self, ex: GrpcException, request_or_iterator: R, context: R, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class ReturnsNone(ExceptionToStatusInterceptor):
    def handle_exception(self, ex: E, request_or_iterator: R, context: Context, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


class AsyncReturnsNone(AsyncExceptionToStatusInterceptor):
    async def handle_exception(self, ex: E, request_or_iterator: R, context: AioContext, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return None


class ForgetsSuper(ExceptionToStatusInterceptor):
    """Declared never to return, but returns for every exception but KeyError."""

    def handle_exception(self, ex: E, request_or_iterator: R, context: Context, method_name: str) -> NoReturn:  # type: ignore[misc]  # pyright: ignore[reportReturnType]
        if isinstance(ex, KeyError):
            context.abort(grpc.StatusCode.NOT_FOUND, "no such key")


class WrongRequestType(ExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    def handle_exception(self, ex: E, request_or_iterator: Responses, context: Context, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class OnlyUnaryRequests(ExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    def handle_exception(self, ex: E, request_or_iterator: DummyRequest, context: R, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class AsyncWithSyncRequests(AsyncExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    async def handle_exception(self, ex: E, request_or_iterator: Requests, context: R, method_name: str) -> NoReturn:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


def handle_the_wrong_request(
    typed: ExceptionToStatusInterceptor[DummyRequest, DummyResponse], context: grpc.ServicerContext
) -> NoReturn:
    typed.handle_exception(ValueError(), DummyResponse(), context, "/DummyService/Execute")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def handle_the_wrong_async_request(
    typed: AsyncExceptionToStatusInterceptor[DummyRequest, DummyResponse],
    context: grpc.aio.ServicerContext[DummyRequest, DummyResponse],
) -> NoReturn:
    await typed.handle_exception(ValueError(), iter([DummyRequest()]), context, "/DummyService/Execute")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


class MissingAwait(AsyncExceptionToStatusInterceptor):
    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: AioContext, method_name: str
    ) -> NoReturn:
        context.abort(grpc.StatusCode.INTERNAL, str(ex))  # type: ignore[unused-coroutine]  # pyright: ignore[reportUnusedCoroutine]
        raise ex
