"""Exceptions that carry a gRPC status code, for :class:`ExceptionToStatusInterceptor`.

Raise one of these anywhere in a service and the status interceptor turns it into
that status and details on the RPC. Each class stands for one non-OK code of
https://grpc.github.io/grpc/core/md_doc_statuscodes.html, which is the source of
truth on what the codes mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from grpc import StatusCode

from grpc_interceptor._sendable import Metadata, checked_error_details, checked_metadata, text_of

if TYPE_CHECKING:
    from google.protobuf.message import Message

#: A protobuf message class, for :meth:`GrpcException.error_detail`.
_MessageT = TypeVar("_MessageT", bound="Message")

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "GrpcException",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "exception_class_for",
]


class GrpcException(Exception):
    """Base class of the exceptions that stand for a gRPC status.

    Raise a subclass (``NotFound``, ``InvalidArgument``, ...) rather than this class;
    use this class itself only for a status code that has no subclass.

    Attributes:
        status_code: The :class:`grpc.StatusCode`; never ``OK``, since gRPC raises no
            error on the client for an ``OK`` status.
        details: A human-readable sentence about the error, sent to the client.
        error_details: Protobuf messages that say more, for programs rather than
            people: the ``details`` of a ``google.rpc.Status``, typically the
            ``google.rpc`` error details (``BadRequest``, ``ErrorInfo``,
            ``RetryInfo``, ...). Sending them needs the ``status`` extra
            (``pip install grpc-interceptor[status]``). Empty by default.
        trailing_metadata: ``(key, value)`` pairs sent with the status. On the
            client (see :class:`~grpc_interceptor.StatusToExceptionInterceptor`),
            what the server sent. Empty by default.

    Args:
        details: If not ``None``, replaces the class's default details.
        status_code: If not ``None``, replaces the class's status code.
        error_details: Protobuf messages for the status's ``details`` (keyword only).
        trailing_metadata: Metadata to send with the status (keyword only): keys
            are lowercase ``str``; values are ``str``, or ``bytes`` for keys ending
            in ``-bin``.

    ``details`` is kept as given, as in 0.15.4; a value that is not a ``str`` (an
    exception object, say) is sent as its ``str()`` (``bytes`` decoded as UTF-8). The
    exception's ``args`` are the positional arguments of its constructor, as for any
    exception (so a subclass with an ``__init__`` of its own keeps them), while
    ``str(e)`` shows the details.

    Raises:
        TypeError: If ``status_code`` is not a :class:`grpc.StatusCode`, an error
            detail is not a protobuf message, or a metadata entry is not a
            ``(str, str | bytes)`` pair.
        ValueError: If ``status_code`` is ``StatusCode.OK``, or a metadata key is
            not lowercase or its value does not fit its ``-bin`` suffix.

    Example:
        >>> from google.rpc.error_details_pb2 import BadRequest
        >>> violation = BadRequest.FieldViolation(field="email", description="not an address")
        >>> error = InvalidArgument("bad email", error_details=[BadRequest(field_violations=[violation])])
        >>> error
        InvalidArgument(status_code=INVALID_ARGUMENT, details='bad email', error_details=[BadRequest])
        >>> error.error_detail(BadRequest).field_violations[0].field
        'email'
    """

    # Class-level defaults, so that a user subclass that skips super().__init__()
    # still has every attribute.
    status_code: StatusCode = StatusCode.UNKNOWN
    details: str = "Unknown exception occurred"
    error_details: tuple[Message, ...] = ()
    trailing_metadata: Metadata = ()

    def __init__(
        self,
        details: str | None = None,
        status_code: StatusCode | None = None,
        *,
        error_details: Iterable[Message] | None = None,
        trailing_metadata: Iterable[tuple[str, str | bytes]] | None = None,
    ) -> None:
        # BaseException.__new__ has already set self.args to the positional arguments,
        # which is what 0.15.4 left there; calling Exception.__init__ here would replace
        # them (and break pickling of subclasses whose __init__ takes other arguments).
        if details is not None:
            self.details = details
        if status_code is not None:
            if not isinstance(status_code, StatusCode):
                raise TypeError(
                    f"{type(self).__name__}: status_code must be a grpc.StatusCode, "
                    f"got {type(status_code).__name__} {status_code!r}"
                )
            if status_code is StatusCode.OK:
                raise ValueError(
                    f"{type(self).__name__}: The status code for an exception cannot be OK: gRPC raises "
                    "no error on the client for an OK status; pass another grpc.StatusCode"
                )
            self.status_code = status_code
        if error_details is not None:
            self.error_details = checked_error_details(type(self).__name__, error_details)
        if trailing_metadata is not None:
            self.trailing_metadata = checked_metadata(type(self).__name__, trailing_metadata)

    def error_detail(self, detail_type: type[_MessageT]) -> _MessageT | None:
        """Return the first of :attr:`error_details` of a given message class, if any.

        Args:
            detail_type: A protobuf message class, e.g. ``google.rpc.error_details_pb2.RetryInfo``.

        Returns:
            The detail, or ``None`` when there is none of that class.

        Example:
            >>> NotFound().error_detail(NotFound) is None
            True
        """
        for detail in self.error_details:
            if isinstance(detail, detail_type):
                return detail
        return None

    @property
    def status_string(self) -> str:
        """Return the name of the status code.

        Example:
            >>> GrpcException(status_code=StatusCode.NOT_FOUND).status_string
            'NOT_FOUND'
        """
        return self.status_code.name

    def __str__(self) -> str:
        details: object = self.details  # whatever the user stored
        return details if isinstance(details, str) else text_of(details)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own __reduce__ rebuilds with cls(*args), which fails for a subclass
        # whose __init__ takes other arguments than those positional ones (keyword-only
        # ones, say). Rebuild without __init__ instead: args, then the instance's
        # attributes (details, status_code, the subclass's own) as they were.
        return (_rebuilt, (type(self), self.args), self.__dict__ or None)

    def __repr__(self) -> str:
        extra = ""
        if self.error_details:
            extra += f", error_details=[{', '.join(type(detail).__name__ for detail in self.error_details)}]"
        if self.trailing_metadata:
            extra += f", trailing_metadata={list(self.trailing_metadata)!r}"
        return f"{type(self).__name__}(status_code={self.status_string}, details={self.details!r}{extra})"


def _rebuilt(cls: type[GrpcException], args: tuple[object, ...]) -> GrpcException:
    """Recreate a pickled or copied exception without its ``__init__`` (see ``__reduce__``)."""
    return cls.__new__(cls, *args)


class Aborted(GrpcException):
    """ABORTED: the operation was aborted, typically by a concurrency conflict.

    For example a failed sequencer check or an aborted transaction; the client may
    retry at a higher level (restart the read-modify-write sequence).
    """

    status_code = StatusCode.ABORTED
    details = "The operation was aborted"


class AlreadyExists(GrpcException):
    """ALREADY_EXISTS: what the client tried to create exists already."""

    status_code = StatusCode.ALREADY_EXISTS
    details = "The entity attempted to be created already exists"


class Cancelled(GrpcException):
    """CANCELLED: the operation was cancelled, usually by the caller."""

    status_code = StatusCode.CANCELLED
    details = "The operation was cancelled"


class DataLoss(GrpcException):
    """DATA_LOSS: data was lost or corrupted beyond recovery."""

    status_code = StatusCode.DATA_LOSS
    details = "There was unrecoverable data loss or corruption"


class DeadlineExceeded(GrpcException):
    """DEADLINE_EXCEEDED: the deadline passed before the operation finished.

    An operation that changes state may have completed all the same: the success
    reply may simply have arrived too late.
    """

    status_code = StatusCode.DEADLINE_EXCEEDED
    details = "Deadline expired before operation could complete"


class FailedPrecondition(GrpcException):
    """FAILED_PRECONDITION: the system is not in a state in which the operation can run.

    For example deleting a directory that is not empty. Prefer UNAVAILABLE when the
    client may simply retry the call, ABORTED when it should retry a larger sequence,
    and FAILED_PRECONDITION when it should not retry until the state has been fixed.
    """

    status_code = StatusCode.FAILED_PRECONDITION
    details = "The operation was rejected because the system is not in a state required for execution"


class Internal(GrpcException):
    """INTERNAL: an invariant of the system is broken; reserved for serious errors."""

    status_code = StatusCode.INTERNAL
    details = "Internal error"


class InvalidArgument(GrpcException):
    """INVALID_ARGUMENT: the client sent an argument that is wrong whatever the state.

    For example a malformed file name. Compare FAILED_PRECONDITION, which depends on
    the state of the system.
    """

    status_code = StatusCode.INVALID_ARGUMENT
    details = "The client specified an invalid argument"


class NotFound(GrpcException):
    """NOT_FOUND: a requested entity, such as a file, does not exist.

    It may also hide a refusal that applies to a whole class of users (for example a
    feature not yet rolled out to them); a refusal that depends on the particular
    user is PERMISSION_DENIED.
    """

    status_code = StatusCode.NOT_FOUND
    details = "The requested entity was not found"


class OutOfRange(GrpcException):
    """OUT_OF_RANGE: the operation went past the valid range, e.g. read past end of file.

    Unlike INVALID_ARGUMENT, it may succeed once the state changes; a client that
    iterates through a space can look for it to know it is done.
    """

    status_code = StatusCode.OUT_OF_RANGE
    details = "The operation was attempted past the valid range"


class PermissionDenied(GrpcException):
    """PERMISSION_DENIED: the caller is known but may not run this operation.

    Use UNAUTHENTICATED when the caller cannot be identified, and RESOURCE_EXHAUSTED
    when a quota or resource has run out.
    """

    status_code = StatusCode.PERMISSION_DENIED
    details = "The caller does not have permission to execute the specified operation"


class ResourceExhausted(GrpcException):
    """RESOURCE_EXHAUSTED: a resource ran out, such as a per-user quota or disk space."""

    status_code = StatusCode.RESOURCE_EXHAUSTED
    details = "A resource has been exhausted"


class Unauthenticated(GrpcException):
    """UNAUTHENTICATED: the request lacks valid credentials for the operation."""

    status_code = StatusCode.UNAUTHENTICATED
    details = "The request does not have valid authentication credentials for the operation"


class Unavailable(GrpcException):
    """UNAVAILABLE: the service cannot be reached now; usually transient.

    Retrying with a backoff may succeed, but a retry is not always safe for an
    operation that is not idempotent.
    """

    status_code = StatusCode.UNAVAILABLE
    details = "The service is currently unavailable"


class Unimplemented(GrpcException):
    """UNIMPLEMENTED: this service does not implement, support or enable the operation."""

    status_code = StatusCode.UNIMPLEMENTED
    details = "The operation is not implemented or not supported/enabled in this service"


class Unknown(GrpcException):
    """UNKNOWN: an error that fits no other code.

    For example a status from another error space, or an error from an API that
    does not say enough about it.
    """

    status_code = StatusCode.UNKNOWN
    details = "Unknown exception occurred"


_CLASS_FOR_CODE: dict[StatusCode, type[GrpcException]] = {
    cls.status_code: cls
    for cls in (
        Aborted,
        AlreadyExists,
        Cancelled,
        DataLoss,
        DeadlineExceeded,
        FailedPrecondition,
        Internal,
        InvalidArgument,
        NotFound,
        OutOfRange,
        PermissionDenied,
        ResourceExhausted,
        Unauthenticated,
        Unavailable,
        Unimplemented,
        Unknown,
    )
}


def exception_class_for(status_code: StatusCode) -> type[GrpcException]:
    """Return the exception class that stands for a status code.

    Args:
        status_code: Any code but ``OK``.

    Returns:
        The subclass of :class:`GrpcException` for that code (``GrpcException`` itself
        for a code that has no subclass).

    Raises:
        ValueError: If ``status_code`` is ``OK``, which is not an error.

    Example:
        >>> exception_class_for(StatusCode.NOT_FOUND).__name__
        'NotFound'
    """
    if status_code is StatusCode.OK:
        raise ValueError("exception_class_for: OK is not an error status")
    return _CLASS_FOR_CODE.get(status_code, GrpcException)
