"""Sync and async pieces wired to the wrong side fail loudly, never hang.

* An AsyncServerInterceptor on a sync ``grpc.server`` can only be noticed on the first
  RPC: it fails at once with UNKNOWN, and grpc logs our TypeError naming the fix.
* A sync ServerInterceptor on ``grpc.aio.server`` is refused by grpc at construction.
* The testing kit refuses every mix before it starts anything.
* ``aio_channel_interceptors`` refuses a sync client interceptor, naming
  ``grpc.intercept_channel``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import TIMEOUT, call

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
    aio_channel_interceptors,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, DummyService, dummy_channel, dummy_client, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server


class AsyncCatchAll(AsyncServerInterceptor):
    def __init__(self) -> None:
        self.calls = 0

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        self.calls += 1
        return await method(request_or_iterator, context)


class AsyncTyped(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def __init__(self) -> None:
        self.calls = 0

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        self.calls += 1
        return await method(request, context)


class SyncCatchAll(ServerInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        return method(request_or_iterator, context)


class SyncClient(ClientInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return method(request_or_iterator, call_details)


class AsyncClient(AsyncClientInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return await method(request_or_iterator, call_details)


ASYNC_SERVER_INTERCEPTORS = {
    "catch_all": AsyncCatchAll,
    "typed": AsyncTyped,
    "exception_to_status": AsyncExceptionToStatusInterceptor,
}


@contextlib.contextmanager
def sync_server(interceptors: list[Any]) -> Iterator[DummyServiceStub]:
    """A sync grpc.server built by hand (the kit would refuse the mix), and a stub to it."""
    executor = futures.ThreadPoolExecutor(2)
    server = grpc.server(executor, interceptors=interceptors)
    add_DummyServiceServicer_to_server(DummyService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield DummyServiceStub(channel)
    finally:
        channel.close()
        server.stop(None).wait()
        executor.shutdown(wait=True)


@pytest.mark.parametrize("interceptor_class", ASYNC_SERVER_INTERCEPTORS.values(), ids=ASYNC_SERVER_INTERCEPTORS.keys())
def test_async_interceptor_on_a_sync_server_fails_fast(
    kind: str, interceptor_class: type[Any], caplog: pytest.LogCaptureFixture
) -> None:
    interceptor = interceptor_class()
    inputs = ("a",) if kind.startswith("unary") else ("a", "b")
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sync_server([interceptor]) as stub:
            started = time.monotonic()
            first = call(stub, kind, *inputs)
            second = call(stub, kind, *inputs)
            elapsed = time.monotonic() - started
        gc.collect()

    assert (first.code, first.outputs) == (grpc.StatusCode.UNKNOWN, [])
    assert (second.code, second.outputs) == (grpc.StatusCode.UNKNOWN, [])
    assert elapsed < TIMEOUT / 2, "the RPCs should fail at once, not run into their deadline"
    name = type(interceptor).__name__
    errors = [
        record
        for record in caplog.records
        if record.exc_info is not None
        and record.exc_info[0] is TypeError
        and "grpc.aio.server" in record.getMessage()
        and name in record.getMessage()
    ]
    assert len(errors) == 2, [record.getMessage() for record in caplog.records]
    assert errors[0].name.startswith("grpc")
    # Refused before any coroutine existed: nothing was left un-awaited.
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert getattr(interceptor, "calls", 0) == 0


def test_async_interceptor_on_a_sync_server_leaves_other_servers_alone() -> None:
    """The refusal is per RPC on the sync server; the same object still works on grpc.aio."""
    interceptor = AsyncCatchAll()
    with sync_server([interceptor]) as stub:
        assert call(stub, "unary_unary", "a").code == grpc.StatusCode.UNKNOWN
    with dummy_client(None, [interceptor], aio_server=True) as stub:
        assert call(stub, "unary_unary", "a").outputs == ["a"]
    assert interceptor.calls == 1


def test_async_interceptor_served_on_aio_first_is_still_refused_by_a_sync_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Only grpc.aio's own continuations skip the event-loop check; a sync server's never do."""
    interceptor = AsyncCatchAll()
    with dummy_client(None, [interceptor], aio_server=True) as stub:
        assert call(stub, "unary_unary", "a").outputs == ["a"]
    caplog.set_level(logging.ERROR)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with sync_server([interceptor]) as stub:
            assert call(stub, "unary_unary", "a").code == grpc.StatusCode.UNKNOWN
        gc.collect()
    assert [record for record in caplog.records if record.exc_info is not None and record.exc_info[0] is TypeError], [
        record.getMessage() for record in caplog.records
    ]
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert interceptor.calls == 1


@pytest.mark.parametrize("interceptor_class", [SyncCatchAll, ExceptionToStatusInterceptor])
async def test_sync_interceptor_on_an_aio_server_is_refused_at_construction(interceptor_class: type[Any]) -> None:
    with pytest.raises(ValueError, match="Interceptor must be ServerInterceptor"):
        grpc.aio.server(interceptors=[interceptor_class()])


def aio_server_threads() -> int:
    return sum(thread.name == "grpc-interceptor-aio-server" for thread in threading.enumerate())


def test_kit_refuses_an_async_server_interceptor_on_a_sync_server() -> None:
    for make in (dummy_client, dummy_channel):
        with pytest.raises(TypeError, match=r"AsyncCatchAll is an AsyncServerInterceptor.*aio_server=True"):
            make(None, [AsyncCatchAll()])
    with pytest.raises(TypeError, match="aio_server=True"):
        serve(lambda server: None, [AsyncExceptionToStatusInterceptor()])


def test_kit_refuses_a_sync_server_interceptor_on_an_aio_server() -> None:
    before = aio_server_threads()
    for make in (dummy_client, dummy_channel):
        with pytest.raises(TypeError, match=r"SyncCatchAll is a sync ServerInterceptor.*AsyncServerInterceptor"):
            make(None, [SyncCatchAll()], aio_server=True)
    with pytest.raises(TypeError, match="sync ServerInterceptor"):
        serve(lambda server: None, [ExceptionToStatusInterceptor()], aio_server=True)
    assert aio_server_threads() == before, "refused before any server was started"


def test_kit_refuses_client_interceptor_mixes() -> None:
    with pytest.raises(TypeError, match=r"AsyncClient is an AsyncClientInterceptor.*aio_client=True"):
        dummy_client(None, None, [AsyncClient()])
    with pytest.raises(TypeError, match="AsyncClientInterceptor"):
        dummy_client(None, None, [AsyncClient()], aio_server=True)
    with pytest.raises(TypeError, match=r"SyncClient is a sync ClientInterceptor.*AsyncClientInterceptor"):
        dummy_client(None, None, [SyncClient()], aio_server=True, aio_client=True)


def test_kit_refuses_an_aio_client_without_an_aio_server() -> None:
    with pytest.raises(ValueError, match="aio_server=True"):
        dummy_client(None, None, aio_client=True)  # type: ignore[call-overload]


def test_aio_channel_interceptors_refuses_a_sync_client_interceptor() -> None:
    with pytest.raises(TypeError, match=r"SyncClient.*grpc\.intercept_channel"):
        aio_channel_interceptors(SyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"SyncClient.*grpc\.intercept_channel"):
        aio_channel_interceptors(AsyncClient(), SyncClient())  # type: ignore[arg-type]


def test_aio_channel_interceptors_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="AsyncClientInterceptor") as raised:
        aio_channel_interceptors(object())  # type: ignore[arg-type]
    assert "intercept_channel" not in str(raised.value)
    assert len(aio_channel_interceptors(AsyncClient())) == 4
