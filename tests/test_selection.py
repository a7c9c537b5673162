"""Method selection: one interceptor applied to some methods only, server and client, sync and aio.

The end-to-end tests serve two services on one server (see ``two_services``), make
every RPC once, and compare the methods the wrapped interceptor saw with the ones
the selector names; the RPCs themselves must succeed whether selected or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import INPUTS, KINDS, METHOD, call, echo
from google.protobuf.wrappers_pb2 import StringValue
from two_services import (
    OTHER_METHOD,
    RAW_BYTES,
    RAW_PLAIN,
    acall_dummy,
    acall_other,
    call_dummy,
    call_other,
    register,
)

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    MethodName,
    MethodSelector,
    SelectedAsyncClientInterceptor,
    SelectedAsyncServerInterceptor,
    SelectedClientInterceptor,
    SelectedServerInterceptor,
    ServerInterceptor,
    methods,
    parse_method_name,
    select,
    services,
    where,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, serve

DUMMY = "DummyService"
ALL_DUMMY = frozenset(METHOD.values())
ALL_OTHER = frozenset(OTHER_METHOD.values())
RAW = frozenset({RAW_PLAIN, RAW_BYTES})
EVERYTHING = ALL_DUMMY | ALL_OTHER | RAW


# --- Selectors on their own ----------------------------------------------------------


def test_methods_selects_full_names_only() -> None:
    selector = methods("/shop.Orders/Get", "/Plain/Call")
    assert selector.matches("/shop.Orders/Get")
    assert selector.matches("/Plain/Call")
    assert not selector.matches("/shop.Orders/Create")
    assert not selector.matches("/other.Orders/Get")
    assert selector(MethodName("shop", "Orders", "Get"))
    assert repr(selector) == "methods('/shop.Orders/Get', '/Plain/Call')"


def test_services_with_package_is_exact_and_without_package_is_any_package() -> None:
    qualified = services("shop.v1.Orders")
    assert qualified.matches("/shop.v1.Orders/Get")
    assert not qualified.matches("/shop.v2.Orders/Get")
    assert not qualified.matches("/Orders/Get")
    bare = services("Orders")
    assert bare.matches("/shop.v1.Orders/Get")
    assert bare.matches("/shop.v2.Orders/Get")
    assert bare.matches("/Orders/Get")
    assert not bare.matches("/shop.v1.OrdersAdmin/Get")
    # "v1.Orders" is a package "v1" and a service "Orders", not a suffix of "shop.v1.Orders".
    assert not services("v1.Orders").matches("/shop.v1.Orders/Get")


def test_where_gets_the_parsed_method_name() -> None:
    seen: list[MethodName] = []

    def reads(method: MethodName) -> bool:
        seen.append(method)
        return method.method.startswith("Get")

    selector = where(reads)
    assert selector.matches("/shop.Orders/GetOrder")
    assert not selector.matches("/shop.Orders/CreateOrder")
    assert seen == [MethodName("shop", "Orders", "GetOrder"), MethodName("shop", "Orders", "CreateOrder")]
    assert repr(selector) == "where(reads)"


def test_negation_and_combinations() -> None:
    health = services("grpc.health.v1.Health")
    not_health = ~health
    assert not not_health.matches("/grpc.health.v1.Health/Check")
    assert not_health.matches("/shop.Orders/Get")
    either = health | methods("/shop.Orders/Get")
    assert either.matches("/grpc.health.v1.Health/Watch")
    assert either.matches("/shop.Orders/Get")
    assert not either.matches("/shop.Orders/Create")
    both = services("shop.Orders") & where(lambda m: m.method != "Delete")
    assert both.matches("/shop.Orders/Get")
    assert not both.matches("/shop.Orders/Delete")
    assert not both.matches("/shop.Cart/Get")
    assert repr(~(health | both)) == (
        "~(services('grpc.health.v1.Health') | (services('shop.Orders') & where(<lambda>)))"
    )


@pytest.mark.parametrize("name", ["/a/b/c", "nonsense", "", "/Svc/"])
def test_unparseable_names_match_no_selector_but_match_its_negation(name: str) -> None:
    for selector in (methods("/Svc/M"), services("Svc", "a"), where(lambda m: True)):
        assert not selector.matches(name)
        assert (~selector).matches(name)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: methods("shop.Orders/Get"), "must start with '/' (did you mean '/shop.Orders/Get'?)"),
        (lambda: methods("shop.Orders"), "for a whole service, use services('shop.Orders')"),
        (lambda: methods("/shop.Orders/Get/x"), "expected '/package.Service/Method'"),
        (lambda: methods(), "needs at least one name"),
        (lambda: services("/shop.Orders/Get"), "use methods('/shop.Orders/Get') for one method"),
        (lambda: services("/shop.Orders"), "write it without '/': services('shop.Orders')"),
        (lambda: services(""), "expected 'package.Service' or 'Service'"),
        (lambda: services("shop..Orders"), "expected 'package.Service' or 'Service'"),
        (lambda: services(), "needs at least one name"),
    ],
)
def test_bad_names_are_refused_with_the_fix(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        make()
    assert message in str(raised.value)


def test_bad_argument_types_are_refused() -> None:
    names: Any = ["/a.B/C"]
    with pytest.raises(TypeError, match=r"unpack a collection: methods\(\*names\)"):
        methods(names)
    with pytest.raises(TypeError, match="takes names as str"):
        services(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="where"):
        where("Get")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"write services\('shop.Orders'\)"):
        select(Recorder([]), "shop.Orders")
    with pytest.raises(TypeError, match="takes a server or client interceptor"):
        select(object(), services("a.B"))
    with pytest.raises(TypeError):
        services("a.B") | "a.C"  # type: ignore[operator]


# --- Interceptors that note the methods they run for ----------------------------------


class Recorder(ServerInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        self.log.append(method_name)
        return method(request_or_iterator, context)


class AsyncRecorder(AsyncServerInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        self.log.append(method_name)
        return method(request_or_iterator, context)


class ClientRecorder(ClientInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, call_details: grpc.ClientCallDetails, /) -> Any:
        self.log.append(call_details.method)
        return method(request_or_iterator, call_details)


class AsyncClientRecorder(AsyncClientInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any, /) -> Any:
        self.log.append(call_details.method)
        return await method(request_or_iterator, call_details)


def every_rpc(channel: grpc.Channel) -> None:
    for kind in KINDS:
        assert call_dummy(channel, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
        assert call_other(channel, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
    plain = channel.unary_unary(
        RAW_PLAIN, request_serializer=StringValue.SerializeToString, response_deserializer=StringValue.FromString
    )
    assert plain(StringValue(value="p"), timeout=10) == StringValue(value="p")
    assert channel.unary_unary(RAW_BYTES)(b"raw", timeout=10) == b"raw"


async def every_aio_rpc(channel: grpc.aio.Channel) -> None:
    for kind in KINDS:
        assert (await acall_dummy(channel, kind, *INPUTS[kind])).outputs == echo(kind, *INPUTS[kind])
        assert (await acall_other(channel, kind, *INPUTS[kind])).outputs == echo(kind, *INPUTS[kind])


#: (id, selector, methods selected among EVERYTHING)
SELECTORS: list[tuple[str, Any, frozenset[str]]] = [
    (
        "full method names",
        methods(METHOD["unary_unary"], OTHER_METHOD["stream_stream"]),
        frozenset({METHOD["unary_unary"], OTHER_METHOD["stream_stream"]}),
    ),
    ("service with package", services("other.Other"), ALL_OTHER),
    ("service in no package", services(DUMMY), ALL_DUMMY),
    ("service without package", services("Other"), ALL_OTHER),
    ("two services", services("DummyService", "raw.Raw"), ALL_DUMMY | RAW),
    ("predicate", where(lambda m: m.method.startswith("Execute")), ALL_DUMMY),
    ("plain function", lambda m: m.package == "other", ALL_OTHER),
    ("everything except", ~services("other.Other", "raw.Raw"), ALL_DUMMY),
    (
        "combined",
        services(DUMMY, "other.Other") & ~where(lambda m: "Stream" in m.method or m.method == "Chat"),
        frozenset({METHOD["unary_unary"], *(OTHER_METHOD[k] for k in ("unary_unary", "unary_stream", "stream_unary"))}),
    ),
]
SELECTOR_IDS = [case[0] for case in SELECTORS]
SELECTOR_CASES = [case[1:] for case in SELECTORS]


@pytest.mark.parametrize(("selector", "expected"), SELECTOR_CASES, ids=SELECTOR_IDS)
def test_sync_server(selector: Any, expected: frozenset[str]) -> None:
    log: list[str] = []
    selected = select(Recorder(log), selector)
    assert isinstance(selected, SelectedServerInterceptor)
    with serve(register(False), [selected]) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(expected)


@pytest.mark.parametrize(("selector", "expected"), SELECTOR_CASES, ids=SELECTOR_IDS)
def test_aio_server(selector: Any, expected: frozenset[str]) -> None:
    log: list[str] = []
    selected = select(AsyncRecorder(log), selector)
    assert isinstance(selected, SelectedAsyncServerInterceptor)
    with serve(register(True), [selected], aio_server=True) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(expected)


@pytest.mark.parametrize(("selector", "expected"), SELECTOR_CASES, ids=SELECTOR_IDS)
def test_sync_client(selector: Any, expected: frozenset[str]) -> None:
    log: list[str] = []
    selected = select(ClientRecorder(log), selector)
    assert isinstance(selected, SelectedClientInterceptor)
    with serve(register(False), client_interceptors=[selected]) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(expected)


@pytest.mark.parametrize(("selector", "expected"), SELECTOR_CASES, ids=SELECTOR_IDS)
async def test_aio_client(selector: Any, expected: frozenset[str]) -> None:
    log: list[str] = []
    selected = select(AsyncClientRecorder(log), selector)
    assert isinstance(selected, SelectedAsyncClientInterceptor)
    async with serve(register(True), client_interceptors=[selected], aio_server=True, aio_client=True) as channel:
        await every_aio_rpc(channel)
    assert sorted(log) == sorted(expected - RAW)


# --- Decided once per method ------------------------------------------------------------


@pytest.mark.parametrize("side", ["server", "client"])
def test_the_selector_runs_once_per_method(side: str) -> None:
    asked: list[str] = []

    def dummy_only(method: MethodName) -> bool:
        asked.append(method.method)
        return method.service == "DummyService"

    log: list[str] = []
    if side == "server":
        context = serve(register(False), [select(Recorder(log), dummy_only)])
    else:
        context = serve(register(False), client_interceptors=[select(ClientRecorder(log), dummy_only)])
    with context as channel:
        for _ in range(3):
            call_dummy(channel, "unary_unary", "x")
            call_other(channel, "unary_unary", "x")
    assert sorted(asked) == ["Echo", "Execute"]
    assert log == [METHOD["unary_unary"]] * 3


# --- Selection and the rest of the library ----------------------------------------------


class DummyRecorder(ServerInterceptor[DummyRequest, DummyResponse]):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        self.log.append(method_name)
        return method(request_or_iterator, context)


def test_a_typed_interceptor_stays_typed_behind_a_selector() -> None:
    log: list[str] = []
    # The selector lets other.Other through, the message types do not.
    with serve(register(False), [select(DummyRecorder(log), ~services("raw.Raw"))]) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(ALL_DUMMY)


def test_an_async_interceptor_stays_async() -> None:
    with pytest.raises(TypeError, match="AsyncServerInterceptor, but the server is sync"):
        dummy_client(interceptors=[select(AsyncRecorder([]), services(DUMMY))])  # type: ignore[list-item]


def test_a_chain_of_selected_interceptors_keeps_its_order() -> None:
    log: list[str] = []

    class Named(ServerInterceptor):
        def __init__(self, name: str) -> None:
            self.name = name

        def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
            log.append(self.name)
            return method(request_or_iterator, context)

    interceptors = [
        select(Named("A"), services(DUMMY)),
        select(Named("B"), services("other.Other")),
        select(Named("C"), ~services("raw.Raw")),
    ]
    with serve(register(False), interceptors) as channel:
        call_dummy(channel, "unary_unary", "x")
        log.append("|")
        call_other(channel, "unary_unary", "x")
    assert log == ["A", "C", "|", "B", "C"]


# --- grpc's own interceptor classes -----------------------------------------------------


class RawServer(grpc.ServerInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
        self.log.append(handler_call_details.method)
        return continuation(handler_call_details)


class RawAioServer(grpc.aio.ServerInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
        self.log.append(handler_call_details.method)
        return await continuation(handler_call_details)


class RawUnaryClient(grpc.UnaryUnaryClientInterceptor):
    """A grpc client interceptor for the unary-unary kind only."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        self.log.append(client_call_details.method)
        return continuation(client_call_details, request)


