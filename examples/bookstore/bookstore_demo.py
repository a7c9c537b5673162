"""The bookstore end to end: its server in a process of its own, its client, and a graceful stop.

Run it with ``python examples/bookstore/bookstore_demo.py``. It starts
``bookstore_server.py`` on a free port of 127.0.0.1 (a token, a shelf of two books,
two warm-up calls answered UNAVAILABLE), then with ``BookstoreClient``:

* checks health without credentials (the auth interceptor spares the health service);
* calls without a token and gets ``Unauthenticated``;
* adds a book: the server is warming up, and the client's retries get it through;
* gets it back, gets a missing one (``NotFound``), adds a bad one (``InvalidArgument``)
  and fills the shelf (``ResourceExhausted``);

then sends SIGTERM and checks that the server reported NOT_SERVING, stopped and exited
0, and logged every RPC with its status and duration. It exits 0 when all of that
happened.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

import grpc
import grpc.aio
from bookstore_client import BookstoreClient
from grpc_health.v1 import health_pb2

from grpc_interceptor.exceptions import InvalidArgument, NotFound, ResourceExhausted, Unauthenticated

HERE = Path(__file__).resolve().parent
TOKEN = "demo-token"
#: Seconds the server may take to start, and to stop.
TIME_LIMIT = 30


def start_server() -> tuple[subprocess.Popen[str], int]:
    """Start the server on a free port and return it with the port it says it listens on."""
    server = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "bookstore_server.py"),
            "--port=0",
            f"--token={TOKEN}",
            "--shelf-size=2",
            "--warm-up=2",
            "--grace=2",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        print(f"  server| {line}", end="")
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        if found:
            return server, int(found[1])
    raise RuntimeError(f"the server exited before listening (status {server.wait()})")


async def expect(error: type[Exception], call: Awaitable[object]) -> str:
    """Await ``call`` and return the details of the ``error`` it must raise."""
    try:
        await call
    except error as raised:
        return str(getattr(raised, "details", raised))
    raise AssertionError(f"expected {error.__name__}")


async def calls(target: str) -> list[str]:
    """What the client did, one line per call."""
    done: list[str] = []
    async with grpc.aio.insecure_channel(target) as channel:
        # grpcio-health-checking's stubs leave its client stub untyped: call the method by name.
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        health = await check(health_pb2.HealthCheckRequest(service="bookstore.v1.Bookstore"), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
        done.append("health check without a token: SERVING")
    async with BookstoreClient(target) as anonymous:
        details = await expect(Unauthenticated, anonymous.get_book("978-0"))
        done.append(f"get_book without a token: Unauthenticated ({details})")
    async with BookstoreClient(target, token=TOKEN) as client:
        book = await client.add_book("978-0", "The Hitchhiker's Guide", timeout=5)
        assert client.retry.retried_calls == 1, client.retry.retried_calls
        done.append(f"add_book while the server warms up: retried, then added {book.title!r}")
        assert (await client.get_book("978-0")).title == book.title
        done.append("get_book: found it")
        done.append(f"get_book of a missing ISBN: NotFound ({await expect(NotFound, client.get_book('111'))})")
        details = await expect(InvalidArgument, client.add_book("", "No ISBN"))
        done.append(f"add_book without an ISBN: InvalidArgument ({details})")
        await client.add_book("978-1", "Second")
        details = await expect(ResourceExhausted, client.add_book("978-2", "Third"))
        done.append(f"add_book on a full shelf: ResourceExhausted ({details})")
    return done


def main() -> int:
    """Run the server and the client; 0 if every call and the shutdown went as described."""
    server, port = start_server()
    try:
        done = asyncio.run(calls(f"127.0.0.1:{port}"))
    finally:
        server.send_signal(signal.SIGTERM)
        rest, _ = server.communicate(timeout=TIME_LIMIT)
    for line in rest.splitlines():
        print(f"  server| {line}")
    print("The client:")
    for line in done:
        print(f"  {line}")
    logged = re.findall(r"^bookstore\.access: server /(\S+) (\w+) \d+\.\d+ ms$", rest, re.MULTILINE)
    expected_codes = {"OK", "UNAUTHENTICATED", "UNAVAILABLE", "NOT_FOUND", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"}
    ok = (
        server.returncode == 0
        and "stopped" in rest
        and len(done) == 7
        and {code for _, code in logged} == expected_codes
        and any(method == "grpc.health.v1.Health/Check" for method, _ in logged)
    )
    print(f"server exit status {server.returncode}; {len(logged)} RPCs logged with their status and duration")
    if ok:
        print("every call got its typed error or answer, and the server shut down gracefully")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
