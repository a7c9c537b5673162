"""Access logs: one :mod:`logging` record per RPC, on the server and on the client.

Each record says which method ran, how it ended (the status code the other side
gets), how long it took and, on the server, who called. The same facts are in the
record's attributes (passed as ``extra=``), so that a JSON formatter or structlog
picks them up as fields:

=====================  ======================================================
``grpc_side``          ``"server"`` or ``"client"``
``grpc_full_method``   ``/package.Service/Method``
``grpc_service``       ``package.Service``
``grpc_method``        ``Method``
``grpc_type``          ``unary``, ``client_stream``, ``server_stream`` or ``bidi_stream``
``grpc_code``          the status code's name, ``"OK"``, ``"NOT_FOUND"``, ...
``grpc_duration_ms``   how long the RPC took, in milliseconds (a float)
``grpc_peer``          the client's address, as ``context.peer()`` gives it (server only)
``grpc_msg_received``  messages received (only with ``message_counts=True``)
``grpc_msg_sent``      messages sent (only with ``message_counts=True``)
``grpc_request``       the request, for a unary request (only with ``payloads=True``)
``grpc_response``      the response, for a unary response (only with ``payloads=True``)
=====================  ======================================================

The level of a record depends on its status code (:data:`DEFAULT_LEVELS`; pass
``levels=`` to change some). Message contents are never logged unless you ask with
``payloads=True``: requests carry passwords and personal data more often than not.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import grpc

from grpc_interceptor import _server_aio as _aio
from grpc_interceptor._battery import runs_own_hook
from grpc_interceptor._handlers import behavior_of, rebuild_handler
from grpc_interceptor._hooks import HOOK_FOR_KIND
from grpc_interceptor._observe import (
    ObservingAsyncClientInterceptor,
    ObservingAsyncServerInterceptor,
    ObservingClientInterceptor,
    ObservingServerInterceptor,
    Rpc,
    split_method,
)
from grpc_interceptor.client import ClientInterceptor
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor

__all__ = [
    "DEFAULT_LEVELS",
    "AccessLogClientInterceptor",
    "AccessLogInterceptor",
    "AsyncAccessLogClientInterceptor",
    "AsyncAccessLogInterceptor",
]

_S = grpc.StatusCode

#: The level of a record for each status code, unless ``levels=`` says otherwise:
#: ``INFO`` for outcomes that are the caller's business, ``WARNING`` for those that
#: may need a look on this side, ``ERROR`` for those that point at a fault here.
DEFAULT_LEVELS: Final[Mapping[grpc.StatusCode, int]] = MappingProxyType(
    {
        **dict.fromkeys(
            (_S.OK, _S.CANCELLED, _S.INVALID_ARGUMENT, _S.NOT_FOUND, _S.ALREADY_EXISTS, _S.UNAUTHENTICATED),
            logging.INFO,
        ),
        **dict.fromkeys(
            (
                _S.DEADLINE_EXCEEDED,
                _S.PERMISSION_DENIED,
                _S.RESOURCE_EXHAUSTED,
                _S.FAILED_PRECONDITION,
                _S.ABORTED,
                _S.OUT_OF_RANGE,
            ),
            logging.WARNING,
        ),
        **dict.fromkeys((_S.UNKNOWN, _S.UNIMPLEMENTED, _S.INTERNAL, _S.UNAVAILABLE, _S.DATA_LOSS), logging.ERROR),
    }
)

_DEFAULT_LOGGER: Final = "grpc_interceptor.access"


def _level(value: object, code: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"levels[{code}]: expected a logging level such as logging.WARNING or 'WARNING', got {value!r}")
    if isinstance(value, str):
        # The names of logging's own levels (DEBUG, INFO, WARNING, ERROR, CRITICAL):
        # module constants whose number logging names back the same way.
        number = getattr(logging, value.upper(), None)
        if not isinstance(number, int) or logging.getLevelName(number) != value.upper():
            raise ValueError(f"levels[{code}]: {value!r} is not a logging level name (try 'INFO', 'WARNING', 'ERROR')")
        return number
    return value


class _Settings:
    """What every access log interceptor is built with, checked once when it is built.

    Class-level defaults let a subclass skip ``super().__init__()``.
    """

    _side = "server"
    _logger: logging.Logger = logging.getLogger(_DEFAULT_LOGGER)
    _levels: Mapping[grpc.StatusCode, int] = DEFAULT_LEVELS
    _message_counts = False
    _payloads = False
    #: The highest level a record can have: a logger that does not want it wants none.
    _highest = logging.ERROR

    def __init__(
        self,
        logger: logging.Logger | str | None = None,
        *,
        levels: Mapping[grpc.StatusCode, int | str] | None = None,
        message_counts: bool = False,
        payloads: bool = False,
    ) -> None:
        """Configure the records.

        Args:
            logger: The logger, or its name. By default ``grpc_interceptor.access``.
            levels: The level for some status codes, e.g.
                ``{grpc.StatusCode.NOT_FOUND: logging.DEBUG}``; the other codes keep
                their :data:`~grpc_interceptor.access_log.DEFAULT_LEVELS`. A level is a
                number or a name.
            message_counts: Add ``grpc_msg_received`` and ``grpc_msg_sent``.
            payloads: Add ``grpc_request`` and ``grpc_response`` (the messages of
                a unary request or response). Off by default: they may hold secrets.

        Raises:
            TypeError: If ``logger`` is neither a logger nor a name, or a key of
                ``levels`` is not a ``grpc.StatusCode``.
            ValueError: If a level name is not one :mod:`logging` knows.
        """
        if logger is None:
            logger = logging.getLogger(_DEFAULT_LOGGER)
        elif isinstance(logger, str):
            logger = logging.getLogger(logger)
        elif not isinstance(logger, logging.Logger):
            raise TypeError(f"logger: expected a logging.Logger or a logger name, got {type(logger).__name__}")
        self._logger = logger
        if levels is not None:
            if not isinstance(levels, Mapping):
                raise TypeError(f"levels: expected a mapping of grpc.StatusCode to levels, got {type(levels).__name__}")
            merged = dict(DEFAULT_LEVELS)
            for code, value in levels.items():
                if not isinstance(code, grpc.StatusCode):
                    raise TypeError(f"levels: keys must be grpc.StatusCode members, got {code!r}")
                merged[code] = _level(value, code)
            self._levels = MappingProxyType(merged)
            self._highest = max(merged.values())
        for name, flag in (("message_counts", message_counts), ("payloads", payloads)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name}: expected True or False, got {flag!r}")
        self._message_counts = message_counts
        self._payloads = payloads

    def _watching(self) -> bool:
        # No record would be written (the logger's level, or logging.disable()): the RPC
        # passes through, at about the cost of a plain interceptor.
        return self._logger.isEnabledFor(self._highest)

    def _quiet_check(self, base: type, own: type, handler: Any, method_name: str) -> tuple[Any, int] | None:
        """``(logger.isEnabledFor, level)`` to ask per RPC before anything else, or ``None`` to go the hooks' way.

        The logger's level may change at any time, so it is asked on every RPC; what
        can be decided once per method (that this module's hook is the one that runs)
        is decided when the method's handler is built.
        """
        hook_name = HOOK_FOR_KIND[handler.request_streaming, handler.response_streaming]
        if type(self)._watching is not _Settings._watching:
            return None
        if not runs_own_hook(self, base, handler, method_name, getattr(own, hook_name)):
            return None
        return self._logger.isEnabledFor, self._highest

    def _rpc_finished(self, rpc: Rpc, code: grpc.StatusCode) -> None:
        level = self._levels.get(code, logging.ERROR)
        logger = self._logger
        if not logger.isEnabledFor(level):
            return
        duration_ms = rpc.duration * 1000
        service, name = split_method(rpc.method)
        fields: dict[str, Any] = {
            "grpc_side": self._side,
            "grpc_full_method": rpc.method,
            "grpc_service": service,
            "grpc_method": name,
            "grpc_type": rpc.grpc_type,
            "grpc_code": code.name,
            "grpc_duration_ms": duration_ms,
        }
        if rpc.context is not None:
            fields["grpc_peer"] = _peer(rpc.context)
        if self._message_counts:
            fields["grpc_msg_received"] = rpc.received
            fields["grpc_msg_sent"] = rpc.sent
        if self._payloads:
            fields["grpc_request"] = rpc.request
            fields["grpc_response"] = rpc.response
        logger.log(level, "%s %s %s %.3f ms", self._side, rpc.method, code.name, duration_ms, extra=fields)


def _peer(context: Any) -> str:
    try:
        return str(context.peer())
    except Exception:  # a context that has none (a test double, say): log the rest
        return ""


class AccessLogInterceptor(_Settings, ObservingServerInterceptor):
    """Log one record per RPC on a sync ``grpc.server``.

    Put it first in the list, so that it sees the status the client gets from the
    interceptors after it (an ``ExceptionToStatusInterceptor``, say). See the module
    documentation for the record's fields.

    Example:
        >>> import logging
        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> class Show(logging.Handler):
        ...     def emit(self, record):
        ...         print(record.grpc_method, record.grpc_code, record.grpc_msg_sent)
        >>> log = logging.getLogger("example.access")
        >>> log.addHandler(Show())
        >>> log.setLevel(logging.INFO)
        >>> with dummy_client({}, [AccessLogInterceptor(log, message_counts=True)]) as client:
        ...     print(client.Execute(DummyRequest(input="hi")).output)
        Execute OK 1
        hi
    """

    _side = "server"

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # The RPC asks the logger first, in the handler itself: a logger that wants no
        # record costs one isEnabledFor call, and the hooks run only when it wants one.
        wrapped = super()._grpc_interceptor_wrap(handler, method_name)
        if wrapped is handler:
            return wrapped
        quiet = self._quiet_check(ServerInterceptor, ObservingServerInterceptor, handler, method_name)
        if quiet is None:
            return wrapped
        enabled, level = quiet
        step, observed = behavior_of(handler), behavior_of(wrapped)

        def behavior(request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
            if enabled(level):
                return observed(request_or_iterator, context)
            return step(request_or_iterator, context)

        return rebuild_handler(handler, behavior)


class AsyncAccessLogInterceptor(_Settings, ObservingAsyncServerInterceptor):
    """Log one record per RPC on a ``grpc.aio.server``.

    The grpc.aio twin of :class:`AccessLogInterceptor`, built with the same arguments.
    """

    _side = "server"

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # As AccessLogInterceptor's, for the methods with a unary response (grpc.aio
        # runs their behaviour as a coroutine function).
        wrapped = super()._grpc_interceptor_wrap(handler, method_name)
        if wrapped is handler or handler.response_streaming:
            return wrapped
        quiet = self._quiet_check(AsyncServerInterceptor, ObservingAsyncServerInterceptor, handler, method_name)
        if quiet is None:
            return wrapped
        enabled, level = quiet
        step = _aio.unary_step(behavior_of(handler), handler.request_streaming)
        observed = behavior_of(wrapped)

        async def behavior(request_or_iterator: Any, context: Any) -> Any:
            if enabled(level):
                return await observed(request_or_iterator, context)
            return await step(request_or_iterator, context)

        return rebuild_handler(handler, behavior)


class AccessLogClientInterceptor(_Settings, ObservingClientInterceptor):
    """Log one record per call on a sync channel (``grpc.intercept_channel``).

    Built with the same arguments as :class:`AccessLogInterceptor`. The record of a
    call with a streaming response is written when the last response has been read
    (or the call failed). Client records have no ``grpc_peer``.

    Example:
        >>> import logging
        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> class Show(logging.Handler):
        ...     def emit(self, record):
        ...         print(record.grpc_side, record.grpc_full_method, record.grpc_code)
        >>> log = logging.getLogger("example.client")
        >>> log.addHandler(Show())
        >>> log.setLevel(logging.INFO)
        >>> with dummy_client({}, client_interceptors=[AccessLogClientInterceptor(log)]) as client:
        ...     _ = client.Execute(DummyRequest(input="hi"))
        client /DummyService/Execute OK
    """

    _side = "client"

    # grpc's entry points: a call the logger wants no record of goes straight on, before
    # anything is built for the hooks (only an object of this very class: a subclass
    # may override the hooks).

    def _straight_on(self) -> bool:
        return type(self) is AccessLogClientInterceptor and not self._logger.isEnabledFor(self._highest)

    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        if type(self) is AccessLogClientInterceptor and not self._logger.isEnabledFor(self._highest):
            return continuation(call_details, request)
        return ClientInterceptor.intercept_unary_unary(self, continuation, call_details, request)

    def intercept_unary_stream(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryStreamClientInterceptor`; not part of this class's API."""
        if self._straight_on():
            return continuation(call_details, request)
        return ClientInterceptor.intercept_unary_stream(self, continuation, call_details, request)

    def intercept_stream_unary(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamUnaryClientInterceptor`; not part of this class's API."""
        if self._straight_on():
            return continuation(call_details, request_iterator)
        return ClientInterceptor.intercept_stream_unary(self, continuation, call_details, request_iterator)

    def intercept_stream_stream(
        self, continuation: Any, call_details: grpc.ClientCallDetails, request_iterator: Any
    ) -> Any:
        """Implement :class:`grpc.StreamStreamClientInterceptor`; not part of this class's API."""
        if self._straight_on():
            return continuation(call_details, request_iterator)
        return ClientInterceptor.intercept_stream_stream(self, continuation, call_details, request_iterator)


class AsyncAccessLogClientInterceptor(_Settings, ObservingAsyncClientInterceptor):
    """Log one record per call on a grpc.aio channel.

    Install it with :func:`grpc_interceptor.aio_channel_interceptors`; built with the
    same arguments as :class:`AccessLogInterceptor`.
    """

    _side = "client"
