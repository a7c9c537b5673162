"""AsyncExceptionToStatusInterceptor: the semantics of the sync one, on grpc.aio.

Each scenario runs on a sync server with ExceptionToStatusInterceptor and on a grpc.aio
server with AsyncExceptionToStatusInterceptor, for the four RPC kinds and the three
handler styles of grpc.aio (``yield``: the testing kit's return/yield service;
``read_write``: its context.read() / context.write() service; ``def``: the sync service,
whose plain ``def`` handlers grpc.aio runs in a thread), and must give the client the
same, stated outcome.

The scenarios include exceptions whose status grpc cannot send as they hold it (an OK
code, details that are not UTF-8 or too long, a user's own ``error_details`` or
``trailing_metadata``, a ``repr`` that fails): each must end the RPC at once with a
defined code, never at the client's deadline.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import METHOD, TIMEOUT, Outcome, call

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, DummyService, dummy_client, raises, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)

SERVERS = ("sync", "aio_yield", "aio_read_write", "aio_def")

#: The documented bound of details, in bytes on the wire, and how cut details end.
MAX_DETAILS_SIZE = 2048
CUT_MARK = " ... (cut)"
SECRET = "password=hunter2"


def deny(text: str, context: Any) -> Any:
    """Abort with PERMISSION_DENIED: raises on a sync context, returns the coroutine on aio."""
    return context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")


class Teapot(GrpcException):
    """A user's own GrpcException with class-level status and details."""

    status_code = grpc.StatusCode.FAILED_PRECONDITION
    details = "I am a teapot"


class OkTeapot(GrpcException):
    """A user's mistake: a class-level code that is no error."""

    status_code = grpc.StatusCode.OK
    details = "I am an OK teapot"


def ok_after_construction(text: str, context: Any) -> str:
    error = NotFound("was not found")
    error.status_code = grpc.StatusCode.OK
    raise error


class BadRepr(Exception):
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")


class OwnMetadata(NotFound):
    """A user's own ``trailing_metadata`` attribute: a dict, which grpc does not take."""

    def __init__(self) -> None:
        super().__init__("no such user")
        self.trailing_metadata = {"user": "bob"}  # type: ignore[assignment]


class OwnErrorDetails(NotFound):
    """A user's own ``error_details`` attribute: strings, not protobuf messages."""

    def __init__(self) -> None:
        super().__init__("no such user")
        self.error_details = ["bob is not a user"]  # type: ignore[assignment]


class ShoutingMetadata(NotFound):
    """A metadata key grpc refuses: not lowercase."""

    trailing_metadata = (("Retry-After", "5"),)


def secret_after_set_code(text: str, context: Any) -> str:
    context.set_code(grpc.StatusCode.FAILED_PRECONDITION)
    raise ValueError(SECRET)


def object_details(text: str, context: Any) -> str:
    raise NotFound(ValueError("no such thing"))  # type: ignore[arg-type]  # stored as given, sent as its str


def bytes_details(text: str, context: Any) -> str:
    raise NotFound("café".encode())  # type: ignore[arg-type]  # sent decoded


HUGE = "x" * 200_000
#: 200,000 characters of two bytes each, percent-encoded as six: 339 fit with the mark.
HUGE_ACCENTED = "é" * 100_000


#: The failing input: what it does, and the class of status interceptor options.
TRIGGERS: dict[str, Callable[..., Any]] = {
    "notfound": raises(NotFound("no such thing")),
    "notfound_default": raises(NotFound()),
    "teapot": raises(Teapot()),
    "crash": raises(RuntimeError("crash")),
    "deny": deny,
    "ok_class": raises(OkTeapot()),
    "ok_later": ok_after_construction,
    "surrogate": raises(NotFound("no file " + os.fsdecode(b"caf\xe9"))),
    "object_details": object_details,
    "bytes_details": bytes_details,
    "bad_repr": raises(BadRepr()),
    "huge_repr": raises(ValueError(HUGE)),
    "huge_details": raises(NotFound(HUGE_ACCENTED)),
    "own_metadata": raises(OwnMetadata()),
    "own_error_details": raises(OwnErrorDetails()),
    "shouting": raises(ShoutingMetadata("no such thing")),
    "secret": secret_after_set_code,
}


@dataclass(frozen=True)
class Scenario:
    trigger: str
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str | None = None  # None: grpc's own text, which differs between servers


INTERNAL = {"status_on_unknown_exception": grpc.StatusCode.INTERNAL}
FIXED = {"status_on_unknown_exception": grpc.StatusCode.INTERNAL, "unknown_exception_details": "Internal error"}

