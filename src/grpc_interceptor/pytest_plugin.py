"""pytest fixtures that serve an interceptor chain, so that a test is one function.

pytest loads this plugin by itself wherever grpc-interceptor is installed (an entry
point in the ``pytest11`` group); the fixtures work with the ``testing`` extra
(``pip install "grpc-interceptor[testing]"``: protobuf, and pytest-asyncio for the
grpc.aio fixture). Loading it imports nothing but pytest and this package: the
testing kit is imported when a test first asks for a served client. To turn the
plugin off, run ``pytest -p no:grpc_interceptor``.

The served chain is what three fixtures return, each empty by default: override
them in a ``conftest.py`` or a test module, or parametrize a test over them.

Example:
    A test module::

        import pytest
        from grpc_interceptor import ExceptionToStatusInterceptor
        from grpc_interceptor.exceptions import NotFound
        from grpc_interceptor.testing import DummyRequest, raises


        @pytest.fixture
        def grpc_interceptor_interceptors():
            return [ExceptionToStatusInterceptor()]


        @pytest.fixture
        def grpc_interceptor_special_cases():
            return {"missing": raises(NotFound("no such thing"))}


        def test_echo(grpc_interceptor_client):
            assert grpc_interceptor_client.Execute(DummyRequest(input="hi")).output == "hi"
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from grpc_interceptor.testing import SpecialCase
    from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceAsyncStub, DummyServiceStub

__all__ = [
    "grpc_interceptor_aio_client",
    "grpc_interceptor_client",
    "grpc_interceptor_client_interceptors",
    "grpc_interceptor_interceptors",
    "grpc_interceptor_special_cases",
]


@pytest.fixture
def grpc_interceptor_interceptors() -> list[Any]:
    """The server interceptors to serve, outermost first; none unless you override it.

    Sync interceptors for :func:`grpc_interceptor_client`, async ones
    (:class:`~grpc_interceptor.AsyncServerInterceptor`) for
    :func:`grpc_interceptor_aio_client`.
    """
    return []


@pytest.fixture
def grpc_interceptor_client_interceptors() -> list[Any]:
    """The client interceptors of the served client's channel, outermost first; none by default."""
    return []


@pytest.fixture
def grpc_interceptor_special_cases() -> Mapping[str, SpecialCase]:
    """Inputs that make the echo service call a function instead (see ``dummy_client``); none by default."""
    return {}


@pytest.fixture
def grpc_interceptor_client(
    grpc_interceptor_special_cases: Mapping[str, SpecialCase],
    grpc_interceptor_interceptors: list[Any],
    grpc_interceptor_client_interceptors: list[Any],
) -> Iterator[DummyServiceStub]:
    """A sync stub of the echo service, served on 127.0.0.1 with the chain of the fixtures above.

    The server runs for the test and stops after it.
    """
    from grpc_interceptor.testing import dummy_client

    with dummy_client(
        grpc_interceptor_special_cases,
        grpc_interceptor_interceptors,
        grpc_interceptor_client_interceptors,
    ) as client:
        yield client


_NO_PYTEST_ASYNCIO = (
    "the grpc_interceptor_aio_client fixture runs on pytest-asyncio's event loop, and "
    'pytest-asyncio is not installed: pip install "grpc-interceptor[testing]" (or pytest-asyncio)'
)

if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def grpc_interceptor_aio_client(  # pyright: ignore[reportRedeclaration]  (one of the two branches)
        grpc_interceptor_special_cases: Mapping[str, SpecialCase],
        grpc_interceptor_interceptors: list[Any],
        grpc_interceptor_client_interceptors: list[Any],
    ) -> AsyncIterator[DummyServiceAsyncStub]:
        """A grpc.aio stub of the echo service, on a grpc.aio server with the chain of the fixtures above.

        For ``async def`` tests (pytest-asyncio: mark them ``@pytest.mark.asyncio``, or
        set ``asyncio_mode = "auto"``). The interceptors must be async ones:
        :class:`~grpc_interceptor.AsyncServerInterceptor` on the server,
        :class:`~grpc_interceptor.AsyncClientInterceptor` on the client.
        """
        from grpc_interceptor.testing import dummy_client

        async with dummy_client(
            grpc_interceptor_special_cases,
            grpc_interceptor_interceptors,
            grpc_interceptor_client_interceptors,
            aio_server=True,
            aio_client=True,
        ) as client:
            yield client

else:

    @pytest.fixture
    def grpc_interceptor_aio_client() -> AsyncIterator[DummyServiceAsyncStub]:
        """Fails the test: the grpc.aio fixture needs pytest-asyncio."""
        pytest.fail(_NO_PYTEST_ASYNCIO)
