"""``ClientCallDetails``, the details of a client call that hooks receive and may change.

Its types are in ``_call_details.pyi``: there ``_replace`` is declared field by field
(a NamedTuple's own is ``(**kwargs: Any)`` for pyright), and a name declared in a stub
is no "protected" member for pyright's strict mode, as the generated one is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, cast

import grpc

__all__ = ["ClientCallDetails", "as_our_details"]


class _ClientCallDetailsFields(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None


# metadata: see _call_details.pyi.
class ClientCallDetails(_ClientCallDetailsFields, grpc.ClientCallDetails):  # pyright: ignore[reportIncompatibleVariableOverride]
    """Describes an RPC to be invoked: a :class:`grpc.ClientCallDetails` you can build.

    Build a changed copy positionally, ``ClientCallDetails(method, timeout, metadata,
    credentials, wait_for_ready, compression)``, or with ``call_details._replace(...)``.
    Hooks receive this class on sync and grpc.aio channels alike (on grpc.aio with
    ``method`` as ``str`` and ``metadata`` as a tuple of pairs); the library converts it
    back for grpc.

    Attributes:
        method: The method, ``/package.Service/Method``.
        timeout: Seconds the RPC may take, or ``None``.
        metadata: The request metadata, ``(key, value)`` pairs, or ``None``.
        credentials: Call credentials, or ``None``.
        wait_for_ready: Whether to wait for the channel to be ready, or ``None``.
        compression: The compression for this RPC, or ``None`` (always ``None`` on
            grpc.aio channels, which take compression per channel).
    """

    # Where users import it from (and where pickle finds it).
    __module__ = "grpc_interceptor.client"


# Classes of details that are not ours (grpc's own namedtuple, in practice), each with
# whether it is a tuple of our six fields in our order (grpc's is). isinstance on them
# goes through ABCMeta, which costs more than making our copy.
_FOREIGN: dict[type, bool] = {}
_FOREIGN_LIMIT = 64
_new_tuple = cast("Callable[[type[ClientCallDetails], Iterable[object]], ClientCallDetails]", tuple.__new__)


def as_our_details(details: grpc.ClientCallDetails) -> ClientCallDetails:
    """Give hooks our ClientCallDetails (with ``_replace``) for the one grpc built."""
    cls = details.__class__
    if cls is ClientCallDetails:
        return details  # pyright: ignore[reportReturnType]
    same_fields = _FOREIGN.get(cls)
    if same_fields is None:
        if isinstance(details, ClientCallDetails):
            return details
        same_fields = issubclass(cls, tuple) and getattr(cls, "_fields", None) == ClientCallDetails._fields
        if len(_FOREIGN) < _FOREIGN_LIMIT:
            _FOREIGN[cls] = same_fields
    if same_fields:
        return _new_tuple(ClientCallDetails, cast("tuple[object, ...]", details))
    # Not every grpc.ClientCallDetails has compression (grpc.aio's has five fields).
    fields = (
        details.method,
        details.timeout,
        details.metadata,
        details.credentials,
        details.wait_for_ready,
        getattr(details, "compression", None),
    )
    return _new_tuple(ClientCallDetails, fields)
