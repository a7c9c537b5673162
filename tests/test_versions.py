"""The declared version floors, and the one feature gated on a newer grpcio."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import grpc
import pytest
from packaging.version import Version

from grpc_interceptor import AsyncClientInterceptor, aio_channel_interceptors

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


class Pass(AsyncClientInterceptor):
    async def intercept(self, method, request_or_iterator, call_details):
        return await method(request_or_iterator, call_details)


def floors() -> dict[str, str]:
    """Each ``name>=version`` of the project's runtime dependencies and extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    found = {}
    for requirement in requirements:
        match = re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_ci_runs_exactly_the_declared_floors():
    pinned = {}
    for line in (ROOT / ".ci" / "oldest-constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pinned[name.lower().replace("_", "-")] = version
    declared = floors()
    for name in ("grpcio", "protobuf", "typing-extensions", "grpcio-status"):
        assert Version(pinned[name]) == Version(declared[name]), name


@pytest.mark.parametrize("version", ["1.62.3", "1.82.3", "1.82.0"])
def test_async_client_interceptors_refused_on_an_old_grpcio(monkeypatch, version):
    monkeypatch.setattr(grpc, "__version__", version)
    with pytest.raises(RuntimeError, match=r"needs grpcio 1\.83\.0 or newer, and this is grpcio " + re.escape(version)):
        aio_channel_interceptors(Pass())
    # Nothing to install is no error, and a wrong object is still named as such.
    assert aio_channel_interceptors() == []
    with pytest.raises(TypeError, match="AsyncClientInterceptor"):
        aio_channel_interceptors(object())


@pytest.mark.parametrize("version", ["1.83.0", "1.85.3", "2.0.0"])
def test_async_client_interceptors_installed_on_a_new_grpcio(monkeypatch, version):
    monkeypatch.setattr(grpc, "__version__", version)
    assert len(aio_channel_interceptors(Pass(), Pass())) == 8
