"""Authentication on real servers: it fails closed for every kind, and the identity reaches the handler."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import KINDS

from grpc_interceptor import select, services
from grpc_interceptor.auth import AsyncAuthInterceptor, AuthInterceptor
from grpc_interceptor.exceptions import NotFound, PermissionDenied, Unauthenticated
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)

SERVERS = ["sync", "aio"]
USERS = {"t-ada": "ada", "t-bob": "bob"}


def verify(token: str, method_name: str) -> str | None:
    if token == "t-bob" and method_name.endswith("/ExecuteClientServerStream"):
        raise PermissionDenied("bob may not stream both ways")
    if token == "t-boom":
        raise RuntimeError("database password is hunter2")
    if token == "t-revoked":
        raise Unauthenticated("token revoked on 2026-11-30")
    if token == "t-coroutine":
        return asyncio.sleep(0)  # type: ignore[return-value]  # a mistake: an awaitable from a plain def
    return USERS.get(token)


async def averify(token: str, method_name: str) -> str | None:
    await asyncio.sleep(0)
    return verify(token, method_name)


class Handled:
    """Special cases: "who" answers with the identity, and every call is counted."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()
        self.auth: Any = None

    def special_cases(self) -> dict[str, Any]:
        def who(text: str, context: Any) -> str:
            with self.lock:
                self.calls += 1
            return str(self.auth.identity())

        return {"who": who}


def auth_for(server: str, function: Callable[..., Any] | None = None, **options: Any) -> Any:
    if server == "sync":
        return AuthInterceptor(function or verify, **options)
    return AsyncAuthInterceptor(function or averify, **options)


def client_for(server: str, handled: Handled, auth: Any) -> Any:
    handled.auth = auth
    return dummy_client(special_cases=handled.special_cases(), interceptors=[auth], aio_server=server == "aio")


def call_with(client: Any, kind: str, metadata: list[tuple[str, str]] | None) -> tuple[grpc.StatusCode, str, list[str]]:
    """One RPC of ``kind`` with input "who": (code, details, outputs)."""
    request = DummyRequest(input="who")
    outputs: list[str] = []
    try:
        if kind == "unary_unary":
            outputs.append(client.Execute(request, metadata=metadata, timeout=10).output)
        elif kind == "unary_stream":
            outputs += [r.output for r in client.ExecuteServerStream(request, metadata=metadata, timeout=10)]
        elif kind == "stream_unary":
            outputs.append(client.ExecuteClientStream(iter([request]), metadata=metadata, timeout=10).output)
        else:
            stream = client.ExecuteClientServerStream(iter([request]), metadata=metadata, timeout=10)
            outputs += [r.output for r in stream]
    except grpc.RpcError as error:
        failed: Any = error
        return failed.code(), failed.details(), outputs
    return grpc.StatusCode.OK, "", outputs


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@pytest.mark.parametrize("server", SERVERS)
def test_the_identity_reaches_the_handler_for_every_kind(server: str, kind: str) -> None:
    handled = Handled()
    with client_for(server, handled, auth_for(server)) as client:
        code, _, outputs = call_with(client, kind, bearer("t-ada"))
        assert code == grpc.StatusCode.OK
        assert "".join(outputs) == "ada"
        # The scheme is compared ignoring case, as HTTP does.
        assert call_with(client, kind, [("authorization", "bearer t-ada")])[0] == grpc.StatusCode.OK
    assert handled.calls == 2


