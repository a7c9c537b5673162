from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

import grpc

__all__ = ["ClientCallDetails", "as_our_details"]

_Metadata: TypeAlias = Sequence[tuple[str, str | bytes]]

class _ClientCallDetailsFields(NamedTuple):
    method: str
    timeout: float | None
    metadata: _Metadata | None
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: grpc.Compression | None

# types-grpcio declares grpc.ClientCallDetails.metadata as a tuple of pairs; grpc takes
# any sequence of pairs, and 0.15.4 users pass lists, so this class keeps Sequence.
class ClientCallDetails(_ClientCallDetailsFields, grpc.ClientCallDetails):  # type: ignore[misc]  # pyright: ignore[reportIncompatibleVariableOverride]
    # Field by field: pyright types a NamedTuple's _replace as (**kwargs: Any), and calls
    # this narrowing of it an incompatible override.
    def _replace(  # pyright: ignore[reportIncompatibleMethodOverride]
        self,
        *,
        method: str = ...,
        timeout: float | None = ...,
        metadata: _Metadata | None = ...,
        credentials: grpc.CallCredentials | None = ...,
        wait_for_ready: bool | None = ...,
        compression: grpc.Compression | None = ...,
    ) -> ClientCallDetails: ...

def as_our_details(details: grpc.ClientCallDetails) -> ClientCallDetails: ...
