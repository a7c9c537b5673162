"""Regenerate the project's protobuf code: ``python tools/regenerate_proto.py``.

That is the testing kit's ``dummy.proto`` and the bookstore example's ``bookstore.proto``.

The generated code decides the oldest grpcio and protobuf the testing kit runs on: code
from grpcio-tools 1.63 or newer refuses a grpcio older than the tools, and protoc 26 or
newer writes a protobuf version check. So the code is made with grpcio-tools
``GRPC_TOOLS`` (protoc 25), whose output needs neither. That grpcio-tools needs protobuf
older than 5, which the ``dev`` group cannot have beside its other tools, so this script
installs it into a virtual environment of its own (made once, in the system's temporary
folder) and runs protoc from there. The stubs come from mypy-protobuf's plugins, which
the ``dev`` group installs next to the Python that runs this script.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

#: The grpcio-tools the generated code is made with (its protoc is 25.x).
GRPC_TOOLS = "1.62.3"
ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PROTOS = SRC / "grpc_interceptor" / "testing" / "protos"
BOOKSTORE = ROOT / "examples" / "bookstore"


def _protoc_python() -> Path:
    """Return the Python of a virtual environment that has exactly grpcio-tools ``GRPC_TOOLS``."""
    home = Path(tempfile.gettempdir()) / f"grpc-interceptor-protoc-{GRPC_TOOLS}"
    python = home / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    check = [str(python), "-c", f"import importlib.metadata as m; assert m.version('grpcio-tools') == {GRPC_TOOLS!r}"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    shutil.rmtree(home, ignore_errors=True)
    print(f"installing grpcio-tools {GRPC_TOOLS} into {home}", file=sys.stderr)
    venv.create(home, with_pip=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"grpcio-tools=={GRPC_TOOLS}"], check=True)
    return python


def _plugin(name: str) -> Path:
    plugin = Path(sys.executable).with_name(name)
    if not plugin.exists():
        found = shutil.which(name)
        if found is None:
            raise SystemExit(f"{name} not found: install the dev group (pip install --group dev) and run again")
        plugin = Path(found)
    return plugin


def _protoc(python: Path, include: Path, proto: Path) -> None:
    """Run protoc with the Python, gRPC and mypy-protobuf plugins over ``proto``, output next to it."""
    command = [
        str(python),
        "-m",
        "grpc_tools.protoc",
        f"-I{include}",  # the generated imports name the proto's path below include
        f"--plugin=protoc-gen-mypy={_plugin('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--python_out={include}",
        f"--grpc_python_out={include}",
        f"--mypy_out={include}",
        f"--mypy_grpc_out={include}",
        str(proto.relative_to(include)),
    ]
    subprocess.run(command, check=True)
    for generated in proto.parent.glob(f"{proto.stem}_pb2*"):
        text = re.sub(r"(?m)[ \t]+$", "", generated.read_text())
        # mypy-protobuf subclasses grpc.aio.ServicerContext without type arguments, which
        # leaves every servicer method's context partly unknown to type checkers.
        text = text.replace(
            "_aio.ServicerContext):  # type: ignore[misc, type-arg]",
            "_aio.ServicerContext[_typing.Any, _typing.Any]):  # type: ignore[misc]",
        )
        generated.write_text(text)


def main() -> int:
    """Regenerate the testing kit's and the bookstore example's code with grpcio-tools ``GRPC_TOOLS``."""
    python = _protoc_python()
    _protoc(python, SRC, PROTOS / "dummy.proto")  # imported as grpc_interceptor.testing.protos
    _protoc(python, BOOKSTORE, BOOKSTORE / "bookstore.proto")  # imported from its own folder
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
