"""Simplified, type-checked Python gRPC interceptors.

Server interceptors (sync and grpc.aio), client interceptors (sync and grpc.aio),
and interceptors that turn exceptions into gRPC statuses. The testing kit lives in
:mod:`grpc_interceptor.testing` (it needs the ``testing`` extra).
"""

import importlib
from typing import TYPE_CHECKING

# Every name is imported on first use (PEP 562), so that a program pays at import for
# what it uses: `import grpc_interceptor` costs next to nothing beyond `import grpc`.
# The checkers read the re-exports below as usual, and the package's modules stay
# reachable as attributes (`grpc_interceptor.exceptions.NotFound`) as 0.15.4's were.
if TYPE_CHECKING:
    from grpc_interceptor.access_log import AccessLogClientInterceptor as AccessLogClientInterceptor
    from grpc_interceptor.access_log import AccessLogInterceptor as AccessLogInterceptor
    from grpc_interceptor.access_log import AsyncAccessLogClientInterceptor as AsyncAccessLogClientInterceptor
    from grpc_interceptor.access_log import AsyncAccessLogInterceptor as AsyncAccessLogInterceptor
    from grpc_interceptor.auth import AsyncAuthInterceptor as AsyncAuthInterceptor
    from grpc_interceptor.auth import AuthInterceptor as AuthInterceptor
    from grpc_interceptor.chaining import chain as chain
    from grpc_interceptor.client import AsyncClientInterceptor as AsyncClientInterceptor
    from grpc_interceptor.client import ClientCallDetails as ClientCallDetails
    from grpc_interceptor.client import ClientInterceptor as ClientInterceptor
    from grpc_interceptor.client import ClientInterceptorReturnType as ClientInterceptorReturnType
    from grpc_interceptor.client import aio_channel_interceptors as aio_channel_interceptors
    from grpc_interceptor.client_errors import AsyncStatusToExceptionInterceptor as AsyncStatusToExceptionInterceptor
    from grpc_interceptor.client_errors import StatusToExceptionInterceptor as StatusToExceptionInterceptor
    from grpc_interceptor.client_errors import exception_from_rpc_error as exception_from_rpc_error
    from grpc_interceptor.deadline import AsyncDeadlineInterceptor as AsyncDeadlineInterceptor
    from grpc_interceptor.deadline import DeadlineInterceptor as DeadlineInterceptor
    from grpc_interceptor.exception_to_status import (
        AsyncExceptionToStatusInterceptor as AsyncExceptionToStatusInterceptor,
    )
    from grpc_interceptor.exception_to_status import ExceptionToStatusInterceptor as ExceptionToStatusInterceptor
    from grpc_interceptor.limits import AsyncConcurrencyLimitInterceptor as AsyncConcurrencyLimitInterceptor
    from grpc_interceptor.limits import AsyncRateLimitInterceptor as AsyncRateLimitInterceptor
    from grpc_interceptor.limits import ConcurrencyLimitInterceptor as ConcurrencyLimitInterceptor
    from grpc_interceptor.limits import RateLimitInterceptor as RateLimitInterceptor
    from grpc_interceptor.retry import AsyncRetryInterceptor as AsyncRetryInterceptor
    from grpc_interceptor.retry import RetryInterceptor as RetryInterceptor
    from grpc_interceptor.selection import MethodSelector as MethodSelector
    from grpc_interceptor.selection import SelectedAsyncClientInterceptor as SelectedAsyncClientInterceptor
    from grpc_interceptor.selection import SelectedAsyncServerInterceptor as SelectedAsyncServerInterceptor
    from grpc_interceptor.selection import SelectedClientInterceptor as SelectedClientInterceptor
    from grpc_interceptor.selection import SelectedServerInterceptor as SelectedServerInterceptor
    from grpc_interceptor.selection import methods as methods
    from grpc_interceptor.selection import select as select
    from grpc_interceptor.selection import services as services
    from grpc_interceptor.selection import where as where
    from grpc_interceptor.server import AsyncServerInterceptor as AsyncServerInterceptor
    from grpc_interceptor.server import MethodName as MethodName
    from grpc_interceptor.server import ServerInterceptor as ServerInterceptor
    from grpc_interceptor.server import parse_method_name as parse_method_name

