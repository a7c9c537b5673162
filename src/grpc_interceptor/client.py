"""Base classes for client-side interceptors, sync and grpc.aio.

Subclass :class:`ClientInterceptor` for a sync channel (``grpc.intercept_channel``) or
:class:`AsyncClientInterceptor` for a grpc.aio channel, and override the catch-all
``intercept`` or one typed hook per RPC kind. An async interceptor is installed with
:func:`aio_channel_interceptors`, which covers all four kinds.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, cast

import grpc
import grpc.aio

from grpc_interceptor._call_details import ClientCallDetails, as_our_details
from grpc_interceptor._client_aio import AnsweredStreamStreamCall, AnsweredStreamUnaryCall, AnsweredUnaryStreamCall
from grpc_interceptor._handlers import PerObjectState, keep
from grpc_interceptor._hooks import RefusesHookless, pick_hook
from grpc_interceptor._kinds import KINDS
from grpc_interceptor.protocols import (
    AsyncClientContinuation,
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
    CallFuture,
    CallIterator,
    ClientContinuation,
    ClientStreamStreamContinuation,
    ClientStreamUnaryContinuation,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
    RequestT,
    ResponseT,
)

__all__ = [
    "AsyncClientInterceptor",
    "ClientCallDetails",
    "ClientInterceptor",
    "ClientInterceptorReturnType",
    "aio_channel_interceptors",
]


# grpc's entry points, besides the hooks: a subclass that overrides one does its own thing.
_SYNC_CLIENT_ENTRY_POINTS = tuple(
    f"intercept_{kind}" for kind in ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
)


# grpc.Future is generic only in types-grpcio, not at run time.
if TYPE_CHECKING:
    _Future: TypeAlias = grpc.Future[Any]
else:
    _Future = grpc.Future


if TYPE_CHECKING:
    # For the checkers, the shape both CallFuture and CallIterator have (grpc's sync calls
    # are all Call and Future, streams iterators too): an override annotated
    # `-> ClientInterceptorReturnType` may return what a typed continuation gives, and is
    # still a valid override of `intercept`.
    class ClientInterceptorReturnType(CallFuture[Any], Protocol):
        """What a sync client continuation returns: both a :class:`grpc.Call` and a :class:`grpc.Future`."""

else:

    class ClientInterceptorReturnType(grpc.Call, _Future):
        """What a sync client continuation returns: both a :class:`grpc.Call` and a :class:`grpc.Future`.

        Kept from 0.15.4 for annotations written against it; typed code uses
        :class:`~grpc_interceptor.protocols.CallFuture` and
        :class:`~grpc_interceptor.protocols.CallIterator`. Type checkers see it as the
        shape both of those share, so ``-> ClientInterceptorReturnType`` accepts what
        any continuation returns.
        """


def _swap(continuation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Grpc's continuations take (details, request); hooks call (request, details), as in 0.15.4."""

    def method(request_or_iterator: Any, call_details: Any) -> Any:
        return continuation(call_details, request_or_iterator)

    return method


class _KindHooks(PerObjectState):
    """The hook to call for each kind, picked once per interceptor object (its ``owner``)."""

    __slots__ = ("owner", "stream_stream", "stream_unary", "unary_stream", "unary_unary")

    unary_unary: Callable[..., Any]
    unary_stream: Callable[..., Any]
    stream_unary: Callable[..., Any]
    stream_stream: Callable[..., Any]

    def __init__(self, interceptor: object, base: type) -> None:
        self.owner = interceptor
        for kind in KINDS:  # an attribute each, read on every call
            setattr(self, kind.name, pick_hook(interceptor, base, kind.hook)[0])


class ClientInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
    RefusesHookless,
    Generic[RequestT, ResponseT],
):
    """Base class for interceptors of a sync channel (``grpc.intercept_channel``).

    Override the catch-all :meth:`intercept` (every kind, as in 0.15.4) or the typed
    hook of each kind. The continuation ``method(request_or_iterator, call_details)``
    may be called any number of times: not at all (a cached answer), once, or again
    after a failure (a retry). It returns a call-future: ``.result()`` gives the
    response or raises the :class:`grpc.RpcError`; for a streaming response, iterate it.
    """

    # Created on first use, not in __init__: subclasses may skip super().__init__().
    _grpc_interceptor_hooks: _KindHooks | None = None
    _grpc_interceptor_entry_points = _SYNC_CLIENT_ENTRY_POINTS

    def intercept(
        self,
        method: ClientContinuation[RequestT, ResponseT],
        request_or_iterator: RequestT | Iterator[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[ResponseT] | CallIterator[ResponseT]:
        """Intercept a call of any kind; override this or the typed hooks.

        Args:
            method: The continuation: the next interceptor, or the channel.
            request_or_iterator: The request message, or an iterator of request
                messages for a streaming request.
            call_details: What the RPC is; pass a changed
                :class:`ClientCallDetails` to ``method`` to change it.

        Returns:
            What ``method`` returned, or an object of the same shape.
        """
        return method(request_or_iterator, call_details)

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[ResponseT]:
        """Intercept a unary-unary call: return ``method(request, call_details)`` or the like."""
        return cast(
            "CallFuture[ResponseT]",
            self.intercept(cast("ClientContinuation[RequestT, ResponseT]", method), request, call_details),
        )

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[ResponseT]:
        """Intercept a unary-stream call: return ``method(request, call_details)`` or the like."""
        return cast(
            "CallIterator[ResponseT]",
            self.intercept(cast("ClientContinuation[RequestT, ResponseT]", method), request, call_details),
        )

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[ResponseT]:
        """Intercept a stream-unary call: return ``method(request_iterator, call_details)``."""
        return cast(
            "CallFuture[ResponseT]",
            self.intercept(cast("ClientContinuation[RequestT, ResponseT]", method), request_iterator, call_details),
        )

    def on_stream_stream(
        self,
        method: ClientStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[ResponseT]:
        """Intercept a stream-stream call: return ``method(request_iterator, call_details)``."""
        return cast(
            "CallIterator[ResponseT]",
            self.intercept(cast("ClientContinuation[RequestT, ResponseT]", method), request_iterator, call_details),
        )

    def _grpc_interceptor_kind_hooks(self) -> _KindHooks:
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:  # first call, or a copy of a used interceptor
            hooks = keep(self, "_grpc_interceptor_hooks", _KindHooks(self, ClientInterceptor))
        return hooks

    # 0.15.4's parameter names (call_details), not those of grpc's stubs (client_call_details).
    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:
            hooks = self._grpc_interceptor_kind_hooks()
        return hooks.unary_unary(_swap(continuation), request, as_our_details(call_details))

    # 0.15.4's parameter names (call_details), not those of grpc's stubs (client_call_details).
    def intercept_unary_stream(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:  # pyright: ignore[reportIncompatibleMethodOverride]
        """Implement :class:`grpc.UnaryStreamClientInterceptor`; not part of this class's API."""
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:
            hooks = self._grpc_interceptor_kind_hooks()
        return hooks.unary_stream(_swap(continuation), request, as_our_details(call_details))

    # 0.15.4's parameter names (call_details), not those of grpc's stubs (client_call_details).
    def intercept_stream_unary(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamUnaryClientInterceptor`; not part of this class's API."""
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:
            hooks = self._grpc_interceptor_kind_hooks()
        return hooks.stream_unary(_swap(continuation), request_iterator, as_our_details(call_details))

    # 0.15.4's parameter names (call_details), not those of grpc's stubs (client_call_details).
    def intercept_stream_stream(  # pyright: ignore[reportIncompatibleMethodOverride]
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamStreamClientInterceptor`; not part of this class's API."""
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:
            hooks = self._grpc_interceptor_kind_hooks()
        return hooks.stream_stream(_swap(continuation), request_iterator, as_our_details(call_details))


class AsyncClientInterceptor(RefusesHookless, Generic[RequestT, ResponseT]):
    """Base class for interceptors of a grpc.aio channel.

    The async twin of :class:`ClientInterceptor`; all hooks are ``async def``. The
    continuation is a coroutine: ``call = await method(request, call_details)``
    starts the RPC; ``await call`` gives the response (or raises
    :class:`grpc.aio.AioRpcError`), ``async for`` over it gives a stream's responses,
    and ``await call.code()`` its status. A hook returns the call, or the response
    itself (for a streaming response, an async iterator of responses).

    grpc.aio registers an interceptor object for one kind only, so install it with
    :func:`aio_channel_interceptors`::

        channel = grpc.aio.insecure_channel(target, interceptors=aio_channel_interceptors(Auth()))

    Hooks receive a :class:`ClientCallDetails` with ``method`` as ``str``.
    """

    # Created on first use, not in __init__: subclasses may skip super().__init__().
    _grpc_interceptor_hooks: _KindHooks | None = None
    _grpc_interceptor_entry_points = ()

    async def intercept(
        self,
        method: AsyncClientContinuation[RequestT],
        request_or_iterator: RequestT | AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | AsyncIterator[ResponseT] | grpc.aio.Call:
        """Intercept a call of any kind; override this or the typed hooks.

        Args:
            method: The continuation; ``await`` it for the call.
            request_or_iterator: The request, or the request iterator of a streaming
                request.
            call_details: What the RPC is; pass a changed copy to ``method``.

        Returns:
            The call ``method`` gave, or the response(s).
        """
        return await method(request_or_iterator, call_details)

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.UnaryUnaryCall[Any, ResponseT]:
        """Intercept a unary-unary call: ``return await method(request, call_details)``, or a response."""
        return cast(
            "ResponseT", await self.intercept(cast("AsyncClientContinuation[RequestT]", method), request, call_details)
        )

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.UnaryStreamCall[Any, ResponseT]:
        """Intercept a unary-stream call: return the call, or an async iterator of responses."""
        return cast(
            "AsyncIterator[ResponseT]",
            await self.intercept(cast("AsyncClientContinuation[RequestT]", method), request, call_details),
        )

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.StreamUnaryCall[Any, ResponseT]:
        """Intercept a stream-unary call: ``return await method(request_iterator, call_details)``."""
        return cast(
            "ResponseT",
            await self.intercept(cast("AsyncClientContinuation[RequestT]", method), request_iterator, call_details),
        )

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.StreamStreamCall[Any, ResponseT]:
        """Intercept a stream-stream call: return the call, or an async iterator of responses."""
        return cast(
            "AsyncIterator[ResponseT]",
            await self.intercept(cast("AsyncClientContinuation[RequestT]", method), request_iterator, call_details),
        )

    def _grpc_interceptor_kind_hooks(self) -> _KindHooks:
        hooks = self._grpc_interceptor_hooks
        if hooks is None or hooks.owner is not self:  # first call, or a copy of a used interceptor
            hooks = keep(self, "_grpc_interceptor_hooks", _KindHooks(self, AsyncClientInterceptor))
        return hooks


def _details_for_hooks(details: grpc.aio.ClientCallDetails) -> ClientCallDetails:
    """Turn grpc.aio's details (bytes method, five fields, Metadata) into ours."""
    # types-grpcio says str; grpc.aio passes bytes.
    method: object = details.method
    name = method.decode() if isinstance(method, bytes) else str(method)
    metadata = None if details.metadata is None else tuple(details.metadata)
    return ClientCallDetails(name, details.timeout, metadata, details.credentials, details.wait_for_ready, None)


def _details_for_grpc(details: grpc.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    """Turn details a hook passed on back into what grpc.aio's channel takes."""
    if isinstance(details, grpc.aio.ClientCallDetails):
        return details
    method: object = details.method
    metadata = details.metadata
    aio_metadata = None if metadata is None else grpc.aio.Metadata(*metadata)
    return grpc.aio.ClientCallDetails(
        # types-grpcio declares str; grpc.aio's channel takes the method as bytes.
        cast("str", method.encode() if isinstance(method, str) else method),
        details.timeout,
        aio_metadata,
        details.credentials,
        details.wait_for_ready,
    )


class _AioContinuation:
    """grpc.aio's continuation as hooks call it: (request, details), details converted back.

    It remembers the last call it started, so that an answer the hook gives in place of
    a call can report that call's status.
    """

    __slots__ = ("_continuation", "last_call")

    def __init__(self, continuation: Callable[[Any, Any], Awaitable[grpc.aio.Call]]) -> None:
        self._continuation = continuation
        self.last_call: grpc.aio.Call | None = None

    async def __call__(self, request_or_iterator: Any, call_details: grpc.ClientCallDetails) -> Any:
        call = await self._continuation(_details_for_grpc(call_details), request_or_iterator)
        self.last_call = call
        return call


class _AioUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    __slots__ = ("_hooks",)

    def __init__(self, hooks: _KindHooks) -> None:
        self._hooks = hooks

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        # grpc.aio itself wraps a plain response in a finished call for this kind.
        return await self._hooks.unary_unary(
            _AioContinuation(continuation), request, _details_for_hooks(client_call_details)
        )


class _AioUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    __slots__ = ("_hooks",)

    def __init__(self, hooks: _KindHooks) -> None:
        self._hooks = hooks

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        method = _AioContinuation(continuation)
        result = await self._hooks.unary_stream(method, request, _details_for_hooks(client_call_details))
        return result if isinstance(result, grpc.aio.Call) else AnsweredUnaryStreamCall(result, method.last_call)


class _AioStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    __slots__ = ("_hooks",)

    def __init__(self, hooks: _KindHooks) -> None:
        self._hooks = hooks

    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        method = _AioContinuation(continuation)
        result = await self._hooks.stream_unary(method, request_iterator, _details_for_hooks(client_call_details))
        return result if isinstance(result, grpc.aio.Call) else AnsweredStreamUnaryCall(result, method.last_call)


class _AioStreamStream(grpc.aio.StreamStreamClientInterceptor):
    __slots__ = ("_hooks",)

    def __init__(self, hooks: _KindHooks) -> None:
        self._hooks = hooks

    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        method = _AioContinuation(continuation)
        result = await self._hooks.stream_stream(method, request_iterator, _details_for_hooks(client_call_details))
        return result if isinstance(result, grpc.aio.Call) else AnsweredStreamStreamCall(result, method.last_call)


# grpc.aio before 1.83 raises from the __del__ of a call whose client interceptor raised
# and refuses a call object that an interceptor made for the write API (measured:
# 1.82.3 fails the async client tests, 1.83.0 passes them). Only async client
# interceptors need it; the rest of the library runs on older grpcio.
_AIO_CLIENT_GRPCIO = (1, 83, 0)


def _aio_client_unsupported() -> str | None:
    """Say why async client interceptors cannot run on this grpcio, or None if they can."""
    found = tuple(int(part) for part in re.findall(r"\d+", grpc.__version__)[:3])
    if found >= _AIO_CLIENT_GRPCIO:
        return None
    return (
        f"AsyncClientInterceptor needs grpcio 1.83.0 or newer, and this is grpcio {grpc.__version__}: older "
        "grpc.aio raises from a call's __del__ when a client interceptor raises, and refuses the calls an "
        'interceptor answers for the write API. Upgrade grpcio (pip install "grpcio>=1.83"), or use a sync '
        "ClientInterceptor on grpc.intercept_channel()"
    )


def aio_channel_interceptors(*interceptors: AsyncClientInterceptor[Any, Any]) -> list[grpc.aio.ClientInterceptor]:
    """Return what to pass as ``interceptors=`` to a grpc.aio channel, for all four RPC kinds.

    grpc.aio registers an interceptor object for one kind only (the first it
    implements), so each :class:`AsyncClientInterceptor` becomes four objects, one
    per kind. The order of ``interceptors`` is the order of the chain: the first
    one sees the call first.

    Args:
        *interceptors: The async client interceptors, outermost first.

    Returns:
        The list for ``grpc.aio.insecure_channel(..., interceptors=...)`` or
        ``grpc.aio.secure_channel(...)``.

    Raises:
        TypeError: If one of them is not an :class:`AsyncClientInterceptor` (a sync
            :class:`ClientInterceptor`, say, which belongs on ``grpc.intercept_channel``).
        RuntimeError: On grpcio older than 1.83, whose grpc.aio cannot run them.
    """
    installed: list[grpc.aio.ClientInterceptor] = []
    for interceptor in interceptors:
        if not isinstance(interceptor, AsyncClientInterceptor):
            hint = (
                "; a sync ClientInterceptor goes on grpc.intercept_channel(channel, interceptor)"
                if isinstance(interceptor, ClientInterceptor)
                else ""
            )
            raise TypeError(
                f"aio_channel_interceptors takes AsyncClientInterceptor objects, got {type(interceptor).__name__}{hint}"
            )
        hooks = interceptor._grpc_interceptor_kind_hooks()  # pyright: ignore[reportPrivateUsage]
        installed += [_AioUnaryUnary(hooks), _AioUnaryStream(hooks), _AioStreamUnary(hooks), _AioStreamStream(hooks)]
    unsupported = _aio_client_unsupported() if installed else None
    if unsupported is not None:
        raise RuntimeError(unsupported)
    return installed
