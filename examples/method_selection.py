"""Method selection: apply interceptors to some methods only, without touching their code.

Run it with ``python examples/method_selection.py``. The server has two services: the
testing kit's echo service and a health check (a hand-registered
``grpc.health.v1.Health/Check``). Three interceptors are installed, each wrapped with
:func:`grpc_interceptor.select`:

* ``RequireToken`` guards every method *except* the health check
  (``~services("grpc.health.v1.Health")``), so that a load balancer can probe the
  server without credentials;
* ``Audit``, typed for the echo service, records only the methods named with
  ``methods(...)``;
* on the client, ``CountCalls`` counts only the methods that ``where(...)`` picks.

The example makes calls with and without a token, and exits 0 when each interceptor
ran exactly where its selector says. The ``assert_type`` lines are checked by mypy and
pyright: the wrapped interceptor keeps its type parameters.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import grpc
from google.protobuf.wrappers_pb2 import StringValue
from typing_extensions import assert_type

from grpc_interceptor import (
    AsyncStatusToExceptionInterceptor,
    ClientInterceptor,
    MethodName,
    SelectedAsyncClientInterceptor,
    SelectedClientInterceptor,
    SelectedServerInterceptor,
    ServerInterceptor,
    methods,
    select,
    services,
    where,
)
from grpc_interceptor.protocols import (
    CallFuture,
    CallIterator,
    ClientContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, DummyService, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
EXECUTE = "/DummyService/Execute"


class RequireToken(ServerInterceptor):
    """Refuse every call without ``authorization: Bearer let-me-in``, whatever its service.

    Untyped on purpose: it must guard every service (a typed interceptor applies only to
    the methods whose messages match its type parameters).
    """

    def intercept(
        self,
        method: Any,
        request_or_iterator: Any,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Any:
        if ("authorization", "Bearer let-me-in") not in context.invocation_metadata():
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing token")
        return method(request_or_iterator, context)


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    """Record the input of every unary call it sees."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        self.seen.append((method_name, request.input))
        return method(request, context)


class CountCalls(ClientInterceptor):
    """Count the calls of each method made through the channel."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def intercept(
        self,
        method: ClientContinuation[Any, Any],
        request_or_iterator: Any,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[Any] | CallIterator[Any]:
        self.calls[call_details.method] += 1
        return method(request_or_iterator, call_details)


def is_write(method: MethodName) -> bool:
    """The methods that change something, by naming convention."""
    return method.method.startswith(("Create", "Update", "Delete", "Execute"))


def check(request: StringValue, context: grpc.ServicerContext) -> StringValue:
    return StringValue(value="SERVING")


def register(server: grpc.Server) -> None:
    add_DummyServiceServicer_to_server(DummyService(), server)
    health = grpc.unary_unary_rpc_method_handler(
        check, request_deserializer=StringValue.FromString, response_serializer=StringValue.SerializeToString
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": health}),))


def code_of(call: Any) -> str:
    """Run ``call()`` and return the status code's name."""
    try:
        call()
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


def main() -> int:
    """Call both services with and without a token; 0 if each interceptor ran where selected."""
    audit = Audit()
    counter = CountCalls()
    audited = select(audit, methods(EXECUTE))
    counted = select(counter, where(is_write))
    # The wrappers keep the wrapped interceptors' type parameters.
    assert_type(audited, SelectedServerInterceptor[DummyRequest, DummyResponse])
    assert_type(counted, SelectedClientInterceptor[Any, Any])
    assert_type(
        select(AsyncStatusToExceptionInterceptor[DummyRequest, DummyResponse](), services("DummyService")),
        SelectedAsyncClientInterceptor[DummyRequest, DummyResponse],
    )
    guard = select(RequireToken(), ~services("grpc.health.v1.Health"))

    token = (("authorization", "Bearer let-me-in"),)
    with serve(register, [guard, audited], [counted]) as channel:
        stub = DummyServiceStub(channel)
        health = channel.unary_unary(
            HEALTH_CHECK, request_serializer=StringValue.SerializeToString, response_deserializer=StringValue.FromString
        )
        codes = {
            "health check, no token": code_of(lambda: health(StringValue(), timeout=5)),
            "Execute, no token": code_of(lambda: stub.Execute(DummyRequest(input="a"), timeout=5)),
            "Execute, token": code_of(lambda: stub.Execute(DummyRequest(input="b"), metadata=token, timeout=5)),
            "ExecuteServerStream, token": code_of(
                lambda: list(stub.ExecuteServerStream(DummyRequest(input="cd"), metadata=token, timeout=5))
            ),
        }
    for call, code in codes.items():
        print(f"{call:<28} -> {code}")
    print("audited:", audit.seen)
    print("counted:", dict(counter.calls))

    expected_codes = {
        "health check, no token": "OK",
        "Execute, no token": "UNAUTHENTICATED",
        "Execute, token": "OK",
        "ExecuteServerStream, token": "OK",
    }
    ok = (
        codes == expected_codes
        # The guard refused the first Execute before Audit (next in the chain) saw it.
        and audit.seen == [(EXECUTE, "b")]
        and counter.calls == Counter({EXECUTE: 2, "/DummyService/ExecuteServerStream": 1})
    )
    print("Each interceptor ran exactly where its selector says." if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
