"""Regenerate the bookstore's Python code from bookstore.proto.

Run it from the repository root, in the project's virtual environment (the ``dev``
dependency group has mypy-protobuf)::

    python examples/bookstore/regenerate.py

It runs ``tools/regenerate_proto.py``, which makes the code with the same pinned,
old grpcio-tools as the testing kit's, so that the example runs on the oldest grpcio
and protobuf the library supports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent.parent / "tools" / "regenerate_proto.py"


def main() -> int:
    """Regenerate the project's protobuf code, this example's included; 0 on success."""
    return subprocess.run([sys.executable, str(TOOL)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