#: Where each name imported on first use is defined.
_ON_FIRST_USE = {
    "AsyncClientInterceptor": "grpc_interceptor.client",
    "ClientCallDetails": "grpc_interceptor.client",
    "ClientInterceptor": "grpc_interceptor.client",
    "ClientInterceptorReturnType": "grpc_interceptor.client",
    "aio_channel_interceptors": "grpc_interceptor.client",
    "AsyncExceptionToStatusInterceptor": "grpc_interceptor.exception_to_status",
    "ExceptionToStatusInterceptor": "grpc_interceptor.exception_to_status",
    "AsyncServerInterceptor": "grpc_interceptor.server",
    "MethodName": "grpc_interceptor.server",
    "ServerInterceptor": "grpc_interceptor.server",
    "parse_method_name": "grpc_interceptor.server",
    "AccessLogClientInterceptor": "grpc_interceptor.access_log",
    "AccessLogInterceptor": "grpc_interceptor.access_log",
    "AsyncAccessLogClientInterceptor": "grpc_interceptor.access_log",
    "AsyncAccessLogInterceptor": "grpc_interceptor.access_log",
    "AsyncAuthInterceptor": "grpc_interceptor.auth",
    "AuthInterceptor": "grpc_interceptor.auth",
    "chain": "grpc_interceptor.chaining",
    "AsyncStatusToExceptionInterceptor": "grpc_interceptor.client_errors",
    "StatusToExceptionInterceptor": "grpc_interceptor.client_errors",
    "exception_from_rpc_error": "grpc_interceptor.client_errors",
    "AsyncDeadlineInterceptor": "grpc_interceptor.deadline",
    "DeadlineInterceptor": "grpc_interceptor.deadline",
    "AsyncConcurrencyLimitInterceptor": "grpc_interceptor.limits",
    "AsyncRateLimitInterceptor": "grpc_interceptor.limits",
    "ConcurrencyLimitInterceptor": "grpc_interceptor.limits",
    "RateLimitInterceptor": "grpc_interceptor.limits",
    "AsyncRetryInterceptor": "grpc_interceptor.retry",
    "RetryInterceptor": "grpc_interceptor.retry",
    "MethodSelector": "grpc_interceptor.selection",
    "SelectedAsyncClientInterceptor": "grpc_interceptor.selection",
    "SelectedAsyncServerInterceptor": "grpc_interceptor.selection",
    "SelectedClientInterceptor": "grpc_interceptor.selection",
    "SelectedServerInterceptor": "grpc_interceptor.selection",
    "methods": "grpc_interceptor.selection",
    "select": "grpc_interceptor.selection",
    "services": "grpc_interceptor.selection",
    "where": "grpc_interceptor.selection",
}


#: The package's modules that 0.15.4's ``import grpc_interceptor`` made attributes of it.
_MODULES = frozenset({"client", "exception_to_status", "exceptions", "protocols", "server"})


def __getattr__(name: str) -> object:
    """Import a public name of the package, or one of its modules, the first time it is used."""
    module = _ON_FIRST_USE.get(name)
    if module is not None:
        value: object = getattr(importlib.import_module(module), name)
    elif name in _MODULES:
        value = importlib.import_module(f"grpc_interceptor.{name}")
    else:
        raise AttributeError(f"module 'grpc_interceptor' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The package's names, those imported on first use included."""
    return sorted({*globals(), *_ON_FIRST_USE})


__version__ = "0.16.0"

__all__ = [
    "AccessLogClientInterceptor",
    "AccessLogInterceptor",
    "AsyncAccessLogClientInterceptor",
    "AsyncAccessLogInterceptor",
    "AsyncAuthInterceptor",
    "AsyncClientInterceptor",
    "AsyncConcurrencyLimitInterceptor",
    "AsyncDeadlineInterceptor",
    "AsyncExceptionToStatusInterceptor",
    "AsyncRateLimitInterceptor",
    "AsyncRetryInterceptor",
    "AsyncServerInterceptor",
    "AsyncStatusToExceptionInterceptor",
    "AuthInterceptor",
    "ClientCallDetails",
    "ClientInterceptor",
    "ClientInterceptorReturnType",
    "ConcurrencyLimitInterceptor",
    "DeadlineInterceptor",
    "ExceptionToStatusInterceptor",
    "MethodName",
    "MethodSelector",
    "RateLimitInterceptor",
    "RetryInterceptor",
    "SelectedAsyncClientInterceptor",
    "SelectedAsyncServerInterceptor",
    "SelectedClientInterceptor",
    "SelectedServerInterceptor",
    "ServerInterceptor",
    "StatusToExceptionInterceptor",
    "aio_channel_interceptors",
    "chain",
    "exception_from_rpc_error",
    "methods",
    "parse_method_name",
    "select",
    "services",
    "where",
]
