"""Rich error details: a ``google.rpc.Status`` with typed messages next to the status code.

gRPC's status is a code and a string. The richer error model sends, in the trailing
metadata key ``grpc-status-details-bin``, a ``google.rpc.Status`` whose ``details``
are protobuf messages, usually the standard ones of ``google.rpc.error_details_pb2``
(``BadRequest``, ``ErrorInfo``, ``RetryInfo``, ``QuotaFailure``, ...). This library
speaks it on both sides:

* on the server, raise a :class:`~grpc_interceptor.exceptions.GrpcException` with
  ``error_details=[...]``; the status interceptors send them with
  ``abort_with_status``;
* on the client, :class:`~grpc_interceptor.StatusToExceptionInterceptor` decodes them
  into the raised exception's ``error_details``.

It needs the ``status`` extra (``pip install grpc-interceptor[status]``, which brings
grpcio-status and googleapis-common-protos). This module imports them only when a
function here is called, and the rest of the library imports this module only for an
exception that has error details, or a failed call whose trailing metadata has them.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol, cast

import grpc

from grpc_interceptor._sendable import Sendable, sendable
from grpc_interceptor.exceptions import GrpcException

if TYPE_CHECKING:
    from google.protobuf.any_pb2 import Any as AnyMessage
    from google.protobuf.message import Message

__all__ = ["STATUS_DETAILS_KEY", "RichStatus", "error_details_of", "to_grpc_status"]

#: The trailing metadata key that carries the serialized ``google.rpc.Status``.
STATUS_DETAILS_KEY: Final = "grpc-status-details-bin"

_MISSING_EXTRA = (
    "rich error details need the 'status' extra: pip install 'grpc-interceptor[status]' "
    "(grpcio-status and googleapis-common-protos)"
)


# grpcio-status and googleapis-common-protos ship no type information for mypy; these
# Protocols state the little of them this module uses.
class _RepeatedAny(Protocol):
    def add(self) -> AnyMessage: ...
    def __iter__(self) -> Iterator[AnyMessage]: ...


class _StatusMessage(Protocol):
    code: int
    message: str

    @property
    def details(self) -> _RepeatedAny: ...


class _StatusClass(Protocol):
    def __call__(self, *, code: int, message: str) -> _StatusMessage: ...


class _RpcStatusModule(Protocol):
    def to_status(self, status: _StatusMessage, /) -> grpc.Status: ...
    def from_call(self, call: object, /) -> _StatusMessage | None: ...


class _Modules(NamedTuple):
    rpc_status: _RpcStatusModule
    status_class: _StatusClass


@functools.cache
def _modules() -> _Modules:
    try:
        rpc_status = importlib.import_module("grpc_status.rpc_status")
        status_pb2 = importlib.import_module("google.rpc.status_pb2")
        # Registers BadRequest, ErrorInfo, RetryInfo, ... so that they can be decoded.
        importlib.import_module("google.rpc.error_details_pb2")
    except ImportError as error:
        raise ImportError(_MISSING_EXTRA) from error
    return _Modules(cast("_RpcStatusModule", rpc_status), cast("_StatusClass", status_pb2.Status))


class _Status(NamedTuple):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


class RichStatus(_Status, grpc.Status):
    """A :class:`grpc.Status` for ``context.abort_with_status()``: code, details and trailing metadata.

    Attributes:
        code: The status code.
        details: The details string.
        trailing_metadata: The metadata to send, the serialized ``google.rpc.Status``
            included.
    """


def to_grpc_status(exception: GrpcException) -> RichStatus:
    """Return the status to abort an RPC with for ``exception``, its error details included.

    The status is one that grpc can send: details are made valid UTF-8 and cut to the
    size the status interceptors send, and what the exception's attributes hold that
    cannot be sent is left out with a logged warning (see
    :class:`~grpc_interceptor.ExceptionToStatusInterceptor`).

    Args:
        exception: The exception; its ``error_details`` go into the
            ``google.rpc.Status`` (packed as ``google.protobuf.Any``), and its
            ``trailing_metadata`` is sent beside it.

    Returns:
        The status, for ``context.abort_with_status(...)``.

    Raises:
        ImportError: Without the ``status`` extra.

    Example:
        >>> from google.rpc.error_details_pb2 import RetryInfo
        >>> from grpc_interceptor.exceptions import Unavailable
        >>> status = to_grpc_status(Unavailable("busy", error_details=[RetryInfo()]))
        >>> status.code.name, status.details, [key for key, _ in status.trailing_metadata]
        ('UNAVAILABLE', 'busy', ['grpc-status-details-bin'])
    """
    return rich_status_of(sendable(exception))


def rich_status_of(status: Sendable) -> RichStatus:
    """Return the rich status of an exception's sendable status (see :func:`to_grpc_status`).

    For the status interceptors, which have made the status sendable already.
    """
    modules = _modules()
    code = status.code
    # The details go into the google.rpc.Status as they are sent: grpc_status checks
    # on the client that the message is the call's details.
    message = modules.status_class(code=code.value[0], message=status.details)
    for detail in status.error_details:
        message.details.add().Pack(detail)
    wire = modules.rpc_status.to_status(message)
    # A rich status received earlier may still be in the metadata (an exception passed
    # on by a proxy): the one built here replaces it.
    metadata = tuple((key, value) for key, value in status.trailing_metadata if key != STATUS_DETAILS_KEY)
    return RichStatus(code, status.details, metadata + tuple(wire.trailing_metadata))


def error_details_of(error: grpc.RpcError) -> tuple[Message, ...]:
    """Return the error details a failed call's ``google.rpc.Status`` carries, decoded.

    Standard ``google.rpc`` details and every message class imported in the program
    come back as instances of their class; a detail of a type unknown here stays a
    ``google.protobuf.Any``.

    Args:
        error: The error of a failed call, sync (:class:`grpc.RpcError`) or grpc.aio
            (:class:`grpc.aio.AioRpcError`).

    Returns:
        The details; empty when the call sent no rich status, or one whose code or
        message differ from the call's (then it is not trusted).

    Raises:
        ImportError: Without the ``status`` extra.
    """
    modules = _modules()
    try:
        status = modules.rpc_status.from_call(error)
    except (ValueError, AttributeError):  # an inconsistent status, or no call at all
        return ()
    if status is None:
        return ()
    return tuple(_unpacked(packed) for packed in status.details)


def _unpacked(packed: AnyMessage) -> Message:
    from google.protobuf import descriptor_pool, message_factory

    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(packed.TypeName())
    except KeyError:
        return packed
    message = message_factory.GetMessageClass(descriptor)()
    return message if packed.Unpack(message) else packed
