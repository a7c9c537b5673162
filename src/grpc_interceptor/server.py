"""Base classes for server-side interceptors, sync and grpc.aio; and method names, as in 0.15.4.

Subclass :class:`ServerInterceptor` (for ``grpc.server``) or
:class:`AsyncServerInterceptor` (for ``grpc.aio.server``) and override either the
catch-all ``intercept`` hook, as with grpc-interceptor 0.15.4, or one typed hook per
RPC kind (``on_unary_unary``, ``on_unary_stream``, ``on_stream_unary``,
``on_stream_stream``). Where a class overrides both, the one defined further down
the class hierarchy wins for that kind.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, cast

import grpc
import grpc.aio
from grpc import aio as grpc_aio  # noqa: F401  # pyright: ignore[reportUnusedImport]  # 0.15.4 had it

from grpc_interceptor import _server_aio as _aio
from grpc_interceptor._handlers import HandlerCache, behavior_of, keep, rebuild_handler, refusing_handler
from grpc_interceptor._hooks import HOOK_FOR_KIND, RefusesHookless, hook_call, pick_hook
from grpc_interceptor._matching import match
from grpc_interceptor._method_names import MethodName as MethodName
from grpc_interceptor._method_names import parse_method_name as parse_method_name
from grpc_interceptor._server_aio import SERVER_PIPELINE
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

if TYPE_CHECKING:
    from typing import TypeAlias

    _Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

#: How many frames up from the sync-server check grpc's sync interceptor pipeline is
#: looked for (it calls intercept_service directly; a wrapper or two may sit between).
_SYNC_PIPELINE_DEPTH = 6

__all__ = ["AsyncServerInterceptor", "MethodName", "ServerInterceptor", "parse_method_name"]

_LOGGER = logging.getLogger(__name__)


def _refuse_mistyped(handler: _Handler, mistake: str, *, aio: bool) -> _Handler:
    """Log, once per method, why a typed interceptor can never run for it; refuse its RPCs."""
    _LOGGER.error(mistake)
    return refusing_handler(
        handler,
        grpc.StatusCode.INTERNAL,
        "a server interceptor is typed for other messages than this method's (the server's log says which)",
        aio=aio,
    )


# grpc's entry points, besides the hooks, and the method that builds the wrapped handler:
# a subclass that overrides one does its own thing (a selection, a chain).
_SERVER_ENTRY_POINTS = ("intercept_service", "_grpc_interceptor_wrap")
_ASYNC_SERVER_ENTRY_POINTS = ("intercept_service", "_grpc_interceptor_service", "_grpc_interceptor_wrap")


class ServerInterceptor(grpc.ServerInterceptor, RefusesHookless, Generic[RequestT, ResponseT]):
    """Base class for interceptors of a sync ``grpc.server``.

    Override the catch-all :meth:`intercept` (every RPC kind, as in 0.15.4) or the
    typed hook of each kind you care about; kinds whose hook you do not override
    go to :meth:`intercept`, which by default passes the RPC on unchanged.

    Parametrise the class with the message types of the service it is for,
    ``ServerInterceptor[SearchRequest, SearchResponse]``, and the type checker knows
    what the hooks receive and return; such an interceptor is applied only to the
    methods whose messages are of those types (see the README, "Typed interceptors
    are per service"). Unparametrised, it intercepts every method.

    Example:
        >>> class Log(ServerInterceptor):
        ...     def intercept(self, method, request_or_iterator, context, method_name):
        ...         print("calling", method_name)
        ...         return method(request_or_iterator, context)
    """

    # Created on first use, not in __init__: subclasses may skip super().__init__().
    _grpc_interceptor_handlers: HandlerCache | None = None
    _grpc_interceptor_entry_points = _SERVER_ENTRY_POINTS

    def intercept(
        self,
        method: ServerContinuation[RequestT, ResponseT],
        request_or_iterator: RequestT | Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT | Iterator[ResponseT]:
        """Intercept an RPC of any kind; override this or the typed hooks.

        Call ``method(request_or_iterator, context)`` to go on with the RPC (the next
        interceptor, or the method implementation); return its result, changed or
        not. For a streaming response, ``method`` returns a generator that runs
        nothing until iterated: iterate it inside a generator of your own to see the
        responses or the exceptions they raise.

        Args:
            method: The continuation.
            request_or_iterator: The request message, or an iterator of request
                messages for a streaming request.
            context: The servicer context grpc passes to the service.
            method_name: The method, ``/package.Service/Method``
                (see :func:`parse_method_name`).

        Returns:
            The response message, or an iterator of response messages for a
            streaming response.
        """
        return method(request_or_iterator, context)

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT:
        """Intercept a unary-unary RPC: return ``method(request, context)`` or your own response."""
        return cast(
            "ResponseT",
            self.intercept(cast("ServerContinuation[RequestT, ResponseT]", method), request, context, method_name),
        )

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[ResponseT]:
        """Intercept a unary-stream RPC: return an iterator of responses (e.g. be a generator)."""
        return cast(
            "Iterator[ResponseT]",
            self.intercept(cast("ServerContinuation[RequestT, ResponseT]", method), request, context, method_name),
        )

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> ResponseT:
        """Intercept a stream-unary RPC: return ``method(request_iterator, context)`` or your own."""
        return cast(
            "ResponseT",
            self.intercept(
                cast("ServerContinuation[RequestT, ResponseT]", method), request_iterator, context, method_name
            ),
        )

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[RequestT, ResponseT],
        request_iterator: Iterator[RequestT],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[ResponseT]:
        """Intercept a stream-stream RPC: return an iterator of responses (e.g. be a generator)."""
        return cast(
            "Iterator[ResponseT]",
            self.intercept(
                cast("ServerContinuation[RequestT, ResponseT]", method), request_iterator, context, method_name
            ),
        )

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], _Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        """Implement :class:`grpc.ServerInterceptor`; not part of this class's API.

        grpc calls it on every RPC. It returns a handler that runs this interceptor
        around the method, built the first time the method is seen and reused after.
        A method the server does not implement passes through as ``None``.
        """
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        cache = self._grpc_interceptor_handlers
        if cache is None or cache.owner is not self:  # first RPC, or a copy of a used interceptor
            cache = keep(self, "_grpc_interceptor_handlers", HandlerCache(self))
        else:  # the per-RPC path: one dict lookup and two identity tests, inline
            entry = cache.get(method)
            if entry is not None and entry[0] is handler:
                return entry[1]
        # A method seen for the first time, or a new handler for it: build once.
        return cache.put(method, handler, self._grpc_interceptor_wrap(handler, method))

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _wrap(self, ServerInterceptor, handler, method_name, _sync_behavior)


class AsyncServerInterceptor(grpc.aio.ServerInterceptor, RefusesHookless, Generic[RequestT, ResponseT]):
    """Base class for interceptors of a ``grpc.aio.server``.

    The async twin of :class:`ServerInterceptor`: override the catch-all
    :meth:`intercept` or the typed hooks. Unary hooks are ``async def`` and return
    the response; streaming hooks return an async iterator, so write them as
    ``async def`` + ``yield``.

    Handlers may use any style grpc.aio allows: ``async def`` + ``return``,
    ``async def`` + ``yield``, or the read/write API (``await context.read()`` /
    ``await context.write()``). Hooks see every request and response in every
    style: a write-style handler's messages arrive through the iterator the
    continuation returns, and ``context.read()`` takes from the request iterator the
    hook passed on.
    """

    _grpc_interceptor_handlers: HandlerCache | None = None
    _grpc_interceptor_entry_points = _ASYNC_SERVER_ENTRY_POINTS

    def intercept(
        self,
        method: AsyncServerContinuation[RequestT, ResponseT],
        request_or_iterator: RequestT | AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> Awaitable[ResponseT | AsyncIterator[ResponseT] | None] | Any:
        """Intercept an RPC of any kind; override this or the typed hooks.

        Override it with ``async def`` + ``return`` or ``async def`` + ``yield``.
        ``method(request_or_iterator, context)`` returns an awaitable for a unary
        response and an async iterator for a streaming one (do not await that: test
        ``hasattr(result, "__aiter__")``).

        Args:
            method: The continuation.
            request_or_iterator: The request message, or an async iterator of request
                messages for a streaming request.
            context: The grpc.aio servicer context.
            method_name: The method, ``/package.Service/Method``.

        Returns:
            An awaitable of the response (or of an async iterator of responses), or
            an async iterator of responses. (Typed with ``| Any`` so that both an
            ``async def ... return`` and an ``async def ... yield`` override fit it
            while ``await super().intercept(...)`` still checks.) This default returns what ``method``
            returns, so that ``await super().intercept(...)`` gives the response, or
            the async iterator of a stream, as in 0.15.4; for a streaming response the
            result can be iterated as well.
        """
        return _aio.as_response_stream(method(request_or_iterator, context))

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> ResponseT:
        """Intercept a unary-unary RPC: ``return await method(request, context)``, or your own."""
        result = self.intercept(
            cast("AsyncServerContinuation[RequestT, ResponseT]", method), request, context, method_name
        )
        return await cast("Awaitable[ResponseT]", result)

    def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> AsyncIterator[ResponseT]:
        """Intercept a unary-stream RPC; override with ``async def`` + ``yield``."""
        return _aio.responses_of(
            self.intercept(cast("AsyncServerContinuation[RequestT, ResponseT]", method), request, context, method_name)
        )

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> ResponseT:
        """Intercept a stream-unary RPC: ``return await method(request_iterator, context)``."""
        result = self.intercept(
            cast("AsyncServerContinuation[RequestT, ResponseT]", method), request_iterator, context, method_name
        )
        return await cast("Awaitable[ResponseT]", result)

    def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterator[RequestT],
        context: grpc.aio.ServicerContext[RequestT, ResponseT],
        method_name: str,
        /,
    ) -> AsyncIterator[ResponseT]:
        """Intercept a stream-stream RPC; override with ``async def`` + ``yield``."""
        return _aio.responses_of(
            self.intercept(
                cast("AsyncServerContinuation[RequestT, ResponseT]", method), request_iterator, context, method_name
            )
        )

    # A plain def (not async def) so that it can refuse a sync server before any
    # coroutine exists. pyright reads the stub's `async def` as returning CoroutineType,
    # a subclass of the Coroutine this returns.
    def intercept_service(  # pyright: ignore[reportIncompatibleMethodOverride]
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Coroutine[Any, Any, _Handler | None]:
        """Implement :class:`grpc.aio.ServerInterceptor`; not part of this class's API.

        Raises:
            TypeError: On a sync ``grpc.server``, which cannot run an async
                interceptor (grpc logs it, and the client gets UNKNOWN).
        """
        # Asking for the running loop costs more than the rest of this method, so it is
        # skipped for the continuations only grpc.aio's server makes (it runs them in its
        # event loop); grpc's sync server, or any other caller, gets the check.
        # (`type(...) is` narrows for mypy, not for pyright; isinstance would cost more.)
        if type(continuation) is not partial or continuation.func is not SERVER_PIPELINE:  # pyright: ignore[reportFunctionMemberAccess]
            self._grpc_interceptor_refuse_sync_server()
        return self._grpc_interceptor_service(continuation, handler_call_details)

    def _grpc_interceptor_refuse_sync_server(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            return
        # No loop runs: grpc's sync server, or a unit test that makes the coroutine to
        # hand it to asyncio.run(), as with 0.15.4's `async def intercept_service`. The
        # sync server calls from its interceptor pipeline, a few frames up.
        frame: FrameType | None = inspect.currentframe()
        for _ in range(_SYNC_PIPELINE_DEPTH):
            if frame is None or frame.f_globals.get("__name__") == "grpc._interceptor":
                break
            frame = frame.f_back
        else:
            frame = None
        if frame is not None:
            raise TypeError(
                f"{type(self).__name__} is an AsyncServerInterceptor, which runs only on a "
                "grpc.aio.server(); this RPC came through a sync grpc.server(). Serve with "
                f"grpc.aio.server(interceptors=[...]), or derive {type(self).__name__} from "
                "grpc_interceptor.ServerInterceptor instead."
            )

    async def _grpc_interceptor_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        cache = self._grpc_interceptor_handlers
        if cache is None or cache.owner is not self:  # first RPC, or a copy of a used interceptor
            cache = keep(self, "_grpc_interceptor_handlers", HandlerCache(self))
        else:  # the per-RPC path: one dict lookup and two identity tests, inline
            entry = cache.get(method)
            if entry is not None and entry[0] is handler:
                return entry[1]
        # A method seen for the first time, or a new handler for it: build once.
        return cache.put(method, handler, self._grpc_interceptor_wrap(handler, method))

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _wrap(self, AsyncServerInterceptor, handler, method_name, _aio.build_behavior)


def _sync_behavior(
    hook: Callable[..., Any], catch_all: bool, step: Callable[..., Any], handler: _Handler, method_name: str
) -> Callable[..., Any]:
    """The behaviour of a sync handler: the hook, with the handler's own as its continuation."""
    return hook_call(hook, step, method_name)


def _wrap(
    interceptor: object,
    base: type,
    handler: _Handler,
    method_name: str,
    build: Callable[[Callable[..., Any], bool, Callable[..., Any], _Handler, str], Callable[..., Any]],
) -> _Handler:
    """Build, once per method, the handler that runs ``interceptor`` around ``handler``.

    The one build path of both servers: whether the interceptor applies (its message
    types, see :func:`~grpc_interceptor._matching.match`), which hook runs for the
    method's kind, and the rebuilt handler around the behaviour that ``build`` makes
    (``build(hook, catch_all, behaviour, handler, method_name)``: the sync server's, or
    grpc.aio's, which depends on the handler's style).
    """
    verdict = match(interceptor, base, handler, method_name)
    if not verdict.applies:
        aio = base is AsyncServerInterceptor
        return handler if verdict.mistake is None else _refuse_mistyped(handler, verdict.mistake, aio=aio)
    hook, catch_all = pick_hook(interceptor, base, HOOK_FOR_KIND[handler.request_streaming, handler.response_streaming])
    return rebuild_handler(handler, build(hook, catch_all, behavior_of(handler), handler, method_name))


def fused_wrap(interceptor: object, base: type) -> Callable[[_Handler, str], _Handler] | None:
    """Return how ``interceptor`` builds the handler around another, if it does it the base's way.

    That is once per method, in ``_grpc_interceptor_wrap``: such an interceptor can be
    built into the handler of a selection or a chain, which then makes one lookup per
    RPC for all of them. ``None`` for grpc's own interceptors and for a class that
    serves RPCs its own way (it overrides ``intercept_service``); a selection or a chain
    says for itself, in ``_grpc_interceptor_fusable``.
    """
    if not isinstance(interceptor, base):  # base: ServerInterceptor or AsyncServerInterceptor
        return None
    fusable: bool | None = getattr(interceptor, "_grpc_interceptor_fusable", None)
    if fusable is None:
        cls: type = type(interceptor)
        entry_points = _SERVER_ENTRY_POINTS if base is ServerInterceptor else _ASYNC_SERVER_ENTRY_POINTS
        fusable = all(
            getattr(cls, name) is getattr(base, name) for name in entry_points if name != "_grpc_interceptor_wrap"
        )
    wrap: Callable[[_Handler, str], _Handler] = getattr(interceptor, "_grpc_interceptor_wrap")  # noqa: B009
    return wrap if fusable else None
