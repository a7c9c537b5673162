"""Client-side default deadlines: a timeout for calls that were made without one.

A call made without ``timeout=`` has no deadline: if the server never answers, it waits
forever. :class:`~grpc_interceptor.DeadlineInterceptor` (sync channel) and
:class:`~grpc_interceptor.AsyncDeadlineInterceptor` (grpc.aio channel) give such calls a default timeout,
one for every method, or one per service or method. A call that has a timeout keeps it
as it is: a default never extends (nor shortens) a deadline the caller set.

Put it outside (before) a :class:`~grpc_interceptor.RetryInterceptor`, so that
the default deadline covers all attempts together.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, cast

import grpc

from grpc_interceptor._handlers import remember
from grpc_interceptor._method_names import parse_method_name
from grpc_interceptor.client import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor
from grpc_interceptor.protocols import AsyncClientContinuation, CallFuture, CallIterator, ClientContinuation

__all__ = ["AsyncDeadlineInterceptor", "DeadlineInterceptor"]


def _check_timeout(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, got {type(value).__name__} {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a positive, finite number of seconds (or None for none), got {value!r}")
    return float(value)


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"per_method keys are method or service names (str), got {type(key).__name__} {key!r}")
    if key.startswith("/"):
        try:
            parse_method_name(key)
        except ValueError:
            raise ValueError(
                f"per_method key {key!r} is not a method name: expected '/package.Service/Method'"
            ) from None
    elif not key or "/" in key or "" in key.split("."):
        raise ValueError(
            f"per_method key {key!r} is neither a method ('/package.Service/Method') nor a service "
            "('package.Service', or 'Service' for any package)"
        )
    return key


class _Timeouts:
    """The default timeout of each method, looked up once per method and remembered."""

    __slots__ = ("default", "known", "per_method")

    def __init__(self, timeout: object, per_method: object) -> None:
        self.default = _check_timeout("timeout", timeout)
        if per_method is None:
            per_method = {}
        if not isinstance(per_method, Mapping):
            raise TypeError(f"per_method must map method or service names to seconds, got {type(per_method).__name__}")
        entries = cast("Mapping[object, object]", per_method)
        self.per_method = {
            _check_key(key): _check_timeout(f"per_method[{key!r}]", value) for key, value in entries.items()
        }
        self.known: dict[str, float | None] = {}  # by method name, filled by lookup()

    def lookup(self, method: str) -> float | None:
        known = self.known
        if method in known:
            return known[method]
        timeout = self._resolve(method)
        remember(known, method, timeout)
        return timeout

    def _resolve(self, method: str) -> float | None:
        per_method = self.per_method
        if method in per_method:
            return per_method[method]
        try:
            name = parse_method_name(method)
        except ValueError:
            return self.default
        for key in (name.fully_qualified_service, name.service):
            if key in per_method:
                return per_method[key]
        return self.default


def _method_of(call_details: grpc.ClientCallDetails) -> str:
    method: object = call_details.method  # bytes on grpc.aio before our base converts it
    return method.decode() if isinstance(method, bytes) else str(method)


class _DeadlineConfig:
    _timeouts: _Timeouts

    def timeout_for(self, method_name: str) -> float | None:
        """Return the default timeout for a method, in seconds, or ``None`` for none.

        Args:
            method_name: The method, ``/package.Service/Method``.

        Returns:
            Its ``per_method`` entry, else its service's (``package.Service``, then
            ``Service``), else ``timeout``.
        """
        return self._timeouts.lookup(method_name)


class DeadlineInterceptor(_DeadlineConfig, ClientInterceptor):
    """Give calls made without a timeout a default one (sync channel).

    Args:
        timeout: Seconds for every call without a timeout, or ``None`` for only
            the methods and services in ``per_method``.
        per_method: Timeouts by full method name (``/package.Service/Method``) or
            service (``package.Service``, or ``Service`` in any package); the most
            precise entry wins. ``None`` as a value leaves those calls without a
            deadline.

    Raises:
        TypeError: If a timeout is not a number, or a key not a string.
        ValueError: If a timeout is not positive and finite, or a key is neither a
            method nor a service name.

    Example:
        >>> deadline = DeadlineInterceptor(5.0, per_method={"shop.v1.Reports": 60.0, "/shop.v1.Orders/Get": 1.0})
        >>> deadline.timeout_for("/shop.v1.Reports/Yearly"), deadline.timeout_for("/shop.v1.Orders/Get")
        (60.0, 1.0)
        >>> deadline.timeout_for("/shop.v1.Orders/Create")
        5.0
    """

    def __init__(self, timeout: float | None = None, *, per_method: Mapping[str, float | None] | None = None) -> None:
        self._timeouts = _Timeouts(timeout, per_method)

    def intercept(
        self,
        method: ClientContinuation[Any, Any],
        request_or_iterator: Any,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[Any] | CallIterator[Any]:
        """Call on with the default timeout if the call has none."""
        if call_details.timeout is None:
            try:  # the per-call path: one dict lookup of what was decided for the method
                timeout = self._timeouts.known[call_details.method]
            except KeyError:
                timeout = self._timeouts.lookup(_method_of(call_details))
            if timeout is not None:
                call_details = ClientCallDetails(
                    call_details.method,
                    timeout,
                    call_details.metadata,
                    call_details.credentials,
                    call_details.wait_for_ready,
                    call_details.compression,
                )
        return method(request_or_iterator, call_details)

    # grpc's entry points. A call that keeps its deadline as it is (it has a timeout, or
    # its method has no default) goes straight on, before the hooks' arguments are
    # built; only an object of this very class does so (a subclass may override hooks).

    def _straight_on(self, call_details: grpc.ClientCallDetails) -> bool:
        return call_details.timeout is not None or self._timeouts.known.get(call_details.method, 0) is None

    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        if type(self) is DeadlineInterceptor and (
            call_details.timeout is not None or self._timeouts.known.get(call_details.method, 0) is None
        ):
            return continuation(call_details, request)
        return ClientInterceptor.intercept_unary_unary(self, continuation, call_details, request)

    def intercept_unary_stream(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryStreamClientInterceptor`; not part of this class's API."""
        if type(self) is DeadlineInterceptor and self._straight_on(call_details):
            return continuation(call_details, request)
        return ClientInterceptor.intercept_unary_stream(self, continuation, call_details, request)

    def intercept_stream_unary(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamUnaryClientInterceptor`; not part of this class's API."""
        if type(self) is DeadlineInterceptor and self._straight_on(call_details):
            return continuation(call_details, request_iterator)
        return ClientInterceptor.intercept_stream_unary(self, continuation, call_details, request_iterator)

    def intercept_stream_stream(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamStreamClientInterceptor`; not part of this class's API."""
        if type(self) is DeadlineInterceptor and self._straight_on(call_details):
            return continuation(call_details, request_iterator)
        return ClientInterceptor.intercept_stream_stream(self, continuation, call_details, request_iterator)


class AsyncDeadlineInterceptor(_DeadlineConfig, AsyncClientInterceptor):
    """Give calls made without a timeout a default one (grpc.aio channel).

    The grpc.aio twin of :class:`~grpc_interceptor.DeadlineInterceptor`, with the same arguments;
    install it with :func:`~grpc_interceptor.aio_channel_interceptors`.

    Args:
        timeout: Seconds for every call without a timeout, or ``None``.
        per_method: Timeouts by method or service name.

    Raises:
        TypeError: If a timeout is not a number, or a key not a string.
        ValueError: If a timeout is not positive and finite, or a key is neither a
            method nor a service name.

    Example:
        >>> AsyncDeadlineInterceptor(per_method={"Health": 1}).timeout_for("/grpc.health.v1.Health/Check")
        1.0
    """

    def __init__(self, timeout: float | None = None, *, per_method: Mapping[str, float | None] | None = None) -> None:
        self._timeouts = _Timeouts(timeout, per_method)

    async def intercept(
        self,
        method: AsyncClientContinuation[Any],
        request_or_iterator: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        """Call on with the default timeout if the call has none."""
        if call_details.timeout is None:
            try:
                timeout = self._timeouts.known[call_details.method]
            except KeyError:
                timeout = self._timeouts.lookup(call_details.method)
            if timeout is not None:
                call_details = call_details._replace(timeout=timeout)
        return await method(request_or_iterator, call_details)
