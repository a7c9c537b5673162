"""Type variables and the shapes of continuations, named once for the whole library.

A *continuation* is what an interceptor calls to go on with the RPC: the next
interceptor in the chain, or in the end the method implementation (on a server) or
the channel (on a client). Each RPC kind has its own continuation shape, so that a
typed hook knows whether it gets a message or an iterator of messages.

Every continuation is a :class:`typing.Protocol` with a positional-only
``__call__``: grpc passes arguments by position, so the names in a user's own
annotations never matter.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

import grpc

if TYPE_CHECKING:
    import grpc.aio

# Type parameter defaults (PEP 696) arrived in Python 3.13.
if sys.version_info >= (3, 13):
    from typing import TypeVar as _DefaultTypeVar
else:
    from typing_extensions import TypeVar as _DefaultTypeVar

__all__ = [
    "AsyncClientContinuation",
    "AsyncClientStreamStreamContinuation",
    "AsyncClientStreamUnaryContinuation",
    "AsyncClientUnaryStreamContinuation",
    "AsyncClientUnaryUnaryContinuation",
    "AsyncResponseStream",
    "AsyncServerContinuation",
    "AsyncStreamStreamContinuation",
    "AsyncStreamUnaryContinuation",
    "AsyncUnaryStreamContinuation",
    "AsyncUnaryUnaryContinuation",
    "CallFuture",
    "CallIterator",
    "ClientContinuation",
    "ClientStreamStreamContinuation",
    "ClientStreamUnaryContinuation",
    "ClientUnaryStreamContinuation",
    "ClientUnaryUnaryContinuation",
    "Metadata",
    "RequestT",
    "ResponseT",
    "ServerContinuation",
    "StreamStreamContinuation",
    "StreamUnaryContinuation",
    "UnaryStreamContinuation",
    "UnaryUnaryContinuation",
]

#: The request message type of an interceptor class. Defaults to ``Any`` so that an
#: unparametrised subclass (``class Audit(ServerInterceptor)``, as 0.15.4 users wrote it)
#: is still valid under ``mypy --strict`` and intercepts every method.
RequestT = _DefaultTypeVar("RequestT", default=Any)
#: The response message type of an interceptor class; ``Any`` by default, like RequestT.
ResponseT = _DefaultTypeVar("ResponseT", default=Any)

# Contravariant: a continuation that accepts any Message can be passed to a hook that
# will only ever call it with a SearchRequest.
_RequestT_contra = TypeVar("_RequestT_contra", contravariant=True)
# Covariant: a continuation that produces SearchResponse can stand where one that
# produces a Message is expected.
_ResponseT_co = TypeVar("_ResponseT_co", covariant=True)
# Calls are both produced and consumed by the caller, hence plain (invariant) variables.
_T = TypeVar("_T")

#: Metadata as grpc hands it out: a tuple of ``(key, value)`` pairs; values of keys
#: ending in ``-bin`` are bytes.
Metadata: TypeAlias = tuple[tuple[str, str | bytes], ...]


# --- Sync server ---------------------------------------------------------------------


class UnaryUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-unary RPC on a sync server: one message in, one out."""

    def __call__(self, request: _RequestT_contra, context: grpc.ServicerContext, /) -> _ResponseT_co:
        """Run the rest of the chain and return the response message."""
        ...


class UnaryStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-stream RPC on a sync server: one message in, an iterator out."""

    def __call__(self, request: _RequestT_contra, context: grpc.ServicerContext, /) -> Iterator[_ResponseT_co]:
        """Run the rest of the chain; nothing runs until the iterator is consumed."""
        ...


class StreamUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-unary RPC on a sync server: an iterator in, one message out."""

    def __call__(self, request_iterator: Iterator[_RequestT_contra], context: grpc.ServicerContext, /) -> _ResponseT_co:
        """Run the rest of the chain and return the response message."""
        ...


class StreamStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-stream RPC on a sync server: iterators in and out."""

    def __call__(
        self, request_iterator: Iterator[_RequestT_contra], context: grpc.ServicerContext, /
    ) -> Iterator[_ResponseT_co]:
        """Run the rest of the chain; nothing runs until the iterator is consumed."""
        ...


class ServerContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The continuation of the catch-all sync ``intercept``: any of the four kinds.

    It takes a message or an iterator of messages and returns a message or an
    iterator of messages, depending on the kind of the RPC being intercepted.
    """

    def __call__(
        self,
        request_or_iterator: _RequestT_contra | Iterator[_RequestT_contra],
        context: grpc.ServicerContext,
        /,
    ) -> _ResponseT_co | Iterator[_ResponseT_co]:
        """Run the rest of the chain."""
        ...


# --- grpc.aio server -----------------------------------------------------------------


class AsyncUnaryUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-unary RPC on a grpc.aio server; await its result."""

    def __call__(
        self, request: _RequestT_contra, context: grpc.aio.ServicerContext[Any, Any], /
    ) -> Awaitable[_ResponseT_co]:
        """Run the rest of the chain; await the result for the response message."""
        ...


class AsyncUnaryStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-stream RPC on a grpc.aio server; iterate with ``async for``.

    The iterator yields every response, whether the handler yields it or writes it
    with ``context.write()``.
    """

    def __call__(
        self, request: _RequestT_contra, context: grpc.aio.ServicerContext[Any, Any], /
    ) -> AsyncIterator[_ResponseT_co]:
        """Run the rest of the chain; nothing runs until the iterator is consumed."""
        ...


class AsyncStreamUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-unary RPC on a grpc.aio server; await its result.

    The handler gets its requests from ``request_iterator`` whether it iterates or
    calls ``context.read()``.
    """

    def __call__(
        self,
        request_iterator: AsyncIterator[_RequestT_contra],
        context: grpc.aio.ServicerContext[Any, Any],
        /,
    ) -> Awaitable[_ResponseT_co]:
        """Run the rest of the chain; await the result for the response message."""
        ...


class AsyncStreamStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-stream RPC on a grpc.aio server; iterate with ``async for``."""

    def __call__(
        self,
        request_iterator: AsyncIterator[_RequestT_contra],
        context: grpc.aio.ServicerContext[Any, Any],
        /,
    ) -> AsyncIterator[_ResponseT_co]:
        """Run the rest of the chain; nothing runs until the iterator is consumed."""
        ...


class AsyncResponseStream(Protocol[_ResponseT_co]):
    """What the catch-all async continuation returns for a streaming response.

    An async iterator of the responses (yielded or written by the handler) that can
    also be awaited, as 0.15.4 code does: that gives the async iterator, or ``None``
    once a handler using ``context.write()`` has written them all.
    """

    def __aiter__(self) -> AsyncIterator[_ResponseT_co]:
        """Iterate every response."""
        ...

    def __anext__(self) -> Awaitable[_ResponseT_co]:
        """Return the next response."""
        ...

    def __await__(self) -> Generator[Any, Any, AsyncIterator[_ResponseT_co] | None]:
        """Run the rest of the chain as 0.15.4 did."""
        ...


class AsyncServerContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The continuation of the catch-all async ``intercept``: any of the four kinds.

    For a unary response it returns an awaitable; for a streaming response an
    :class:`AsyncResponseStream` (test with ``hasattr(result, "__aiter__")``, as 0.15.4
    users do). Both can be awaited, so ``Callable[..., Awaitable[Any]]`` annotations of
    0.15.4 code accept it.
    """

    def __call__(
        self,
        request_or_iterator: _RequestT_contra | AsyncIterator[_RequestT_contra],
        context: grpc.aio.ServicerContext[Any, Any],
        /,
    ) -> Awaitable[_ResponseT_co] | AsyncResponseStream[_ResponseT_co]:
        """Run the rest of the chain."""
        ...


# --- Sync client ---------------------------------------------------------------------


class CallFuture(Protocol[_ResponseT_co]):
    """What a sync client continuation returns for a unary response.

    It is both a :class:`grpc.Call` and a :class:`grpc.Future`: ``result()`` gives the
    response message or raises the :class:`grpc.RpcError`.
    """

    def result(self, timeout: float | None = None) -> _ResponseT_co:
        """Return the response message, or raise the RPC's error."""
        ...

    def exception(self, timeout: float | None = None) -> Exception | None:
        """Return the RPC's error, or ``None`` if it succeeded."""
        ...

    def code(self) -> grpc.StatusCode:
        """Return the status code of the RPC."""
        ...

    def details(self) -> str:
        """Return the details string of the RPC's status."""
        ...

    def initial_metadata(self) -> Metadata:
        """Return the metadata the server sent first."""
        ...

    def trailing_metadata(self) -> Metadata:
        """Return the metadata the server sent with the status."""
        ...

    def is_active(self) -> bool:
        """Tell whether the RPC is still running."""
        ...

    def time_remaining(self) -> float | None:
        """Return the seconds left before the deadline."""
        ...

    def cancel(self) -> bool:
        """Cancel the RPC."""
        ...

    def add_callback(self, callback: Callable[[], None]) -> bool:
        """Register a callback for the end of the RPC."""
        ...

    def cancelled(self) -> bool:
        """Tell whether the RPC was cancelled."""
        ...

    def running(self) -> bool:
        """Tell whether the RPC is running."""
        ...

    def done(self) -> bool:
        """Tell whether the RPC has ended."""
        ...

    def traceback(self, timeout: float | None = None) -> TracebackType | None:
        """Return the traceback of the RPC's error."""
        ...

    # grpc.Future is invariant in its value: the callback is typed as grpc's stub types it.
    def add_done_callback(self, fn: Callable[[grpc.Future[Any]], None]) -> None:
        """Register a callback run when the future is done."""
        ...


class CallIterator(Protocol[_ResponseT_co]):
    """What a sync client continuation returns for a streaming response.

    It is both a :class:`grpc.Call` and an iterator of response messages.
    """

    def __iter__(self) -> Iterator[_ResponseT_co]:
        """Iterate over the response messages."""
        ...

    def __next__(self) -> _ResponseT_co:
        """Return the next response message."""
        ...

    def code(self) -> grpc.StatusCode:
        """Return the status code of the RPC (blocks until it ends)."""
        ...

    def details(self) -> str:
        """Return the details string of the RPC's status."""
        ...

    def initial_metadata(self) -> Metadata:
        """Return the metadata the server sent first."""
        ...

    def trailing_metadata(self) -> Metadata:
        """Return the metadata the server sent with the status."""
        ...

    def is_active(self) -> bool:
        """Tell whether the RPC is still running."""
        ...

    def time_remaining(self) -> float | None:
        """Return the seconds left before the deadline."""
        ...

    def cancel(self) -> bool:
        """Cancel the RPC."""
        ...

    def add_callback(self, callback: Callable[[], None]) -> bool:
        """Register a callback for the end of the RPC."""
        ...

    # grpc's sync streaming calls are futures too (the object is Call, Future and
    # iterator): the same members as CallFuture, so that what any continuation returns
    # fits 0.15.4's ClientInterceptorReturnType.
    def result(self, timeout: float | None = None) -> object:
        """Wait for the end of the RPC; raise its error if it failed (the responses come by iterating)."""
        ...

    def exception(self, timeout: float | None = None) -> Exception | None:
        """Return the RPC's error, or ``None`` if it succeeded."""
        ...

    def traceback(self, timeout: float | None = None) -> TracebackType | None:
        """Return the traceback of the RPC's error."""
        ...

    def add_done_callback(self, fn: Callable[[grpc.Future[Any]], None]) -> None:
        """Register a callback run when the RPC has ended."""
        ...

    def cancelled(self) -> bool:
        """Tell whether the RPC was cancelled."""
        ...

    def running(self) -> bool:
        """Tell whether the RPC is running."""
        ...

    def done(self) -> bool:
        """Tell whether the RPC has ended."""
        ...


class ClientUnaryUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-unary call on a sync channel."""

    def __call__(self, request: _RequestT_contra, call_details: grpc.ClientCallDetails, /) -> CallFuture[_ResponseT_co]:
        """Start the rest of the chain; ``.result()`` of the return value is the response."""
        ...


class ClientUnaryStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a unary-stream call on a sync channel."""

    def __call__(
        self, request: _RequestT_contra, call_details: grpc.ClientCallDetails, /
    ) -> CallIterator[_ResponseT_co]:
        """Start the rest of the chain; iterate the return value for the responses."""
        ...


class ClientStreamUnaryContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-unary call on a sync channel."""

    def __call__(
        self, request_iterator: Iterator[_RequestT_contra], call_details: grpc.ClientCallDetails, /
    ) -> CallFuture[_ResponseT_co]:
        """Start the rest of the chain; ``.result()`` of the return value is the response."""
        ...


class ClientStreamStreamContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The next step of a stream-stream call on a sync channel."""

    def __call__(
        self, request_iterator: Iterator[_RequestT_contra], call_details: grpc.ClientCallDetails, /
    ) -> CallIterator[_ResponseT_co]:
        """Start the rest of the chain; iterate the return value for the responses."""
        ...


class ClientContinuation(Protocol[_RequestT_contra, _ResponseT_co]):
    """The continuation of the catch-all sync client ``intercept``: any of the four kinds."""

    def __call__(
        self,
        request_or_iterator: _RequestT_contra | Iterator[_RequestT_contra],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[_ResponseT_co] | CallIterator[_ResponseT_co]:
        """Start the rest of the chain."""
        ...


# --- grpc.aio client -----------------------------------------------------------------


class AsyncClientUnaryUnaryContinuation(Protocol[_RequestT_contra, _T]):
    """The next step of a unary-unary call on a grpc.aio channel.

    ``call = await method(request, call_details)`` starts the call; ``await call``
    gives the response or raises :class:`grpc.aio.AioRpcError`.
    """

    def __call__(
        self, request: _RequestT_contra, call_details: grpc.ClientCallDetails, /
    ) -> Awaitable[grpc.aio.UnaryUnaryCall[Any, _T]]:
        """Start the rest of the chain."""
        ...


class AsyncClientUnaryStreamContinuation(Protocol[_RequestT_contra, _T]):
    """The next step of a unary-stream call on a grpc.aio channel; ``async for`` the call."""

    def __call__(
        self, request: _RequestT_contra, call_details: grpc.ClientCallDetails, /
    ) -> Awaitable[grpc.aio.UnaryStreamCall[Any, _T]]:
        """Start the rest of the chain."""
        ...


class AsyncClientStreamUnaryContinuation(Protocol[_RequestT_contra, _T]):
    """The next step of a stream-unary call on a grpc.aio channel."""

    def __call__(
        self,
        request_iterator: AsyncIterable[_RequestT_contra] | Iterable[_RequestT_contra],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> Awaitable[grpc.aio.StreamUnaryCall[Any, _T]]:
        """Start the rest of the chain."""
        ...


class AsyncClientStreamStreamContinuation(Protocol[_RequestT_contra, _T]):
    """The next step of a stream-stream call on a grpc.aio channel; ``async for`` the call."""

    def __call__(
        self,
        request_iterator: AsyncIterable[_RequestT_contra] | Iterable[_RequestT_contra],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> Awaitable[grpc.aio.StreamStreamCall[Any, _T]]:
        """Start the rest of the chain."""
        ...


class AsyncClientContinuation(Protocol[_RequestT_contra]):
    """The continuation of the catch-all async client ``intercept``: any of the four kinds.

    ``call = await method(request_or_iterator, call_details)`` starts the call.
    """

    def __call__(
        self,
        request_or_iterator: _RequestT_contra | AsyncIterable[_RequestT_contra] | Iterable[_RequestT_contra],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> Awaitable[grpc.aio.Call]:
        """Start the rest of the chain."""
        ...
