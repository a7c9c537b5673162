"""Chains of interceptors that grpc sees as one: :func:`chain`.

grpc runs its own machinery once for every interceptor in its list: on a server a
continuation and an ``intercept_service`` call per interceptor per RPC, on a sync
client a new call-details object and a multicallable per interceptor per call. A
chain made by :func:`chain` is a single interceptor for grpc. On a server it builds,
once per method, one handler that runs every member's hook in order, and finds it
again with one lookup per RPC; on a client it calls the members' hooks directly, one
after the other.

Members keep their own meaning: a typed member applies only to its own service's
methods, a member wrapped with :func:`~grpc_interceptor.select` only to the methods it
selects, and grpc's own interceptors may stand between ours (they run where they
stand, through grpc's usual protocol).
"""

from __future__ import annotations

import functools
import importlib
import types
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast, overload

import grpc
import grpc.aio

from grpc_interceptor._call_details import as_our_details
from grpc_interceptor._hooks import pick_hook
from grpc_interceptor._kinds import BY_HOOK, KINDS, SyncClientInterceptor
from grpc_interceptor.client import AsyncClientInterceptor, ClientInterceptor
from grpc_interceptor.selection import SelectedClientInterceptor
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor, fused_wrap

if TYPE_CHECKING:
    _Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

__all__ = [
    "ChainedAsyncClientInterceptor",
    "ChainedAsyncServerInterceptor",
    "ChainedClientInterceptor",
    "ChainedServerInterceptor",
    "chain",
]

#: Builds the handler one member puts around the handler inside it, for one method.
_Wrap: TypeAlias = "Callable[[_Handler, str], _Handler]"


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------


def _fold(wraps: Sequence[_Wrap], handler: _Handler, method_name: str) -> _Handler:
    for wrap in reversed(wraps):
        handler = wrap(handler, method_name)
    return handler


def _stages(
    interceptors: Sequence[object], base: type, make: Callable[[list[_Wrap]], Any]
) -> tuple[list[_Wrap] | None, list[Any]]:
    """Split a chain into runs of ours and the others, which run as grpc would run them.

    Ours are those that build their handler once per method (each run becomes one
    interceptor, made by ``make``); the others are grpc's own, or a class of ours that
    serves RPCs its own way. With only ours, the first item is the whole chain's wraps.
    """
    stages: list[Any] = []
    run: list[_Wrap] = []
    for interceptor in interceptors:
        wrap = fused_wrap(interceptor, base)
        if wrap is None:
            if run:
                stages.append(make(run))
                run = []
            stages.append(interceptor)
        else:
            run.append(wrap)
    if not stages:
        return run, []
    if run:
        stages.append(make(run))
    return None, stages


class ChainedServerInterceptor(ServerInterceptor):
    """A chain of sync server interceptors that grpc runs as one; made by :func:`chain`.

    Attributes:
        interceptors: The members, outermost first.
    """

    def __init__(self, interceptors: Sequence[grpc.ServerInterceptor]) -> None:
        self.interceptors: tuple[grpc.ServerInterceptor, ...] = tuple(interceptors)
        wraps, stages = _stages(self.interceptors, ServerInterceptor, _fused_server)
        self._wraps = wraps
        self._stages = stages
        self._grpc_interceptor_fusable = wraps is not None
        if wraps is not None:
            # Only ours: the base class's lookup, one per RPC for the whole chain, with no
            # call of this class's in between.
            object.__setattr__(self, "intercept_service", types.MethodType(ServerInterceptor.intercept_service, self))

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], _Handler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        """Implement :class:`grpc.ServerInterceptor`; not part of this class's API."""
        for stage in reversed(self._stages):  # grpc's own among ours: call them as grpc would
            continuation = functools.partial(stage.intercept_service, continuation)
        return continuation(handler_call_details)

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _fold(self._wraps or (), handler, method_name)

    def __repr__(self) -> str:
        return f"chain({', '.join(map(repr, self.interceptors))})"


def _fused_server(wraps: list[_Wrap]) -> ChainedServerInterceptor:
    fused = ChainedServerInterceptor(())
    fused._wraps = wraps  # pyright: ignore[reportPrivateUsage]
    return fused


