"""AsyncExceptionToStatusInterceptor: the semantics of the sync one, on grpc.aio.

Each scenario runs on a sync server with ExceptionToStatusInterceptor and on a grpc.aio
server with AsyncExceptionToStatusInterceptor, for the four RPC kinds and both handler
styles of the testing kit (``yield``: return/yield; ``read_write``: context.read() /
context.write()), and must give the client the same, stated outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import TIMEOUT, Outcome, call

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, raises, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)

SERVERS = ("sync", "aio_yield", "aio_read_write")
SERVICE = "/DummyService/"
METHODS = {
    "unary_unary": "Execute",
    "unary_stream": "ExecuteServerStream",
    "stream_unary": "ExecuteClientStream",
    "stream_stream": "ExecuteClientServerStream",
}


def deny(text: str, context: Any) -> Any:
    """Abort with PERMISSION_DENIED: raises on a sync context, returns the coroutine on aio."""
    return context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")


class Teapot(GrpcException):
    """A user's own GrpcException with class-level status and details."""

    status_code = grpc.StatusCode.FAILED_PRECONDITION
    details = "I am a teapot"


#: The failing input: what it does, and the class of status interceptor options.
TRIGGERS: dict[str, Callable[..., Any]] = {
    "notfound": raises(NotFound("no such thing")),
    "notfound_default": raises(NotFound()),
    "teapot": raises(Teapot()),
    "crash": raises(RuntimeError("crash")),
    "deny": deny,
}


@dataclass(frozen=True)
class Scenario:
    trigger: str
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str | None = None  # None: grpc's own text, which differs between servers


SCENARIOS = {
    "grpc_exception": Scenario("notfound", {}, grpc.StatusCode.NOT_FOUND, "no such thing"),
    "default_details": Scenario("notfound_default", {}, grpc.StatusCode.NOT_FOUND, NotFound().details),
    "own_subclass": Scenario("teapot", {}, grpc.StatusCode.FAILED_PRECONDITION, "I am a teapot"),
    "grpc_exception_with_option": Scenario(
        "notfound",
        {"status_on_unknown_exception": grpc.StatusCode.INTERNAL},
        grpc.StatusCode.NOT_FOUND,
        "no such thing",
    ),
    "unknown": Scenario("crash", {}, grpc.StatusCode.UNKNOWN),
    "status_on_unknown": Scenario(
        "crash",
        {"status_on_unknown_exception": grpc.StatusCode.INTERNAL},
        grpc.StatusCode.INTERNAL,
        repr(RuntimeError("crash")),
    ),
    "unknown_details": Scenario(
        "crash",
        {"status_on_unknown_exception": grpc.StatusCode.UNAVAILABLE, "unknown_exception_details": "try later"},
        grpc.StatusCode.UNAVAILABLE,
        "try later",
    ),
    "abort": Scenario("deny", {}, grpc.StatusCode.PERMISSION_DENIED, "denied"),
    "abort_wins": Scenario(
        "deny", {"status_on_unknown_exception": grpc.StatusCode.INTERNAL}, grpc.StatusCode.PERMISSION_DENIED, "denied"
    ),
    "abort_wins_with_details": Scenario(
        "deny",
        {"status_on_unknown_exception": grpc.StatusCode.INTERNAL, "unknown_exception_details": "hidden"},
        grpc.StatusCode.PERMISSION_DENIED,
        "denied",
    ),
}


def inputs_and_sent(kind: str, trigger: str) -> tuple[tuple[str, ...], list[str]]:
    """The inputs of an RPC that fails on ``trigger``, and what the client gets before."""
    if kind in ("unary_unary", "unary_stream"):
        return (trigger,), []  # the kit runs the special case before the first message
    if kind == "stream_unary":
        return ("a", trigger, "c"), []
    return ("a", "b", trigger, "c"), ["a", "b"]  # mid-stream


def kit_client(server: str, options: dict[str, Any], interceptor: Any = None) -> Any:
    if server == "sync":
        return dummy_client(TRIGGERS, [interceptor or ExceptionToStatusInterceptor(**options)])
    return dummy_client(
        TRIGGERS,
        [interceptor or AsyncExceptionToStatusInterceptor(**options)],
        aio_server=True,
        aio_read_write=server == "aio_read_write",
    )


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(kind: str, name: str, server: str) -> None:
    scenario = SCENARIOS[name]
    inputs, sent = inputs_and_sent(kind, scenario.trigger)
    with kit_client(server, scenario.options) as stub:
        outcome = call(stub, kind, *inputs)

    assert outcome.outputs == sent
    assert outcome.code == scenario.code
    if scenario.details is not None:
        assert outcome.details == scenario.details


@pytest.mark.parametrize("server", SERVERS)
def test_success_passes_through(kind: str, server: str) -> None:
    options = {"status_on_unknown_exception": grpc.StatusCode.INTERNAL}
    with kit_client(server, options) as stub:
        outcome = call(stub, kind, *(["ab"] if kind.startswith("unary") else ["a", "b"]))

    expected = {
        "unary_unary": ["ab"],
        "unary_stream": ["a", "b"],
        "stream_unary": ["ab"],
        "stream_stream": ["a", "b"],
    }[kind]
    assert outcome == Outcome(expected)


