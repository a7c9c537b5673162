"""Typed means enforced: does an interceptor's ``[RequestT, ResponseT]`` fit a method?

gRPC hands a server interceptor every method of the server. An interceptor declared
``ServerInterceptor[SearchRequest, SearchResponse]`` must not be given other messages,
so it is applied only where the method's classes may be the declared ones:

* a parameter that is ``Any`` or left open (a type variable) fits every method;
* a class fits a method whose message class is that class or a subclass; a union fits
  if one of its arms does;
* when a method's message class cannot be learnt, the method is intercepted: only a
  *known* mismatch passes an RPC through.

The request class is the class whose ``FromString`` is the handler's deserializer; the
response class comes from the default protobuf descriptor pool (the serializer is the
generic ``Message.SerializeToString`` and tells nothing), which also gives the request
class when the deserializer is some other function. A handler without a deserializer
(or serializer) exchanges raw ``bytes``, so ``bytes`` is then the known class. Both are
learnt once per method, when its handler is first wrapped.
"""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, TypeVar, Union

if TYPE_CHECKING:
    import grpc

__all__ = ["applies_to", "declared_message_types"]

_UNKNOWN: Any = object()


def declared_message_types(cls: type, base: type, start: Any = None) -> tuple[Any, Any]:
    """Return the ``(RequestT, ResponseT)`` that ``cls`` (or the alias ``start``) gives ``base``.

    Type variables are followed through generic subclasses; what stays open comes back
    as the type variable itself.
    """
    origin = typing.get_origin(start) if start is not None else None
    if origin is not None:
        found = _resolve(
            origin, base, dict(zip(getattr(origin, "__parameters__", ()), typing.get_args(start), strict=False))
        )
    else:
        found = _resolve(cls, base, {})
    return found if found is not None else (Any, Any)


def _resolve(cls: type, base: type, bound: dict[Any, Any]) -> tuple[Any, Any] | None:
    for klass in cls.__mro__:
        for alias in klass.__dict__.get("__orig_bases__", ()):
            origin = typing.get_origin(alias)
            if origin is None:
                continue
            args = tuple(bound.get(arg, arg) if isinstance(arg, TypeVar) else arg for arg in typing.get_args(alias))
            if origin is base:
                request, response = args if len(args) == 2 else (Any, Any)
                return request, response
            if isinstance(origin, type) and issubclass(origin, base) and origin is not klass:
                found = _resolve(origin, base, dict(zip(getattr(origin, "__parameters__", ()), args, strict=False)))
                if found is not None:
                    return found
        if klass is base:
            return (Any, Any)
        # Only the first class that names its base counts; bound names apply to it alone.
        bound = {}
    return None


def _fits(declared: Any, actual: type | None) -> bool:
    if actual is None or declared is Any or isinstance(declared, TypeVar):
        return True
    origin = typing.get_origin(declared)
    if origin is Union or origin is types.UnionType:
        return any(_fits(arm, actual) for arm in typing.get_args(declared))
    if isinstance(declared, type):
        try:
            return issubclass(actual, declared)
        except TypeError:  # a Protocol that is not runtime-checkable, ...: cannot tell
            return True
    return True  # a generic alias, a TypedDict, ...: cannot tell, so intercept


def _request_class(handler: grpc.RpcMethodHandler[Any, Any]) -> type | None:
    deserializer = handler.request_deserializer
    if deserializer is None:
        return bytes  # grpc hands the handler the raw bytes
    owner = getattr(deserializer, "__self__", None)
    # Only a message class's own FromString tells the class: a classmethod of some
    # codec class is bound to that class too, and says nothing about the messages.
    if isinstance(owner, type) and getattr(owner, "FromString", None) == deserializer:
        return owner
    return None


def _method_classes(method_name: str) -> tuple[type | None, type | None]:
    """Return the request and response classes the default descriptor pool knows."""
    try:
        from google.protobuf import descriptor_pool, message_factory
    except ImportError:  # protobuf is not a dependency of this library
        return None, None
    try:
        method = descriptor_pool.Default().FindMethodByName(method_name.lstrip("/").replace("/", "."))
        return (
            message_factory.GetMessageClass(method.input_type),
            message_factory.GetMessageClass(method.output_type),
        )
    except (KeyError, TypeError, AttributeError):
        return None, None


def applies_to(interceptor: object, base: type, handler: grpc.RpcMethodHandler[Any, Any], method_name: str) -> bool:
    """Tell whether ``interceptor`` should run for this method (see the module docstring)."""
    request_type, response_type = declared_message_types(
        type(interceptor), base, getattr(interceptor, "__orig_class__", None)
    )
    if _is_open(request_type) and _is_open(response_type):
        return True
    known_request, known_response = _method_classes(method_name)
    request_class = _request_class(handler) or known_request
    response_class = bytes if handler.response_serializer is None else known_response
    return _fits(request_type, request_class) and _fits(response_type, response_class)


def _is_open(declared: Any) -> bool:
    return declared is Any or isinstance(declared, TypeVar)
