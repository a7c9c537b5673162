"""Typed means enforced: does an interceptor's ``[RequestT, ResponseT]`` fit a method?

gRPC hands a server interceptor every method of the server. An interceptor declared
``ServerInterceptor[SearchRequest, SearchResponse]`` must not be given other messages,
so it is applied only where the method's classes may be the declared ones:

* a parameter that is ``Any`` or left open (a type variable) fits every method;
* a class fits a method whose message class is that class or a subclass; a union fits
  if one of its arms does;
* when a method's message class cannot be learnt, the method is intercepted: only a
  *known* mismatch passes an RPC through;
* a known mismatch of both parameters is another service's method, and passes through
  silently; but a *swapped* match (the request parameter fits the method's response
  class and the response parameter its request class) or a *partial* one (one
  parameter fits, the other is a known mismatch) is a mistake in the type arguments:
  the interceptor could never run there, so the server refuses that method's RPCs
  and logs why, rather than let them through unguarded.

``object`` counts as open, like ``Any``: it says nothing about the messages.

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
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar, Union

from grpc_interceptor._handlers import PerObjectState, keep

if TYPE_CHECKING:
    import grpc

__all__ = ["Verdict", "check_typed_interceptors_ran", "declared_message_types", "match"]

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


def _fit(declared: Any, actual: type | None) -> bool | None:
    """Tell whether ``actual`` is of the ``declared`` type: ``None`` when it cannot be told."""
    if actual is None or _is_open(declared):
        return None
    origin = typing.get_origin(declared)
    if origin is Union or origin is types.UnionType:
        arms = [_fit(arm, actual) for arm in typing.get_args(declared)]
        return True if True in arms else None if None in arms else False
    if isinstance(declared, type):
        try:
            return issubclass(actual, declared)
        except TypeError:  # a Protocol that is not runtime-checkable, ...: cannot tell
            return None
    return None  # a generic alias, a TypedDict, ...: cannot tell, so intercept


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


class Verdict(NamedTuple):
    """Whether an interceptor runs for a method, and why it never could if that is a mistake."""

    applies: bool
    #: For a swapped or partial match: what is wrong, for the server's log.
    mistake: str | None = None


_APPLIES: Final = Verdict(applies=True)
_OTHER_SERVICE: Final = Verdict(applies=False)


def match(interceptor: object, base: type, handler: grpc.RpcMethodHandler[Any, Any], method_name: str) -> Verdict:
    """Tell whether ``interceptor`` should run for this method (see the module docstring)."""
    request_type, response_type = declared_message_types(
        type(interceptor), base, getattr(interceptor, "__orig_class__", None)
    )
    if _is_open(request_type) and _is_open(response_type):
        return _APPLIES
    known_request, known_response = _method_classes(method_name)
    request_class = _request_class(handler) or known_request
    response_class = bytes if handler.response_serializer is None else known_response
    request_fits, response_fits = _fit(request_type, request_class), _fit(response_type, response_class)
    verdict = _APPLIES
    if request_fits is False or response_fits is False:
        crossed = (_fit(request_type, response_class), _fit(response_type, request_class))
        if {request_fits, response_fits} == {True, False}:
            which = "request" if request_fits else "response"
            verdict = Verdict(False, f"only its {which} type matches")
        elif crossed == (True, True):
            verdict = Verdict(False, "its type arguments are swapped")
        elif True in crossed and False not in crossed:
            verdict = Verdict(
                False,
                "its request type matches the method's response class"
                if crossed[0]
                else "its response type matches the method's request class",
            )
        else:
            verdict = _OTHER_SERVICE
    declared = f"{base.__name__}[{_name(request_type)}, {_name(response_type)}]"
    classes = f"takes {_name(request_class)}, returns {_name(response_class)}"
    if verdict.mistake is not None:
        verdict = Verdict(
            False,
            f"{type(interceptor).__name__} is typed {declared}, but {method_name} {classes}: "
            f"{verdict.mistake}. A typed interceptor runs only for the methods whose request and response "
            "classes both match, so it could never run for this method; the server refuses its RPCs "
            "(INTERNAL) rather than let them through unintercepted. Fix the type arguments; or, if this "
            "method is another service's that shares a message class, keep the interceptor to its own "
            "service with select(interceptor, services('package.Service')).",
        )
    _record(interceptor, declared, method_name, classes, verdict.applies)
    return verdict


def _name(declared: Any) -> str:
    if declared is None:
        return "a class that cannot be known"
    if isinstance(declared, type):
        return declared.__qualname__
    return repr(declared).replace("typing.", "")


# --- What the testing kit checks: a typed interceptor that ran for no method ---------------

#: How many methods it never ran for a record names, at most.
_NAMED = 8


class _TypedRecord(PerObjectState):
    """How many methods a typed interceptor saw and ran for, kept on it for the testing kit."""

    __slots__ = ("applied", "declared", "missed", "owner", "seen")

    def __init__(self, owner: object, declared: str) -> None:
        self.owner = owner
        self.declared = declared
        self.seen = 0
        self.applied = 0
        self.missed: dict[str, str] = {}


def _record(interceptor: object, declared: str, method_name: str, classes: str, applied: bool) -> None:
    record: _TypedRecord | None = getattr(interceptor, "_grpc_interceptor_typed", None)
    if record is None or record.owner is not interceptor:
        record = keep(interceptor, "_grpc_interceptor_typed", _TypedRecord(interceptor, declared))
    record.seen += 1
    record.applied += applied
    if not applied and len(record.missed) < _NAMED:
        record.missed[method_name] = classes


def _members(interceptors: Iterable[object]) -> Iterator[object]:
    """The interceptors themselves, and those that select() and chain() wrap."""
    from grpc_interceptor.chaining import ChainedAsyncServerInterceptor, ChainedServerInterceptor
    from grpc_interceptor.selection import SelectedAsyncServerInterceptor, SelectedServerInterceptor

    for interceptor in interceptors:
        yield interceptor
        if isinstance(interceptor, (SelectedServerInterceptor, SelectedAsyncServerInterceptor)):
            yield from _members([interceptor.interceptor])
        elif isinstance(interceptor, (ChainedServerInterceptor, ChainedAsyncServerInterceptor)):
            yield from _members(interceptor.interceptors)


def _counts(interceptor: object) -> tuple[int, int]:
    record: _TypedRecord | None = getattr(interceptor, "_grpc_interceptor_typed", None)
    if record is None or record.owner is not interceptor:
        return 0, 0
    return record.seen, record.applied


def check_typed_interceptors_ran(interceptors: Iterable[object]) -> Callable[[], None]:
    """Note what the typed ones among ``interceptors`` have seen; return the check for later.

    The check raises :class:`AssertionError` if one of them saw methods in between and ran
    for none: its type arguments match no method the test called, so it tested nothing.
    """
    members = list(_members(interceptors))
    before = {id(member): _counts(member) for member in members}

    def check() -> None:
        problems: list[str] = []
        for member in members:
            seen, applied = _counts(member)
            seen_before, applied_before = before[id(member)]
            if seen > seen_before and applied == applied_before:
                record: _TypedRecord = getattr(member, "_grpc_interceptor_typed")  # noqa: B009
                missed = "; ".join(f"{name} ({classes})" for name, classes in record.missed.items())
                problems.append(
                    f"{type(member).__name__} is typed {record.declared} but ran for none of the "
                    f"{seen - seen_before} methods this test called: {missed}. A typed interceptor runs "
                    "only for the methods whose request and response classes match its type arguments, "
                    "so it tested nothing here. Give it the message classes of the service it is for, or "
                    "leave the type arguments out to run for every method."
                )
        if problems:
            raise AssertionError("\n".join(problems))

    return check


def _is_open(declared: Any) -> bool:
    return declared is Any or declared is object or isinstance(declared, TypeVar)
