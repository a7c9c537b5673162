"""A framework for testing interceptors against real gRPC servers.

Needs the ``testing`` extra (``pip install "grpc-interceptor[testing]"``), for protobuf.

Example:
    >>> import grpc
    >>> from grpc_interceptor import ExceptionToStatusInterceptor
    >>> from grpc_interceptor.exceptions import NotFound
    >>> special_cases = {"error": raises(NotFound("no such thing"))}
    >>> with dummy_client(special_cases, [ExceptionToStatusInterceptor()]) as client:
    ...     print(client.Execute(DummyRequest(input="foo")).output)
    ...     try:
    ...         client.Execute(DummyRequest(input="error"))
    ...     except grpc.RpcError as e:
    ...         print(e.code(), e.details())
    foo
    StatusCode.NOT_FOUND no such thing
"""

try:
    import google.protobuf  # noqa: F401  # pyright: ignore[reportUnusedImport]
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise ModuleNotFoundError(
        "grpc_interceptor.testing needs protobuf, which the testing extra installs: "
        'pip install "grpc-interceptor[testing]"',
        name=_missing.name,
    ) from _missing

from grpc_interceptor.testing.dummy_client import AsyncDummyService as AsyncDummyService
from grpc_interceptor.testing.dummy_client import AsyncReadWriteDummyService as AsyncReadWriteDummyService
from grpc_interceptor.testing.dummy_client import ChannelContext as ChannelContext
from grpc_interceptor.testing.dummy_client import DummyService as DummyService
from grpc_interceptor.testing.dummy_client import SpecialCase as SpecialCase
from grpc_interceptor.testing.dummy_client import StubContext as StubContext
from grpc_interceptor.testing.dummy_client import dummy_channel as dummy_channel
from grpc_interceptor.testing.dummy_client import dummy_client as dummy_client
from grpc_interceptor.testing.dummy_client import raises as raises
from grpc_interceptor.testing.dummy_client import serve as serve
from grpc_interceptor.testing.protos.dummy_pb2 import DummyRequest as DummyRequest
from grpc_interceptor.testing.protos.dummy_pb2 import DummyResponse as DummyResponse

__all__ = [
    "AsyncDummyService",
    "AsyncReadWriteDummyService",
    "ChannelContext",
    "DummyRequest",
    "DummyResponse",
    "DummyService",
    "SpecialCase",
    "StubContext",
    "dummy_channel",
    "dummy_client",
    "raises",
    "serve",
]