REFUSED = [
    (None, grpc.StatusCode.UNAUTHENTICATED, "missing credentials: /DummyService/"),
    ([("authorization", "Basic YWRhOnB3")], grpc.StatusCode.UNAUTHENTICATED, "malformed credentials: expected"),
    ([("authorization", "Bearer")], grpc.StatusCode.UNAUTHENTICATED, "malformed credentials"),
    ([("authorization", "Bearer ")], grpc.StatusCode.UNAUTHENTICATED, "malformed credentials"),
    ([("authorization", "Bearer t-ada extra")], grpc.StatusCode.UNAUTHENTICATED, "malformed credentials"),
    ([("authorization", "t-ada")], grpc.StatusCode.UNAUTHENTICATED, "malformed credentials"),
    (bearer("t-ada") + bearer("t-bob"), grpc.StatusCode.UNAUTHENTICATED, "2 'authorization' metadata entries"),
    ([("x-token", "Bearer t-ada")], grpc.StatusCode.UNAUTHENTICATED, "missing credentials"),
    (bearer("t-eve"), grpc.StatusCode.UNAUTHENTICATED, "credentials not accepted"),  # the function returns None
    (bearer("t-boom"), grpc.StatusCode.UNAUTHENTICATED, "authentication failed"),  # it raises RuntimeError
    (bearer("t-revoked"), grpc.StatusCode.UNAUTHENTICATED, "token revoked on 2026-11-30"),
    (bearer("t-coroutine"), grpc.StatusCode.UNAUTHENTICATED, "authentication failed"),
]


@pytest.mark.parametrize(("metadata", "code", "details"), REFUSED)
@pytest.mark.parametrize("server", SERVERS)
def test_refused_calls_never_reach_the_handler(
    server: str, metadata: list[tuple[str, str]] | None, code: grpc.StatusCode, details: str
) -> None:
    handled = Handled()
    with client_for(server, handled, auth_for(server)) as client:
        for kind in KINDS:
            got_code, got_details, outputs = call_with(client, kind, metadata)
            assert (got_code, outputs) == (code, []), kind
            assert details in got_details, (kind, got_details)
    assert handled.calls == 0


@pytest.mark.parametrize("server", SERVERS)
def test_permission_denied_when_the_function_says_so(server: str) -> None:
    handled = Handled()
    with client_for(server, handled, auth_for(server)) as client:
        assert call_with(client, "stream_stream", bearer("t-bob"))[:2] == (
            grpc.StatusCode.PERMISSION_DENIED,
            "bob may not stream both ways",
        )
        assert call_with(client, "unary_unary", bearer("t-bob"))[0] == grpc.StatusCode.OK
    assert handled.calls == 1


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize(
    ("details", "sent"),
    [
        ("no access to \udce9 here", "no access to ? here"),  # a lone surrogate, as os.fsdecode() makes
        (ValueError("not this one"), "not this one"),  # not a str: sent as its str()
        ("x" * 100_000, "x" * 2_000),  # cut to what grpc can send
    ],
    ids=["surrogate", "object", "huge"],
)
def test_the_functions_own_details_are_sent_as_grpc_can_send_them(server: str, details: Any, sent: str) -> None:
    def refuse(token: str, method_name: str) -> str:
        raise PermissionDenied(details)

    handled = Handled()
    with client_for(server, handled, auth_for(server, refuse)) as client:
        code, got, outputs = call_with(client, "unary_unary", bearer("t-ada"))
    assert (code, outputs) == (grpc.StatusCode.PERMISSION_DENIED, [])
    assert got.startswith(sent) and len(got) <= 2_048
    assert handled.calls == 0


@pytest.mark.parametrize("server", SERVERS)
def test_an_unexpected_exception_is_logged_but_not_told_to_the_client(
    server: str, caplog: pytest.LogCaptureFixture
) -> None:
    handled = Handled()
    with caplog.at_level(logging.ERROR, logger="grpc_interceptor.auth"):
        with client_for(server, handled, auth_for(server)) as client:
            code, details, _ = call_with(client, "unary_unary", bearer("t-boom"))
    assert (code, details) == (grpc.StatusCode.UNAUTHENTICATED, "authentication failed")
    assert "hunter2" not in details
    (record,) = [r for r in caplog.records if r.name == "grpc_interceptor.auth"]
    assert "RuntimeError" in record.getMessage()
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


def test_a_slow_sync_function_is_refused() -> None:
    def slow(token: str, method_name: str) -> str:
        time.sleep(0.3)
        return "ada"

    handled = Handled()
    with client_for("sync", handled, AuthInterceptor(slow, timeout=0.1)) as client:
        for kind in KINDS:
            assert call_with(client, kind, bearer("t-ada"))[:2] == (
                grpc.StatusCode.UNAUTHENTICATED,
                "authentication failed",
            )
    assert handled.calls == 0


