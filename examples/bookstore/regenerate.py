"""Regenerate the bookstore's Python code from bookstore.proto.

Run it from the repository root, in the project's virtual environment (the ``dev``
dependency group has grpcio-tools and mypy-protobuf)::

    python examples/bookstore/regenerate.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Run protoc with the Python, gRPC and mypy-protobuf plugins; 0 on success."""
    spec = find_spec("grpc_tools")
    if spec is None or spec.origin is None:
        print("grpcio-tools is missing: pip install -e . --group dev", file=sys.stderr)
        return 1
    bin_dir = Path(sys.executable).parent
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{HERE}",
        f"-I{Path(spec.origin).parent / '_proto'}",
        f"--plugin=protoc-gen-mypy={bin_dir / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={bin_dir / 'protoc-gen-mypy_grpc'}",
        f"--python_out={HERE}",
        f"--grpc_python_out={HERE}",
        f"--mypy_out={HERE}",
        f"--mypy_grpc_out={HERE}",
        "bookstore.proto",
    ]
    subprocess.run(command, check=True, cwd=HERE)
    for generated in HERE.glob("bookstore_pb2*"):
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
    sys.exit(main())
