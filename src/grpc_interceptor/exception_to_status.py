"""Interceptors that turn exceptions raised by a service into gRPC statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol, cast

import grpc
import grpc.aio

from grpc_interceptor.exceptions import GrpcException
from grpc_interceptor.protocols import (
    AsyncServerContinuation,
    AsyncStreamStreamContinuation,
    AsyncStreamUnaryContinuation,
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
    RequestT,
    ResponseT,
    ServerContinuation,
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor

__all__ = ["AsyncExceptionToStatusInterceptor", "ExceptionToStatusInterceptor"]


class _HasCode(Protocol):
    # grpc's sync ServicerContext has code() at run time, but types-grpcio does not
    # declare it (the aio context's stub does).
    def code(self) -> grpc.StatusCode | int | None: ...


def _code_already_set(context: object) -> bool:
    """Tell whether the handler already chose a status (``context.abort()`` or ``set_code``)."""
    code = getattr(context, "code", None)
    if code is None:
        return False
    current = cast("_HasCode", context).code()
    return current is not None and current != grpc.StatusCode.OK and current != 0


class _StatusSettings:
    """What both status interceptors are configured with.

    Class-level defaults let a subclass skip ``super().__init__()``.
    """

    _status_on_unknown_exception: grpc.StatusCode | None = None
    _unknown_exception_details: str | None = None

    def _configure(
        self, status_on_unknown_exception: grpc.StatusCode | None, unknown_exception_details: str | None
    ) -> None:
        if status_on_unknown_exception is not None:
            if not isinstance(status_on_unknown_exception, grpc.StatusCode):
                raise TypeError(
                    "status_on_unknown_exception must be a grpc.StatusCode or None, got "
                    f"{type(status_on_unknown_exception).__name__} {status_on_unknown_exception!r}"
                )
            if status_on_unknown_exception is grpc.StatusCode.OK:
                raise ValueError("status_on_unknown_exception cannot be OK: the client would see no error")
        if unknown_exception_details is not None and not isinstance(unknown_exception_details, str):
            raise TypeError(
                f"unknown_exception_details must be a str or None, got {type(unknown_exception_details).__name__}"
            )
        self._status_on_unknown_exception = status_on_unknown_exception
        self._unknown_exception_details = unknown_exception_details

    def _status_for_unknown(self, ex: Exception, context: object) -> tuple[grpc.StatusCode, str] | None:
        """The status to abort with for an exception that is no GrpcException, if any.

        None leaves the status to grpc (UNKNOWN, with grpc's own text of the exception),
        as 0.15.4 did, unless fixed details were asked for: then UNKNOWN with those.
        """
        code, details = self._status_on_unknown_exception, self._unknown_exception_details
        if (code is None and details is None) or _code_already_set(context):
            return None
        return code or grpc.StatusCode.UNKNOWN, repr(ex) if details is None else details


class ExceptionToStatusInterceptor(_StatusSettings, ServerInterceptor[RequestT, ResponseT]):
    """Turn exceptions raised while handling an RPC into the RPC's status and details.

    A :class:`~grpc_interceptor.exceptions.GrpcException` (``NotFound``,
    ``InvalidArgument``, ...) becomes its status code and details, also when a
    streaming handler raises it after sending some messages. A status the handler
    already set with ``context.abort()`` is kept. Override :meth:`handle_exception`
    to map other exceptions, or to send rich statuses with ``abort_with_status()``.

    Args:
        status_on_unknown_exception: What status an exception that is not a
            ``GrpcException`` gets. If ``None`` (the default), grpc's own: UNKNOWN.
            Otherwise this code, which must not be ``OK``, with ``repr(e)`` as the
            details. In every case the exception propagates.
        unknown_exception_details: If not ``None``, the details sent for an unknown
            exception instead of its text (``repr(e)``, or grpc's own message when no
            code is set), which may show internals (a database error's text, say) to
            clients; with no ``status_on_unknown_exception``, the code is UNKNOWN. The
            text stays the default for compatibility with 0.15.4.

    Raises:
        ValueError: If ``status_on_unknown_exception`` is ``OK``.
        TypeError: If it is not a :class:`grpc.StatusCode`.
    """

    def __init__(
        self,
        status_on_unknown_exception: grpc.StatusCode | None = None,
        *,
        unknown_exception_details: str | None = None,
    ) -> None:
        self._configure(status_on_unknown_exception, unknown_exception_details)

    def handle_exception(
        self,
        ex: Exception,
        request_or_iterator: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> None:
        """Set the status for an exception raised while handling the RPC; override to extend.

        This must raise, and cannot return: once an exception was raised there is in
        general no response to return. Raise ``ex`` itself or another exception; call
        ``context.abort(...)`` (which raises) to choose the status. Should an override
        return nonetheless, ``ex`` is raised again.

        A ``GrpcException`` with ``trailing_metadata`` sends it with the status; one
        with ``error_details`` is sent as a rich ``google.rpc.Status`` with
        ``context.abort_with_status()`` (this needs the ``status`` extra).

        Args:
            ex: The exception that was raised.
            request_or_iterator: The request message, or the request iterator of a
                streaming request.
            context: The servicer context.
            method_name: The method, ``/package.Service/Method``.
        """
        if isinstance(ex, GrpcException):
            if ex.error_details:
                # Imported here: only rich details need the `status` extra.
                from grpc_interceptor.rich_status import to_grpc_status

                context.abort_with_status(to_grpc_status(ex))
            if ex.trailing_metadata:
                context.set_trailing_metadata(ex.trailing_metadata)
            context.abort(ex.status_code, ex.details)
        status = self._status_for_unknown(ex, context)
        if status is not None:
            context.abort(*status)
        raise ex

    def _fail(self, ex: Exception, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str) -> Any:
        self.handle_exception(ex, request_or_iterator, context, method_name)
        raise ex

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT:
        """Run a unary-unary RPC, mapping its exceptions to statuses."""
        try:
            return method(request, context)
        except Exception as ex:
            return cast("ResponseT", self._fail(ex, request, context, method_name))

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[ResponseT]:
        """Run a unary-stream RPC, mapping its exceptions to statuses, also mid-stream."""
        try:
            yield from method(request, context)
        except Exception as ex:
            self._fail(ex, request, context, method_name)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT:
        """Run a stream-unary RPC, mapping its exceptions to statuses."""
        try:
            return method(request_iterator, context)
        except Exception as ex:
            return cast("ResponseT", self._fail(ex, request_iterator, context, method_name))

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[ResponseT]:
        """Run a stream-stream RPC, mapping its exceptions to statuses, also mid-stream."""
        try:
            yield from method(request_iterator, context)
        except Exception as ex:
            self._fail(ex, request_iterator, context, method_name)

    def intercept(
        self,
        method: ServerContinuation[RequestT, ResponseT],
        request_or_iterator: RequestT | Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT | Iterator[ResponseT]:
        """Run an RPC of any kind, mapping its exceptions to statuses.

        The typed hooks above do the work; this catch-all is here for subclasses
        written for 0.15.4 that override ``intercept`` and call ``super().intercept``.
        """
        try:
            result = method(request_or_iterator, context)
        except Exception as ex:
            return cast("ResponseT", self._fail(ex, request_or_iterator, context, method_name))
        if isinstance(result, Iterator):
            return self._stream(cast("Iterator[ResponseT]", result), request_or_iterator, context, method_name)
        return result

    def _stream(
        self, responses: Iterator[ResponseT], request_or_iterator: Any, context: grpc.ServicerContext, method_name: str
    ) -> Iterator[ResponseT]:
        try:
            yield from responses
        except Exception as ex:
            self._fail(ex, request_or_iterator, context, method_name)


class AsyncExceptionToStatusInterceptor(_StatusSettings, AsyncServerInterceptor[RequestT, ResponseT]):
    """The grpc.aio twin of :class:`ExceptionToStatusInterceptor`.

    Same semantics and arguments, for every handler style: ``return``, ``yield``, and
    the read/write API. A status set by ``await context.abort()`` is kept.
    """

    def __init__(
        self,
        status_on_unknown_exception: grpc.StatusCode | None = None,
        *,
        unknown_exception_details: str | None = None,
    ) -> None:
        self._configure(status_on_unknown_exception, unknown_exception_details)

    async def handle_exception(
        self,
        ex: Exception,
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> None:
        """Set the status for an exception raised while handling the RPC; override to extend.

        Like :meth:`ExceptionToStatusInterceptor.handle_exception`: it must raise
        (``await context.abort(...)`` raises), and ``ex`` is raised again if it returns.
        """
        if isinstance(ex, GrpcException):
            if ex.error_details:
                from grpc_interceptor.rich_status import to_grpc_status

                await context.abort_with_status(to_grpc_status(ex))
            if ex.trailing_metadata:
                await context.abort(ex.status_code, ex.details, ex.trailing_metadata)
            await context.abort(ex.status_code, ex.details)
        status = self._status_for_unknown(ex, context)
        if status is not None:
            await context.abort(*status)
        raise ex

    async def _fail(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any], method_name: str
    ) -> Any:
        await self.handle_exception(ex, request_or_iterator, context, method_name)
        raise ex

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> ResponseT:
        """Run a unary-unary RPC, mapping its exceptions to statuses."""
        try:
            return await method(request, context)
        except Exception as ex:
            return cast("ResponseT", await self._fail(ex, request, context, method_name))

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> AsyncIterator[ResponseT]:
        """Run a unary-stream RPC, mapping its exceptions to statuses, also mid-stream."""
        try:
            async for response in method(request, context):
                yield response
        except Exception as ex:
            await self._fail(ex, request, context, method_name)

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> ResponseT:
        """Run a stream-unary RPC, mapping its exceptions to statuses."""
        try:
            return await method(request_iterator, context)
        except Exception as ex:
            return cast("ResponseT", await self._fail(ex, request_iterator, context, method_name))

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> AsyncIterator[ResponseT]:
        """Run a stream-stream RPC, mapping its exceptions to statuses, also mid-stream."""
        try:
            async for response in method(request_iterator, context):
                yield response
        except Exception as ex:
            await self._fail(ex, request_iterator, context, method_name)

    async def intercept(
        self,
        method: AsyncServerContinuation[RequestT, ResponseT],
        request_or_iterator: RequestT | AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> ResponseT | AsyncIterator[ResponseT]:
        """Run an RPC of any kind, mapping its exceptions to statuses.

        As in 0.15.4, a coroutine: it returns the response, or an async iterator of
        responses for a streaming RPC. The typed hooks do the work; this is here for
        subclasses that override ``intercept`` and call ``super().intercept``.
        """
        try:
            result = method(request_or_iterator, context)
            if not isinstance(result, AsyncIterator):
                return await result
        except Exception as ex:
            return cast("ResponseT", await self._fail(ex, request_or_iterator, context, method_name))
        return self._stream(result, request_or_iterator, context, method_name)

    async def _stream(
        self,
        responses: AsyncIterator[ResponseT],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> AsyncIterator[ResponseT]:
        try:
            async for response in responses:
                yield response
        except Exception as ex:
            await self._fail(ex, request_or_iterator, context, method_name)