@pytest.mark.parametrize("name", ["grpc_exception", "status_on_unknown", "abort_wins"])
@pytest.mark.parametrize("read_write", [False, True], ids=["aio_yield", "aio_read_write"])
async def test_scenario_with_an_aio_client(kind: str, name: str, read_write: bool) -> None:
    scenario = SCENARIOS[name]
    inputs, sent = inputs_and_sent(kind, scenario.trigger)
    # An aio client still writing when the server ends the call sometimes gets grpc's own
    # INTERNAL "Internal error from Core" instead of the status, with or without
    # interceptors: send nothing after the request that fails.
    inputs = inputs[: inputs.index(scenario.trigger) + 1]
    async with dummy_client(
        TRIGGERS,
        [AsyncExceptionToStatusInterceptor(**scenario.options)],
        aio_server=True,
        aio_client=True,
        aio_read_write=read_write,
    ) as stub:
        requests = [DummyRequest(input=text) for text in inputs]
        outputs: list[str] = []
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            if kind == "unary_unary":
                outputs.append((await stub.Execute(requests[0], timeout=TIMEOUT)).output)
            elif kind == "unary_stream":
                outputs += [r.output async for r in stub.ExecuteServerStream(requests[0], timeout=TIMEOUT)]
            elif kind == "stream_unary":
                outputs.append((await stub.ExecuteClientStream(iter(requests), timeout=TIMEOUT)).output)
            else:
                async for response in stub.ExecuteClientServerStream(iter(requests), timeout=TIMEOUT):
                    outputs.append(response.output)

    assert outputs == sent
    assert (raised.value.code(), raised.value.details()) == (scenario.code, scenario.details)


# --- mid-stream in a server stream: a service of our own ------------------------------


async def answer(trigger: str, context: Any) -> None:
    result = TRIGGERS[trigger](trigger, context)
    if result is not None:
        await result


class SyncStreamer(DummyServiceServicer):
    """``ExecuteServerStream`` sends each character before ``!``, then runs the trigger after it."""

    def ExecuteServerStream(self, request: DummyRequest, context: Any) -> Iterator[DummyResponse]:
        head, _, trigger = request.input.partition("!")
        for char in head:
            yield DummyResponse(output=char)
        TRIGGERS[trigger](trigger, context)


class YieldStreamer(DummyServiceServicer):
    """:class:`SyncStreamer` with ``async def`` + ``yield``."""

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> AsyncIterator[DummyResponse]:
        head, _, trigger = request.input.partition("!")
        for char in head:
            yield DummyResponse(output=char)
        await answer(trigger, context)


class WriteStreamer(DummyServiceServicer):
    """:class:`SyncStreamer` with ``context.write()``."""

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> None:  # type: ignore[override]
        head, _, trigger = request.input.partition("!")
        for char in head:
            await context.write(DummyResponse(output=char))
        await answer(trigger, context)


STREAMERS = {"sync": SyncStreamer, "aio_yield": YieldStreamer, "aio_read_write": WriteStreamer}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_mid_server_stream(name: str, server: str) -> None:
    scenario = SCENARIOS[name]
    servicer = STREAMERS[server]()

    def register(grpc_server: Any) -> None:
        add_DummyServiceServicer_to_server(servicer, grpc_server)

    if server == "sync":
        channel = serve(register, [ExceptionToStatusInterceptor(**scenario.options)])
    else:
        channel = serve(register, [AsyncExceptionToStatusInterceptor(**scenario.options)], aio_server=True)
    with channel as grpc_channel:
        outcome = call(DummyServiceStub(grpc_channel), "unary_stream", f"abc!{scenario.trigger}")

    assert outcome.outputs == ["a", "b", "c"]
    assert outcome.code == scenario.code
    if scenario.details is not None:
        assert outcome.details == scenario.details


# --- construction ---------------------------------------------------------------------


@pytest.mark.parametrize("interceptor_class", [AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor])
def test_ok_is_refused(interceptor_class: type[Any]) -> None:
    with pytest.raises(ValueError, match="OK"):
        interceptor_class(grpc.StatusCode.OK)
    with pytest.raises(ValueError, match="OK"):
        interceptor_class(status_on_unknown_exception=grpc.StatusCode.OK)


@pytest.mark.parametrize("interceptor_class", [AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor])
def test_status_must_be_a_status_code(interceptor_class: type[Any]) -> None:
    with pytest.raises(TypeError, match="StatusCode"):
        interceptor_class(13)


# --- subclasses -----------------------------------------------------------------------

STYLES = ("aio_yield", "aio_read_write")