class RawAioStreamClient(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        self.log.append(client_call_details.method.decode())
        return await continuation(client_call_details, request)


def test_grpc_server_interceptors() -> None:
    log: list[str] = []
    with serve(register(False), [select(RawServer(log), services("other.Other"))]) as channel:
        every_rpc(channel)
    assert sorted(log) == sorted(ALL_OTHER)
    aio_log: list[str] = []
    with serve(register(True), [select(RawAioServer(aio_log), ~services("Other"))], aio_server=True) as channel:
        every_rpc(channel)
    assert sorted(aio_log) == sorted(ALL_DUMMY | RAW)


def test_grpc_client_interceptor_of_one_kind() -> None:
    log: list[str] = []
    selected = select(RawUnaryClient(log), services(DUMMY, "raw.Raw"))
    with serve(register(False), client_interceptors=[selected]) as channel:
        every_rpc(channel)
    # Its only kind is unary-unary; the other kinds go on without it, as grpc would do.
    assert sorted(log) == sorted({METHOD["unary_unary"], RAW_PLAIN, RAW_BYTES})


async def test_grpc_aio_client_interceptor() -> None:
    server = grpc.aio.server()
    register(True)(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    log: list[str] = []
    selected = select(RawAioStreamClient(log), services(DUMMY))
    assert isinstance(selected, grpc.aio.UnaryStreamClientInterceptor)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=[selected]) as channel:
            await every_aio_rpc(channel)
    finally:
        await server.stop(None)
    assert log == [METHOD["unary_stream"]]


def test_repr_shows_the_interceptor_and_the_selector() -> None:
    selected = select(RawServer([]), ~services("a.B"))
    assert repr(selected).startswith("select(<")
    assert repr(selected).endswith(", ~services('a.B'))")
    assert isinstance(selected.selector, MethodSelector)
    assert selected.selector(parse_method_name("/x.Y/Z"))


# --- A selector that fails, fails closed ---------------------------------------------------


class Deny(ServerInterceptor):
    """A guard: refuses every RPC it runs for."""

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")


class AsyncDeny(AsyncServerInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")


def _lookup_fails(method: MethodName) -> bool:
    return {"other.Other": True}[method.fully_qualified_service]  # KeyError for DummyService


SELECTOR_LOGGER = "grpc_interceptor.selection"


@pytest.mark.parametrize("negated", [False, True], ids=["where", "~where"])
@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_raising_predicate_selects_and_is_logged_once(
    aio: bool, negated: bool, caplog: pytest.LogCaptureFixture
) -> None:
    selector = ~where(_lookup_fails) if negated else where(_lookup_fails)
    guard = select(AsyncDeny() if aio else Deny(), selector)
    caplog.set_level("ERROR", logger=SELECTOR_LOGGER)
    with dummy_client(special_cases={}, interceptors=[guard], aio_server=aio) as client:
        outcomes = [call(client, kind, *INPUTS[kind]) for kind in KINDS for _ in range(3)]
    # Whatever the selector would have said, it failed: the guard runs, for every kind.
    assert {(o.code, o.details) for o in outcomes} == {(grpc.StatusCode.PERMISSION_DENIED, "denied")}
    records = [r for r in caplog.records if r.name == SELECTOR_LOGGER]
    assert sorted(r.getMessage().split(" raised for ")[1].split(",")[0] for r in records) == sorted(METHOD.values())
    for record in records:
        assert "the interceptor runs for it" in record.getMessage()
        assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_a_raising_predicate_reaches_an_aio_client_as_the_guards_status() -> None:
    guard = select(AsyncDeny(), where(_lookup_fails))
    async with dummy_client(special_cases={}, interceptors=[guard], aio_server=True, aio_client=True) as client:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await client.Execute(DummyRequest(input="x"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "KeyError" not in str(raised.value.details())


def test_a_raising_predicate_selects_on_a_client_too(caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    caplog.set_level("ERROR", logger=SELECTOR_LOGGER)
    with dummy_client({}, client_interceptors=[select(ClientRecorder(log), ~where(_lookup_fails))]) as client:
        for _ in range(2):
            assert call(client, "unary_unary", "x").outputs == ["x"]
    assert log == [METHOD["unary_unary"]] * 2
    assert len([r for r in caplog.records if r.name == SELECTOR_LOGGER]) == 1


# --- No spelling of a method name gets around a selector ------------------------------------

#: The method of each kind the loose router serves, under the service "x.Svc".
LOOSE = {"unary_unary": "M", "unary_stream": "S", "stream_unary": "C", "stream_stream": "B"}
SPELLINGS = ["/x.Svc/{m}/", "//x.Svc/{m}", "/x.Svc//{m}", "x.Svc/{m}", "/x.Svc/{m}//", "/./x.Svc/{m}"]


class LooseRouter(grpc.GenericRpcHandler):
    """Routes on the non-empty parts of the path, as a hand-written router might."""

    def __init__(self, aio: bool, ran: list[str]) -> None:
        self.ran = ran

        def note(method: str, answer: Any) -> Any:
            if aio and method in ("S", "B"):

                async def stream(request: Any, context: Any) -> Any:
                    self.ran.append(method)
                    yield answer

                return stream
            if aio:

                async def unary(request: Any, context: Any) -> Any:
                    self.ran.append(method)
                    return answer

                return unary

            def sync(request: Any, context: Any) -> Any:
                self.ran.append(method)
                return iter([answer]) if method in ("S", "B") else answer

            return sync

        self.handlers = {
            "M": grpc.unary_unary_rpc_method_handler(note("M", b"m")),
            "S": grpc.unary_stream_rpc_method_handler(note("S", b"s")),
            "C": grpc.stream_unary_rpc_method_handler(note("C", b"c")),
            "B": grpc.stream_stream_rpc_method_handler(note("B", b"b")),
        }

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> Any:
        method = handler_call_details.method
        name = method.decode() if isinstance(method, bytes) else method
        parts = [part for part in name.split("/") if part not in ("", ".")]
        if len(parts) == 2 and parts[0] == "x.Svc":
            return self.handlers.get(parts[1])
        return None


def _raw_call(channel: grpc.Channel, kind: str, name: str) -> tuple[grpc.StatusCode, str]:
    method = getattr(channel, kind)(name)
    try:
        result = method(b"q" if kind.startswith("unary") else iter([b"q"]), timeout=10)
        if kind.endswith("stream"):
            list(result)
    except grpc.RpcError as error:
        failed: Any = error
        return failed.code(), failed.details()
    return grpc.StatusCode.OK, ""


GUARDING_SELECTORS = [
    services("x.Svc"),
    services("Svc"),
    methods(*(f"/x.Svc/{m}" for m in LOOSE.values())),
    where(lambda m: m.service == "Svc"),
    ~services("grpc.health.v1.Health"),
]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
@pytest.mark.parametrize("selector", GUARDING_SELECTORS, ids=repr)
def test_a_loosely_routed_spelling_never_gets_past_the_guard(aio: bool, selector: MethodSelector) -> None:
    ran: list[str] = []
    guard = select(AsyncDeny() if aio else Deny(), selector)
    with serve(
        lambda server: server.add_generic_rpc_handlers((LooseRouter(aio, ran),)), [guard], aio_server=aio
    ) as channel:
        for kind, method in LOOSE.items():
            # The canonical name: the guard runs.
            assert _raw_call(channel, kind, f"/x.Svc/{method}") == (grpc.StatusCode.PERMISSION_DENIED, "denied")
            for spelling in SPELLINGS:
                name = spelling.format(m=method)
                code, details = _raw_call(channel, kind, name)
                # Refused as a malformed name, as grpc answers a method it does not know.
                assert code == grpc.StatusCode.UNIMPLEMENTED, (kind, name, code, details)
                assert details.startswith("malformed method name:"), details
    assert ran == []  # no spelling reached the service


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_malformed_name_inside_a_chain_still_meets_the_guard(aio: bool) -> None:
    from grpc_interceptor import chain

    ran: list[str] = []
    guard = chain(select(AsyncDeny() if aio else Deny(), services("x.Svc")))
    with serve(
        lambda server: server.add_generic_rpc_handlers((LooseRouter(aio, ran),)), [guard], aio_server=aio
    ) as channel:
        assert _raw_call(channel, "unary_unary", "/x.Svc/M") == (grpc.StatusCode.PERMISSION_DENIED, "denied")
        for spelling in SPELLINGS:
            code, details = _raw_call(channel, "unary_unary", spelling.format(m="M"))
            # Refused as without the chain: the selection inside it decides once per method.
            assert code == grpc.StatusCode.UNIMPLEMENTED, (spelling, code, details)
            assert details.startswith("malformed method name:"), details
    assert ran == []


def test_the_selectors_themselves_still_match_no_malformed_name() -> None:
    """The refusal belongs to select() on a server; a selector stays a plain predicate."""
    for spelling in SPELLINGS:
        name = spelling.format(m="M")
        assert not services("x.Svc").matches(name)
        assert (~services("x.Svc")).matches(name)
