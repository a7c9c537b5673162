"""Put ``buf/validate/validate.proto`` in protobuf's default pool, for ``signup_pb2``.

Generated code imports the module of every file its proto imports, so ``signup_pb2``
needs one for protovalidate's rules. protovalidate 2 ships that file's descriptor for
its own protobuf runtime only, not as a ``google.protobuf`` module; projects usually
generate one with the rest of their code. This example registers protovalidate's own
copy instead, so that the repository holds no generated copy of another project's
schema. (The descriptor is a private attribute of protovalidate: if it moves, this is
the place to change.)
"""

from __future__ import annotations

import importlib
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, duration_pb2, field_mask_pb2, timestamp_pb2

#: The files validate.proto imports; importing their modules registers them first.
_DEPENDENCIES = (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2)
_NAME = "buf/validate/validate.proto"


def _register() -> Any:
    pool = descriptor_pool.Default()
    try:
        return pool.FindFileByName(_NAME)
    except KeyError:
        generated = importlib.import_module("protovalidate._gen.buf.validate.validate_pb")
        serialized: bytes = getattr(generated, "_DESC").proto.to_binary()  # noqa: B009
        return pool.AddSerializedFile(serialized)


DESCRIPTOR = _register()