class MapsKeyError(AsyncExceptionToStatusInterceptor):
    """Maps KeyError to NOT_FOUND; leaves everything else to the base class."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, bool]] = []

    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext[Any, Any], method_name: str
    ) -> None:
        streaming_request = hasattr(request_or_iterator, "__aiter__")
        self.seen.append((type(ex).__name__, method_name, streaming_request))
        if isinstance(ex, KeyError):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"missing {ex.args[0]}")
        await super().handle_exception(ex, request_or_iterator, context, method_name)


def aio_kit_client(style: str, interceptor: Any, special_cases: dict[str, Any] | None = None) -> Any:
    return dummy_client(
        special_cases or TRIGGERS, [interceptor], aio_server=True, aio_read_write=style == "aio_read_write"
    )


@pytest.mark.parametrize("style", STYLES)
def test_overridden_handle_exception(kind: str, style: str) -> None:
    interceptor = MapsKeyError()
    special_cases = {**TRIGGERS, "key": raises(KeyError("key"))}
    with aio_kit_client(style, interceptor, special_cases) as stub:
        inputs, sent = inputs_and_sent(kind, "key")
        mapped = call(stub, kind, *inputs)
        inputs, _ = inputs_and_sent(kind, "notfound")
        by_base = call(stub, kind, *inputs)

    assert mapped == Outcome(sent, grpc.StatusCode.NOT_FOUND, "missing key")
    assert by_base == Outcome(sent, grpc.StatusCode.NOT_FOUND, "no such thing")
    streaming_request = kind.startswith("stream")
    method_name = SERVICE + METHODS[kind]
    assert interceptor.seen == [
        ("KeyError", method_name, streaming_request),
        ("NotFound", method_name, streaming_request),
    ]


def test_handle_exception_gets_the_request() -> None:
    requests: list[Any] = []

    class Records(AsyncExceptionToStatusInterceptor):
        async def handle_exception(
            self, ex: Exception, request_or_iterator: Any, context: Any, method_name: str
        ) -> None:
            requests.append(request_or_iterator)
            await super().handle_exception(ex, request_or_iterator, context, method_name)

    with aio_kit_client("aio_yield", Records()) as stub:
        assert call(stub, "unary_unary", "notfound").code == grpc.StatusCode.NOT_FOUND

    assert requests == [DummyRequest(input="notfound")]


class Returns(AsyncExceptionToStatusInterceptor):
    """A faulty override that returns instead of raising: the exception goes on."""

    async def handle_exception(self, ex: Exception, request_or_iterator: Any, context: Any, method_name: str) -> None:
        return None


@pytest.mark.parametrize("style", STYLES)
def test_handle_exception_that_returns_lets_the_exception_through(kind: str, style: str) -> None:
    with aio_kit_client(style, Returns(grpc.StatusCode.INTERNAL)) as stub:
        inputs, sent = inputs_and_sent(kind, "notfound")
        outcome = call(stub, kind, *inputs)

    # Neither NotFound's status nor status_on_unknown_exception: grpc's own UNKNOWN.
    assert outcome.outputs == sent
    assert outcome.code == grpc.StatusCode.UNKNOWN


class Legacy(AsyncExceptionToStatusInterceptor):
    """A 0.15.4-style subclass: overrides ``intercept`` and calls ``super().intercept``."""

    def __init__(self) -> None:
        super().__init__(grpc.StatusCode.INTERNAL)
        self.calls: list[str] = []

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        self.calls.append(method_name)
        return await super().intercept(method, request_or_iterator, context, method_name)


@pytest.mark.parametrize("style", STYLES)
def test_legacy_subclass_calling_super_intercept(kind: str, style: str) -> None:
    interceptor = Legacy()
    with aio_kit_client(style, interceptor) as stub:
        ok = call(stub, kind, *(["ab"] if kind.startswith("unary") else ["a", "b"]))
        inputs, sent = inputs_and_sent(kind, "notfound")
        not_found = call(stub, kind, *inputs)
        inputs, sent_before_crash = inputs_and_sent(kind, "crash")
        crash = call(stub, kind, *inputs)
        inputs, _ = inputs_and_sent(kind, "deny")
        denied = call(stub, kind, *inputs)

    expected_ok = ["a", "b"] if kind.endswith("_stream") else ["ab"]
    assert ok == Outcome(expected_ok)
    assert not_found == Outcome(sent, grpc.StatusCode.NOT_FOUND, "no such thing")
    assert crash == Outcome(sent_before_crash, grpc.StatusCode.INTERNAL, repr(RuntimeError("crash")))
    assert denied == Outcome(sent, grpc.StatusCode.PERMISSION_DENIED, "denied")
    assert interceptor.calls == [SERVICE + METHODS[kind]] * 4


class SkipsInit(AsyncExceptionToStatusInterceptor):
    """A subclass that never calls ``super().__init__()``: the defaults apply."""

    def __init__(self) -> None:
        self.created = True


@pytest.mark.parametrize("style", STYLES)
def test_subclass_without_super_init(kind: str, style: str) -> None:
    with aio_kit_client(style, SkipsInit()) as stub:
        inputs, sent = inputs_and_sent(kind, "notfound")
        not_found = call(stub, kind, *inputs)
        inputs, _ = inputs_and_sent(kind, "crash")
        crash = call(stub, kind, *inputs)

    assert not_found == Outcome(sent, grpc.StatusCode.NOT_FOUND, "no such thing")
    assert crash.code == grpc.StatusCode.UNKNOWN