def test_a_slow_async_function_is_cancelled_and_refused() -> None:
    cancelled: list[str] = []

    async def slow(token: str, method_name: str) -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append(method_name)
            raise
        return "ada"

    handled = Handled()
    with client_for("aio", handled, AsyncAuthInterceptor(slow, timeout=0.1)) as client:
        started = time.monotonic()
        for kind in KINDS:
            assert call_with(client, kind, bearer("t-ada"))[:2] == (
                grpc.StatusCode.UNAUTHENTICATED,
                "authentication failed",
            )
        assert time.monotonic() - started < 4  # not waited for
    assert handled.calls == 0
    assert len(cancelled) == 4


def test_a_plain_def_function_works_on_grpc_aio() -> None:
    handled = Handled()
    with client_for("aio", handled, AsyncAuthInterceptor(verify)) as client:
        assert call_with(client, "unary_stream", bearer("t-ada")) == (grpc.StatusCode.OK, "", list("ada"))
        assert call_with(client, "unary_unary", bearer("t-eve"))[0] == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("server", SERVERS)
def test_an_api_key_without_a_scheme_in_a_key_of_its_own(server: str) -> None:
    handled = Handled()
    auth = auth_for(server, metadata_key="x-api-key", scheme=None)
    with client_for(server, handled, auth) as client:
        assert call_with(client, "unary_unary", [("x-api-key", "t-ada")])[:2] == (grpc.StatusCode.OK, "")
        assert call_with(client, "unary_unary", bearer("t-ada"))[0] == grpc.StatusCode.UNAUTHENTICATED
        assert call_with(client, "unary_unary", [("x-api-key", "Bearer t-ada")])[0] == grpc.StatusCode.UNAUTHENTICATED


def test_identity_outside_an_rpc_says_why() -> None:
    with pytest.raises(LookupError, match=r"no authenticated caller here: AuthInterceptor.identity\(\) works only"):
        AuthInterceptor(verify).identity()


def test_two_interceptors_keep_their_own_identities() -> None:
    outer, inner = AuthInterceptor(verify), AuthInterceptor(verify, metadata_key="x-on-behalf-of", scheme=None)

    def both(text: str, context: Any) -> str:
        return f"{outer.identity()} for {inner.identity()}"

    metadata = [*bearer("t-ada"), ("x-on-behalf-of", "t-bob")]
    with dummy_client(special_cases={"both": both}, interceptors=[outer, inner]) as client:
        assert client.Execute(DummyRequest(input="both"), metadata=metadata).output == "ada for bob"


# --- Plain def handlers on grpc.aio, which grpc runs in a thread -------------------------


class SyncServicer(DummyServiceServicer):
    def __init__(self, auth: Any) -> None:
        self.auth = auth

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        return DummyResponse(output=f"{self.auth.identity()} in {threading.current_thread().name}")

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        yield DummyResponse(output=self.auth.identity())
        yield DummyResponse(output=threading.current_thread().name)


def test_the_identity_reaches_plain_def_handlers_on_grpc_aio() -> None:
    auth = AsyncAuthInterceptor(averify)
    register = lambda server: add_DummyServiceServicer_to_server(SyncServicer(auth), server)  # noqa: E731
    with serve(register, interceptors=[auth], aio_server=True) as channel:
        stub = DummyServiceStub(channel)
        who, _, thread = stub.Execute(DummyRequest(), metadata=bearer("t-ada")).output.partition(" in ")
        assert who == "ada"
        assert thread != "grpc-interceptor-aio-server"  # not the event loop's thread
        outputs = [r.output for r in stub.ExecuteServerStream(DummyRequest(), metadata=bearer("t-bob"))]
        assert outputs[0] == "bob" and outputs[1] != "grpc-interceptor-aio-server"


# --- Health checks and reflection exempted with select() ---------------------------------

