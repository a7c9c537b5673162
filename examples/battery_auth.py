"""The ready-made auth interceptor on grpc.aio: tokens checked, identity in the handler, health exempt.

Run it with ``python examples/battery_auth.py``. A grpc.aio server runs the testing
kit's echo service and the standard health service (grpcio-health-checking) behind
:class:`~grpc_interceptor.AsyncAuthInterceptor`, wrapped with ``select`` so that the
health check needs no token. The token check is an ``async def`` that returns a
``User`` or ``None``, or raises ``PermissionDenied`` for a user who may not call a
method; the handler reads the caller with ``auth.identity()``, typed ``User``.

The example calls with a good token, without one, with a wrong one and with a token
whose user may not stream, checks the health service without a token, and exits 0
when each call got the status it should and the handler ran only for admitted calls.
"""

from __future__ import annotations

import hmac
import sys
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from grpc_interceptor import AsyncAuthInterceptor, select, services
from grpc_interceptor.exceptions import PermissionDenied
from grpc_interceptor.testing import AsyncDummyService, DummyRequest, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server


@dataclass(frozen=True)
class User:
    name: str
    may_stream: bool


TOKENS = {"t-ada-7f3a": User("ada", may_stream=True), "t-bob-91c2": User("bob", may_stream=False)}


async def verify(token: str, method_name: str) -> User | None:
    """Find the token's user (a database or a token service, in a real server)."""
    user = next((user for known, user in TOKENS.items() if hmac.compare_digest(known, token)), None)
    if user is not None and method_name.endswith("Stream") and not user.may_stream:
        raise PermissionDenied(f"{user.name} may not call {method_name}")
    return user


auth = AsyncAuthInterceptor(verify)
handled: list[str] = []


def whoami(text: str, context: Any) -> str:
    user = auth.identity()  # a User, for the type checkers too
    handled.append(user.name)
    return f"hello, {user.name}"


def register(server: grpc.aio.Server) -> None:
    add_DummyServiceServicer_to_server(AsyncDummyService({"whoami": whoami}), server)
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)


def outcome(call: Any) -> str:
    try:
        return f"OK {''.join(response.output for response in call())!r}"
    except grpc.RpcError as error:
        failed: Any = error
        return f"{failed.code().name}: {failed.details()}"


def main() -> int:
    public = services("grpc.health.v1.Health")
    expected = {
        "ada, unary": "OK 'hello, ada'",
        "ada, stream": "OK 'hello, ada'",
        "no token": "UNAUTHENTICATED: missing credentials",
        "wrong token": "UNAUTHENTICATED: credentials not accepted",
        "bob, stream": "PERMISSION_DENIED: bob may not call /DummyService/ExecuteServerStream",
    }
    with serve(register, interceptors=[select(auth, ~public)], aio_server=True) as channel:
        stub = DummyServiceStub(channel)
        request = DummyRequest(input="whoami")

        def bearer(token: str) -> tuple[tuple[str, str | bytes], ...]:
            return (("authorization", f"Bearer {token}"),)

        calls = {
            "ada, unary": lambda: [stub.Execute(request, metadata=bearer("t-ada-7f3a"), timeout=10)],
            "ada, stream": lambda: stub.ExecuteServerStream(request, metadata=bearer("t-ada-7f3a"), timeout=10),
            "no token": lambda: [stub.Execute(request, timeout=10)],
            "wrong token": lambda: [stub.Execute(request, metadata=bearer("t-eve-0000"), timeout=10)],
            "bob, stream": lambda: stub.ExecuteServerStream(request, metadata=bearer("t-bob-91c2"), timeout=10),
        }
        ok = True
        for name, call in calls.items():
            seen = outcome(call)
            ok &= seen.startswith(expected[name])
            print(f"{name:<12} -> {seen}")
        # (The health stubs type no HealthStub methods: the method is named here instead.)
        health_check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        check = health_check(health_pb2.HealthCheckRequest(), timeout=10)
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(check.status)
        print(f"{'health':<12} -> {status} (no token needed)")
        ok &= status == "SERVING"
    print(f"the handler ran for: {handled}")
    ok &= handled == ["ada", "ada"]
    if ok:
        print("every call got the status it should; the handler ran only for admitted callers")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
