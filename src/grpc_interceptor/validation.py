"""Request validation with protovalidate: bad requests never reach the handler.

Needs the ``validate`` extra (``pip install "grpc-interceptor[validate]"``, for
protovalidate), and the ``status`` extra for the ``google.rpc.BadRequest`` detail.

A request whose message breaks its protovalidate rules (``[(buf.validate.field)...]``
options in the ``.proto``) is answered with ``INVALID_ARGUMENT`` before the handler
runs. The status details say what was wrong, ``"name: must be at least 1 characters"``,
and, with the ``status`` extra, the status carries a ``google.rpc.BadRequest`` with one
``FieldViolation`` per broken rule (``field`` is the path to the field, ``name``,
``address.city`` or ``tags[2]``; ``description`` protovalidate's message), which
:class:`~grpc_interceptor.StatusToExceptionInterceptor` hands to the client as
``e.error_details``.

A streaming request is validated message by message, as the handler takes them: the
messages before a bad one reach the handler, the bad one and those after it do not,
and the RPC ends with ``INVALID_ARGUMENT``. A message without rules passes through.

Whether a method's requests can have rules is decided once per method, from its
request class (the class whose ``FromString`` the handler deserializes with, as in
generated code): a method whose request class has none is served by its own handler,
and its RPCs cost nothing here. When the class cannot be known that way, each
message's class is looked at (once per class, then a dictionary lookup).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

import grpc

try:
    import protovalidate
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "grpc_interceptor.validation needs protovalidate; install it with pip install 'grpc-interceptor[validate]'"
    ) from _missing

from grpc_interceptor._battery import runs_own_hook
from grpc_interceptor._handlers import remember
from grpc_interceptor._hooks import HOOK_FOR_KIND
from grpc_interceptor.exceptions import InvalidArgument
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor

__all__ = ["AsyncValidationInterceptor", "ValidationInterceptor", "field_path"]

_LOG: Final = logging.getLogger(__name__)

#: How many violations the status details list before "and N more" (all are in the
#: BadRequest).
_LISTED: Final = 5


#: How protovalidate's options start in a serialized options message: field 1159, length
#: delimited, the number of ``(buf.validate.message)``, ``(buf.validate.field)`` and
#: ``(buf.validate.oneof)``. Finding it where it is not an option (in some other
#: option's bytes) only means the message is validated: never the other way round.
_RULES_TAG: Final = b"\xbaH"


def _options_have_rules(owner: Any) -> bool:
    return _RULES_TAG in owner.GetOptions().SerializeToString()


def _has_rules(descriptor: Any, seen: set[str]) -> bool:
    """Tell whether a message, or a message in one of its fields, may have protovalidate rules."""
    if descriptor.full_name in seen:
        return False  # looked at already, further up this search
    seen.add(descriptor.full_name)
    if _options_have_rules(descriptor) or any(_options_have_rules(oneof) for oneof in descriptor.oneofs):
        return True
    for field in descriptor.fields:
        if _options_have_rules(field):
            return True
        if field.message_type is not None and _has_rules(field.message_type, seen):
            return True
    return False


def _needs_validation(message_class: type[Any]) -> bool:
    try:
        descriptor: Any = getattr(message_class, "DESCRIPTOR")  # noqa: B009  # any class may come
        return _has_rules(descriptor, set())
    except Exception:  # not a google.protobuf message: let protovalidate decide
        return True


def _method_request_class(handler: Any) -> type[Any] | None:
    """The class of a method's requests, or ``None`` when it cannot be known for sure.

    Only a handler whose deserializer is a message class's own bound ``FromString`` (as
    generated code makes them) tells: any other deserializer may make messages of any
    class, which are then looked at one by one.
    """
    deserializer = handler.request_deserializer
    owner = getattr(deserializer, "__self__", None)
    if isinstance(owner, type) and getattr(owner, "FromString", None) == deserializer:
        return owner
    return None


def field_path(violation: Any) -> str:
    """Return the path of the field a protovalidate violation is about, as a string.

    Nested fields are joined with dots, list items and map values get their index or
    key in brackets: ``address.city``, ``tags[2]``, ``labels["env"]``. A violation of
    a rule on the whole message gives ``""``.

    Args:
        violation: A ``protovalidate.Violation``, as ``collect_violations`` returns.

    Returns:
        The path.
    """
    parts: list[str] = []
    for element in violation.proto.field.elements:
        part = str(element.field_name)
        subscript = getattr(element, "subscript", None)
        if subscript is not None:
            key = subscript.value
            part += f"[{key}]" if subscript.field == "index" else f"[{key!r}]".replace("'", '"')
        parts.append(part)
    return ".".join(parts)


def _details(violations: list[Any]) -> str:
    described = [
        f"{path}: {violation.proto.message}" if (path := field_path(violation)) else str(violation.proto.message)
        for violation in violations[:_LISTED]
    ]
    more = len(violations) - _LISTED
    return "invalid request: " + "; ".join(described) + (f"; and {more} more" if more > 0 else "")


def _bad_request(violations: list[Any]) -> list[Any]:
    """The ``google.rpc.BadRequest`` for the violations, or nothing without the ``status`` extra."""
    try:
        error_details = importlib.import_module("google.rpc.error_details_pb2")
        importlib.import_module("grpc_status.rpc_status")
    except ImportError:
        return []
    bad_request = error_details.BadRequest()
    for violation in violations:
        bad_request.field_violations.add(field=field_path(violation), description=str(violation.proto.message))
    return [bad_request]


class _Settings:
    """What both validation interceptors are built with. Class-level defaults let a subclass skip ``__init__``."""

    _validator: Any = None
    _fail_fast = False
    # Whether each message class seen so far has rules; made on first use.
    _ruled: dict[type[Any], bool] | None = None

    def __init__(self, validator: protovalidate.Validator | None = None, *, fail_fast: bool = False) -> None:
        """Configure the validation.

        Args:
            validator: The ``protovalidate.Validator`` to use (it caches the rules it
                compiled). By default one of this interceptor's own.
            fail_fast: Stop at a message's first violation instead of listing all.

        Raises:
            TypeError: If ``validator`` is not a ``protovalidate.Validator`` or
                ``fail_fast`` not a bool.
        """
        if validator is not None and not isinstance(validator, protovalidate.Validator):
            raise TypeError(f"validator: expected a protovalidate.Validator, got {type(validator).__name__}")
        if not isinstance(fail_fast, bool):
            raise TypeError(f"fail_fast: expected True or False, got {fail_fast!r}")
        self._validator = validator
        self._fail_fast = fail_fast

    def _class_needs_validation(self, cls: type[Any]) -> bool:
        ruled = self._ruled
        if ruled is None:
            ruled = self._ruled = {}
        needed = ruled.get(cls)
        if needed is None:
            needed = _needs_validation(cls)
            remember(ruled, cls, needed)
        return needed

    def _nothing_to_check(self, base: type, own: type, handler: Any, method_name: str) -> bool:
        """Tell, once per method, whether its requests can never break a rule: then it is not wrapped.

        That is when the method's request class is known and has no rules, and the
        hook that would run for the method's kind is ``own``'s (a subclass that
        overrides it has its hook called as before).
        """
        hook_name = HOOK_FOR_KIND[handler.request_streaming, handler.response_streaming]
        if not runs_own_hook(self, base, handler, method_name, getattr(own, hook_name)):
            return False
        cls = _method_request_class(handler)
        return cls is not None and not self._class_needs_validation(cls)

    def _refusal(self, message: Any, method_name: str) -> InvalidArgument | grpc.StatusCode | None:
        """Return what to answer for an invalid ``message``, or ``None`` if it is valid."""
        ruled = self._ruled
        cls: type[Any] = message.__class__
        needed = None if ruled is None else ruled.get(cls)
        if needed is None:
            needed = self._class_needs_validation(cls)
        if not needed:  # a message without rules: nothing to check, nothing to pay
            return None
        validator = self._validator
        if validator is None:
            validator = self._validator = protovalidate.Validator()
        try:
            violations = validator.collect_violations(message, fail_fast=self._fail_fast)
        except Exception:  # the rules themselves are broken: fail closed, say so in the log
            _LOG.exception("%s: could not validate a %s", method_name, type(message).__name__)
            return grpc.StatusCode.INTERNAL
        if not violations:
            return None
        return InvalidArgument(_details(violations), error_details=_bad_request(violations))


def _status(refusal: InvalidArgument) -> grpc.Status | None:
    if not refusal.error_details:
        return None
    from grpc_interceptor.rich_status import to_grpc_status  # needs the status extra

    return to_grpc_status(refusal)


_INTERNAL_DETAILS: Final = "the server could not validate the request"


class ValidationInterceptor(_Settings, ServerInterceptor):
    """Refuse requests that break their protovalidate rules on a sync ``grpc.server``.

    Example:
        The testing kit's messages have no rules, so everything passes:

        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> with dummy_client({}, [ValidationInterceptor()]) as client:
        ...     print(client.Execute(DummyRequest(input="anything")).output)
        anything
    """

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # A method whose requests have no rules is served by its own handler: its RPCs
        # cost nothing here (decided once per method, see ServerInterceptor).
        if self._nothing_to_check(ServerInterceptor, ValidationInterceptor, handler, method_name):
            return handler
        return super()._grpc_interceptor_wrap(handler, method_name)

    def _check(self, message: Any, context: grpc.ServicerContext, method_name: str) -> None:
        refusal = self._refusal(message, method_name)
        if refusal is None:
            return
        if isinstance(refusal, grpc.StatusCode):
            context.abort(refusal, _INTERNAL_DETAILS)
        status = _status(refusal)
        if status is not None:
            context.abort_with_status(status)
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, refusal.details)

    def _checked(self, requests: Iterator[Any], context: grpc.ServicerContext, method_name: str) -> Iterator[Any]:
        for request in requests:
            self._check(request, context, method_name)
            yield request

    def on_unary_unary(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        """Validate the request, then call the handler."""
        self._check(request, context, method_name)
        return method(request, context)

    def on_unary_stream(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        """Validate the request, then call the handler."""
        self._check(request, context, method_name)
        return method(request, context)

    def on_stream_unary(
        self, method: Any, request_iterator: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Validate each request as the handler takes it."""
        return method(self._checked(request_iterator, context, method_name), context)

    def on_stream_stream(
        self, method: Any, request_iterator: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Validate each request as the handler takes it."""
        return method(self._checked(request_iterator, context, method_name), context)


class AsyncValidationInterceptor(_Settings, AsyncServerInterceptor):
    """Refuse requests that break their protovalidate rules on a ``grpc.aio.server``.

    The grpc.aio twin of :class:`ValidationInterceptor`, built with the same arguments.
    """

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # As ValidationInterceptor's: a method whose requests have no rules is not wrapped.
        if self._nothing_to_check(AsyncServerInterceptor, AsyncValidationInterceptor, handler, method_name):
            return handler
        return super()._grpc_interceptor_wrap(handler, method_name)

    async def _check(self, message: Any, context: Any, method_name: str) -> None:
        refusal = self._refusal(message, method_name)
        if refusal is None:
            return
        if isinstance(refusal, grpc.StatusCode):
            await context.abort(refusal, _INTERNAL_DETAILS)
        else:
            status = _status(refusal)
            if status is not None:
                await context.abort_with_status(status)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, refusal.details)

    async def _checked(self, requests: AsyncIterator[Any], context: Any, method_name: str) -> AsyncIterator[Any]:
        async for request in requests:
            await self._check(request, context, method_name)
            yield request

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        """Validate the request, then call the handler."""
        await self._check(request, context, method_name)
        return await method(request, context)

    async def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> AsyncIterator[Any]:
        """Validate the request, then call the handler."""
        await self._check(request, context, method_name)
        async for response in method(request, context):
            yield response

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        """Validate each request as the handler takes it."""
        return await method(self._checked(request_iterator, context, method_name), context)

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        """Validate each request as the handler takes it."""
        return method(self._checked(request_iterator, context, method_name), context)
