"""What each ready-made interceptor costs when it has nothing to do for an RPC.

Run it from the repository root, in the project's virtual environment, with valgrind
installed (Debian: ``apt-get install valgrind``)::

    python benchmarks/batteries.py [--calls N] [--json OUT]

Every battery has a pass-through path: an RPC it has nothing to do for (a method it is
not configured for, a call that succeeds at once, a limit far from reached). That path
should cost no more than the plainest interceptor of ours, a pass-through ``intercept``
that calls the continuation. Each row of :data:`CASES` is one such RPC, unary-unary, run
in-process as grpc would run it (the server side: the chain's ``intercept_service``
wired once, then the returned handler's behaviour with a small fake context; the client
side: the chain's ``intercept_unary_unary`` with a fake channel that answers at once).

It counts instructions rather than time: the whole table runs in one process under
valgrind's callgrind tool, which writes a count each time the process calls
``getppid()`` (``--dump-before=getppid``). Each case is warmed up, then runs ``--calls``
RPCs and five times as many between such marks; the difference of the two counts,
divided by the difference in RPCs, is its instructions per RPC. The ratio to the plain
pass-through interceptor of the same side (and the same run) is the figure to read:
1.00 costs the same, below 1.00 less. Instruction counts are not time, but they move
with the work done and hardly with what else the machine is doing.

To add a row, append a :class:`Case` to :data:`CASES`: a label, the side, a function
that builds the interceptors (outermost first) and, if the RPC needs them, its method
name and request metadata.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from prometheus_client import CollectorRegistry

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    ServerInterceptor,
    select,
    services,
)
from grpc_interceptor.access_log import (
    AccessLogClientInterceptor,
    AccessLogInterceptor,
    AsyncAccessLogClientInterceptor,
    AsyncAccessLogInterceptor,
)
from grpc_interceptor.auth import AsyncAuthInterceptor, AuthInterceptor
from grpc_interceptor.client import ClientCallDetails, aio_channel_interceptors
from grpc_interceptor.deadline import AsyncDeadlineInterceptor, DeadlineInterceptor
from grpc_interceptor.limits import (
    AsyncConcurrencyLimitInterceptor,
    AsyncRateLimitInterceptor,
    ConcurrencyLimitInterceptor,
    RateLimitInterceptor,
)
from grpc_interceptor.metrics import (
    AsyncMetricsClientInterceptor,
    AsyncMetricsInterceptor,
    MetricsClientInterceptor,
    MetricsInterceptor,
)
from grpc_interceptor.retry import AsyncRetryInterceptor, RetryInterceptor
from grpc_interceptor.testing import DummyRequest
from grpc_interceptor.validation import AsyncValidationInterceptor, ValidationInterceptor

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "batteries.json"

METHOD = "/bench.Bench/Method"
REQUEST = b"request"
SIDES = ("sync-server", "aio-server", "sync-client", "aio-client")

Build = Callable[[], Sequence[Any]]


# --------------------------------------------------------------------------------------
# The reference: the plainest interceptor of ours, on each side
# --------------------------------------------------------------------------------------


class PassThrough(ServerInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        return method(request_or_iterator, context)


class AsyncPassThrough(AsyncServerInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        return await method(request_or_iterator, context)


class ClientPassThrough(ClientInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return method(request_or_iterator, call_details)


class AsyncClientPassThrough(AsyncClientInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return await method(request_or_iterator, call_details)


PLAIN: dict[str, Build] = {
    "sync-server": lambda: [PassThrough()],
    "aio-server": lambda: [AsyncPassThrough()],
    "sync-client": lambda: [ClientPassThrough()],
    "aio-client": lambda: [AsyncClientPassThrough()],
}


@dataclass(frozen=True)
class Case:
    """One row: an RPC that the interceptors ``build`` makes have nothing to do for.

    Attributes:
        label: What the row shows, e.g. ``"limits: under the limit"``.
        side: One of :data:`SIDES`.
        build: Returns the interceptors to install, outermost first.
        method: The method the RPC calls.
        metadata: The request metadata (the server's invocation metadata, or the
            client's call details).
        timeout: The client call's timeout (client sides only).
        request: The request message.
    """

    label: str
    side: str
    build: Build
    method: str = METHOD
    metadata: tuple[tuple[str, str], ...] = ()
    timeout: float | None = None
    kind: str = field(default="battery")
    request: Any = REQUEST


def _references() -> list[Case]:
    cases: list[Case] = []
    for side in SIDES:
        cases.append(Case("no interceptor", side, list, kind="none"))
        cases.append(Case("plain pass-through", side, PLAIN[side], kind="plain"))
    return cases


def _accept(token: str, method_name: str) -> str:
    return token


_TOKEN = (("authorization", "Bearer t0k3n"),)


def _quiet_log() -> logging.Logger:
    """A logger that wants none of the access log's records (levels up to ERROR)."""
    logger = logging.getLogger("bench.access")
    logger.setLevel(logging.CRITICAL)
    logger.propagate = False
    return logger


#: The batteries' rows; each side's two reference rows are added by :func:`all_cases`.
CASES: list[Case] = [
    Case("retry: succeeded at once", "sync-client", lambda: [RetryInterceptor()]),
    Case("retry: succeeded at once, with a timeout", "sync-client", lambda: [RetryInterceptor()], timeout=5.0),
    Case("retry: succeeded at once", "aio-client", lambda: [AsyncRetryInterceptor()]),
    Case("deadline: the caller set a timeout", "sync-client", lambda: [DeadlineInterceptor(5.0)], timeout=1.0),
    Case("deadline: method without a default", "sync-client", lambda: [DeadlineInterceptor(per_method={"a.B": 1})]),
    Case("deadline: the caller set a timeout", "aio-client", lambda: [AsyncDeadlineInterceptor(5.0)], timeout=1.0),
    Case(
        "auth: exempted with select()",
        "sync-server",
        lambda: [select(AuthInterceptor(_accept), ~services("bench.Bench"))],
    ),
    Case(
        "auth: exempted with select()",
        "aio-server",
        lambda: [select(AsyncAuthInterceptor(_accept), ~services("bench.Bench"))],
    ),
    Case("auth: token accepted (work done)", "sync-server", lambda: [AuthInterceptor(_accept)], metadata=_TOKEN),
    Case("auth: token accepted (work done)", "aio-server", lambda: [AsyncAuthInterceptor(_accept)], metadata=_TOKEN),
    Case("limits: concurrency, under the limit", "sync-server", lambda: [ConcurrencyLimitInterceptor(1000)]),
    Case("limits: concurrency, under the limit", "aio-server", lambda: [AsyncConcurrencyLimitInterceptor(1000)]),
    Case("limits: rate, tokens left", "sync-server", lambda: [RateLimitInterceptor(100, burst=100_000)]),
    Case("limits: rate, tokens left", "aio-server", lambda: [AsyncRateLimitInterceptor(100, burst=100_000)]),
    # The observing and validating batteries. The access log passes an RPC through when
    # its logger wants none of its records (or select() exempts the method); metrics
    # always count, so their rows are work done; validation passes a message without
    # rules through.
    Case(
        "access log: exempted with select()",
        "sync-server",
        lambda: [select(AccessLogInterceptor(_quiet_log()), ~services("bench.Bench"))],
    ),
    Case(
        "access log: exempted with select()",
        "aio-server",
        lambda: [select(AsyncAccessLogInterceptor(_quiet_log()), ~services("bench.Bench"))],
    ),
    Case("access log: logger wants no records", "sync-server", lambda: [AccessLogInterceptor(_quiet_log())]),
    Case("access log: logger wants no records", "aio-server", lambda: [AsyncAccessLogInterceptor(_quiet_log())]),
    Case("access log: logger wants no records", "sync-client", lambda: [AccessLogClientInterceptor(_quiet_log())]),
    Case("access log: logger wants no records", "aio-client", lambda: [AsyncAccessLogClientInterceptor(_quiet_log())]),
    Case("metrics: counted (work done)", "sync-server", lambda: [MetricsInterceptor(CollectorRegistry())]),
    Case("metrics: counted (work done)", "aio-server", lambda: [AsyncMetricsInterceptor(CollectorRegistry())]),
    Case("metrics: counted (work done)", "sync-client", lambda: [MetricsClientInterceptor(CollectorRegistry())]),
    Case("metrics: counted (work done)", "aio-client", lambda: [AsyncMetricsClientInterceptor(CollectorRegistry())]),
    Case(
        "validation: message without rules",
        "sync-server",
        lambda: [ValidationInterceptor()],
        request=DummyRequest(input="x"),
    ),
    Case(
        "validation: message without rules",
        "aio-server",
        lambda: [AsyncValidationInterceptor()],
        request=DummyRequest(input="x"),
    ),
]


def all_cases() -> list[Case]:
    """The reference rows of each side, then :data:`CASES`."""
    return _references() + CASES


# --------------------------------------------------------------------------------------
# The harness: one RPC as grpc runs it, without the network
# --------------------------------------------------------------------------------------


class _Details(grpc.HandlerCallDetails):
    __slots__ = ("invocation_metadata", "method")

    def __init__(self, method: str, metadata: tuple[tuple[str, str], ...]) -> None:
        self.method = method
        self.invocation_metadata = metadata


class _Context:
    """The parts of a servicer context the batteries read on their pass-through path."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self._metadata = metadata

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def time_remaining(self) -> float | None:
        return None

    def peer(self) -> str:
        return "ipv4:127.0.0.1:50000"

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False


class _Outcome:
    """What a sync channel's continuation returns for a unary call that succeeded."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def result(self, timeout: float | None = None) -> Any:
        return self._response

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return None

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def done(self) -> bool:
        return True

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()


class _AioCall:
    """What a grpc.aio channel's continuation gives for a unary call that succeeded."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def __await__(self) -> Any:
        if False:
            yield
        return self._response

    async def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    async def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()

    def done(self) -> bool:
        return True


def _sync_behaviour(request: bytes, context: object) -> bytes:
    return request


async def _aio_behaviour(request: bytes, context: object) -> bytes:
    return request


def _deserializer(case: Case) -> Any:
    """The request class's ``FromString``, as the handlers of generated code carry it (``None`` for bytes)."""
    return None if isinstance(case.request, bytes) else type(case.request).FromString


def _run_sync_server(case: Case) -> Callable[[int], None]:
    handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(
        _sync_behaviour, request_deserializer=_deserializer(case)
    )

    def innermost(details: Any) -> Any:
        return handler

    entry: Callable[[Any], Any] = innermost
    for interceptor in reversed(case.build()):
        entry = functools.partial(interceptor.intercept_service, entry)
    details, context = _Details(case.method, case.metadata), _Context(case.metadata)

    def run(count: int) -> None:
        for _ in range(count):
            entry(details).unary_unary(case.request, context)

    return run


def _run_aio_server(case: Case, loop: asyncio.AbstractEventLoop) -> Callable[[int], None]:
    handler: grpc.RpcMethodHandler[bytes, bytes] = grpc.unary_unary_rpc_method_handler(
        _aio_behaviour, request_deserializer=_deserializer(case)
    )

    async def innermost(details: Any) -> Any:
        return handler

    entry: Callable[[Any], Any] = innermost
    for interceptor in reversed(case.build()):
        entry = functools.partial(interceptor.intercept_service, entry)
    details, context = _Details(case.method, case.metadata), _Context(case.metadata)

    async def rpcs(count: int) -> None:
        for _ in range(count):
            found = await entry(details)
            await found.unary_unary(case.request, context)

    return lambda count: loop.run_until_complete(rpcs(count))


def _run_sync_client(case: Case) -> Callable[[int], None]:
    def channel(call_details: Any, request: Any) -> Any:
        return _Outcome(request)

    entry: Callable[[Any, Any], Any] = channel
    for interceptor in reversed(case.build()):
        entry = functools.partial(interceptor.intercept_unary_unary, entry)
    details = ClientCallDetails(case.method, case.timeout, case.metadata or None, None, None, None)

    def run(count: int) -> None:
        for _ in range(count):
            entry(details, case.request).result()

    return run


def _run_aio_client(case: Case, loop: asyncio.AbstractEventLoop) -> Callable[[int], None]:
    async def channel(call_details: Any, request: Any) -> Any:
        return _AioCall(request)

    entry: Callable[[Any, Any], Any] = channel
    # grpc.aio's channel keeps the unary-unary object of each interceptor.
    for interceptor in reversed(aio_channel_interceptors(*case.build())[::4]):
        entry = functools.partial(getattr(interceptor, "intercept_unary_unary"), entry)  # noqa: B009
    metadata = grpc.aio.Metadata(*case.metadata) if case.metadata else None
    details = grpc.aio.ClientCallDetails(case.method.encode(), case.timeout, metadata, None, None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]

    async def rpcs(count: int) -> None:
        for _ in range(count):
            await (await entry(details, case.request))

    return lambda count: loop.run_until_complete(rpcs(count))


def runner(case: Case, loop: asyncio.AbstractEventLoop) -> Callable[[int], None]:
    """Return a function that runs ``count`` RPCs of ``case``."""
    if case.side == "sync-server":
        return _run_sync_server(case)
    if case.side == "aio-server":
        return _run_aio_server(case, loop)
    if case.side == "sync-client":
        return _run_sync_client(case)
    if case.side == "aio-client":
        return _run_aio_client(case, loop)
    raise ValueError(f"case {case.label!r}: side must be one of {', '.join(SIDES)}, got {case.side!r}")


# --------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------


def worker(calls: int) -> None:
    """Run every case between ``getppid()`` marks: warm-up, ``calls`` RPCs, ``5 * calls`` RPCs."""
    loop = asyncio.new_event_loop()
    try:
        for case in all_cases():
            run = runner(case, loop)
            run(20)  # the handler cache, the first decisions, the loop's first steps
            os.getppid()
            run(calls)
            os.getppid()
            run(5 * calls)
            os.getppid()
    finally:
        loop.close()


def count(calls: int) -> list[dict[str, Any]]:
    """Count every case's instructions per RPC in one process under callgrind."""
    cases = all_cases()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--dump-before=getppid",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            str(calls),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        process = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800, check=False)
        if process.returncode != 0:
            raise RuntimeError(
                f"the worker under valgrind failed (exit {process.returncode}):\n{process.stderr[-3000:]}"
            )
        totals: dict[int, int] = {}
        for path in Path(scratch).glob("callgrind.out.*"):
            part = int(path.name.rsplit(".", 1)[1])
            for line in path.read_text().splitlines():
                if line.startswith(("summary:", "totals:")):
                    totals[part] = int(line.split()[1])
                    break
    rows: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        few, many = totals[3 * index + 2], totals[3 * index + 3]
        rows.append(
            {
                "label": case.label,
                "side": case.side,
                "kind": case.kind,
                "instructions_per_rpc": (many - few) / (4 * calls),
            }
        )
    for row in rows:
        plain = next(r for r in rows if r["side"] == row["side"] and r["kind"] == "plain")
        none = next(r for r in rows if r["side"] == row["side"] and r["kind"] == "none")
        row["ratio_to_plain"] = row["instructions_per_rpc"] / plain["instructions_per_rpc"]
        row["added"] = row["instructions_per_rpc"] - none["instructions_per_rpc"]
    return rows


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The rows as a text table."""
    lines = [f"{'side':<12}{'case':<44}{'instr/RPC':>11}{'added':>9}{'x plain':>9}", "-" * 85]
    lines += [
        f"{row['side']:<12}{row['label']:<44}{row['instructions_per_rpc']:>11,.0f}"
        f"{row['added']:>9,.0f}{row['ratio_to_plain']:>9.2f}"
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Count every case, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="RPCs of the shorter run of each case (default 200)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results ({DEFAULT_JSON})")
    parser.add_argument("--worker", type=int, metavar="CALLS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        worker(args.worker)
        return 0
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    rows = count(args.calls)
    print(f"instructions per unary RPC, pass-through paths (callgrind, {args.calls} and {5 * args.calls} RPCs)\n")
    print(table(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {"python": sys.version.split()[0], "grpcio": grpc.__version__, "calls": [args.calls, 5 * args.calls]}
    args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
