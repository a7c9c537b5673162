"""Take a grpc method handler apart by kind and rebuild it around an interceptor.

grpc calls ``intercept_service`` on every RPC, but everything that depends only on the
method (its kind, which hook to call, whether the interceptor applies at all) is
decided here once, the first time a handler is seen; the result is cached on the
interceptor, keyed on the method name and checked against the identity of the handler
the continuation returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import grpc
import grpc.aio

from grpc_interceptor._kinds import BY_STREAMING

if TYPE_CHECKING:
    from typing import TypeAlias

    _Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"

__all__ = [
    "CACHE_LIMIT",
    "HandlerCache",
    "PerObjectState",
    "behavior_of",
    "keep",
    "rebuild_handler",
    "refusing_handler",
    "remember",
]

#: How many methods an interceptor remembers. A server has a fixed set of methods, so
#: this is only reached with handlers made up per method name (a proxy, say); then the
#: oldest entries are dropped.
CACHE_LIMIT: Final = 4096

_StateT = TypeVar("_StateT")


def behavior_of(handler: _Handler) -> Callable[..., Any]:
    """Return the one behaviour a handler carries, whatever its kind."""
    found: Callable[..., Any] | None = getattr(
        handler, BY_STREAMING[handler.request_streaming, handler.response_streaming].name
    )
    if found is None:  # a handler built by hand with the flags and the behaviour at odds
        raise TypeError(
            f"grpc method handler {handler!r} has request_streaming={handler.request_streaming} and "
            f"response_streaming={handler.response_streaming} but no behaviour for that kind"
        )
    return found


def rebuild_handler(handler: _Handler, behavior: Callable[..., Any]) -> _Handler:
    """Return a handler of the same kind and serializers as ``handler`` running ``behavior``."""
    build = BY_STREAMING[handler.request_streaming, handler.response_streaming].builder
    rebuilt: _Handler = build(
        behavior,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
    return rebuilt


def _dropped() -> None:
    """What per-object state becomes in a pickle or a deep copy: nothing, made again lazily."""
    return None


class PerObjectState:
    """State the library keeps on an interceptor object, valid for that object only.

    It is stored in the object's ``__dict__`` without going through the object's own
    ``__setattr__`` (interceptors may be frozen dataclasses, or guard their attributes),
    and remembers its ``owner``: ``copy.copy`` of an interceptor shares its ``__dict__``
    values, so the copy finds a state that is not its own and makes a fresh one. A deep
    copy or a pickle gets none (the state holds closures over the original's hooks).
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None

    def __reduce__(self) -> tuple[Callable[[], None], tuple[()]]:
        return _dropped, ()


def keep(interceptor: object, name: str, state: _StateT) -> _StateT:
    """Store ``state`` as ``interceptor``'s attribute ``name``, past its ``__setattr__``; return it."""
    object.__setattr__(interceptor, name, state)
    return state


def refusing_handler(handler: _Handler, code: grpc.StatusCode, details: str, *, aio: bool) -> _Handler:
    """Return a handler of ``handler``'s kind that answers every RPC with ``code`` and ``details``.

    Args:
        handler: The handler whose kind and serializers to keep.
        code: A status code other than OK.
        details: The details the client gets.
        aio: Whether it runs on a grpc.aio server (then its behaviour is a coroutine
            function, or an async generator function for a streaming response).
    """

    def refuse(request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, details)

    async def refuse_async(request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(code, details)

    async def refuse_stream(request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        await context.abort(code, details)
        yield  # never reached: makes this the async generator grpc.aio expects here

    if not aio:
        return rebuild_handler(handler, refuse)
    return rebuild_handler(handler, refuse_stream if handler.response_streaming else refuse_async)


class HandlerCache(PerObjectState, dict[str, "tuple[_Handler, _Handler]"]):
    """Wrapped handlers by method name, each valid only for the handler it was built from.

    It maps a method name to ``(handler, wrapped)``. The continuation is still called on
    every RPC (another interceptor may return a different handler each time); a wrapped
    handler is reused only when the continuation returned the very same handler object
    for the same method. It is a ``dict`` so that the per-RPC lookup in
    ``intercept_service`` is one C-level ``get`` and an identity test.

    Attributes:
        owner: The interceptor it belongs to (see :class:`PerObjectState`).
    """

    __slots__ = ("owner",)

    def __init__(self, owner: object) -> None:
        super().__init__()
        self.owner = owner

    def put(self, method: str, handler: _Handler, wrapped: _Handler) -> _Handler:
        """Remember ``wrapped`` as the handler to use for ``handler`` on ``method``; return it."""
        remember(self, method, (handler, wrapped))
        return wrapped


_KeyT = TypeVar("_KeyT")
_ValueT = TypeVar("_ValueT")


def remember(known: dict[_KeyT, _ValueT], key: _KeyT, value: _ValueT) -> None:
    """Store what was decided once per method, in a table of at most :data:`CACHE_LIMIT` methods.

    The one eviction rule of the library's per-method tables: past the limit, which only
    handlers made up per method name reach (a proxy, say), the oldest entry goes (dicts
    keep insertion order). Another thread may be doing the same at this moment: losing
    that race only costs deciding again.
    """
    if len(known) >= CACHE_LIMIT and key not in known:
        try:
            del known[next(iter(known))]
        except (KeyError, RuntimeError, StopIteration):
            pass
    known[key] = value
