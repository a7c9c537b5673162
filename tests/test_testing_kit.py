"""The testing kit: dummy_client, dummy_channel, serve, raises and special cases."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from conftest import INPUTS, TIMEOUT, Outcome, call, echo

import grpc_interceptor.testing
from grpc_interceptor import AsyncClientInterceptor, AsyncServerInterceptor, ClientInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_channel, dummy_client, raises, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)


class SyncPass(ServerInterceptor):
    def intercept(self, method, request_or_iterator, context, method_name):
        return method(request_or_iterator, context)


class AsyncPass(AsyncServerInterceptor):
    async def intercept(self, method, request_or_iterator, context, method_name):
        return await method(request_or_iterator, context)


class SyncClientPass(ClientInterceptor):
    def intercept(self, method, request_or_iterator, call_details):
        return method(request_or_iterator, call_details)


class AsyncClientPass(AsyncClientInterceptor):
    async def intercept(self, method, request_or_iterator, call_details):
        return await method(request_or_iterator, call_details)


def test_raises_raises_its_exception_whatever_the_arguments() -> None:
    error = NotFound("gone")
    for args, kwargs in [((), {}), (("input", None), {}), ((1, 2, 3), {"x": 4})]:
        with pytest.raises(NotFound) as raised:
            raises(error)(*args, **kwargs)
        assert raised.value is error


def test_echo_and_special_cases_in_every_kind(kind: str) -> None:
    contexts: list[object] = []

    def upper(text: str, context: grpc.ServicerContext) -> str:
        contexts.append(context)
        return text.upper()

    special_cases = {"abc": upper, "b": upper}
    with dummy_client(special_cases) as client:
        inputs = INPUTS[kind]
        expected = echo(kind, *(text.upper() if text in special_cases else text for text in inputs))
        assert call(client, kind, *inputs) == Outcome(expected)
        assert call(client, kind, "plain") == Outcome(echo(kind, "plain"))
    assert len(contexts) == 1
    assert isinstance(contexts[0], grpc.ServicerContext)


def test_special_case_exception_reaches_the_client_as_unknown() -> None:
    with dummy_client({"error": raises(ValueError("boom"))}) as client:
        outcome = call(client, "unary_unary", "error")
    assert outcome.code == grpc.StatusCode.UNKNOWN
    assert outcome.details is not None and "boom" in outcome.details


def test_dummy_client_without_arguments() -> None:
    with dummy_client() as client:
        assert client.Execute(DummyRequest(input="hi"), timeout=TIMEOUT) == DummyResponse(output="hi")


def test_dummy_channel_gives_a_channel_with_interceptors(kind: str) -> None:
    seen: list[str] = []

    class Note(ServerInterceptor):
        def intercept(self, method, request_or_iterator, context, method_name):
            seen.append(method_name)
            return method(request_or_iterator, context)

    with dummy_channel({"x": raises(NotFound("nope"))}, [Note()]) as channel:
        assert isinstance(channel, grpc.Channel)
        client = DummyServiceStub(channel)
        assert call(client, kind, *INPUTS[kind]) == Outcome(echo(kind, *INPUTS[kind]))
        assert call(client, kind, "x").code == grpc.StatusCode.UNKNOWN  # no status interceptor given
    assert len(seen) == 2


def test_import_paths() -> None:
    module = importlib.import_module("grpc_interceptor.testing.dummy_client")
    # The package attribute is the function, which shadows the submodule of the same name.
    assert grpc_interceptor.testing.dummy_client is module.dummy_client
    assert callable(grpc_interceptor.testing.dummy_client)
    from grpc_interceptor.testing.dummy_client import dummy_channel as imported

    assert imported is dummy_channel


@pytest.mark.parametrize("factory", [dummy_client, dummy_channel])
def test_aio_client_requires_aio_server(factory: Any) -> None:
    with pytest.raises(ValueError, match="aio_server=True"):
        with factory(aio_client=True):
            pass


@pytest.mark.parametrize(
    ("options", "fix"),
    [
        ({"interceptors": [SyncPass()], "aio_server": True}, "use an AsyncServerInterceptor"),
        ({"interceptors": [AsyncPass()]}, "pass aio_server=True"),
        ({"client_interceptors": [AsyncClientPass()]}, "pass aio_client=True"),
        (
            {"client_interceptors": [SyncClientPass()], "aio_server": True, "aio_client": True},
            "use an AsyncClientInterceptor",
        ),
    ],
    ids=[
        "sync-server-interceptor-on-aio",
        "async-server-interceptor-on-sync",
        "async-client-on-sync",
        "sync-client-on-aio",
    ],
)
def test_sync_async_mix_is_refused_naming_the_fix(options: dict[str, Any], fix: str) -> None:
    for factory in (dummy_client, dummy_channel):
        with pytest.raises(TypeError, match=fix):
            with factory(**options):
                pass


class Greeter(DummyServiceServicer):
    """A servicer of our own: greets instead of echoing."""

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        return DummyResponse(output=f"hello {request.input}")

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        for word in ("hello", request.input):
            yield DummyResponse(output=word)


def test_serve_with_own_servicer_and_interceptors() -> None:
    class Bang(ServerInterceptor):
        def intercept(self, method, request_or_iterator, context, method_name):
            result = method(request_or_iterator, context)
            if isinstance(result, DummyResponse):
                return DummyResponse(output=result.output + "!")
            return (DummyResponse(output=r.output + "!") for r in result)

    with serve(lambda server: add_DummyServiceServicer_to_server(Greeter(), server), [Bang()]) as channel:
        client = DummyServiceStub(channel)
        assert call(client, "unary_unary", "bob") == Outcome(["hello bob!"])
        assert call(client, "unary_stream", "bob") == Outcome(["hello!", "bob!"])
        # What the servicer does not implement, the generated base class refuses.
        assert call(client, "stream_unary", "bob").code == grpc.StatusCode.UNIMPLEMENTED


def _serve_on_extra_port(ports: list[int]) -> Any:
    """Register Greeter and also listen on a port the test learns, to probe the server later."""

    def register(server: grpc.Server) -> None:
        add_DummyServiceServicer_to_server(Greeter(), server)
        ports.append(server.add_insecure_port("127.0.0.1:0"))

    return register


def _execute_on(port: int) -> Outcome:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        return call(DummyServiceStub(channel), "unary_unary", "probe")


def test_server_is_stopped_on_exit() -> None:
    ports: list[int] = []
    with serve(_serve_on_extra_port(ports)) as channel:
        client = DummyServiceStub(channel)
        assert _execute_on(ports[0]) == Outcome(["hello probe"])
    assert _execute_on(ports[0]).code == grpc.StatusCode.UNAVAILABLE
    with pytest.raises(ValueError, match="closed"):  # the channel the block gave is closed too
        client.Execute(DummyRequest(input="late"), timeout=TIMEOUT)


def test_server_is_stopped_when_the_block_raises() -> None:
    ports: list[int] = []
    with pytest.raises(RuntimeError, match="test failed"):
        with serve(_serve_on_extra_port(ports)):
            assert _execute_on(ports[0]) == Outcome(["hello probe"])
            raise RuntimeError("test failed")
    assert _execute_on(ports[0]).code == grpc.StatusCode.UNAVAILABLE


def test_dummy_client_is_unusable_after_the_block() -> None:
    with dummy_client() as client:
        assert call(client, "unary_unary", "in") == Outcome(["in"])
    with pytest.raises(ValueError, match="closed"):
        client.Execute(DummyRequest(input="out"), timeout=TIMEOUT)


# --- 0.15.4's testing kit, as 0.15.4 code uses it --------------------------------------


class MethodCounter(ServerInterceptor):
    def __init__(self):
        self.num_calls = {}

    def intercept(self, method, request_or_iterator, context, method_name):
        self.num_calls[method_name] = self.num_calls.get(method_name, 0) + 1
        return method(request_or_iterator, context)


class AsyncMethodCounter(AsyncServerInterceptor):
    def __init__(self):
        self.num_calls = {}

    async def intercept(self, method, request_or_iterator, context, method_name):
        self.num_calls[method_name] = self.num_calls.get(method_name, 0) + 1
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


@pytest.mark.parametrize("aio", [False, True])
def test_method_names_have_no_package_as_in_0_15_4(aio):
    intr = AsyncMethodCounter() if aio else MethodCounter()
    with dummy_client(special_cases={}, interceptors=[intr], aio_server=aio) as client:
        client.Execute(DummyRequest(input="foo"))
        client.Execute(DummyRequest(input="foo"))
        client.ExecuteClientStream(iter([DummyRequest(input="a"), DummyRequest(input="b")]))
        list(client.ExecuteServerStream(DummyRequest(input="ab")))
        list(client.ExecuteClientServerStream(iter([DummyRequest(input="a")])))
    assert intr.num_calls == {
        "/DummyService/Execute": 2,
        "/DummyService/ExecuteClientStream": 1,
        "/DummyService/ExecuteServerStream": 1,
        "/DummyService/ExecuteClientServerStream": 1,
    }


def test_generated_code_is_at_0_15_4_module_path_and_only_there():
    from grpc_interceptor.testing.protos import dummy_pb2, dummy_pb2_grpc

    assert dummy_pb2.DummyRequest is DummyRequest
    assert dummy_pb2.DummyResponse is DummyResponse
    assert dummy_pb2.DESCRIPTOR.package == ""
    assert dummy_pb2.DummyRequest.DESCRIPTOR.full_name == "DummyRequest"
    assert dummy_pb2_grpc.DummyServiceStub is DummyServiceStub
    assert dummy_pb2_grpc.add_DummyServiceServicer_to_server is add_DummyServiceServicer_to_server
    # One copy of the generated code: the path of the unreleased 0.16.0 development line
    # is gone, so no second module registers the same messages.
    for old in ("grpc_interceptor.testing.dummy_pb2", "grpc_interceptor.testing.dummy_pb2_grpc"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(old)


def test_generated_code_ships_its_stubs():
    from pathlib import Path

    from grpc_interceptor.testing import protos

    folder = Path(protos.__file__).parent
    for name in ("dummy_pb2.pyi", "dummy_pb2_grpc.pyi"):
        stub = (folder / name).read_text()
        assert "mypy-protobuf" in stub
    assert "class DummyRequest(" in (folder / "dummy_pb2.pyi").read_text()
    assert "class DummyServiceStub" in (folder / "dummy_pb2_grpc.pyi").read_text()


@pytest.mark.parametrize("aio_rw", [False, True])
def test_aio_read_write_is_ignored_without_aio_server_as_in_0_15_4(aio_rw):
    intr = MethodCounter()
    with dummy_client(special_cases={}, interceptors=[intr], aio_server=False, aio_read_write=aio_rw) as client:
        inputs = (DummyRequest(input=text) for text in ["foo", "bar"])
        assert client.ExecuteClientStream(inputs).output == "foobar"
        assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="ab"))] == ["a", "b"]
    assert intr.num_calls == {"/DummyService/ExecuteClientStream": 1, "/DummyService/ExecuteServerStream": 1}
    with dummy_channel(special_cases={}, aio_read_write=True) as channel:
        assert DummyServiceStub(channel).Execute(DummyRequest(input="x")).output == "x"


@pytest.mark.parametrize(("aio", "aio_rw"), [(False, False), (True, False), (True, True)])
def test_special_cases_are_read_when_an_rpc_arrives(aio, aio_rw):
    special_cases = {}
    with dummy_client(special_cases=special_cases, interceptors=[], aio_server=aio, aio_read_write=aio_rw) as client:
        assert client.Execute(DummyRequest(input="later")).output == "later"
        special_cases["later"] = lambda text, context: "added in the block"
        assert client.Execute(DummyRequest(input="later")).output == "added in the block"
        inputs = iter([DummyRequest(input="later"), DummyRequest(input="x")])
        assert client.ExecuteClientStream(inputs).output == "added in the blockx"
        del special_cases["later"]
        assert client.Execute(DummyRequest(input="later")).output == "later"


def test_sync_dummy_server_runs_one_rpc_at_a_time_as_in_0_15_4():
    import threading

    started = []
    release = threading.Event()

    def block(text, context):
        started.append(text)
        assert release.wait(TIMEOUT), "the test never released the first RPC"
        return text

    def mark(text, context):
        started.append(text)
        return text

    with dummy_client(special_cases={"block": block, "mark": mark}) as client:
        first = client.Execute.future(DummyRequest(input="block"), timeout=TIMEOUT)
        for _ in range(200):  # bounded: 10 s at most
            if started:
                break
            threading.Event().wait(0.05)
        assert started == ["block"]
        second = client.Execute.future(DummyRequest(input="mark"), timeout=TIMEOUT)
        # One worker: the second RPC waits for the first one's thread.
        threading.Event().wait(0.5)
        assert started == ["block"]
        release.set()
        assert first.result().output == "block"
        assert second.result().output == "mark"
    assert started == ["block", "mark"]


def test_0_15_4_module_attributes():
    import inspect

    import grpc.aio

    import grpc_interceptor.exception_to_status
    import grpc_interceptor.server
    from grpc_interceptor.testing import DummyService
    from grpc_interceptor.testing.dummy_client import (
        AsyncDummyService,
        AsyncReadWriteDummyService,
        SpecialCaseFunction,
        dummy_pb2_grpc,
        grpc_aio,
    )
    from grpc_interceptor.testing.protos import dummy_pb2_grpc as generated

    assert dummy_pb2_grpc is generated
    assert grpc_aio is grpc.aio
    assert grpc_interceptor.server.grpc_aio is grpc.aio
    assert grpc_interceptor.exception_to_status.grpc_aio is grpc.aio
    # A special case that 0.15.4 code annotates with SpecialCaseFunction is called.
    case: SpecialCaseFunction = lambda text, context: text.upper()  # noqa: E731
    with dummy_client(special_cases={"up": case}) as client:
        assert client.Execute(DummyRequest(input="up")).output == "UP"
    for service in (DummyService, AsyncDummyService, AsyncReadWriteDummyService):
        for name in ("ExecuteClientStream", "ExecuteClientServerStream"):
            assert list(inspect.signature(getattr(service, name)).parameters) == ["self", "request_iter", "context"]
        for name in ("Execute", "ExecuteServerStream"):
            assert list(inspect.signature(getattr(service, name)).parameters) == ["self", "request", "context"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interceptors": [SyncPass()], "aio_server": True}, "Set aio_server correctly"),
        ({"interceptors": [AsyncPass()]}, "Set aio_server correctly"),
    ],
)
def test_0_15_4_error_messages_are_kept(options, message):
    with pytest.raises(TypeError, match=message):
        with dummy_client(special_cases={}, **options):
            pass
    with pytest.raises(ValueError, match="aio_server must be True if aio_client is True"):
        with dummy_client(special_cases={}, aio_client=True):
            pass


def test_import_without_protobuf_names_the_extra():
    import subprocess
    import sys

    # As if protobuf were not installed: its import fails the way a missing package's does.
    code = (
        "import sys\n"
        "sys.modules['google.protobuf'] = None\n"
        "try:\n"
        "    import grpc_interceptor.testing\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
        "else:\n"
        "    print('imported')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert 'pip install "grpc-interceptor[testing]"' in result.stdout
    assert "protobuf" in result.stdout
    # The library itself imports without protobuf.
    code = "import sys\nsys.modules['google.protobuf'] = None\nimport grpc_interceptor\nprint('ok')\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "ok"
