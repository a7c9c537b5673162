"""The README code of grpc-interceptor 0.15.4, as users wrote it, runs unchanged.

The files in ``tests/compat/`` are loaded afresh for each test and their interceptors
run against real servers on localhost.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
import pytest

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyService, dummy_client, raises, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

COMPAT_DIR = Path(__file__).resolve().parent / "compat"


def load(name: str) -> ModuleType:
    """Run a compat file as a fresh module, so that module-level state is the test's own."""
    spec = importlib.util.spec_from_file_location(f"compat_{name}", COMPAT_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class MetadataRecorder(ServerInterceptor):
    """Records the invocation metadata of every RPC."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str | bytes]] = []

    def intercept(self, method: Any, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str) -> Any:
        self.seen.append(dict(context.invocation_metadata()))
        return method(request_or_iterator, context)


def requests(*inputs: str) -> Iterator[DummyRequest]:
    return iter([DummyRequest(input=text) for text in inputs])


# --- Server interceptors -------------------------------------------------------------


def test_readme_unary_interceptor_sets_the_status() -> None:
    readme = load("readme_server")
    special_cases = {"error": raises(NotFound("no such thing"))}
    with dummy_client(special_cases, [readme.ExceptionToStatusInterceptor()]) as client:
        assert client.Execute(DummyRequest(input="foo")).output == "foo"
        with pytest.raises(grpc.RpcError) as caught:
            client.Execute(DummyRequest(input="error"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "no such thing"


def test_readme_server_wiring_serves_my_service() -> None:
    # The README builds its server at module level, with the interceptor list as written.
    readme = load("readme_server")
    server: grpc.Server = readme.server
    add_DummyServiceServicer_to_server(readme.MyService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = DummyServiceStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                stub.Execute(DummyRequest(input="anything"))
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
            assert caught.value.details() == "Sorry, your thing is missing"
            readme.THINGS["thing"] = "found"
            assert stub.Execute(DummyRequest(input="anything")).output == "found"
    finally:
        server.stop(None).wait()


def test_readme_streaming_interceptor_sets_the_status_mid_stream() -> None:
    readme = load("readme_server_streaming")
    special_cases = {"error": raises(NotFound("gone"))}
    with dummy_client(special_cases, [readme.ExceptionToStatusInterceptor()]) as client:
        assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="abc"))] == ["a", "b", "c"]
        outputs = [r.output for r in client.ExecuteClientServerStream(requests("x", "y"))]
        assert outputs == ["x", "y"]
        with pytest.raises(grpc.RpcError) as caught:
            list(client.ExecuteClientServerStream(requests("x", "error")))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "gone"


def test_readme_unary_and_streaming_interceptor() -> None:
    readme = load("readme_unary_and_streaming")
    special_cases = {"error": raises(NotFound("gone"))}
    with dummy_client(special_cases, [readme.ExceptionToStatusInterceptor()]) as client:
        assert client.Execute(DummyRequest(input="foo")).output == "foo"
        assert client.ExecuteClientStream(requests("a", "b")).output == "ab"
        assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="abc"))] == ["a", "b", "c"]
        with pytest.raises(grpc.RpcError) as caught:
            client.Execute(DummyRequest(input="error"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "gone"


@pytest.mark.parametrize("aio_read_write", [False, True], ids=["yield", "read-write"])
async def test_readme_async_interceptor(aio_read_write: bool) -> None:
    readme = load("readme_async")
    interceptors = [readme.AsyncExceptionToStatusInterceptor()]
    async with dummy_client(
        {}, interceptors, aio_server=True, aio_client=True, aio_read_write=aio_read_write
    ) as client:
        assert (await client.Execute(DummyRequest(input="foo"))).output == "foo"
        assert (await client.ExecuteClientStream(requests("a", "b"))).output == "ab"
        assert [r.output async for r in client.ExecuteServerStream(DummyRequest(input="abc"))] == ["a", "b", "c"]
        assert [r.output async for r in client.ExecuteClientServerStream(requests("x", "y"))] == ["x", "y"]


async def test_readme_async_interceptor_error_path_fails_the_rpc() -> None:
    # The README awaits set_code(), which returns None on grpc.aio: the RPC still fails
    # (with the TypeError that causes), it does not hang or succeed.
    readme = load("readme_async")
    special_cases = {"error": raises(NotFound("gone"))}
    interceptors = [readme.AsyncExceptionToStatusInterceptor()]
    async with dummy_client(special_cases, interceptors, aio_server=True, aio_client=True) as client:
        with pytest.raises(grpc.RpcError):
            await client.Execute(DummyRequest(input="error"))


# --- Client interceptor --------------------------------------------------------------


def test_readme_client_interceptor_adds_metadata_for_every_kind() -> None:
    readme = load("readme_client")
    recorder = MetadataRecorder()
    with dummy_client(interceptors=[recorder], client_interceptors=[readme.MetadataClientInterceptor()]) as client:
        assert client.Execute(DummyRequest(input="foo")).output == "foo"
        assert client.ExecuteClientStream(requests("a", "b")).output == "ab"
        assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="ab"))] == ["a", "b"]
        assert [r.output for r in client.ExecuteClientServerStream(requests("x"))] == ["x"]
    assert len(recorder.seen) == 4
    assert all(metadata.get("authorization") == "Bearer mysecrettoken" for metadata in recorder.seen)


def test_readme_client_channel_wiring() -> None:
    readme = load("readme_client")
    recorder = MetadataRecorder()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[recorder])
    add_DummyServiceServicer_to_server(DummyService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        assert readme.call_with_metadata(f"127.0.0.1:{port}") == "hello"
    finally:
        server.stop(None).wait()
    assert len(recorder.seen) == 1
    assert recorder.seen[0]["authorization"] == "Bearer mysecrettoken"


def test_readme_client_interceptor_through_serve() -> None:
    readme = load("readme_client")
    recorder = MetadataRecorder()

    def register(server: grpc.Server) -> None:
        add_DummyServiceServicer_to_server(DummyService(), server)

    with serve(register, [recorder], [readme.MetadataClientInterceptor()]) as channel:
        assert DummyServiceStub(channel).Execute(DummyRequest(input="foo")).output == "foo"
    assert recorder.seen[0]["authorization"] == "Bearer mysecrettoken"


# --- Testing example -----------------------------------------------------------------


def test_readme_testing_example() -> None:
    load("readme_testing").test_exception()