SCENARIOS = {
    "grpc_exception": Scenario("notfound", {}, grpc.StatusCode.NOT_FOUND, "no such thing"),
    "default_details": Scenario(
        "notfound_default", {}, grpc.StatusCode.NOT_FOUND, "The requested entity was not found"
    ),
    "own_subclass": Scenario("teapot", {}, grpc.StatusCode.FAILED_PRECONDITION, "I am a teapot"),
    "grpc_exception_with_option": Scenario("notfound", INTERNAL, grpc.StatusCode.NOT_FOUND, "no such thing"),
    "unknown": Scenario("crash", {}, grpc.StatusCode.UNKNOWN),
    "status_on_unknown": Scenario("crash", INTERNAL, grpc.StatusCode.INTERNAL, repr(RuntimeError("crash"))),
    "unknown_details": Scenario(
        "crash",
        {"status_on_unknown_exception": grpc.StatusCode.UNAVAILABLE, "unknown_exception_details": "try later"},
        grpc.StatusCode.UNAVAILABLE,
        "try later",
    ),
    "abort": Scenario("deny", {}, grpc.StatusCode.PERMISSION_DENIED, "denied"),
    "abort_wins": Scenario("deny", INTERNAL, grpc.StatusCode.PERMISSION_DENIED, "denied"),
    "abort_wins_with_details": Scenario("deny", FIXED, grpc.StatusCode.PERMISSION_DENIED, "denied"),
    # Exceptions whose status cannot be sent as they hold it.
    "ok_class_attribute": Scenario("ok_class", {}, grpc.StatusCode.UNKNOWN, "I am an OK teapot"),
    "ok_after_construction": Scenario("ok_later", INTERNAL, grpc.StatusCode.UNKNOWN, "was not found"),
    "lone_surrogate": Scenario("surrogate", {}, grpc.StatusCode.NOT_FOUND, "no file caf?"),
    "object_details": Scenario("object_details", {}, grpc.StatusCode.NOT_FOUND, "no such thing"),
    "bytes_details": Scenario("bytes_details", {}, grpc.StatusCode.NOT_FOUND, "café"),
    "repr_fails": Scenario("bad_repr", INTERNAL, grpc.StatusCode.INTERNAL, "<BadRepr object whose repr() failed>"),
    "huge_repr": Scenario(
        "huge_repr",
        INTERNAL,
        grpc.StatusCode.INTERNAL,
        repr(ValueError(HUGE))[: MAX_DETAILS_SIZE - len(CUT_MARK)] + CUT_MARK,
    ),
    "huge_details": Scenario("huge_details", {}, grpc.StatusCode.NOT_FOUND, "é" * 339 + CUT_MARK),
    "own_metadata": Scenario("own_metadata", {}, grpc.StatusCode.NOT_FOUND, "no such user"),
    "own_error_details": Scenario("own_error_details", INTERNAL, grpc.StatusCode.NOT_FOUND, "no such user"),
    "uppercase_metadata_key": Scenario("shouting", {}, grpc.StatusCode.NOT_FOUND, "no such thing"),
    # A code set before an unexpected exception is kept; fixed details go with it.
    "set_code_kept": Scenario("secret", INTERNAL, grpc.StatusCode.FAILED_PRECONDITION),
    "set_code_fixed_details": Scenario("secret", FIXED, grpc.StatusCode.FAILED_PRECONDITION, "Internal error"),
}


def server_scenarios() -> list[tuple[str, str]]:
    # Every scenario on every server, plain ``def`` handlers of grpc.aio included: their
    # abort() goes through the sync view of the context they get, as without interceptors.
    return [(name, server) for name in SCENARIOS for server in SERVERS]


def inputs_and_sent(kind: str, trigger: str) -> tuple[tuple[str, ...], list[str]]:
    """The inputs of an RPC that fails on ``trigger``, and what the client gets before."""
    if kind in ("unary_unary", "unary_stream"):
        return (trigger,), []  # the kit runs the special case before the first message
    if kind == "stream_unary":
        return ("a", trigger, "c"), []
    return ("a", "b", trigger, "c"), ["a", "b"]  # mid-stream


@contextlib.contextmanager
def plain_def_client(interceptor: Any, special_cases: dict[str, Any]) -> Iterator[DummyServiceStub]:
    """The sync DummyService, whose handlers are plain ``def``s, on a grpc.aio server."""

    def register(server: Any) -> None:
        add_DummyServiceServicer_to_server(DummyService(special_cases), server)

    with serve(register, [interceptor], aio_server=True) as channel:
        yield DummyServiceStub(channel)


def kit_client(server: str, options: dict[str, Any], interceptor: Any = None) -> Any:
    if server == "sync":
        return dummy_client(TRIGGERS, [interceptor or ExceptionToStatusInterceptor(**options)])
    if server == "aio_def":
        return plain_def_client(interceptor or AsyncExceptionToStatusInterceptor(**options), TRIGGERS)
    return dummy_client(
        TRIGGERS,
        [interceptor or AsyncExceptionToStatusInterceptor(**options)],
        aio_server=True,
        aio_read_write=server == "aio_read_write",
    )


@pytest.mark.parametrize(("name", "server"), server_scenarios())
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
@pytest.mark.parametrize(
    ("trigger", "warning"),
    [
        ("ok_class", "OkTeapot has status_code <StatusCode.OK"),
        ("ok_later", "NotFound has status_code <StatusCode.OK"),
        ("own_metadata", "OwnMetadata: its trailing_metadata is not sent"),
        ("own_error_details", "OwnErrorDetails: its error_details are not sent"),
        ("shouting", "ShoutingMetadata: its trailing_metadata is not sent"),
    ],
)
def test_what_cannot_be_sent_is_logged(trigger: str, warning: str, server: str, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="grpc_interceptor.exceptions"), kit_client(server, {}) as stub:
        assert call(stub, "unary_unary", trigger).code != grpc.StatusCode.DEADLINE_EXCEEDED

    warnings = [record for record in caplog.records if record.name == "grpc_interceptor.exceptions"]
    assert len(warnings) == 1, caplog.text
    assert warnings[0].levelno == logging.WARNING
    assert warning in warnings[0].getMessage()


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


STREAMERS = {"sync": SyncStreamer, "aio_yield": YieldStreamer, "aio_read_write": WriteStreamer, "aio_def": SyncStreamer}


@pytest.mark.parametrize(("name", "server"), server_scenarios())
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
    method_name = METHOD[kind]
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
    assert interceptor.calls == [METHOD[kind]] * 4


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
