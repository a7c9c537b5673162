"""Structured logging with timing: one JSON record per RPC, whatever its outcome.

Run it with ``python examples/logging_timing.py``. ``RpcLog`` is a typed server
interceptor, ``ServerInterceptor[DummyRequest, DummyResponse]``, that writes one record
per RPC through :mod:`logging`, as a JSON line: the method, its kind, the status code
the client gets, and how long the RPC took. For a streaming response the clock stops
when the last message has gone out (or the stream failed), not when the handler
returned its generator.

The status is ``OK``, the code of a ``GrpcException``, the code a handler gave to
``context.abort()`` (which raises a bare ``Exception`` but sets the code on the
context), or ``UNKNOWN`` for any other exception, as grpc reports it; a failure in the
middle of a response stream is caught too.

The example serves the testing kit's echo service with ``RpcLog`` outermost (so it
logs what the client sees) and ``ExceptionToStatusInterceptor`` inside it, makes seven
calls of all four kinds, some failing, and exits 0 when the records match the calls.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Protocol, cast

import grpc

from grpc_interceptor import ExceptionToStatusInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.protocols import (
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, SpecialCase, dummy_client, raises
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

LOG = logging.getLogger("rpc")


class _HasCode(Protocol):
    # grpc's sync ServicerContext has code() at run time; types-grpcio does not declare it.
    def code(self) -> grpc.StatusCode | None: ...


def status_of(error: BaseException, context: grpc.ServicerContext) -> str:
    """The status code name the client will see for ``error``."""
    if isinstance(error, GrpcException):
        return error.status_code.name
    if isinstance(error, GeneratorExit):  # grpc closed the response stream: the client went away
        return grpc.StatusCode.CANCELLED.name
    code = cast("_HasCode", context).code()  # set by context.abort() or context.set_code()
    if code is not None and code is not grpc.StatusCode.OK:
        return code.name
    return grpc.StatusCode.UNKNOWN.name


class RpcLog(ServerInterceptor[DummyRequest, DummyResponse]):
    """Log one JSON record per RPC: method, kind, status code, duration."""

    @contextmanager
    def _timed(self, method_name: str, kind: str, context: grpc.ServicerContext) -> Generator[None, None, None]:
        started = time.perf_counter()
        code = grpc.StatusCode.OK.name
        try:
            yield
        except BaseException as error:
            code = status_of(error, context)
            raise
        finally:
            record = {
                "method": method_name,
                "kind": kind,
                "code": code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            }
            LOG.info(json.dumps(record))

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        with self._timed(method_name, "unary_unary", context):
            return method(request, context)

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        # A generator: the clock runs until the stream is exhausted or fails.
        with self._timed(method_name, "unary_stream", context):
            yield from method(request, context)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        with self._timed(method_name, "stream_unary", context):
            return method(request_iterator, context)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        with self._timed(method_name, "stream_stream", context):
            yield from method(request_iterator, context)


class Collect(logging.Handler):
    """Keep every record's message, so that main() can check them."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _deny(text: str, context: grpc.ServicerContext) -> str:
    context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{text!r} is not for you")


def _slow(text: str, context: grpc.ServicerContext) -> str:
    time.sleep(0.05)  # stands for real work, so that the duration shows
    return text


def call(client: DummyServiceStub, method: str, *inputs: str) -> tuple[list[str], str]:
    """Call ``method`` with ``inputs``; return the outputs received and the status code."""
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
        return outputs, error.code().name
    return outputs, grpc.StatusCode.OK.name


#: (method, inputs, the code and outputs the client should get)
PLAN: list[tuple[str, tuple[str, ...], str, list[str]]] = [
    ("Execute", ("hello",), "OK", ["hello"]),
    ("Execute", ("slow",), "OK", ["slow"]),
    ("Execute", ("deny",), "PERMISSION_DENIED", []),
    ("ExecuteServerStream", ("abc",), "OK", ["a", "b", "c"]),
    ("ExecuteClientStream", ("x", "missing"), "NOT_FOUND", []),
    ("ExecuteClientServerStream", ("a", "b"), "OK", ["a", "b"]),
    ("ExecuteClientServerStream", ("a", "boom"), "UNKNOWN", ["a"]),  # fails after one message
]


def main() -> int:
    """Make calls of every kind, some failing; 0 if each got one correct record."""
    # The records go to stdout, one JSON object a line, and not to the root logger:
    # with logging.basicConfig(), grpc's own "grpc" logger would add the traceback of
    # the RuntimeError below.
    to_stdout = logging.StreamHandler(sys.stdout)
    to_stdout.setFormatter(logging.Formatter("%(message)s"))
    collect = Collect()
    LOG.addHandler(to_stdout)
    LOG.addHandler(collect)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
    special_cases: dict[str, SpecialCase] = {
        "deny": _deny,
        "slow": _slow,
        "missing": raises(NotFound("no such thing")),
        "boom": raises(RuntimeError("the handler broke")),
    }
    with dummy_client(special_cases, [RpcLog(), ExceptionToStatusInterceptor()]) as client:
        results = [call(client, method, *inputs) for method, inputs, _, _ in PLAN]

    records: list[dict[str, object]] = [json.loads(message) for message in collect.messages]
    if len(records) != len(PLAN):
        print(f"MISMATCH: {len(records)} records for {len(PLAN)} calls")
        return 1
    ok = True
    print("\nThe client got:")
    for (method, _, code, outputs), (got_outputs, got_code), record in zip(PLAN, results, records, strict=True):
        print(f"  {method:<26} {got_code:<18} {got_outputs}")
        ok = ok and (got_code, got_outputs) == (code, outputs)
        ok = ok and record["code"] == code and str(record["method"]).endswith("/" + method)
    slow = records[1]["duration_ms"]
    ok = ok and isinstance(slow, float) and slow >= 50
    print(f"{len(records)} records for {len(PLAN)} calls; the slow call took {slow} ms")
    print("every RPC logged once with its status" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
