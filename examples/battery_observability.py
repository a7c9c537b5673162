"""Access logs and Prometheus metrics, ready-made, on a server and its client.

Run it with ``python examples/battery_observability.py`` (it needs the ``metrics``
extra). The testing kit's echo service runs behind ``AccessLogInterceptor`` and
``MetricsInterceptor`` (then ``ExceptionToStatusInterceptor``), and the client's
channel has ``AccessLogClientInterceptor``. The access records go to stdout as JSON
lines, made by a small formatter from the fields the interceptors put on each record;
the metrics are read back from the registry. Calls of all four kinds end in each of
the usual ways: a return, a ``GrpcException``, an ``abort()``, a failure part-way
through a stream. The example exits 0 when each call left one server record and one
client record with the code the client got, and the counters match the calls.
"""

from __future__ import annotations

import json
import logging
import sys

import grpc
from prometheus_client import CollectorRegistry

from grpc_interceptor import AccessLogClientInterceptor, AccessLogInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.metrics import MetricsInterceptor
from grpc_interceptor.testing import DummyRequest, SpecialCase, dummy_client, raises
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

#: The record attributes the access log interceptors set, written out as JSON.
FIELDS = ("grpc_side", "grpc_full_method", "grpc_type", "grpc_code", "grpc_msg_received", "grpc_msg_sent")


class JsonLines(logging.Formatter):
    """One JSON object a record, with the access log's fields (what a JSON formatter does)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        fields["level"] = record.levelname
        return json.dumps(fields)


class Sides(logging.Handler):
    """Note the side of every record, so that main() can count them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(str(getattr(record, "grpc_side", "")))


def _deny(text: str, context: grpc.ServicerContext) -> str:
    context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{text!r} is not for you")


def call(client: DummyServiceStub, method: str, *inputs: str) -> str:
    """Make one call; return the status code's name the client got."""
    requests = [DummyRequest(input=text) for text in inputs]
    try:
        if method == "Execute":
            client.Execute(requests[0], timeout=5)
        elif method == "ExecuteServerStream":
            list(client.ExecuteServerStream(requests[0], timeout=5))
        elif method == "ExecuteClientStream":
            client.ExecuteClientStream(iter(requests), timeout=5)
        else:
            list(client.ExecuteClientServerStream(iter(requests), timeout=5))
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


PLAN: list[tuple[str, tuple[str, ...], str]] = [
    ("Execute", ("hello",), "OK"),
    ("Execute", ("missing",), "NOT_FOUND"),
    ("Execute", ("deny",), "PERMISSION_DENIED"),
    ("ExecuteServerStream", ("abc",), "OK"),
    ("ExecuteClientStream", ("x", "y"), "OK"),
    ("ExecuteClientServerStream", ("a", "boom"), "UNKNOWN"),
]


def main() -> int:
    """Serve, call, and check the records and the metrics; 0 if they match the calls."""
    log = logging.getLogger("example.access")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    registry = CollectorRegistry()  # a registry of its own; a service would serve it
    special_cases: dict[str, SpecialCase] = {
        "missing": raises(NotFound("no such thing")),
        "deny": _deny,
        "boom": raises(RuntimeError("the handler broke")),
    }
    server_side = [AccessLogInterceptor(log, message_counts=True), MetricsInterceptor(registry)]
    client_side = [AccessLogClientInterceptor(log)]
    sides = Sides()
    log.addHandler(sides)
    with dummy_client(special_cases, [*server_side, ExceptionToStatusInterceptor()], client_side) as client:
        codes = [call(client, method, *inputs) for method, inputs, _ in PLAN]

    ok = codes == [code for _, _, code in PLAN]
    ok = ok and sides.seen.count("server") == len(PLAN) and sides.seen.count("client") == len(PLAN)
    service = {"grpc_service": "DummyService"}
    handled = registry.get_sample_value(
        "grpc_server_handled_total",
        {**service, "grpc_type": "unary", "grpc_method": "Execute", "grpc_code": "NOT_FOUND"},
    )
    sent = registry.get_sample_value(
        "grpc_server_msg_sent_total", {**service, "grpc_type": "server_stream", "grpc_method": "ExecuteServerStream"}
    )
    print(f"grpc_server_handled_total{{Execute, NOT_FOUND}} = {handled}")
    print(f"grpc_server_msg_sent_total{{ExecuteServerStream}} = {sent}")
    ok = ok and handled == 1 and sent == 3
    print("every RPC logged on both sides and counted" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
