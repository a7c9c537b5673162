"""Quick start: a real server with two interceptors, and a client calling all four RPC kinds.

Run it with ``python examples/quickstart.py``. It serves the testing kit's echo
service on an ephemeral port of 127.0.0.1 with

* ``ExceptionToStatusInterceptor``, which turns ``NotFound`` raised by the service
  into the NOT_FOUND status, and
* ``Audit``, a typed logging interceptor: ``ServerInterceptor[DummyRequest,
  DummyResponse]`` with one hook per RPC kind, so the checker knows it gets a
  ``DummyRequest`` and must return ``DummyResponse`` messages,

then calls every kind once, and once more with an input that raises, and prints what
the interceptors saw. It exits 0 when everything happened as expected.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import grpc

from grpc_interceptor import ExceptionToStatusInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.protocols import (
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, raises


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    """Record, for every RPC, its method, what went in and out, and how long it took."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _log(self, method_name: str, seen_in: list[str], seen_out: list[str], started: float) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.lines.append(f"{method_name.rsplit('/', 1)[-1]:<26} in={seen_in} out={seen_out} ({elapsed_ms:.2f} ms)")

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        started = time.perf_counter()
        response = method(request, context)
        self._log(method_name, [request.input], [response.output], started)
        return response

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        started, seen_out = time.perf_counter(), list[str]()
        for response in method(request, context):
            seen_out.append(response.output)
            yield response
        self._log(method_name, [request.input], seen_out, started)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        started, seen_in = time.perf_counter(), list[str]()
        response = method(_recording(request_iterator, seen_in), context)
        self._log(method_name, seen_in, [response.output], started)
        return response

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        started, seen_in, seen_out = time.perf_counter(), list[str](), list[str]()
        for response in method(_recording(request_iterator, seen_in), context):
            seen_out.append(response.output)
            yield response
        self._log(method_name, seen_in, seen_out, started)


def _recording(requests: Iterator[DummyRequest], seen: list[str]) -> Iterator[DummyRequest]:
    for request in requests:
        seen.append(request.input)
        yield request


def _requests(*inputs: str) -> Iterator[DummyRequest]:
    return (DummyRequest(input=text) for text in inputs)


def main() -> int:
    """Serve, call every kind, print what the interceptors saw; 0 if all went as expected."""
    audit = Audit()
    interceptors = [ExceptionToStatusInterceptor(), audit]
    special_cases = {"missing": raises(NotFound("no such thing"))}
    with dummy_client(special_cases, interceptors) as client:
        got = [
            client.Execute(DummyRequest(input="hello")).output,
            "".join(r.output for r in client.ExecuteServerStream(DummyRequest(input="abc"))),
            client.ExecuteClientStream(_requests("x", "y", "z")).output,
            "".join(r.output for r in client.ExecuteClientServerStream(_requests("1", "2"))),
        ]
        try:
            client.Execute(DummyRequest(input="missing"))
            status = "no error"
        except grpc.RpcError as error:
            status = f"{error.code().name}: {error.details()}"
    print("The interceptors saw:")
    for line in audit.lines:
        print("  " + line)
    print(f"The client got: {got}, then {status}")
    ok = got == ["hello", "abc", "xyz", "12"] and status == "NOT_FOUND: no such thing" and len(audit.lines) == 4
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
