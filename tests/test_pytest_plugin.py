"""The pytest plugin: installed with the package, its fixtures serve a chain in a user's tests.

A user's test directory (its own ``pytest.ini``, nothing of this repository) runs in a
pytest subprocess: the entry point loads the plugin, the fixtures the user overrides
(or parametrizes) give the chain, and the sync and grpc.aio clients reach a served
echo service through it. Without pytest-asyncio the aio fixture fails with what to
install. This repository's own test run is not disturbed: the plugin's fixture names
clash with none of ``tests/conftest.py``.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grpc_interceptor import pytest_plugin

ROOT = Path(__file__).resolve().parent.parent

#: Seconds a pytest subprocess may take.
TIME_LIMIT = 120

USER_TESTS = """
import grpc
import pytest

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
)
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, raises

SEEN = []


class Record(ServerInterceptor):
    def intercept(self, method, request_or_iterator, context, method_name):
        SEEN.append(method_name.rpartition("/")[2])
        return method(request_or_iterator, context)


class AsyncRecord(AsyncServerInterceptor):
    async def intercept(self, method, request_or_iterator, context, method_name):
        SEEN.append("aio " + method_name.rpartition("/")[2])
        return await method(request_or_iterator, context)


@pytest.fixture
def grpc_interceptor_interceptors(request):
    if "aio" in request.function.__name__:
        return [AsyncExceptionToStatusInterceptor(), AsyncRecord()]
    return [ExceptionToStatusInterceptor(), Record()]


@pytest.fixture
def grpc_interceptor_special_cases():
    return {"missing": raises(NotFound("no such thing"))}


def test_sync_chain(grpc_interceptor_client):
    assert grpc_interceptor_client.Execute(DummyRequest(input="hi")).output == "hi"
    with pytest.raises(grpc.RpcError) as error:
        grpc_interceptor_client.Execute(DummyRequest(input="missing"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert SEEN[-2:] == ["Execute", "Execute"]


@pytest.mark.parametrize("grpc_interceptor_interceptors", [[]])
def test_parametrized_chain_replaces_the_fixture(grpc_interceptor_client):
    SEEN.clear()
    assert grpc_interceptor_client.Execute(DummyRequest(input="x")).output == "x"
    assert SEEN == []


@pytest.mark.asyncio
async def test_aio_chain(grpc_interceptor_aio_client):
    response = await grpc_interceptor_aio_client.Execute(DummyRequest(input="hey"))
    assert response.output == "hey"
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await grpc_interceptor_aio_client.Execute(DummyRequest(input="missing"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert SEEN[-1] == "aio Execute"
"""


def run_user_tests(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_user.py").write_text(USER_TESTS)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_the_plugin_is_an_entry_point_this_run_loaded(pytestconfig: pytest.Config) -> None:
    (entry,) = [ep for ep in importlib.metadata.entry_points(group="pytest11") if ep.name == "grpc_interceptor"]
    assert entry.value == "grpc_interceptor.pytest_plugin"
    assert pytestconfig.pluginmanager.has_plugin("grpc_interceptor")


def test_the_fixture_names_clash_with_none_of_the_projects_own() -> None:
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text())
    ours = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    assert set(pytest_plugin.__all__).isdisjoint(ours)
    assert all(name.startswith("grpc_interceptor_") for name in pytest_plugin.__all__)


@pytest.mark.slow
def test_a_users_tests_get_a_served_chain_sync_and_aio(tmp_path: Path) -> None:
    result = run_user_tests(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout


@pytest.mark.slow
def test_without_pytest_asyncio_the_aio_fixture_says_what_to_install(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    # Python imports sitecustomize from the path at start-up: pytest-asyncio is then absent.
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['pytest_asyncio'] = None\n")
    result = run_user_tests(
        tmp_path,
        "-p",
        "grpc_interceptor.pytest_plugin",
        "-k",
        "aio",
        env={"PYTHONPATH": str(hide), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "pytest-asyncio is not installed" in output
    assert 'pip install "grpc-interceptor[testing]"' in textwrap.dedent(output)
