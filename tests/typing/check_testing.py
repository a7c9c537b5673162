"""The testing kit's overloads: which stub or channel each combination of flags gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
)
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import AsyncDummyService, DummyRequest, DummyResponse, dummy_client, raises, serve
from grpc_interceptor.testing.dummy_client import dummy_channel
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

if TYPE_CHECKING:
    # Only in the stubs: grpc.aio stubs are the same class at run time.
    from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceAsyncStub


class SyncAudit(ServerInterceptor[DummyRequest, DummyResponse], abstract=True):
    pass


class AsyncAudit(AsyncServerInterceptor[DummyRequest, DummyResponse], abstract=True):
    pass


class SyncMetadata(ClientInterceptor[DummyRequest, DummyResponse], abstract=True):
    pass


class AsyncMetadata(AsyncClientInterceptor[DummyRequest, DummyResponse], abstract=True):
    pass


async def special(text: str, context: Any) -> str:
    return text.upper()


# --- Correct programs ----------------------------------------------------------------


def sync_clients() -> None:
    assert_type(raises(NotFound()), Callable[..., Any])
    with dummy_client({"error": raises(NotFound())}, [ExceptionToStatusInterceptor(), SyncAudit()]) as client:
        assert_type(client, DummyServiceStub)
        assert_type(client.Execute(DummyRequest(input="foo")), DummyResponse)
        assert_type(client.Execute(DummyRequest(input="foo")).output, str)
        for response in client.ExecuteServerStream(DummyRequest(input="foo")):
            assert_type(response, DummyResponse)
        assert_type(client.ExecuteClientStream(iter([DummyRequest()])), DummyResponse)
    with dummy_client(client_interceptors=[SyncMetadata()]) as client:
        assert_type(client, DummyServiceStub)
    with dummy_client(interceptors=[AsyncAudit()], aio_server=True) as client:
        assert_type(client, DummyServiceStub)
    with dummy_client(special_cases={"up": special}, aio_server=True, aio_read_write=True) as client:
        assert_type(client, DummyServiceStub)
    with dummy_channel() as channel:
        assert_type(channel, grpc.Channel)


async def aio_clients() -> None:
    async with dummy_client(interceptors=[AsyncAudit()], aio_server=True, aio_client=True) as client:
        assert_type(client, DummyServiceAsyncStub)
        assert_type(await client.Execute(DummyRequest(input="foo")), DummyResponse)
        async for response in client.ExecuteServerStream(DummyRequest(input="foo")):
            assert_type(response, DummyResponse)
    async with dummy_client(client_interceptors=[AsyncMetadata()], aio_server=True, aio_client=True) as client:
        assert_type(client, DummyServiceAsyncStub)
    async with dummy_channel(aio_server=True, aio_client=True) as channel:
        assert_type(channel, grpc.aio.Channel)
    # 0.15.4's dummy_client was a plain `with` context manager for aio clients too.
    with dummy_client(aio_server=True, aio_client=True) as client:
        assert_type(client, DummyServiceAsyncStub)
        assert_type(await client.ExecuteClientStream(iter([DummyRequest()])), DummyResponse)


def own_servicer(register: Callable[[grpc.Server], None]) -> None:
    with serve(register, [SyncAudit()]) as channel:
        assert_type(channel, grpc.Channel)

    def register_async(server: grpc.aio.Server) -> None:
        add_DummyServiceServicer_to_server(AsyncDummyService(), server)

    with serve(register_async, aio_server=True) as channel:
        assert_type(channel, grpc.Channel)


def parametrised(aio: bool, cases: dict[str, Callable[[str, Any], str]]) -> None:
    # 0.15.4's own tests pass a bool from pytest.mark.parametrize, by keyword or as the
    # fourth positional argument, with interceptors of the kind the bool picks.
    with dummy_client(aio_server=aio) as client:
        assert_type(client, DummyServiceStub)
    interceptors = [AsyncAudit() if aio else SyncAudit()]
    with dummy_client(cases, interceptors, None, aio) as client:
        assert_type(client, DummyServiceStub)
    with dummy_client(special_cases=cases, interceptors=interceptors, aio_server=aio, aio_read_write=aio) as client:
        assert_type(client, DummyServiceStub)
    with dummy_channel(cases, interceptors, None, aio) as channel:
        assert_type(channel, grpc.Channel)
    with serve(lambda server: None, interceptors, None, aio) as channel:
        assert_type(channel, grpc.Channel)
    # A literal True, positionally, with async interceptors.
    with dummy_client(cases, [AsyncAudit()], None, True) as client:
        assert_type(client, DummyServiceStub)
    # aio_read_write without aio_server is ignored, as in 0.15.4.
    with dummy_client(aio_read_write=True) as client:
        assert_type(client, DummyServiceStub)


# --- Wrong programs ------------------------------------------------------------------


def wrong_flags() -> None:
    dummy_client(aio_client=True)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    dummy_client(client_interceptors=[AsyncMetadata()], aio_server=True)  # type: ignore[list-item]  # pyright: ignore[reportCallIssue, reportArgumentType]
    dummy_client({"error": "not a function"})  # type: ignore[dict-item]  # pyright: ignore[reportCallIssue, reportArgumentType]
    dummy_channel(aio_client=True)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]


def server_and_interceptors_of_different_kinds(register: Callable[[grpc.Server], None]) -> None:
    # A sync interceptor on a grpc.aio server, and the reverse, in each spelling: the
    # call picks an overload whose result is no context manager (mypy, both checkers),
    # and that overload is deprecated with the fix as its message (basedpyright).
    with dummy_client(interceptors=[SyncAudit()], aio_server=True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_client({}, [SyncAudit()], aio_server=True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_client({}, [SyncAudit()], None, True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_client(interceptors=[ExceptionToStatusInterceptor()], aio_server=True, aio_client=True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_client(interceptors=[AsyncAudit()]):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_client({}, [AsyncAudit()], None, False):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_channel(interceptors=[SyncAudit()], aio_server=True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with dummy_channel(interceptors=[AsyncAudit()]):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with serve(register, [SyncAudit()], aio_server=True):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass
    with serve(register, [AsyncAudit()]):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues]
        pass


async def aio_stub_used_as_sync() -> None:
    async with dummy_client(aio_server=True, aio_client=True) as client:
        client.Execute(DummyRequest(input="foo")).output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        for _ in client.ExecuteServerStream(DummyRequest()):  # type: ignore[attr-defined]  # pyright: ignore[reportGeneralTypeIssues, reportUnknownVariableType]
            break


async def sync_stub_used_as_aio() -> None:
    with dummy_client() as client:
        await client.Execute(DummyRequest(input="foo"))  # type: ignore[misc]  # pyright: ignore[reportGeneralTypeIssues]
        client.Execute(DummyResponse())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
