"""Regenerate the validation example's code from signup.proto: ``python tools/regenerate_signup_proto.py``.

``examples/signup/signup.proto`` imports protovalidate's ``buf/validate/validate.proto``,
which protovalidate ships as a descriptor rather than as a ``.proto`` file. This script
writes that descriptor (and those of the files it imports) to a descriptor set in a
temporary folder and hands it to protoc with ``--descriptor_set_in``; protoc is the one
the testing kit's code is made with (see ``regenerate_proto.py``), so the code runs on
the same protobuf releases. The generated ``signup_pb2.py`` then imports
``signup._buf_validate``, which registers the same descriptor at run time, in place of a
``buf.validate.validate_pb2`` module that this repository does not have.

Needs the ``dev`` group (protovalidate, mypy-protobuf) next to the Python that runs it.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from regenerate_proto import _plugin, _protoc_python  # pyright: ignore[reportPrivateUsage]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PACKAGE = EXAMPLES / "signup"
_IMPORT = "from buf.validate import validate_pb2 as buf_dot_validate_dot_validate__pb2"
_REPLACEMENT = (
    "from signup import _buf_validate as buf_dot_validate_dot_validate__pb2"
    "  # buf/validate/validate.proto, from protovalidate"
)


def _descriptor_set() -> bytes:
    """Return a FileDescriptorSet with validate.proto and the files it imports."""
    files = descriptor_pb2.FileDescriptorSet()
    for module in (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2):
        files.file.add().ParseFromString(module.DESCRIPTOR.serialized_pb)
    generated = importlib.import_module("protovalidate._gen.buf.validate.validate_pb")
    serialized: bytes = getattr(generated, "_DESC").proto.to_binary()  # noqa: B009
    files.file.add().ParseFromString(serialized)
    return files.SerializeToString()


def main() -> int:
    """Run protoc with the Python, gRPC and mypy-protobuf plugins over signup.proto."""
    python = _protoc_python()
    with tempfile.TemporaryDirectory() as folder:
        descriptors = Path(folder) / "validate.binpb"
        descriptors.write_bytes(_descriptor_set())
        command = [
            str(python),
            "-m",
            "grpc_tools.protoc",
            f"--descriptor_set_in={descriptors}",
            f"-I{EXAMPLES}",  # so that the generated imports name the signup package
            f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
            f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
            f"--python_out={EXAMPLES}",
            f"--grpc_python_out={EXAMPLES}",
            f"--mypy_out={EXAMPLES}",
            f"--mypy_grpc_out={EXAMPLES}",
            "signup/signup.proto",
        ]
        subprocess.run(command, check=True)
    for generated in PACKAGE.glob("signup_pb2*"):
        text = re.sub(r"(?m)[ \t]+$", "", generated.read_text())
        text = text.replace(_IMPORT, _REPLACEMENT)
        # mypy-protobuf subclasses grpc.aio.ServicerContext without type arguments, which
        # leaves every servicer method's context partly unknown to type checkers.
        text = text.replace(
            "_aio.ServicerContext):  # type: ignore[misc, type-arg]",
            "_aio.ServicerContext[_typing.Any, _typing.Any]):  # type: ignore[misc]",
        )
        generated.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
