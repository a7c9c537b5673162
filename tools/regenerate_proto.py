"""Regenerate the testing kit's code from dummy.proto: ``python tools/regenerate_proto.py``.

Needs the ``dev`` extra, which pins grpcio-tools to the version the generated code was
made with: its output requires that grpcio (and the protobuf it names) or newer, and
pyproject.toml declares exactly those minimums.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

EXPECTED_TOOLS = "1.76.0"
PACKAGE = Path(__file__).resolve().parent.parent / "src" / "grpc_interceptor" / "testing"


def _grpc_tools_origin() -> str | None:
    spec = find_spec("grpc_tools")
    return None if spec is None else spec.origin


def main() -> int:
    """Run protoc with the Python, gRPC and mypy-protobuf plugins over dummy.proto."""
    from importlib.metadata import version

    found = version("grpcio-tools")
    if found != EXPECTED_TOOLS:
        print(f"grpcio-tools {found} is installed; the generated code is made with {EXPECTED_TOOLS}", file=sys.stderr)
        return 1
    include = PACKAGE.parent.parent  # so that the import path is grpc_interceptor.testing.dummy_pb2
    proto = PACKAGE / "dummy.proto"
    plugin = Path(sys.executable).with_name("protoc-gen-mypy")
    plugin_grpc = Path(sys.executable).with_name("protoc-gen-mypy_grpc")
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{include}",
        f"-I{Path(str(_grpc_tools_origin())).parent / '_proto'}",
        f"--plugin=protoc-gen-mypy={plugin}",
        f"--plugin=protoc-gen-mypy_grpc={plugin_grpc}",
        f"--python_out={include}",
        f"--grpc_python_out={include}",
        f"--mypy_out={include}",
        f"--mypy_grpc_out={include}",
        str(proto.relative_to(include)),
    ]
    subprocess.run(command, check=True)
    for generated in PACKAGE.glob("dummy_pb2*"):
        text = re.sub(r"(?m)[ \t]+$", "", generated.read_text())
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
