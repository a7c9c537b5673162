"""``ClientCallDetails``, the details of a client call that hooks receive and may change.

Its types are in ``_call_details.pyi``: there ``_replace`` is declared field by field
(a NamedTuple's own is ``(**kwargs: Any)`` for pyright), and a name declared in a stub
is no "protected" member for pyright's strict mode, as the generated one is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

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


def as_our_details(details: grpc.ClientCallDetails) -> ClientCallDetails:
    """Give hooks our ClientCallDetails (with ``_replace``) for the one grpc built."""
    if isinstance(details, ClientCallDetails):
        return details
    return ClientCallDetails(
        details.method,
        details.timeout,
        details.metadata,
        details.credentials,
        details.wait_for_ready,
        # Not every grpc.ClientCallDetails has it (grpc.aio's has five fields).
        getattr(details, "compression", None),
    )
