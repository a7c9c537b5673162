"""Interceptors that turn exceptions raised by a service into gRPC statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, NoReturn, Protocol, cast

import grpc
import grpc.aio
from grpc import aio as grpc_aio  # noqa: F401  # pyright: ignore[reportUnusedImport]  # 0.15.4 had it

from grpc_interceptor._sendable import LOGGER, Sendable, sendable, sendable_text
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


def _code_already_set(context: object) -> grpc.StatusCode | None:
    """Return the status the handler already chose (``context.abort()`` or ``set_code``), if any."""
    code = getattr(context, "code", None)
    if code is None:
        return None
    current = cast("_HasCode", context).code()
    if current is None or current == grpc.StatusCode.OK or current == 0:
        return None
    # A code that is no StatusCode (an int, say) cannot be sent as it is.
    return current if isinstance(current, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def _aborted(ex: Exception) -> bool:
    """Tell whether ``ex`` is what ``context.abort()`` raised: the status is the handler's own.

    grpc.aio raises ``AbortError``; the sync server a bare ``Exception()``. A bare
    ``Exception()`` that is not an abort passes for one: it has no text to leak.
    """
    return isinstance(ex, grpc.aio.AbortError) or (type(ex) is Exception and not ex.args)


def _safe_repr(ex: Exception) -> str:
    try:
        return repr(ex)
    except Exception:
        return f"<{type(ex).__name__} object whose repr() failed>"


def _with_rich_details(ex: GrpcException, status: Sendable) -> grpc.Status | None:
    """Return the ``abort_with_status`` argument for an exception with error details, or ``None``.

    Without the ``status`` extra, or with details it cannot pack, the RPC still ends
    with the exception's code and details, and a warning says why the rest is missing.
    """
    try:
        # Imported here: only rich details need the `status` extra.
        from grpc_interceptor.rich_status import rich_status_of

        return rich_status_of(status)
    except Exception as error:
        LOGGER.warning("%s: its error_details are not sent, since they cannot be: %s", type(ex).__name__, error)
        return None


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
                raise ValueError(
                    "The status code for unknown exceptions cannot be OK: the client would see no error. "
                    "Pass another grpc.StatusCode, or None to leave grpc's UNKNOWN."
                )
        if unknown_exception_details is not None and not isinstance(unknown_exception_details, str):
            raise TypeError(
                f"unknown_exception_details must be a str or None, got {type(unknown_exception_details).__name__}"
            )
        self._status_on_unknown_exception = status_on_unknown_exception
        self._unknown_exception_details = unknown_exception_details

    def _status_for_unknown(self, ex: Exception, context: object) -> tuple[grpc.StatusCode, str] | None:
        """Return the status to abort with for an exception that is no GrpcException, if any.

        None leaves the status to grpc (UNKNOWN, with grpc's own text of the exception),
        as 0.15.4 did, unless fixed details were asked for: then UNKNOWN with those.
        A code the handler set before is kept, as in 0.15.4; with fixed details, those
        go with it instead of grpc's text of the exception, unless the handler aborted
        (then its own details stay).
        """
        code, details = self._status_on_unknown_exception, self._unknown_exception_details
        if code is None and details is None:
            return None
        already_set = _code_already_set(context)
        if already_set is not None:
            if details is None or _aborted(ex):
                return None
            return already_set, sendable_text(details)
        text = _safe_repr(ex) if details is None else details
        return code or grpc.StatusCode.UNKNOWN, sendable_text(text)


class ExceptionToStatusInterceptor(_StatusSettings, ServerInterceptor[RequestT, ResponseT]):
    """Turn exceptions raised while handling an RPC into the RPC's status and details.

    A :class:`~grpc_interceptor.exceptions.GrpcException` (``NotFound``,
    ``InvalidArgument``, ...) becomes its status code and details, also when a
    streaming handler raises it after sending some messages. A status the handler
    already set with ``context.abort()`` is kept. Override :meth:`handle_exception`
    to map other exceptions, or to send rich statuses with ``abort_with_status()``.

    Every status it sends can be sent, so that the RPC ends at once: details that are
    not a ``str`` go as their ``str()``; what cannot be encoded as UTF-8 (a lone
    surrogate) becomes ``?``; details longer than 2,048 bytes as grpc sends them
    (percent-encoded: 2,048 characters of printable ASCII, fewer of other text) are
    cut and end with ``" ... (cut)"``. A ``GrpcException`` whose code is not an error
    (``OK``, set after construction or as a class attribute) ends the RPC with
    UNKNOWN; ``error_details`` or ``trailing_metadata`` that grpc would refuse are
    left out. Each of those logs a warning on the ``grpc_interceptor.exceptions``
    logger.

    Args:
        status_on_unknown_exception: What status an exception that is not a
            ``GrpcException`` gets. If ``None`` (the default), grpc's own: UNKNOWN.
            Otherwise this code, which must not be ``OK``, with ``repr(e)`` as the
            details (a fixed text if ``repr`` fails). A code the handler set before
            raising (``context.set_code()``) is kept instead. In every case the
            exception propagates.
        unknown_exception_details: If not ``None``, the details sent for an unknown
            exception instead of its text (``repr(e)``, or grpc's own message), which
            may show internals (a database error's text, say) to clients; with no
            ``status_on_unknown_exception``, the code is UNKNOWN. They are sent also
            with a code the handler set before raising: no text of an unexpected
            exception reaches the client, whatever the handler set. Only a status the
            handler chose with ``context.abort()`` keeps its own details. The text
            stays the default for compatibility with 0.15.4.

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
        request_or_iterator: RequestT | Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
    ) -> NoReturn:
        """Set the status for an exception raised while handling the RPC; override to extend.

        This must raise, and cannot return: once an exception was raised there is in
        general no response to return. Raise ``ex`` itself or another exception; call
        ``context.abort(...)`` (which raises) to choose the status. Should an override
        return nonetheless, ``ex`` is raised again.

        A ``GrpcException`` with ``trailing_metadata`` sends it with the status; one
        with ``error_details`` is sent as a rich ``google.rpc.Status`` with
        ``context.abort_with_status()`` (this needs the ``status`` extra). What such
        an exception holds that grpc cannot send is left out with a logged warning
        (see the class's notes), never at the cost of its status code.

        Args:
            ex: The exception that was raised.
            request_or_iterator: The request message, or the request iterator of a
                streaming request.
            context: The servicer context.
            method_name: The method, ``/package.Service/Method``.

        Raises:
            Exception: Always: what ``context.abort()`` raises, or ``ex``.
        """
        if isinstance(ex, GrpcException):
            status = sendable(ex)
            if status.error_details:
                rich = _with_rich_details(ex, status)
                if rich is not None:
                    context.abort_with_status(rich)
            if status.trailing_metadata:
                context.set_trailing_metadata(status.trailing_metadata)
            context.abort(status.code, status.details)
        unknown = self._status_for_unknown(ex, context)
        if unknown is not None:
            context.abort(*unknown)
        raise ex

    def _fail(self, ex: Exception, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str) -> Any:
        # An override may return, although it is declared not to.
        handle: Callable[..., object] = self.handle_exception
        handle(ex, request_or_iterator, context, method_name)
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
        request_or_iterator: RequestT | AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
    ) -> NoReturn:
        """Set the status for an exception raised while handling the RPC; override to extend.

        Like :meth:`ExceptionToStatusInterceptor.handle_exception`: it must raise
        (``await context.abort(...)`` raises), and ``ex`` is raised again if it returns.

        Args:
            ex: The exception that was raised.
            request_or_iterator: The request message, or the request iterator of a
                streaming request.
            context: The servicer context.
            method_name: The method, ``/package.Service/Method``.

        Raises:
            Exception: Always: what ``context.abort()`` raises, or ``ex``.
        """
        if isinstance(ex, GrpcException):
            status = sendable(ex)
            if status.error_details:
                rich = _with_rich_details(ex, status)
                if rich is not None:
                    await context.abort_with_status(rich)
            if status.trailing_metadata:
                await context.abort(status.code, status.details, status.trailing_metadata)
            await context.abort(status.code, status.details)
        unknown = self._status_for_unknown(ex, context)
        if unknown is not None:
            await context.abort(*unknown)
        raise ex

    async def _fail(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any], method_name: str
    ) -> Any:
        # An override may return, although it is declared not to.
        handle: Callable[..., Awaitable[object]] = self.handle_exception
        await handle(ex, request_or_iterator, context, method_name)
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
