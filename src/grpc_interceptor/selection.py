"""Apply an interceptor to some methods only, without touching its code.

Describe the methods with a :class:`MethodSelector`, built by :func:`methods` (full
method names), :func:`services` (service names, with or without their package) or
:func:`where` (any predicate on a :class:`~grpc_interceptor.MethodName`), and combined
with ``~`` (every method *but* these), ``|`` and ``&``. Then wrap the interceptor with
:func:`select`::

    server = grpc.server(
        pool,
        interceptors=[
            select(Audit(), services("shop.v1.Orders")),
            select(Auth(), ~services("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")),
            select(Log(), where(lambda m: m.method.startswith("Get"))),
        ],
    )

:func:`select` takes any interceptor: this library's four kinds (server or client,
sync or grpc.aio) and grpc's own interceptor classes. The wrapper is an interceptor of
the same kind, with the same type parameters: install it where the original would go.

The decision is made once per method, the first time the method is called, and
remembered; an unselected method skips the interceptor entirely (no hook is called).

Selection fails closed. A selector that raises selects the method (an auth guard
behind it still guards) and the error is logged once for the method. On a server, an
RPC whose method name is not of the form ``/package.Service/Method`` (``/x.Svc/M/``,
``//x.Svc/M``: names a loosely routing generic handler may still serve) is refused with
UNIMPLEMENTED, as grpc answers a method it does not know, whatever the selector; on a
client the interceptor runs for it. As predicates, :func:`methods`, :func:`services`
and :func:`where` match no such name (so ``~services(...)`` does).
"""

from __future__ import annotations

import logging
import types
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast, overload

import grpc
import grpc.aio

from grpc_interceptor._handlers import refusing_handler, remember
from grpc_interceptor._kinds import SyncClientInterceptor
from grpc_interceptor._method_names import MethodName, parse_method_name
from grpc_interceptor._selectors import MethodSelector as MethodSelector
from grpc_interceptor._selectors import methods as methods
from grpc_interceptor._selectors import services as services
from grpc_interceptor._selectors import where as where
from grpc_interceptor.client import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor
from grpc_interceptor.protocols import (
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
    RequestT,
    ResponseT,
)
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor, fused_wrap

if TYPE_CHECKING:
    from collections.abc import Awaitable

    _Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

__all__ = [
    "MethodSelector",
    "SelectedAsyncClientInterceptor",
    "SelectedAsyncServerInterceptor",
    "SelectedClientInterceptor",
    "SelectedServerInterceptor",
    "methods",
    "select",
    "services",
    "where",
]

_LOGGER = logging.getLogger(__name__)