PUBLIC = services("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")


@pytest.mark.parametrize("server", SERVERS)
def test_the_health_check_is_exempted_by_select(server: str) -> None:
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    handled = Handled()
    auth = auth_for(server)
    handled.auth = auth

    def register(grpc_server: Any) -> None:
        add_DummyServiceServicer_to_server(DummyServicer(handled), grpc_server)
        servicer = health.aio.HealthServicer() if server == "aio" else health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(servicer, grpc_server)

    with serve(register, interceptors=[select(auth, ~PUBLIC)], aio_server=server == "aio") as channel:
        check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert check.status == health_pb2.HealthCheckResponse.SERVING
        # Everything else still needs credentials.
        with pytest.raises(grpc.RpcError) as caught:
            DummyServiceStub(channel).Execute(DummyRequest(input="who"), timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert handled.calls == 0


@pytest.mark.parametrize("server", SERVERS)
def test_reflection_is_exempted_by_select(server: str) -> None:
    from grpc_reflection.v1alpha import reflection
    from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

    handled = Handled()
    auth = auth_for(server)
    handled.auth = auth
    names = ("DummyService", reflection.SERVICE_NAME)

    def register(grpc_server: Any) -> None:
        add_DummyServiceServicer_to_server(DummyServicer(handled), grpc_server)
        reflection.enable_server_reflection(names, grpc_server)

    # grpcio-reflection serves both v1 and v1alpha; its client helper speaks v1alpha.
    public = PUBLIC | services("grpc.reflection.v1alpha.ServerReflection")
    with serve(register, interceptors=[select(auth, ~public)], aio_server=server == "aio") as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        assert set(database.get_services()) >= {"DummyService"}
        with pytest.raises(grpc.RpcError) as caught:
            DummyServiceStub(channel).Execute(DummyRequest(input="who"), timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Without the exemption, reflection is refused like any other method.
    with serve(register, interceptors=[auth], aio_server=server == "aio") as channel:
        with pytest.raises(grpc.RpcError) as caught:
            ProtoReflectionDescriptorDatabase(channel).get_services()
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


class DummyServicer(DummyServiceServicer):
    """A DummyService of the right style for either server, counting calls."""

    def __init__(self, handled: Handled) -> None:
        self.handled = handled

    def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:
        with self.handled.lock:
            self.handled.calls += 1
        return DummyResponse(output=request.input)


# --- Configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: AuthInterceptor("secret"), TypeError, "authenticate must be a function of"),
        (lambda: AuthInterceptor(averify), TypeError, "is an async function, which a sync grpc.server"),
        (lambda: AuthInterceptor(verify, metadata_key="Authorization"), ValueError, "use lower-case letters"),
        (lambda: AuthInterceptor(verify, metadata_key="grpc-auth"), ValueError, "not starting with 'grpc-'"),
        (lambda: AuthInterceptor(verify, metadata_key="token-bin"), ValueError, "is a binary key"),
        (lambda: AuthInterceptor(verify, metadata_key=b"auth"), TypeError, "metadata_key must be a str"),
        (lambda: AsyncAuthInterceptor(verify, scheme=""), TypeError, "scheme must be a word"),
        (lambda: AsyncAuthInterceptor(verify, scheme="Bearer token"), ValueError, "scheme must be one word"),
        (lambda: AsyncAuthInterceptor(verify, timeout=0), ValueError, "timeout must be a positive"),
        (lambda: AsyncAuthInterceptor(verify, timeout="1"), TypeError, "timeout must be a number of seconds"),
    ],
)
def test_configuration_is_checked_when_built(build: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


def test_other_grpc_exceptions_still_refuse_with_unauthenticated() -> None:
    def lookup_fails(token: str, method_name: str) -> str:
        raise NotFound("no such user")

    with dummy_client(interceptors=[AuthInterceptor(lookup_fails)]) as client:
        assert call_with(client, "unary_unary", bearer("t-ada"))[:2] == (
            grpc.StatusCode.UNAUTHENTICATED,
            "authentication failed",
        )
