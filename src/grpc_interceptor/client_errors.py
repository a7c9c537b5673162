"""Typed errors on the client: a failed call raises ``NotFound``, ``InvalidArgument``, ...

The mirror of :class:`~grpc_interceptor.ExceptionToStatusInterceptor`. Install
:class:`StatusToExceptionInterceptor` on a sync channel (or
:class:`AsyncStatusToExceptionInterceptor` on a grpc.aio one) and a call that ends
with a non-OK status raises the :mod:`grpc_interceptor.exceptions` class of its code,
with the details and the trailing metadata the server sent (and, with the ``status``
extra, the decoded rich error details)::

    channel = grpc.intercept_channel(grpc.insecure_channel(target), StatusToExceptionInterceptor())
    try:
        stub.GetBook(GetBookRequest(id=42))
    except NotFound as e:
        print(e.details)  # a str attribute, as on the server side

For all four kinds: a unary response raises from the call (or ``.result()`` of its
future), a streaming response while it is iterated. The original error is chained as
``__cause__``.

**These exceptions are not** :class:`grpc.RpcError`. Our exceptions carry the status as
attributes (``e.status_code``, ``e.details``, ``e.trailing_metadata``), while code
written for grpc calls methods on an ``RpcError`` (``e.code()``, ``e.details()``): a
class that were both would either break the ``details`` attribute or make
``e.details()`` fail with "'str' object is not callable" inside an ``except
grpc.RpcError`` block that believes it handles the error, far from the cause.
Instead, code that still says ``except grpc.RpcError`` does not catch these
exceptions at all: the error goes up loudly, with the original ``RpcError`` as its
``__cause__``. The interceptor is opt-in, per channel; when adopting it, replace
``except grpc.RpcError`` with ``except GrpcException`` (or a subclass) and
``e.code()`` / ``e.details()`` with ``e.status_code`` / ``e.details``. Other client
interceptors further in the chain (installed after this one) still see grpc's own
errors, so put this one first.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import grpc
import grpc.aio

from grpc_interceptor.client import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor
from grpc_interceptor.exceptions import GrpcException, exception_class_for
from grpc_interceptor.protocols import (
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
    CallFuture,
    CallIterator,
    ClientStreamStreamContinuation,
    ClientStreamUnaryContinuation,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
    Metadata,
    RequestT,
    ResponseT,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    _Future: TypeAlias = grpc.Future[Any]
else:
    _Future = grpc.Future  # generic only in types-grpcio

__all__ = ["AsyncStatusToExceptionInterceptor", "StatusToExceptionInterceptor", "exception_from_rpc_error"]

_T = TypeVar("_T")

# The trailing metadata key of a rich google.rpc.Status (see rich_status).
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _status_of(error: BaseException) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str | bytes], ...]] | None:
    """The code, details and trailing metadata of a failed call's error, if it has a status."""
    code_of: object = getattr(error, "code", None)
    if not callable(code_of):
        return None
    code = code_of()
    if not isinstance(code, grpc.StatusCode) or code is grpc.StatusCode.OK:
        return None
    call = cast("grpc.Call", error)
    details = call.details()
    metadata = call.trailing_metadata()
    pairs = tuple((str(key), value) for key, value in metadata or ())
    return code, details if isinstance(details, str) else "", pairs


def exception_from_rpc_error(error: grpc.RpcError) -> GrpcException:
    """Return the :mod:`grpc_interceptor.exceptions` exception for a failed call's error.

    What the interceptors of this module raise, for code that catches
    :class:`grpc.RpcError` itself: ``raise exception_from_rpc_error(e) from e``.

    Args:
        error: The error of a failed call: a :class:`grpc.RpcError` that is also a
            :class:`grpc.Call` (as grpc raises them), or a :class:`grpc.aio.AioRpcError`.

    Returns:
        An instance of the class for the error's code (``NotFound``, ...) with the
        call's details (``""`` when the server sent none), its trailing metadata, and,
        with the ``status`` extra installed, its rich error details.

    Raises:
        ValueError: If ``error`` carries no status code, or the code is ``OK``.
    """
    status = _status_of(error)
    if status is None:
        raise ValueError(f"exception_from_rpc_error: {error!r} carries no error status code")
    return _exception(error, *status)