class _Malformed:
    """The decision for a method name that is not ``/package.Service/Method``.

    A server refuses such an RPC. The decision is true, so that code that only asks
    "selected?" (a client, a chain) runs the interceptor: no spelling of a method name
    gets around a guard behind :func:`select`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "MALFORMED"


_MALFORMED: Final = _Malformed()


class _Decisions:
    """Whether each method is selected, decided on its first call and remembered.

    A selector that raises selects (a guard behind it still guards) and is logged, once
    per method; a method name that cannot be parsed gets :class:`_Malformed`.
    """

    __slots__ = ("_known", "_owner", "_selector")

    def __init__(self, selector: MethodSelector, owner: object) -> None:
        self._selector = selector
        self._owner = owner
        self._known: dict[str | bytes, object] = {}

    def __call__(self, method: str | bytes) -> object:
        known = self._known
        decision = known.get(method)
        if decision is None:
            decision = self._decide(method.decode("utf-8", "replace") if isinstance(method, bytes) else method)
            remember(known, method, decision)
        return decision

    def _decide(self, name: str) -> object:
        try:
            parsed = parse_method_name(name)
        except ValueError:
            return _MALFORMED
        try:
            return bool(self._selector(parsed))
        except Exception:
            _LOGGER.exception(
                "%r: the selector raised for %s, so the interceptor runs for it (a selector that fails "
                "selects, so that a guard behind it still guards). Fix the selector; this method's "
                "decision stays until the process restarts.",
                self._owner,
                name,
            )
            return True


def _refuse_malformed(handler: _Handler | None, method: str | bytes, aio: bool) -> _Handler | None:
    """Answer an RPC whose method name cannot be parsed as grpc answers an unknown method."""
    if handler is None:
        return None
    name = method.decode("utf-8", "replace") if isinstance(method, bytes) else method
    shown = repr(name[:200]) + ("..." if len(name) > 200 else "")
    return refusing_handler(
        handler,
        grpc.StatusCode.UNIMPLEMENTED,
        f"malformed method name: {shown} (expected '/package.Service/Method')",
        aio=aio,
    )


def _wrap_selected(
    selected: SelectedServerInterceptor[Any, Any] | SelectedAsyncServerInterceptor[Any, Any],
    handler: _Handler,
    method_name: str,
    *,
    aio: bool,
) -> _Handler:
    """The handler of a selection of one of ours, built once per method."""
    decision = selected._selected(method_name)  # pyright: ignore[reportPrivateUsage]
    wrap = selected._inner_wrap  # pyright: ignore[reportPrivateUsage]
    if decision is False or wrap is None:
        return handler
    if decision is True:
        return wrap(handler, method_name)
    refused = _refuse_malformed(handler, method_name, aio=aio)
    assert refused is not None
    return refused


class SelectedServerInterceptor(ServerInterceptor[RequestT, ResponseT]):
    """A sync server interceptor that runs ``interceptor`` for the selected methods only.

    Made by :func:`select`; the other methods go straight to the next interceptor
    (or the service).

    Attributes:
        interceptor: The wrapped interceptor.
        selector: Which methods it runs for.
    """

    def __init__(self, interceptor: grpc.ServerInterceptor, selector: MethodSelector) -> None:
        self.interceptor = interceptor
        self.selector = selector
        self._selected = _Decisions(selector, self)
        # One of ours is built into the handler, decided once per method: the RPCs then
        # cost what the interceptor alone costs. grpc's own is called per RPC, below.
        self._inner_wrap = fused_wrap(interceptor, ServerInterceptor)
        self._grpc_interceptor_fusable = self._inner_wrap is not None
        if self._inner_wrap is not None:
            object.__setattr__(self, "intercept_service", types.MethodType(ServerInterceptor.intercept_service, self))

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _wrap_selected(self, handler, method_name, aio=False)

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], _Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        """Implement :class:`grpc.ServerInterceptor`; not part of this class's API."""
        decision = self._selected(handler_call_details.method)
        if decision is True:
            return self.interceptor.intercept_service(continuation, handler_call_details)
        if decision is False:
            return continuation(handler_call_details)
        return _refuse_malformed(continuation(handler_call_details), handler_call_details.method, aio=False)

    def __repr__(self) -> str:
        return f"select({self.interceptor!r}, {self.selector!r})"


class SelectedAsyncServerInterceptor(AsyncServerInterceptor[RequestT, ResponseT]):
    """A grpc.aio server interceptor that runs ``interceptor`` for the selected methods only.

    Made by :func:`select`. Like any async server interceptor it refuses a sync server.

    Attributes:
        interceptor: The wrapped interceptor.
        selector: Which methods it runs for.
    """

    def __init__(self, interceptor: grpc.aio.ServerInterceptor, selector: MethodSelector) -> None:
        self.interceptor = interceptor
        self.selector = selector
        self._selected = _Decisions(selector, self)
        # As for the sync selection: one of ours is built into the handler once per method.
        self._inner_wrap = fused_wrap(interceptor, AsyncServerInterceptor)
        self._grpc_interceptor_fusable = self._inner_wrap is not None
        if self._inner_wrap is not None:
            service = types.MethodType(AsyncServerInterceptor._grpc_interceptor_service, self)
            object.__setattr__(self, "_grpc_interceptor_service", service)

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _wrap_selected(self, handler, method_name, aio=True)

    async def _grpc_interceptor_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        decision = self._selected(handler_call_details.method)
        if decision is True:
            return await self.interceptor.intercept_service(continuation, handler_call_details)
        if decision is False:
            return await continuation(handler_call_details)
        return _refuse_malformed(await continuation(handler_call_details), handler_call_details.method, aio=True)

    def __repr__(self) -> str:
        return f"select({self.interceptor!r}, {self.selector!r})"


