"""Typed means enforced: a server interceptor runs only where its message classes may fit.

Every test serves two services on one server (see ``two_services``), sync and grpc.aio,
makes every RPC once, and checks which methods each interceptor saw: a *known*
mismatch passes through, an unknown class is intercepted, ``Any`` intercepts all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, Union

import grpc
import pytest
from conftest import INPUTS, KINDS, METHOD, call, echo
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import Int32Value, StringValue
from two_services import OTHER_METHOD, RAW_BYTES, RAW_PLAIN, call_dummy, call_other, register

import grpc_interceptor.server
from grpc_interceptor import AsyncServerInterceptor, ExceptionToStatusInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, serve

ReqT = TypeVar("ReqT")
RespT = TypeVar("RespT")

SERVER_LOGGER = "grpc_interceptor.server"
ALL_DUMMY = frozenset(METHOD.values())
ALL_OTHER = frozenset(OTHER_METHOD.values())
EVERYTHING = ALL_DUMMY | ALL_OTHER | {RAW_PLAIN, RAW_BYTES}


class Recorder(ServerInterceptor[ReqT, RespT]):
    """Notes the name of every method it runs for. Generic, its parameters left open."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        self.log.append(method_name)
        return method(request_or_iterator, context)


class AsyncRecorder(AsyncServerInterceptor[ReqT, RespT]):
    """The grpc.aio twin of :class:`Recorder`."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        self.log.append(method_name)
        return method(request_or_iterator, context)


# A user's concrete subclasses of their own generic interceptor.
class DummyRecorder(Recorder[DummyRequest, DummyResponse]):
    pass


class AsyncDummyRecorder(AsyncRecorder[DummyRequest, DummyResponse]):
    pass


class HasValue(Protocol):
    value: str


#: (id, the type arguments, or "dummy subclass" for the concrete subclass; methods seen)
CASES: list[tuple[str, Any, frozenset[str]]] = [
    ("left open", None, EVERYTHING),
    ("Any", (Any, Any), EVERYTHING),
    ("object", (object, object), EVERYTHING),
    # Every protobuf message class derives from Message; raw bytes do not.
    ("Message base class", (Message, Message), ALL_DUMMY | ALL_OTHER | {RAW_PLAIN}),
    ("own service", (DummyRequest, DummyResponse), ALL_DUMMY | {RAW_PLAIN}),
    ("concrete subclass", "dummy subclass", ALL_DUMMY | {RAW_PLAIN}),
    ("well-known types", (StringValue, StringValue), ALL_OTHER | {RAW_PLAIN}),
    ("union", (DummyRequest | StringValue, DummyResponse | StringValue), ALL_DUMMY | ALL_OTHER | {RAW_PLAIN}),
    ("typing.Union", (Union[DummyRequest, Int32Value], Any), ALL_DUMMY | {RAW_PLAIN}),  # noqa: UP007
    ("union without a match", (Int32Value | bytearray, Any), frozenset({RAW_PLAIN})),
    ("raw bytes", (bytes, bytes), frozenset({RAW_PLAIN, RAW_BYTES})),
    # Not runtime-checkable: no class can be tested against it, so every RPC is intercepted.
    ("Protocol", (HasValue, Any), EVERYTHING),
]


def make(aio: bool, arguments: Any, log: list[str]) -> Any:
    if arguments == "dummy subclass":
        return (AsyncDummyRecorder if aio else DummyRecorder)(log)
    base: Any = AsyncRecorder if aio else Recorder
    return base(log) if arguments is None else base[arguments](log)


def every_rpc(channel: grpc.Channel) -> None:
    for kind in KINDS:
        assert call_dummy(channel, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
        assert call_other(channel, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
    plain = channel.unary_unary(
        RAW_PLAIN, request_serializer=StringValue.SerializeToString, response_deserializer=StringValue.FromString
    )
    assert plain(StringValue(value="p"), timeout=10) == StringValue(value="p")
    assert channel.unary_unary(RAW_BYTES)(b"raw", timeout=10) == b"raw"


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
@pytest.mark.parametrize(("arguments", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_interceptor_runs_only_where_its_classes_may_fit(
    aio: bool, arguments: Any, expected: frozenset[str], caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    interceptor = make(aio, arguments, log)
    with serve(register(aio), [interceptor], aio_server=aio) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(expected)
    # Another service's methods pass by in silence: nothing is wrong with them.
    assert [r.getMessage() for r in caplog.records if r.name == SERVER_LOGGER] == []


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_parametrised_instance_and_subclass_agree(aio: bool) -> None:
    by_alias: list[str] = []
    by_subclass: list[str] = []
    base: Any = AsyncRecorder if aio else Recorder
    subclass = AsyncDummyRecorder if aio else DummyRecorder
    interceptors = [base[DummyRequest, DummyResponse](by_alias), subclass(by_subclass)]
    with serve(register(aio), interceptors, aio_server=aio) as channel:
        every_rpc(channel)
    assert sorted(by_alias) == sorted(by_subclass) == sorted(ALL_DUMMY | {RAW_PLAIN})


# --- The consequence: a typed auth interceptor guards only its own service ------------


class DummyAuth(ServerInterceptor[DummyRequest, DummyResponse]):
    def intercept(
        self, method: Any, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")


class AnyAuth(ServerInterceptor):
    def intercept(
        self, method: Any, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")


class AsyncDummyAuth(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_typed_auth_guards_only_its_own_service(aio: bool) -> None:
    auth: Any = AsyncDummyAuth() if aio else DummyAuth()
    with serve(register(aio), [auth], aio_server=aio) as channel:
        assert call_dummy(channel, "unary_unary", "x").code == grpc.StatusCode.UNAUTHENTICATED
        # The other service's messages are no DummyRequest: the guard does not run there.
        assert call_other(channel, "unary_unary", "x").outputs == ["x"]


def test_untyped_auth_guards_every_service() -> None:
    with serve(register(False), [AnyAuth()]) as channel:
        for kind in KINDS:
            assert call_dummy(channel, kind, *INPUTS[kind]).code == grpc.StatusCode.UNAUTHENTICATED
            assert call_other(channel, kind, *INPUTS[kind]).code == grpc.StatusCode.UNAUTHENTICATED


def test_typed_status_interceptor_maps_only_its_own_service() -> None:
    def register_failing(server: Any) -> None:
        register(False)(server)

        def fail(request: Any, context: Any) -> Any:
            raise NotFound("nothing here")

        server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "fail.Fail",
                    {
                        "Get": grpc.unary_unary_rpc_method_handler(
                            fail,
                            request_deserializer=StringValue.FromString,
                            response_serializer=StringValue.SerializeToString,
                        )
                    },
                ),
            )
        )

    typed = ExceptionToStatusInterceptor[DummyRequest, DummyResponse]()
    with serve(register_failing, [typed]) as channel:
        call_dummy(channel, "unary_unary", "x")  # it runs for its own service (else the kit fails the test)
        get = channel.unary_unary(
            "/fail.Fail/Get",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
        with pytest.raises(grpc.RpcError) as raised:
            get(StringValue(value="x"), timeout=10)
    failed: Any = raised.value
    # Not mapped to NOT_FOUND: the interceptor does not run for StringValue messages.
    assert failed.code() == grpc.StatusCode.UNKNOWN


# --- What cannot be known is intercepted ------------------------------------------------


class Codec:
    """A codec whose classmethod is bound to a class that is no message class."""

    @classmethod
    def decode(cls, data: bytes) -> StringValue:
        return StringValue.FromString(data)


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_codec_classmethod_does_not_pass_for_the_request_class(aio: bool) -> None:
    async def aecho(request: StringValue, context: Any) -> StringValue:
        return request

    def register_codec(server: Any) -> None:
        handler = grpc.unary_unary_rpc_method_handler(
            aecho if aio else (lambda request, context: request),
            request_deserializer=Codec.decode,
            response_serializer=StringValue.SerializeToString,
        )
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("codec.Codec", {"Get": handler}),))

    log: list[str] = []
    interceptor = make(aio, (DummyRequest, DummyResponse), log)
    with serve(register_codec, [interceptor], aio_server=aio) as channel:
        get = channel.unary_unary(
            "/codec.Codec/Get",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
        assert get(StringValue(value="c"), timeout=10) == StringValue(value="c")
    assert log == ["/codec.Codec/Get"]


# --- Decided once per method --------------------------------------------------------------


def test_the_match_is_decided_once_per_method(monkeypatch: pytest.MonkeyPatch) -> None:
    decided: list[str] = []
    real: Callable[..., Any] = grpc_interceptor.server.match

    def counting(interceptor: object, base: type, handler: Any, method_name: str) -> Any:
        decided.append(method_name)
        return real(interceptor, base, handler, method_name)

    monkeypatch.setattr(grpc_interceptor.server, "match", counting)
    log: list[str] = []
    with serve(register(False), [Recorder[DummyRequest, DummyResponse](log)]) as channel:
        for _ in range(3):
            call_dummy(channel, "unary_unary", "x")
            call_other(channel, "unary_unary", "x")
    assert sorted(decided) == sorted([METHOD["unary_unary"], OTHER_METHOD["unary_unary"]])
    assert log == [METHOD["unary_unary"]] * 3


# --- A typed interceptor that can never run for a method is a mistake, and loud ----------------

REFUSED = "a server interceptor is typed for other messages than this method's (the server's log says which)"


def _outcomes(channel: grpc.Channel, calls: Callable[..., Any], times: int = 3) -> set[tuple[Any, ...]]:
    return {
        (kind, outcome.code, outcome.details, tuple(outcome.outputs))
        for kind in KINDS
        for outcome in [calls(channel, kind, *INPUTS[kind]) for _ in range(times)]
    }


def _refused() -> set[tuple[Any, ...]]:
    return {(kind, grpc.StatusCode.INTERNAL, REFUSED, ()) for kind in KINDS}


def _echoed() -> set[tuple[Any, ...]]:
    return {(kind, grpc.StatusCode.OK, None, tuple(echo(kind, *INPUTS[kind]))) for kind in KINDS}


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SERVER_LOGGER and r.levelname == "ERROR"]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_swapped_type_arguments_refuse_the_methods_they_were_meant_for(
    aio: bool, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[str] = []
    swapped = make(aio, (DummyResponse, DummyRequest), log)
    with serve(register(aio), [swapped], aio_server=aio) as channel:
        dummy = _outcomes(channel, call_dummy)
        other = _outcomes(channel, call_other)
        plain = channel.unary_unary(
            RAW_PLAIN, request_serializer=StringValue.SerializeToString, response_deserializer=StringValue.FromString
        )
        assert plain(StringValue(value="p"), timeout=10) == StringValue(value="p")
    assert dummy == _refused()  # every kind, every time: never let through unintercepted
    assert other == _echoed()  # another service: silent
    assert log == [RAW_PLAIN]  # classes that cannot be known: intercepted, as always
    messages = _logged(caplog)
    assert len(messages) == len(KINDS)  # once per method, not once per RPC
    for kind in KINDS:
        (message,) = [m for m in messages if f"but {METHOD[kind]} takes" in m]
        assert "typed " in message and "[DummyResponse, DummyRequest]" in message
        assert "takes DummyRequest, returns DummyResponse" in message
        assert "its type arguments are swapped" in message
        assert "select(interceptor, services(" in message


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_partial_match_is_refused_on_both_sides(aio: bool, caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    # DummyService's requests, other.Other's responses: neither service can be meant.
    partial = make(aio, (DummyRequest, StringValue), log)
    with serve(register(aio), [partial], aio_server=aio) as channel:
        dummy = _outcomes(channel, call_dummy, times=2)
        other = _outcomes(channel, call_other, times=2)
        plain = channel.unary_unary(
            RAW_PLAIN, request_serializer=StringValue.SerializeToString, response_deserializer=StringValue.FromString
        )
        assert plain(StringValue(value="p"), timeout=10) == StringValue(value="p")
    assert dummy == _refused()
    assert other == _refused()
    assert log == [RAW_PLAIN]  # classes that cannot be known: intercepted, as always
    messages = _logged(caplog)
    assert len(messages) == 2 * len(KINDS)
    assert sum("only its request type matches" in m for m in messages) == len(KINDS)  # DummyService
    # other.Other's response class cannot be known; its request class is the response type.
    assert sum("its response type matches the method's request class" in m for m in messages) == len(KINDS)


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_swapped_auth_interceptor_lets_nothing_through(aio: bool) -> None:
    class Auth(ServerInterceptor[DummyResponse, DummyRequest]):
        def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")

    class AsyncAuth(AsyncServerInterceptor[DummyResponse, DummyRequest]):
        async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")

    reached: list[str] = []

    def spy(text: str, context: Any) -> str:
        reached.append(text)
        return text

    with pytest.raises(AssertionError, match="ran for none of the 4 methods"):  # the kit says so too
        with dummy_client({"secret": spy}, [AsyncAuth() if aio else Auth()], aio_server=aio) as client:
            for kind in KINDS:
                inputs = ("secret",) if kind.startswith("unary") else ("secret", "secret")
                assert call(client, kind, *inputs).code == grpc.StatusCode.INTERNAL
    assert reached == []


def test_the_mistake_is_decided_once_per_method_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    swapped = Recorder[DummyResponse, DummyRequest]([])
    for _ in range(2):  # two servers, handlers made anew: decided (and logged) again for each
        with pytest.raises(AssertionError, match="ran for none of the 1 methods"):
            with serve(register(False), [swapped]) as channel:
                for _ in range(5):
                    assert call_dummy(channel, "unary_unary", "x").code == grpc.StatusCode.INTERNAL
    assert len(_logged(caplog)) == 2


# --- The testing kit fails a test whose typed interceptor ran for nothing ------------------------


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_the_kit_fails_a_test_whose_typed_interceptor_ran_for_no_method(aio: bool) -> None:
    log: list[str] = []
    for_another_service = make(aio, (StringValue, StringValue), log)
    with pytest.raises(AssertionError) as raised:
        with dummy_client({}, [for_another_service], aio_server=aio) as client:
            for kind in KINDS:
                assert call(client, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
    message = str(raised.value)
    assert message.startswith(f"{type(for_another_service).__name__} is typed ")
    assert "[StringValue, StringValue] but ran for none of the 4 methods this test called" in message
    assert f"{METHOD['unary_unary']} (takes DummyRequest, returns DummyResponse)" in message
    assert "leave the type arguments out to run for every method" in message
    assert log == []


def test_the_kit_looks_behind_select_and_chain() -> None:
    from grpc_interceptor import chain, select, services

    hidden = Recorder[StringValue, StringValue]([])
    for wrapped in (select(hidden, services("DummyService")), chain(ExceptionToStatusInterceptor(), hidden)):
        with pytest.raises(AssertionError, match="Recorder is typed ServerInterceptor"):
            with dummy_client({}, [wrapped]) as client:
                call(client, "unary_unary", "x")


def test_the_kit_is_content_when_the_interceptor_ran_for_one_method_or_none_was_called() -> None:
    log: list[str] = []
    typed = Recorder[StringValue, StringValue](log)
    with serve(register(False), [typed]) as channel:
        call_dummy(channel, "unary_unary", "x")
        call_other(channel, "unary_unary", "x")
    with serve(register(False), [typed]):
        pass
    assert log == [OTHER_METHOD["unary_unary"]]


def test_the_kit_leaves_a_failing_test_its_own_error() -> None:
    with pytest.raises(ZeroDivisionError):
        with dummy_client({}, [Recorder[StringValue, StringValue]([])]) as client:
            call(client, "unary_unary", "x")
            1 / 0  # noqa: B018
