"""``select()`` and the selectors: what the checkers accept and what they refuse."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc
import grpc.aio
from google.protobuf.empty_pb2 import Empty
from typing_extensions import assert_type

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    MethodName,
    ServerInterceptor,
)
from grpc_interceptor.protocols import ServerContinuation, UnaryUnaryContinuation
from grpc_interceptor.selection import (
    MethodSelector,
    SelectedAsyncClientInterceptor,
    SelectedAsyncServerInterceptor,
    SelectedClientInterceptor,
    SelectedServerInterceptor,
    methods,
    select,
    services,
    where,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    """A typed server interceptor."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(request, context)


class Log(ServerInterceptor):
    """An untyped one, as 0.15.4 users write them."""

    def intercept(
        self,
        method: ServerContinuation[Any, Any],
        request_or_iterator: Any,
        context: grpc.ServicerContext,
        name: str,
        /,
    ) -> Any:
        return method(request_or_iterator, context)


class AsyncAudit(AsyncServerInterceptor[DummyRequest, DummyResponse], abstract=True):
    """A typed grpc.aio server interceptor."""


class Tag(ClientInterceptor[DummyRequest, DummyResponse], abstract=True):
    """A typed sync client interceptor."""


class AsyncTag(AsyncClientInterceptor[DummyRequest, DummyResponse], abstract=True):
    """A typed grpc.aio client interceptor."""


class RawServer(grpc.ServerInterceptor):
    """grpc's own API."""

    def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
        return continuation(handler_call_details)


# --- Correct programs ----------------------------------------------------------------


def selectors() -> None:
    health = services("grpc.health.v1.Health")
    writes = methods("/shop.v1.Orders/Create", "/shop.v1.Orders/Delete")
    reads = where(lambda name: name.method.startswith(("Get", "List")))
    assert_type(~health, MethodSelector)
    assert_type(writes | reads, MethodSelector)
    assert_type(~health & reads, MethodSelector)
    assert_type(health.matches("/grpc.health.v1.Health/Check"), bool)
    assert_type(health(MethodName("grpc.health.v1", "Health", "Check")), bool)


def selected_keep_their_types() -> None:
    selector = ~services("grpc.health.v1.Health")
    audit = select(Audit(), selector)
    assert_type(audit, SelectedServerInterceptor[DummyRequest, DummyResponse])
    typed: SelectedServerInterceptor[DummyRequest, DummyResponse] = select(Audit(), selector)
    assert_type(select(Log(), selector), SelectedServerInterceptor[Any, Any])
    assert_type(select(AsyncAudit(), selector), SelectedAsyncServerInterceptor[DummyRequest, DummyResponse])
    assert_type(select(Tag(), selector), SelectedClientInterceptor[DummyRequest, DummyResponse])
    assert_type(select(AsyncTag(), selector), SelectedAsyncClientInterceptor[DummyRequest, DummyResponse])
    # A plain function of the MethodName is a selector too.
    assert_type(
        select(Audit(), lambda name: name.service == "Orders"), SelectedServerInterceptor[DummyRequest, DummyResponse]
    )
    # grpc's own interceptors come back as grpc's types.
    assert_type(select(RawServer(), selector), grpc.ServerInterceptor)
    # With Any type arguments two overloads match: mypy says Any, pyright the first (see
    # docs/guide/typing.md); either installs on a server.
    status: grpc.ServerInterceptor = select(ExceptionToStatusInterceptor(), selector)
    interceptors: list[grpc.ServerInterceptor] = [audit, typed, status, select(RawServer(), selector)]
    grpc.server(futures.ThreadPoolExecutor(max_workers=1), interceptors=interceptors)


# --- Wrong programs ------------------------------------------------------------------


def wrong_results() -> None:
    selector = services("shop.v1.Orders")
    a: SelectedServerInterceptor[Empty, Empty] = select(Audit(), selector)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]  # expect: Empty
    b: SelectedClientInterceptor[Empty, Empty] = select(Tag(), selector)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    c: SelectedAsyncServerInterceptor[Empty, Empty] = select(AsyncAudit(), selector)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    d: SelectedServerInterceptor[DummyRequest, DummyResponse] = select(AsyncAudit(), selector)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    e: SelectedServerInterceptor[DummyRequest, DummyResponse] = select(RawServer(), selector)  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(a, b, c, d, e)


def wrong_selectors() -> None:
    select(Audit(), "shop.v1.Orders")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    select(Audit(), methods(["/shop.v1.Orders/Create"]))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    select(Audit(), where(lambda name: name.startswith("/shop")))  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownLambdaType]
    select(object(), services("shop.v1.Orders"))  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    services("a") | "b"  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnusedExpression]
    grpc.aio.server(interceptors=[select(Audit(), services("a"))])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
