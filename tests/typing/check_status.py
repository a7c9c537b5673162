"""What users of the status interceptors get from the type checkers."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse

AioContext = grpc.aio.ServicerContext[Any, Any]
Context = grpc.ServicerContext
R = Any

# --- Correct programs ----------------------------------------------------------------


class ValueErrorToStatus(ExceptionToStatusInterceptor[DummyRequest, DummyResponse]):
    """0.15.4's way to extend: override ``handle_exception``, end with ``super()``."""

    def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str
    ) -> None:
        if isinstance(ex, ValueError):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(ex))
        super().handle_exception(ex, request_or_iterator, context, method_name)


class AsyncValueErrorToStatus(AsyncExceptionToStatusInterceptor):
    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any], method_name: str
    ) -> None:
        if isinstance(ex, GrpcException):
            assert_type(ex.details, str)
            assert_type(ex.status_code, grpc.StatusCode)
            await context.abort(ex.status_code, ex.details)
        await super().handle_exception(ex, request_or_iterator, context, method_name)


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
    async def handle_exception(self, ex: Exception, request_or_iterator: R, context: Context, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class SyncHandlerOnAsyncInterceptor(AsyncExceptionToStatusInterceptor):
    def handle_exception(self, ex: Exception, request_or_iterator: Any, context: AioContext, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class AioContextInSyncHandler(ExceptionToStatusInterceptor):
    def handle_exception(self, ex: Exception, request_or_iterator: Any, context: AioContext, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class NarrowExceptionType(ExceptionToStatusInterceptor):
    def handle_exception(self, ex: GrpcException, request_or_iterator: Any, context: Context, method_name: str) -> None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise ex


class MissingAwait(AsyncExceptionToStatusInterceptor):
    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: AioContext, method_name: str
    ) -> None:
        context.abort(grpc.StatusCode.INTERNAL, str(ex))  # type: ignore[unused-coroutine]  # pyright: ignore[reportUnusedCoroutine]
        raise ex
