"""Testing interceptors with the pytest plugin's fixtures: no server code in the tests.

Run it with ``pytest examples/test_with_fixtures.py`` (or ``python
examples/test_with_fixtures.py``, which runs pytest on it). The plugin comes with the
package; with the ``testing`` extra installed, ``grpc_interceptor_client`` is a stub of
the echo service served on 127.0.0.1 with the interceptors that
``grpc_interceptor_interceptors`` returns, and ``grpc_interceptor_aio_client`` the
same on grpc.aio. Each fixture below overrides one of the plugin's, for this module.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, SpecialCase, raises

if TYPE_CHECKING:  # the async stub exists only in the generated type stubs
    from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceAsyncStub, DummyServiceStub


@pytest.fixture
def grpc_interceptor_interceptors(request: pytest.FixtureRequest) -> list[Any]:
    """The chain under test: the async twin for the grpc.aio tests."""
    if request.node.get_closest_marker("asyncio"):
        return [AsyncExceptionToStatusInterceptor()]
    return [ExceptionToStatusInterceptor()]


@pytest.fixture
def grpc_interceptor_special_cases() -> Mapping[str, SpecialCase]:
    """The input "missing" makes the service raise NotFound."""
    return {"missing": raises(NotFound("no such book"))}


def test_echo(grpc_interceptor_client: DummyServiceStub) -> None:
    assert grpc_interceptor_client.Execute(DummyRequest(input="hello")).output == "hello"


def test_not_found_becomes_the_status(grpc_interceptor_client: DummyServiceStub) -> None:
    with pytest.raises(grpc.RpcError) as error:
        grpc_interceptor_client.Execute(DummyRequest(input="missing"))
    call: Any = error.value  # a grpc.Call as well
    assert (call.code(), call.details()) == (grpc.StatusCode.NOT_FOUND, "no such book")


@pytest.mark.asyncio
async def test_not_found_on_grpc_aio(grpc_interceptor_aio_client: DummyServiceAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await grpc_interceptor_aio_client.Execute(DummyRequest(input="missing"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


if __name__ == "__main__":
    # In a pytest of its own: this interpreter has imported the plugin already.
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__]))
