"""What the status of an exception can be on the wire, whatever the exception holds.

:class:`~grpc_interceptor.exceptions.GrpcException` checks what its constructor is
given, but a subclass may set ``status_code``, ``details``, ``error_details`` or
``trailing_metadata`` itself (0.15.4 code does), and some values that pass every
check still cannot be sent: details with a lone surrogate are not UTF-8, and long
details overflow grpc's metadata limit. Handed to grpc.aio as they are, such values
hang the RPC until its deadline; on a sync server they change its status code. The
functions here make them sendable, and say with a logged warning what they left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, NamedTuple

from grpc import StatusCode

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from grpc_interceptor.exceptions import GrpcException

__all__ = [
    "CUT_MARK",
    "MAX_DETAILS_SIZE",
    "Metadata",
    "Sendable",
    "checked_error_details",
    "checked_metadata",
    "sendable",
    "sendable_text",
    "text_of",
]

#: The logger of the warnings about exceptions whose status cannot be sent as it is.
LOGGER: Final = logging.getLogger("grpc_interceptor.exceptions")

#: The most bytes the details of a status take on the wire, as grpc sends them
#: (percent-encoded: printable ASCII but ``%`` as it is, every other UTF-8 byte as
#: three). A client refuses trailing metadata past about 8 KB (some of the time from
#: 8 KB, always from 16 KB), and rich error details repeat the details in
#: ``grpc-status-details-bin``: 2 KB leaves room for both and for metadata of the user.
MAX_DETAILS_SIZE: Final = 2048
#: What ends details that were cut to :data:`MAX_DETAILS_SIZE`.
CUT_MARK: Final = " ... (cut)"

#: Trailing metadata as exceptions keep it: ``(key, value)`` pairs.
Metadata = tuple[tuple[str, "str | bytes"], ...]


def checked_error_details(owner: str, error_details: Iterable[Message]) -> tuple[Message, ...]:
    """Return ``error_details`` as a tuple, or raise if they are not protobuf messages."""
    if isinstance(error_details, (str, bytes)) or not isinstance(error_details, Iterable):
        raise TypeError(f"{owner}: error_details must be an iterable of protobuf messages, got {error_details!r}")
    checked = tuple(error_details)
    for detail in checked:
        # Duck-typed: protobuf is not a dependency of this module.
        if not (hasattr(detail, "SerializeToString") and hasattr(detail, "DESCRIPTOR")):
            raise TypeError(f"{owner}: an error detail must be a protobuf message, got {type(detail).__name__}")
    return checked


def checked_metadata(owner: str, metadata: Iterable[tuple[str, str | bytes]]) -> Metadata:
    """Return ``metadata`` as a tuple of pairs, or raise if grpc would refuse it."""
    if isinstance(metadata, (str, bytes)) or not isinstance(metadata, Iterable):
        raise TypeError(f"{owner}: trailing_metadata must be (key, value) pairs, got {metadata!r}")
    checked: list[tuple[str, str | bytes]] = []
    for entry in metadata:
        pair: object = entry
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(f"{owner}: trailing_metadata must be (key, value) pairs, got {pair!r}")
        key, value = entry
        if not isinstance(key, str) or not isinstance(value, (str, bytes)):
            raise TypeError(f"{owner}: a metadata entry must be (str, str | bytes), got {entry!r}")
        if key != key.lower():
            raise ValueError(f"{owner}: metadata keys must be lowercase, got {key!r}")
        if key.endswith("-bin") != isinstance(value, bytes):
            raise ValueError(
                f"{owner}: metadata key {key!r} needs a {'bytes' if key.endswith('-bin') else 'str'} value "
                "(bytes values go with keys ending in '-bin')"
            )
        checked.append((key, value))
    return tuple(checked)


def text_of(details: object) -> str:
    """Return the text of details that are not a ``str``: what a client is sent for them."""
    if isinstance(details, bytes):
        return details.decode("utf-8", "replace")
    try:
        return str(details)
    except Exception:
        return f"<{type(details).__name__} object whose str() failed>"


def _wire_size(char: str) -> int:
    return 1 if " " <= char <= "~" and char != "%" else 3 * len(char.encode("utf-8", "replace"))


def sendable_text(text: str) -> str:
    """Return ``text`` as details that grpc can send: valid UTF-8, and bounded.

    A lone surrogate (``os.fsdecode()`` makes them of undecodable bytes) becomes
    ``?``; text that takes more than :data:`MAX_DETAILS_SIZE` bytes on the wire is
    cut to fit, and ends with :data:`CUT_MARK`.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
        text = data.decode("utf-8")
    if 3 * len(data) <= MAX_DETAILS_SIZE:  # fits, however it is encoded
        return text
    size, cut = 0, 0
    budget = MAX_DETAILS_SIZE - len(CUT_MARK)
    for index, char in enumerate(text):
        size += _wire_size(char)
        if size > MAX_DETAILS_SIZE:
            return text[:cut] + CUT_MARK
        if size <= budget:
            cut = index + 1
    return text


class Sendable(NamedTuple):
    """The status of a :class:`~grpc_interceptor.exceptions.GrpcException` as it can be sent."""

    code: StatusCode
    details: str
    error_details: tuple[Message, ...]
    trailing_metadata: Metadata


def sendable(exception: GrpcException) -> Sendable:
    """Return what the status of ``exception`` can be on the wire, whatever its attributes hold.

    What cannot be sent is replaced or left out, with a logged warning, so that the RPC
    still ends at once with the exception's code: a code that is no error status (OK,
    or not a :class:`grpc.StatusCode`) becomes UNKNOWN; details that are not a ``str``
    are sent as their text; error details and trailing metadata that grpc would refuse
    are not sent.
    """
    name = type(exception).__name__
    code: object = exception.status_code
    if not isinstance(code, StatusCode) or code is StatusCode.OK:
        LOGGER.warning(
            "%s has status_code %r, which is not an error status: the RPC ends with UNKNOWN instead. "
            "Give the exception a grpc.StatusCode other than OK.",
            name,
            code,
        )
        code = StatusCode.UNKNOWN
    details: object = exception.details
    text = sendable_text(details if isinstance(details, str) else text_of(details))
    error_details: tuple[Message, ...] = ()
    trailing_metadata: Metadata = ()
    try:
        if exception.error_details:
            error_details = checked_error_details(name, exception.error_details)
    except Exception as error:
        LOGGER.warning("%s: its error_details are not sent, since they cannot be: %s", name, error)
    try:
        if exception.trailing_metadata:
            trailing_metadata = checked_metadata(name, exception.trailing_metadata)
    except Exception as error:
        LOGGER.warning("%s: its trailing_metadata is not sent, since it cannot be: %s", name, error)
    return Sendable(code, text, error_details, trailing_metadata)