class ChainedAsyncServerInterceptor(AsyncServerInterceptor):
    """A chain of grpc.aio server interceptors that grpc runs as one; made by :func:`chain`.

    Attributes:
        interceptors: The members, outermost first.
    """

    def __init__(self, interceptors: Sequence[grpc.aio.ServerInterceptor]) -> None:
        self.interceptors: tuple[grpc.aio.ServerInterceptor, ...] = tuple(interceptors)
        wraps, stages = _stages(self.interceptors, AsyncServerInterceptor, _fused_async_server)
        self._wraps = wraps
        self._stages = stages
        self._grpc_interceptor_fusable = wraps is not None
        if wraps is None:
            # grpc's own among ours; with only ours, the base class's lookup runs as it is,
            # with no coroutine of this class's in between.
            object.__setattr__(self, "_grpc_interceptor_service", self._through_stages)

    async def _through_stages(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[_Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> _Handler | None:
        for stage in reversed(self._stages):  # call them as grpc.aio would
            continuation = functools.partial(stage.intercept_service, continuation)
        return await continuation(handler_call_details)

    def _grpc_interceptor_wrap(self, handler: _Handler, method_name: str) -> _Handler:
        return _fold(self._wraps or (), handler, method_name)

    def __repr__(self) -> str:
        return f"chain({', '.join(map(repr, self.interceptors))})"


def _fused_async_server(wraps: list[_Wrap]) -> ChainedAsyncServerInterceptor:
    fused = ChainedAsyncServerInterceptor(())
    fused._wraps = wraps  # pyright: ignore[reportPrivateUsage]
    return fused


# --------------------------------------------------------------------------------------
# Sync clients
# --------------------------------------------------------------------------------------

#: grpc's own record of an exception raised inside its interceptor pipeline, which the
#: next interceptor out gets from its continuation in place of a call. A private name
#: of grpc's: where it is missing, an inner member's exception is raised through the
#: outer members instead.
_FAILURE: Final[Any] = getattr(importlib.import_module("grpc._interceptor"), "_FailureOutcome", None)

#: One member's part of a call: ``step(method, request, call_details)``, where
#: ``method(request, call_details)`` goes on with the members further in.
_Step: TypeAlias = "Callable[[Callable[[Any, Any], Any], Any, Any], Any]"


def _through_grpc_api(intercept: Callable[[Any, Any, Any], Any]) -> _Step:
    """A grpc-level interceptor method as a step: it takes grpc's (details, request) continuation."""

    def step(method: Callable[[Any, Any], Any], request: Any, call_details: Any) -> Any:
        def continuation(details: Any, request: Any) -> Any:
            return method(request, details)

        return intercept(continuation, call_details, request)

    return step


def _guarded(step: _Step, method: Callable[[Any, Any], Any], request: Any, call_details: Any) -> Any:
    """Run an inner member's step as grpc's pipeline would: what it raises comes back as a call."""
    try:
        return step(method, request, as_our_details(call_details))
    except grpc.RpcError as error:  # grpc's RpcErrors are calls themselves
        if _FAILURE is None or isinstance(error, grpc.Call):
            return error
        return _FAILURE(error, error.__traceback__)
    except Exception as error:
        if _FAILURE is None:
            raise
        return _FAILURE(error, error.__traceback__)


def _client_steps(interceptors: Sequence[object], hook_name: str) -> list[_Step]:
    """The steps of one RPC kind, outermost first; members that do not handle the kind drop out."""
    steps: list[_Step] = []
    kind = BY_HOOK[hook_name]
    for interceptor in interceptors:
        if isinstance(interceptor, ChainedClientInterceptor):
            steps += interceptor._steps[hook_name]  # pyright: ignore[reportPrivateUsage]
        elif isinstance(interceptor, ClientInterceptor) and not isinstance(interceptor, SelectedClientInterceptor):
            # A selected one decides per call, through grpc's API, below.
            steps.append(pick_hook(cast("object", interceptor), ClientInterceptor, hook_name)[0])
        elif isinstance(interceptor, kind.client_interceptor):
            steps.append(_through_grpc_api(getattr(cast("object", interceptor), kind.client_method)))
    return steps


def _call_chain(
    steps: Sequence[_Step], continuation: Callable[[Any, Any], Any], call_details: Any, request: Any
) -> Any:
    def method(request: Any, call_details: Any) -> Any:
        return continuation(call_details, request)

    if not steps:
        return continuation(call_details, request)
    for step in steps[:0:-1]:
        method = functools.partial(_guarded, step, method)
    # Hooks receive our ClientCallDetails, as on an interceptor installed alone.
    return steps[0](method, request, as_our_details(call_details))


class ChainedClientInterceptor(ClientInterceptor):
    """A chain of sync client interceptors that grpc runs as one; made by :func:`chain`.

    Install it as any client interceptor: ``grpc.intercept_channel(channel, chain(a, b))``.

    Attributes:
        interceptors: The members, outermost first.
    """

    def __init__(self, interceptors: Sequence[SyncClientInterceptor]) -> None:
        self.interceptors: tuple[SyncClientInterceptor, ...] = tuple(interceptors)
        self._steps = {kind.hook: _client_steps(self.interceptors, kind.hook) for kind in KINDS}

    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        return _call_chain(self._steps["on_unary_unary"], continuation, call_details, request)

    def intercept_unary_stream(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryStreamClientInterceptor`; not part of this class's API."""
        return _call_chain(self._steps["on_unary_stream"], continuation, call_details, request)

    def intercept_stream_unary(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamUnaryClientInterceptor`; not part of this class's API."""
        return _call_chain(self._steps["on_stream_unary"], continuation, call_details, request_iterator)

    def intercept_stream_stream(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamStreamClientInterceptor`; not part of this class's API."""
        return _call_chain(self._steps["on_stream_stream"], continuation, call_details, request_iterator)

    def __repr__(self) -> str:
        return f"chain({', '.join(map(repr, self.interceptors))})"


# --------------------------------------------------------------------------------------
# grpc.aio clients
# --------------------------------------------------------------------------------------


async def _aio_inner(
    hook: Callable[..., Any],
    answered: Callable[[Any, Any], Any],
    terminal: Any,
    method: Any,
    request: Any,
    call_details: Any,
) -> Any:
    """Run an inner member's hook; give the member further out a call, as grpc.aio does.

    ``terminal`` is the continuation into grpc.aio's channel: an answer given in place
    of a call reports the status of the call it started last, if any.
    """
    result = await hook(method, request, call_details)
    return result if isinstance(result, grpc.aio.Call) else answered(result, getattr(terminal, "last_call", None))


def _aio_hooks(interceptors: Sequence[AsyncClientInterceptor[Any, Any]], hook_name: str) -> list[Callable[..., Any]]:
    hooks: list[Callable[..., Any]] = []
    for interceptor in interceptors:
        if isinstance(interceptor, ChainedAsyncClientInterceptor):
            hooks += interceptor._hooks[hook_name]  # pyright: ignore[reportPrivateUsage]
        else:
            hooks.append(pick_hook(interceptor, AsyncClientInterceptor, hook_name)[0])
    return hooks


class ChainedAsyncClientInterceptor(AsyncClientInterceptor):
    """A chain of grpc.aio client interceptors that grpc runs as one; made by :func:`chain`.

    Install it as any async client interceptor:
    ``grpc.aio.insecure_channel(target, interceptors=aio_channel_interceptors(chain(a, b)))``.

    Attributes:
        interceptors: The members, outermost first.
    """

    def __init__(self, interceptors: Sequence[AsyncClientInterceptor[Any, Any]]) -> None:
        self.interceptors: tuple[AsyncClientInterceptor[Any, Any], ...] = tuple(interceptors)
        self._hooks = {kind.hook: _aio_hooks(self.interceptors, kind.hook) for kind in KINDS}

    def _run(self, hook_name: str, method: Any, request: Any, call_details: Any) -> Awaitable[Any]:
        hooks = self._hooks[hook_name]
        answered = BY_HOOK[hook_name].answered_call
        terminal = method
        for hook in hooks[:0:-1]:
            method = functools.partial(_aio_inner, hook, answered, terminal, method)
        result: Awaitable[Any] = hooks[0](method, request, call_details)
        return result

    async def on_unary_unary(self, method: Any, request: Any, call_details: Any, /) -> Any:
        """Run the members' unary-unary hooks in order."""
        return await self._run("on_unary_unary", method, request, call_details)

    async def on_unary_stream(self, method: Any, request: Any, call_details: Any, /) -> Any:
        """Run the members' unary-stream hooks in order."""
        return await self._run("on_unary_stream", method, request, call_details)

    async def on_stream_unary(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        """Run the members' stream-unary hooks in order."""
        return await self._run("on_stream_unary", method, request_iterator, call_details)

    async def on_stream_stream(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        """Run the members' stream-stream hooks in order."""
        return await self._run("on_stream_stream", method, request_iterator, call_details)

    def __repr__(self) -> str:
        return f"chain({', '.join(map(repr, self.interceptors))})"


# --------------------------------------------------------------------------------------
# chain()
# --------------------------------------------------------------------------------------


@overload
def chain(*interceptors: grpc.ServerInterceptor) -> ChainedServerInterceptor: ...
@overload
def chain(*interceptors: grpc.aio.ServerInterceptor) -> ChainedAsyncServerInterceptor: ...
@overload
def chain(*interceptors: AsyncClientInterceptor[Any, Any]) -> ChainedAsyncClientInterceptor: ...
@overload
def chain(*interceptors: SyncClientInterceptor) -> ChainedClientInterceptor: ...
def chain(*interceptors: object) -> object:
    """Make one interceptor of several, which grpc runs at the cost of one.

    ``grpc.server(pool, interceptors=[chain(a, b, c)])`` behaves as
    ``interceptors=[a, b, c]``: ``a`` sees each RPC first, ``c`` last. But grpc's own
    per-interceptor work is done once for the whole chain, and on a server the
    handler that runs ``a``, ``b`` and ``c`` around the method is built once per
    method and found again with one lookup per RPC. The same holds on clients:
    ``grpc.intercept_channel(channel, chain(a, b))``, and on grpc.aio channels
    ``aio_channel_interceptors(chain(a, b))``.

    Members may be typed (each still applies only to its own service's methods),
    selected with :func:`~grpc_interceptor.select`, chains themselves, or, on a sync
    client and on servers, grpc's own interceptor classes, which run where they stand.

    Args:
        *interceptors: The members, outermost first, all of one sort: sync server
            interceptors, grpc.aio server interceptors, sync client interceptors, or
            :class:`~grpc_interceptor.AsyncClientInterceptor` objects.

    Returns:
        One interceptor of that sort.

    Raises:
        TypeError: If there are none, or they are not all of one sort.

    Example:
        >>> from grpc_interceptor import ExceptionToStatusInterceptor, ServerInterceptor
        >>> class Log(ServerInterceptor):
        ...     def intercept(self, method, request_or_iterator, context, method_name):
        ...         return method(request_or_iterator, context)
        >>> both = chain(ExceptionToStatusInterceptor(), Log())
        >>> type(both).__name__, [type(member).__name__ for member in both.interceptors]
        ('ChainedServerInterceptor', ['ExceptionToStatusInterceptor', 'Log'])
    """
    if not interceptors:
        raise TypeError("chain() needs at least one interceptor")
    sorts = {_sort(interceptor) for interceptor in interceptors}
    if len(sorts) != 1 or not sorts <= _SORTS:
        described = ", ".join(f"{type(i).__name__} ({_sort(i) or 'not an interceptor'})" for i in interceptors)
        raise TypeError(
            "chain() takes interceptors of one sort (sync server, grpc.aio server, sync client or "
            f"grpc.aio client); got {described}"
        )
    (sort,) = sorts
    if sort == "sync server":
        return ChainedServerInterceptor(cast("Sequence[grpc.ServerInterceptor]", interceptors))
    if sort == "grpc.aio server":
        return ChainedAsyncServerInterceptor(cast("Sequence[grpc.aio.ServerInterceptor]", interceptors))
    if sort == "grpc.aio client":
        return ChainedAsyncClientInterceptor(cast("Sequence[AsyncClientInterceptor[Any, Any]]", interceptors))
    return ChainedClientInterceptor(cast("Sequence[SyncClientInterceptor]", interceptors))


_SORTS: Final = {"sync server", "grpc.aio server", "grpc.aio client", "sync client"}


def _sort(interceptor: object) -> str | None:
    if isinstance(interceptor, grpc.ServerInterceptor):
        return "sync server"
    if isinstance(interceptor, grpc.aio.ServerInterceptor):
        return "grpc.aio server"
    if isinstance(interceptor, AsyncClientInterceptor):
        return "grpc.aio client"
    if isinstance(interceptor, grpc.aio.ClientInterceptor):
        return "grpc.aio client of grpc's own (list it beside aio_channel_interceptors(...), not in chain())"
    if isinstance(interceptor, SyncClientInterceptor):
        return "sync client"
    return None