def _exception(
    error: BaseException, code: grpc.StatusCode, details: str, metadata: tuple[tuple[str, str | bytes], ...]
) -> GrpcException:
    cls = exception_class_for(code)
    exception = cls(details) if cls is not GrpcException else GrpcException(details, code)
    # Set directly: this is what the server sent, not something to check as input.
    exception.trailing_metadata = metadata
    if any(key == _STATUS_DETAILS_KEY for key, _ in metadata):
        try:
            from grpc_interceptor.rich_status import error_details_of
        except ImportError:  # pragma: no cover - the module itself needs nothing
            pass
        else:
            try:
                exception.error_details = error_details_of(cast("grpc.RpcError", error))
            except ImportError:  # without the status extra, the details stay in the metadata
                pass
    return exception


def _converted(error: BaseException) -> BaseException:
    """The typed exception for ``error``, chained to it; ``error`` itself if it has no status."""
    status = _status_of(error)
    if status is None:
        return error
    exception = _exception(error, *status)
    exception.__cause__ = error
    return exception


def _started(start: Callable[[], _T]) -> _T:
    try:
        return start()
    except grpc.RpcError as error:
        raise _converted(error) from error


class _CallProxy(grpc.Call):
    """The :class:`grpc.Call` side of a wrapped call: everything asks the real call."""

    _call: CallFuture[Any] | CallIterator[Any]

    def code(self) -> grpc.StatusCode:
        return self._call.code()

    def details(self) -> str:
        return self._call.details()

    def initial_metadata(self) -> Metadata:
        return self._call.initial_metadata()

    def trailing_metadata(self) -> Metadata:
        return self._call.trailing_metadata()

    def is_active(self) -> bool:
        return self._call.is_active()

    # types-grpcio declares float; grpc returns None for a call without a deadline.
    def time_remaining(self) -> float | None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return self._call.time_remaining()

    def cancel(self) -> bool:
        return self._call.cancel()

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return self._call.add_callback(callback)


class _RaisingCallFuture(_CallProxy, _Future, Generic[ResponseT]):
    """A call-future whose ``result()`` raises the typed exception instead of the RpcError."""

    def __init__(self, call: CallFuture[ResponseT]) -> None:
        self._call = call
        self._future = call
        self._exception: BaseException | None = None

    def _convert(self, error: BaseException) -> BaseException:
        if self._exception is None or self._exception.__cause__ is not error:
            self._exception = _converted(error)
        return self._exception

    def result(self, timeout: float | None = None) -> ResponseT:
        try:
            return self._future.result(timeout)
        except grpc.RpcError as error:
            raise self._convert(error) from error

    def exception(self, timeout: float | None = None) -> Exception | None:
        error = self._future.exception(timeout)
        return None if error is None else cast("Exception", self._convert(error))

    def traceback(self, timeout: float | None = None) -> TracebackType | None:
        return self._future.traceback(timeout)

    def add_done_callback(self, fn: Callable[[grpc.Future[Any]], None]) -> None:
        def done(_: object) -> None:
            fn(self)

        self._future.add_done_callback(done)

    def cancelled(self) -> bool:
        return self._future.cancelled()

    def running(self) -> bool:
        return self._future.running()

    def done(self) -> bool:
        return self._future.done()