class SelectedClientInterceptor(ClientInterceptor[RequestT, ResponseT]):
    """A sync client interceptor that runs ``interceptor`` for the selected methods only.

    Made by :func:`select`. For an RPC kind the wrapped interceptor does not implement
    (a grpc interceptor of one kind only), the call goes on unchanged, as grpc would do.

    Attributes:
        interceptor: The wrapped interceptor.
        selector: Which methods it runs for.
    """

    def __init__(self, interceptor: SyncClientInterceptor, selector: MethodSelector) -> None:
        self.interceptor = interceptor
        self.selector = selector
        self._selected = _Decisions(selector, self)

    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        inner = self.interceptor
        if isinstance(inner, grpc.UnaryUnaryClientInterceptor) and self._selected(call_details.method):
            return inner.intercept_unary_unary(continuation, call_details, request)
        return continuation(call_details, request)

    def intercept_unary_stream(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryStreamClientInterceptor`; not part of this class's API."""
        inner = self.interceptor
        if isinstance(inner, grpc.UnaryStreamClientInterceptor) and self._selected(call_details.method):
            return inner.intercept_unary_stream(continuation, call_details, request)
        return continuation(call_details, request)

    def intercept_stream_unary(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamUnaryClientInterceptor`; not part of this class's API."""
        inner = self.interceptor
        if isinstance(inner, grpc.StreamUnaryClientInterceptor) and self._selected(call_details.method):
            return inner.intercept_stream_unary(continuation, call_details, request_iterator)
        return continuation(call_details, request_iterator)

    def intercept_stream_stream(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamStreamClientInterceptor`; not part of this class's API."""
        inner = self.interceptor
        if isinstance(inner, grpc.StreamStreamClientInterceptor) and self._selected(call_details.method):
            return inner.intercept_stream_stream(continuation, call_details, request_iterator)
        return continuation(call_details, request_iterator)

    def __repr__(self) -> str:
        return f"select({self.interceptor!r}, {self.selector!r})"


class SelectedAsyncClientInterceptor(AsyncClientInterceptor[RequestT, ResponseT]):
    """A grpc.aio client interceptor that runs ``interceptor`` for the selected methods only.

    Made by :func:`select`; install it with
    :func:`~grpc_interceptor.aio_channel_interceptors` like any
    :class:`~grpc_interceptor.AsyncClientInterceptor`.

    Attributes:
        interceptor: The wrapped interceptor.
        selector: Which methods it runs for.
    """

    def __init__(self, interceptor: AsyncClientInterceptor[RequestT, ResponseT], selector: MethodSelector) -> None:
        self.interceptor = interceptor
        self.selector = selector
        self._selected = _Decisions(selector, self)
        self._hooks = interceptor._grpc_interceptor_kind_hooks()

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.UnaryUnaryCall[Any, ResponseT]:
        """Run the wrapped interceptor's hook for a selected method, else the call itself."""
        if self._selected(call_details.method):
            return cast("ResponseT", await self._hooks.unary_unary(method, request, call_details))
        return await method(request, call_details)

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[RequestT, ResponseT],
        request: RequestT,
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.UnaryStreamCall[Any, ResponseT]:
        """Run the wrapped interceptor's hook for a selected method, else the call itself."""
        if self._selected(call_details.method):
            return cast("AsyncIterator[ResponseT]", await self._hooks.unary_stream(method, request, call_details))
        return await method(request, call_details)

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> ResponseT | grpc.aio.StreamUnaryCall[Any, ResponseT]:
        """Run the wrapped interceptor's hook for a selected method, else the call itself."""
        if self._selected(call_details.method):
            return cast("ResponseT", await self._hooks.stream_unary(method, request_iterator, call_details))
        return await method(request_iterator, call_details)

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[RequestT, ResponseT],
        request_iterator: AsyncIterable[RequestT] | Iterable[RequestT],
        call_details: ClientCallDetails,
        /,
    ) -> AsyncIterator[ResponseT] | grpc.aio.StreamStreamCall[Any, ResponseT]:
        """Run the wrapped interceptor's hook for a selected method, else the call itself."""
        if self._selected(call_details.method):
            return cast(
                "AsyncIterator[ResponseT]", await self._hooks.stream_stream(method, request_iterator, call_details)
            )
        return await method(request_iterator, call_details)

    def __repr__(self) -> str:
        return f"select({self.interceptor!r}, {self.selector!r})"


# grpc's own grpc.aio client interceptors: one kind per object (grpc.aio's channel
# registers an object for the first kind it implements, in this order).


class _SelectedAioUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, interceptor: grpc.aio.UnaryUnaryClientInterceptor, selector: MethodSelector) -> None:
        self.interceptor, self.selector = interceptor, selector
        self._selected = _Decisions(selector, self)

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        if self._selected(client_call_details.method):
            return await self.interceptor.intercept_unary_unary(continuation, client_call_details, request)
        return await continuation(client_call_details, request)


class _SelectedAioUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, interceptor: grpc.aio.UnaryStreamClientInterceptor, selector: MethodSelector) -> None:
        self.interceptor, self.selector = interceptor, selector
        self._selected = _Decisions(selector, self)

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        if self._selected(client_call_details.method):
            return await self.interceptor.intercept_unary_stream(continuation, client_call_details, request)
        return await continuation(client_call_details, request)


class _SelectedAioStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    def __init__(self, interceptor: grpc.aio.StreamUnaryClientInterceptor, selector: MethodSelector) -> None:
        self.interceptor, self.selector = interceptor, selector
        self._selected = _Decisions(selector, self)

    async def intercept_stream_unary(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        if self._selected(client_call_details.method):
            return await self.interceptor.intercept_stream_unary(continuation, client_call_details, request_iterator)
        return await continuation(client_call_details, request_iterator)


class _SelectedAioStreamStream(grpc.aio.StreamStreamClientInterceptor):
    def __init__(self, interceptor: grpc.aio.StreamStreamClientInterceptor, selector: MethodSelector) -> None:
        self.interceptor, self.selector = interceptor, selector
        self._selected = _Decisions(selector, self)

    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any, request_iterator: Any) -> Any:
        if self._selected(client_call_details.method):
            return await self.interceptor.intercept_stream_stream(continuation, client_call_details, request_iterator)
        return await continuation(client_call_details, request_iterator)


# The overloads for grpc's own interceptor classes give grpc's types, not ours with
# Any: a mistyped result (select(Audit(), ...) assigned to a Selected...[A, B] of other
# messages) would otherwise fall through to them and pass.
@overload
def select(
    interceptor: ServerInterceptor[RequestT, ResponseT], selector: MethodSelector | Callable[[MethodName], bool]
) -> SelectedServerInterceptor[RequestT, ResponseT]: ...
@overload
def select(
    interceptor: AsyncServerInterceptor[RequestT, ResponseT], selector: MethodSelector | Callable[[MethodName], bool]
) -> SelectedAsyncServerInterceptor[RequestT, ResponseT]: ...
@overload
def select(
    interceptor: ClientInterceptor[RequestT, ResponseT], selector: MethodSelector | Callable[[MethodName], bool]
) -> SelectedClientInterceptor[RequestT, ResponseT]: ...
@overload
def select(
    interceptor: AsyncClientInterceptor[RequestT, ResponseT], selector: MethodSelector | Callable[[MethodName], bool]
) -> SelectedAsyncClientInterceptor[RequestT, ResponseT]: ...
@overload
def select(
    interceptor: grpc.ServerInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.ServerInterceptor: ...
@overload
def select(
    interceptor: grpc.aio.ServerInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.aio.ServerInterceptor: ...
@overload
def select(
    interceptor: SyncClientInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> SyncClientInterceptor: ...
@overload
def select(
    interceptor: grpc.aio.UnaryUnaryClientInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.aio.UnaryUnaryClientInterceptor: ...
@overload
def select(
    interceptor: grpc.aio.UnaryStreamClientInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.aio.UnaryStreamClientInterceptor: ...
@overload
def select(
    interceptor: grpc.aio.StreamUnaryClientInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.aio.StreamUnaryClientInterceptor: ...
@overload
def select(
    interceptor: grpc.aio.StreamStreamClientInterceptor, selector: MethodSelector | Callable[[MethodName], bool]
) -> grpc.aio.StreamStreamClientInterceptor: ...
def select(interceptor: object, selector: MethodSelector | Callable[[MethodName], bool]) -> object:
    """Return an interceptor that runs ``interceptor`` only for the methods ``selector`` selects.

    The result is an interceptor of the same kind as ``interceptor``, with the same
    type parameters: install it where ``interceptor`` would go. Other methods go on
    as if it were not installed. Whether a method is selected is decided on its first
    call and remembered.

    Args:
        interceptor: Any server or client interceptor, sync or grpc.aio: one of this
            library's base classes or grpc's own.
        selector: A :class:`MethodSelector` (from :func:`methods`, :func:`services`,
            :func:`where`, combined with ``~``, ``|``, ``&``), or a function of a
            :class:`~grpc_interceptor.MethodName`.

    Returns:
        The wrapping interceptor.

    Raises:
        TypeError: If ``interceptor`` is no interceptor, or ``selector`` is neither a
            selector nor a function (a string, say).

    Example:
        >>> from grpc_interceptor import ExceptionToStatusInterceptor
        >>> select(ExceptionToStatusInterceptor(), ~services("grpc.health.v1.Health"))  # doctest: +ELLIPSIS
        select(<...ExceptionToStatusInterceptor object at ...>, ~services('grpc.health.v1.Health'))
    """
    if isinstance(selector, str):
        raise TypeError(
            f"select() takes a selector, not the string {selector!r}: write "
            f"services({selector!r}) for a service or methods({selector!r}) for a full method name"
        )
    if not isinstance(selector, MethodSelector):
        selector = where(selector)
    if isinstance(interceptor, AsyncClientInterceptor):
        client: AsyncClientInterceptor[Any, Any] = interceptor  # pyright: ignore[reportUnknownVariableType]
        return SelectedAsyncClientInterceptor[Any, Any](client, selector)
    if isinstance(interceptor, grpc.ServerInterceptor):
        return SelectedServerInterceptor[Any, Any](interceptor, selector)
    if isinstance(interceptor, grpc.aio.ServerInterceptor):
        return SelectedAsyncServerInterceptor[Any, Any](interceptor, selector)
    if isinstance(
        interceptor,
        (
            grpc.UnaryUnaryClientInterceptor,
            grpc.UnaryStreamClientInterceptor,
            grpc.StreamUnaryClientInterceptor,
            grpc.StreamStreamClientInterceptor,
        ),
    ):
        return SelectedClientInterceptor[Any, Any](interceptor, selector)
    if isinstance(interceptor, grpc.aio.UnaryUnaryClientInterceptor):
        return _SelectedAioUnaryUnary(interceptor, selector)
    if isinstance(interceptor, grpc.aio.UnaryStreamClientInterceptor):
        return _SelectedAioUnaryStream(interceptor, selector)
    if isinstance(interceptor, grpc.aio.StreamUnaryClientInterceptor):
        return _SelectedAioStreamUnary(interceptor, selector)
    if isinstance(interceptor, grpc.aio.StreamStreamClientInterceptor):
        return _SelectedAioStreamStream(interceptor, selector)
    raise TypeError(
        f"select() takes a server or client interceptor (sync or grpc.aio), got {type(interceptor).__name__} "
        f"{interceptor!r}"
    )
