"""Authentication from metadata: refuse a call before the service sees it.

Run it with ``python examples/auth.py``. ``BearerAuth`` is a typed server interceptor,
``ServerInterceptor[DummyRequest, DummyResponse]``, that reads the
``authorization: Bearer <token>`` metadata of every call and aborts with
UNAUTHENTICATED when the token is missing, malformed or unknown. It checks before it
calls the continuation, so the handler never runs for a refused call, and its
streaming hooks are plain functions rather than generators: a generator would not run
its first line until grpc asked it for a message.

The example serves the testing kit's echo service with the interceptor, calls each of
the four kinds without a token, with a malformed header, with a wrong token and with a
good one, records every time the handler runs, and exits 0 when the handler ran only
for the good token.
"""

from __future__ import annotations

import hmac
import sys
from collections.abc import Iterator, Mapping

import grpc

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.protocols import (
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub


class BearerAuth(ServerInterceptor[DummyRequest, DummyResponse]):
    """Let a call through only with ``authorization: Bearer <token>`` for a known token.

    Args:
        users: Maps each valid token to the name of its user.
    """

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    def authenticate(self, context: grpc.ServicerContext) -> str:
        """Return the caller's user name, or abort the RPC with UNAUTHENTICATED."""
        metadata = context.invocation_metadata()
        # Values are str for every key but the binary ones, whose names end in "-bin".
        header = next((value for key, value in metadata if key == "authorization" and isinstance(value, str)), None)
        if header is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing authorization metadata")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "expected 'authorization: Bearer <token>'")
        # Compare every known token in constant time, so that timing tells nothing.
        matches = [user for known, user in self._users.items() if hmac.compare_digest(known, token)]
        if not matches:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "unknown token")
        return matches[0]

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        self.authenticate(context)
        return method(request, context)

    # Not a generator (no `yield`): the check runs when grpc calls the hook, before
    # anything is streamed and before the handler exists.
    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        self.authenticate(context)
        return method(request, context)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        self.authenticate(context)
        return method(request_iterator, context)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        self.authenticate(context)
        return method(request_iterator, context)


def call(client: DummyServiceStub, method: str, metadata: tuple[tuple[str, str], ...]) -> str:
    """Call ``method`` with the input "secret" and ``metadata``; return the status code."""
    request = DummyRequest(input="secret")
    try:
        if method == "Execute":
            client.Execute(request, metadata=metadata, timeout=5)
        elif method == "ExecuteServerStream":
            list(client.ExecuteServerStream(request, metadata=metadata, timeout=5))
        elif method == "ExecuteClientStream":
            client.ExecuteClientStream(iter([request]), metadata=metadata, timeout=5)
        else:
            list(client.ExecuteClientServerStream(iter([request]), metadata=metadata, timeout=5))
    except grpc.RpcError as error:
        return error.code().name
    return grpc.StatusCode.OK.name


METHODS = ("Execute", "ExecuteServerStream", "ExecuteClientStream", "ExecuteClientServerStream")

#: (what the caller sends, its metadata, the code it should get)
CALLERS: list[tuple[str, tuple[tuple[str, str], ...], str]] = [
    ("no token", (), "UNAUTHENTICATED"),
    ("basic auth", (("authorization", "Basic YWxpY2U6cHc="),), "UNAUTHENTICATED"),
    ("wrong token", (("authorization", "Bearer guessed"),), "UNAUTHENTICATED"),
    ("good token", (("authorization", "Bearer t0k3n-alice"),), "OK"),
]


def main() -> int:
    """Call every kind with bad and good tokens; 0 if the handler ran only for good ones."""
    handler_runs: list[str] = []

    def handler(text: str, context: grpc.ServicerContext) -> str:
        handler_runs.append(text)
        return "the secret"

    ok = True
    with dummy_client({"secret": handler}, [BearerAuth({"t0k3n-alice": "alice"})]) as client:
        for method in METHODS:
            for caller, metadata, expected in CALLERS:
                runs_before = len(handler_runs)
                code = call(client, method, metadata)
                ran = len(handler_runs) > runs_before
                print(f"{method:<26} {caller:<12} -> {code:<16} handler ran: {'yes' if ran else 'no'}")
                ok = ok and code == expected and ran == (expected == "OK")
    # The server has stopped: no handler can still be running.
    ok = ok and len(handler_runs) == len(METHODS)
    if ok:
        print("The handler never ran for a bad token, for unary and streaming requests alike.")
    else:
        print("MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