class _RaisingCallIterator(_CallProxy, Generic[ResponseT]):
    """A streaming call whose iteration raises the typed exception instead of the RpcError."""

    def __init__(self, call: CallIterator[ResponseT]) -> None:
        self._call = call
        self._iterator = call

    def __iter__(self) -> Iterator[ResponseT]:
        return self

    def __next__(self) -> ResponseT:
        try:
            return next(self._iterator)
        except grpc.RpcError as error:
            raise _converted(error) from error

    # grpc's streaming call is a grpc.Future too.
    def result(self, timeout: float | None = None) -> object:
        try:
            return self._call.result(timeout)
        except grpc.RpcError as error:
            raise _converted(error) from error

    def exception(self, timeout: float | None = None) -> Exception | None:
        error = self._call.exception(timeout)
        return None if error is None else cast("Exception", _converted(error))

    def traceback(self, timeout: float | None = None) -> TracebackType | None:
        return self._call.traceback(timeout)

    def add_done_callback(self, fn: Callable[[grpc.Future[Any]], None]) -> None:
        self._call.add_done_callback(fn)

    def cancelled(self) -> bool:
        return self._call.cancelled()

    def running(self) -> bool:
        return self._call.running()

    def done(self) -> bool:
        return self._call.done()

    def __getattr__(self, name: str) -> Any:
        # Anything else grpc's streaming call offers.
        return getattr(self._call, name)


