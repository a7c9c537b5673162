"""Request validation: a bad request becomes INVALID_ARGUMENT, and the service never sees it.

Run it with ``python examples/validation.py``. ``Validate`` is a typed server
interceptor, ``ServerInterceptor[DummyRequest, DummyResponse]``, that runs a check
function on every request message and raises ``InvalidArgument`` with the check's
complaint. ``ExceptionToStatusInterceptor``, installed outermost, turns the exception
into the INVALID_ARGUMENT status with that complaint as details.

A single request is checked before the handler is called. A request stream is checked
message by message as the handler reads it: the handler gets only valid messages, and
what it answered before the bad message has already reached the client.

The example calls every kind with good and bad input and exits 0 when each call got
the expected status and outputs and the handler saw no invalid input.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import grpc

from grpc_interceptor import ExceptionToStatusInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import InvalidArgument
from grpc_interceptor.protocols import (
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, SpecialCase, dummy_client
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

#: A check returns what is wrong with a request, or None if nothing is.
Check = Callable[[DummyRequest], str | None]


def check_input(request: DummyRequest) -> str | None:
    """The rules of this service: ``input`` has 1 to 8 characters."""
    if not request.input:
        return "input must not be empty"
    if len(request.input) > 8:
        return f"input must have at most 8 characters, got {len(request.input)}"
    return None


class Validate(ServerInterceptor[DummyRequest, DummyResponse]):
    """Raise ``InvalidArgument`` for any request that ``check`` finds fault with."""

    def __init__(self, check: Check) -> None:
        self._check = check

    def valid(self, request: DummyRequest) -> DummyRequest:
        """Return ``request`` if it passes the check; raise ``InvalidArgument`` if not."""
        problem = self._check(request)
        if problem is not None:
            raise InvalidArgument(problem)
        return request

    def each_valid(self, requests: Iterator[DummyRequest]) -> Iterator[DummyRequest]:
        """Pass the requests on one by one, stopping at the first invalid one."""
        for request in requests:
            yield self.valid(request)

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(self.valid(request), context)

    # A plain function, not a generator, so that the check runs before the handler.
    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        return method(self.valid(request), context)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return method(self.each_valid(request_iterator), context)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        return method(self.each_valid(request_iterator), context)


def call(client: DummyServiceStub, method: str, *inputs: str) -> tuple[list[str], str, str]:
    """Call ``method`` with ``inputs``; return the outputs, the status code and its details."""
    requests = [DummyRequest(input=text) for text in inputs]
    outputs: list[str] = []
    try:
        if method == "Execute":
            outputs.append(client.Execute(requests[0], timeout=5).output)
        elif method == "ExecuteServerStream":
            outputs.extend(r.output for r in client.ExecuteServerStream(requests[0], timeout=5))
        elif method == "ExecuteClientStream":
            outputs.append(client.ExecuteClientStream(iter(requests), timeout=5).output)
        else:
            outputs.extend(r.output for r in client.ExecuteClientServerStream(iter(requests), timeout=5))
    except grpc.RpcError as error:
        return outputs, error.code().name, error.details() or ""
    return outputs, grpc.StatusCode.OK.name, ""


TOO_LONG = "much-too-long"

#: (method, inputs, the code and outputs the client should get)
PLAN: list[tuple[str, tuple[str, ...], str, list[str]]] = [
    ("Execute", ("hello",), "OK", ["hello"]),
    ("Execute", ("",), "INVALID_ARGUMENT", []),
    ("ExecuteServerStream", (TOO_LONG,), "INVALID_ARGUMENT", []),
    ("ExecuteClientStream", ("a", "", "c"), "INVALID_ARGUMENT", []),
    ("ExecuteClientServerStream", ("a", "b"), "OK", ["a", "b"]),
    ("ExecuteClientServerStream", ("a", "b", TOO_LONG, "d"), "INVALID_ARGUMENT", ["a", "b"]),
]


def main() -> int:
    """Send good and bad requests of every kind; 0 if only the good ones got through."""
    invalid_seen: list[str] = []

    def handler_saw_invalid(text: str, context: grpc.ServicerContext) -> str:
        invalid_seen.append(text)
        return text

    # The service would run these for an invalid input, if one ever reached it.
    special_cases: dict[str, SpecialCase] = {"": handler_saw_invalid, TOO_LONG: handler_saw_invalid}
    ok = True
    with dummy_client(special_cases, [ExceptionToStatusInterceptor(), Validate(check_input)]) as client:
        for method, inputs, code, outputs in PLAN:
            got_outputs, got_code, details = call(client, method, *inputs)
            print(f"{method:<26} {inputs!s:<36} -> {got_code} {got_outputs} {details}")
            # The details are the complaint about the first invalid input.
            problems = [problem for text in inputs if (problem := check_input(DummyRequest(input=text)))]
            ok = ok and (got_code, got_outputs, details) == (code, outputs, (problems or [""])[0])
    ok = ok and not invalid_seen
    print(f"Invalid inputs the handler saw: {invalid_seen}")
    print("every invalid request was refused with INVALID_ARGUMENT" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