class StatusToExceptionInterceptor(ClientInterceptor[RequestT, ResponseT]):
    """Raise :mod:`grpc_interceptor.exceptions` classes for failed calls on a sync channel.

    ``except NotFound as e:`` then works in client code, with ``e.details`` (a
    ``str``), ``e.status_code``, ``e.trailing_metadata`` and ``e.error_details``; the
    :class:`grpc.RpcError` is ``e.__cause__``. The exceptions are not
    :class:`grpc.RpcError`: see the module documentation for why. Install it first,
    so that other interceptors still see grpc's errors::

        channel = grpc.intercept_channel(grpc.insecure_channel(target), StatusToExceptionInterceptor(), Retry())
    """

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[ResponseT]:
        """Raise typed errors from the call's result."""
        return _RaisingCallFuture(_started(lambda: method(request, call_details)))

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[ResponseT]:
        """Raise typed errors while the responses are iterated."""
        return _RaisingCallIterator(_started(lambda: method(request, call_details)))

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[ResponseT]:
        """Raise typed errors from the call's result."""
        return _RaisingCallFuture(_started(lambda: method(request_iterator, call_details)))

    def on_stream_stream(
        self,
        method: ClientStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[ResponseT]:
        """Raise typed errors while the responses are iterated."""
        return _RaisingCallIterator(_started(lambda: method(request_iterator, call_details)))


# --- grpc.aio ------------------------------------------------------------------------


class _RaisingAioCall:
    """What the grpc.aio unary-response call proxies share: everything but the response."""

    def __init__(self, call: grpc.aio.Call) -> None:
        self._call = call

    def cancelled(self) -> bool:
        return self._call.cancelled()

    def done(self) -> bool:
        return self._call.done()

    def time_remaining(self) -> float | None:
        return self._call.time_remaining()

    def cancel(self) -> bool:
        return self._call.cancel()

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        self._call.add_done_callback(lambda _: callback(self))

    async def initial_metadata(self) -> grpc.aio.Metadata:
        return await self._call.initial_metadata()

    async def trailing_metadata(self) -> grpc.aio.Metadata:
        return await self._call.trailing_metadata()

    async def code(self) -> grpc.StatusCode:
        return await self._call.code()

    async def details(self) -> str:
        return await self._call.details()

    async def wait_for_connection(self) -> None:
        await self._call.wait_for_connection()

    def __getattr__(self, name: str) -> Any:
        # grpc.aio's intercepted call reads private state of the call an interceptor
        # returns (`_done_writing_flag`, for the write API): pass it through.
        return getattr(self._call, name)


def _awaited_raising(awaitable: Generator[Any, None, _T]) -> Generator[Any, None, _T]:
    try:
        return (yield from awaitable)
    except grpc.aio.AioRpcError as error:
        raise _converted(error) from error


class _RaisingUnaryUnaryCall(_RaisingAioCall, grpc.aio.UnaryUnaryCall[Any, ResponseT]):
    def __init__(self, call: grpc.aio.UnaryUnaryCall[Any, ResponseT]) -> None:
        super().__init__(call)
        self._unary = call

    def __await__(self) -> Generator[None, None, ResponseT]:
        return _awaited_raising(self._unary.__await__())


class _RaisingStreamUnaryCall(_RaisingAioCall, grpc.aio.StreamUnaryCall[Any, ResponseT]):
    def __init__(self, call: grpc.aio.StreamUnaryCall[Any, ResponseT]) -> None:
        super().__init__(call)
        self._unary = call

    def __await__(self) -> Generator[None, None, ResponseT]:
        return _awaited_raising(self._unary.__await__())

    async def write(self, request: Any) -> None:
        await self._unary.write(request)

    async def done_writing(self) -> None:
        await self._unary.done_writing()


class _RaisingStreamResponse(_RaisingAioCall):
    def __init__(self, call: grpc.aio.UnaryStreamCall[Any, Any] | grpc.aio.StreamStreamCall[Any, Any]) -> None:
        super().__init__(call)
        self._stream = call
        self._responses: AsyncIterator[Any] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._responses is None:
            self._responses = _raising_responses(self._stream)
        return self._responses

    async def read(self) -> Any:
        try:
            return await self._stream.read()
        except grpc.aio.AioRpcError as error:
            raise _converted(error) from error


class _RaisingUnaryStreamCall(_RaisingStreamResponse, grpc.aio.UnaryStreamCall[Any, ResponseT]):
    pass


class _RaisingStreamStreamCall(_RaisingStreamResponse, grpc.aio.StreamStreamCall[Any, ResponseT]):
    def __init__(self, call: grpc.aio.StreamStreamCall[Any, ResponseT]) -> None:
        super().__init__(call)
        self._requests = call

    async def write(self, request: Any) -> None:
        await self._requests.write(request)

    async def done_writing(self) -> None:
        await self._requests.done_writing()


async def _started_aio(start: Callable[[], Any]) -> Any:
    try:
        return await start()
    except grpc.aio.AioRpcError as error:
        raise _converted(error) from error


async def _raising_responses(responses: AsyncIterable[_T]) -> AsyncIterator[_T]:
    try:
        async for response in responses:
            yield response
    except grpc.aio.AioRpcError as error:
        raise _converted(error) from error


class AsyncStatusToExceptionInterceptor(AsyncClientInterceptor[RequestT, ResponseT]):
    """The grpc.aio twin of :class:`StatusToExceptionInterceptor`.

    ``await`` of a unary response and ``async for`` over a streaming one raise the
    typed exception; ``await call.code()`` and the metadata of the call still work.
    Install it with :func:`~grpc_interceptor.aio_channel_interceptors`, first::

        channel = grpc.aio.insecure_channel(
            target, interceptors=aio_channel_interceptors(AsyncStatusToExceptionInterceptor())
        )
    """

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.UnaryUnaryCall[Any, ResponseT]:
        """Raise typed errors when the call is awaited."""
        call: grpc.aio.UnaryUnaryCall[Any, ResponseT] = await _started_aio(lambda: method(request, call_details))
        return _RaisingUnaryUnaryCall(call)

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.UnaryStreamCall[Any, ResponseT]:
        """Raise typed errors while the responses are iterated."""
        call: grpc.aio.UnaryStreamCall[Any, ResponseT] = await _started_aio(lambda: method(request, call_details))
        return _RaisingUnaryStreamCall(call)

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.StreamUnaryCall[Any, ResponseT]:
        """Raise typed errors when the call is awaited."""
        call: grpc.aio.StreamUnaryCall[Any, ResponseT] = await _started_aio(
            lambda: method(request_iterator, call_details)
        )
        return _RaisingStreamUnaryCall(call)

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.StreamStreamCall[Any, ResponseT]:
        """Raise typed errors while the responses are iterated."""
        call: grpc.aio.StreamStreamCall[Any, ResponseT] = await _started_aio(
            lambda: method(request_iterator, call_details)
        )
        return _RaisingStreamStreamCall(call)
