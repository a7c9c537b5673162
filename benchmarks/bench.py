"""What an interceptor adds to an RPC: in-process, through grpc's pipeline, and over loopback.

Run it from the repository root, in the project's virtual environment::

    python benchmarks/bench.py [--quick] [--json OUT] [--baseline-python PYTHON] [--no-loopback]

``--baseline-python`` names the interpreter of another virtual environment where
grpc-interceptor 0.15.4 is installed (``pip install grpc-interceptor==0.15.4 grpcio
protobuf pyperf``); the in-process cases then run against both libraries in the same
run, and the table shows the ratio ours/0.15.4. ``--baseline-module`` does the
same with another importable name in this environment. ``--quick`` is a smoke run: a few
seconds, numbers too noisy to quote.

Everything is reported against the no-interceptor baseline of the same run:

* **harness (a)**, the library's own cost: the chain's ``intercept_service`` calls wired
  once with pre-built continuations, as grpc's server calls them (the innermost one
  returns the handler built by ``grpc.unary_unary_rpc_method_handler`` and friends);
  each RPC runs the chain, then the returned handler's behaviour with a trivial context.
  The baseline is the innermost continuation and the behaviour alone. On grpc.aio these
  continuations are not grpc's own, so each interceptor also asks for the running event
  loop (to refuse a sync server), which grpc.aio's own pipeline lets it skip; (b) has
  the real pipeline.
* **harness (b)**, grpc's own server pipeline in-process (its private interceptor
  pipeline, sync and grpc.aio), which adds grpc's per-interceptor cost on top of (a).
* **loopback**: servers on 127.0.0.1 (ephemeral ports) with 0, 1 and 5 interceptors,
  5 written against grpc's own API, and a second one with none (the control: how far
  two identical servers measure apart), for a sync and a grpc.aio server, and one
  sequential client. Each server runs in a process of its own (``--serve``), so that
  the client shares no interpreter lock with it. Unary round trips per second and
  p50/p99 latency, rounds interleaved call by call, medians over rounds; and a
  100-message server stream.

The in-process cases are timed by pyperf (``inprocess.py``), once for this checkout and
once for the baseline library, in the same run: pyperf spawns the worker processes
(``--processes``, default 4), calibrates, warms up and reports every value as it goes;
the garbage collector is paused while a value is timed, and the median of the values is
reported. The loopback servers run in processes of their own. The table goes to stdout,
everything to a JSON file (default ``benchmarks/results/latest.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import functools
import importlib
import importlib.metadata
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, cast

import grpc
import grpc.aio
import pyperf

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "latest.json"

SERVICE = "bench.Bench"
METHOD = f"/{SERVICE}/Method"
MESSAGES = 100  # per streaming RPC

# --------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One in-process measurement: a chain of ``interceptors`` of one sort, on one side."""

    harness: str  # "a": the library's own cost; "b": through grpc's server pipeline
    side: str  # "sync"/"aio" server; "client" (sync channel; harness b: grpc.intercept_channel); "aio-client"
    kind: str  # "unary" or "stream" (server streaming, MESSAGES responses)
    hooks: str  # "none", "catch-all", "typed", "chain" (catch-all members of one chain()) or "exception-to-status"
    interceptors: int

    @property
    def key(self) -> str:
        return f"{self.harness}/{self.side}/{self.kind}/{self.hooks}/{self.interceptors}"

    @property
    def baseline(self) -> Case:
        return Case(self.harness, self.side, self.kind, "none", 0)

    @property
    def label(self) -> str:
        what = "no interceptor" if self.hooks == "none" else f"{self.hooks} x{self.interceptors}"
        return f"({self.harness}) {self.side:<6} {self.kind:<6} {what}"


def _cases() -> list[Case]:
    cases: list[Case] = []
    groups: list[tuple[str, str, str, list[tuple[str, int]]]] = [
        (
            "a",
            "sync",
            "unary",
            [
                ("catch-all", 1),
                ("catch-all", 5),
                ("chain", 5),
                ("typed", 1),
                ("typed", 5),
                ("exception-to-status", 1),
            ],
        ),
        ("a", "sync", "stream", [("catch-all", 1), ("catch-all", 5), ("typed", 1), ("exception-to-status", 1)]),
        (
            "a",
            "aio",
            "unary",
            [
                ("catch-all", 1),
                ("catch-all", 5),
                ("chain", 5),
                ("typed", 1),
                ("typed", 5),
                ("exception-to-status", 1),
            ],
        ),
        ("a", "aio", "stream", [("catch-all", 1), ("catch-all", 5), ("typed", 1), ("exception-to-status", 1)]),
        ("a", "client", "unary", [("catch-all", 1), ("catch-all", 5), ("chain", 5), ("typed", 1), ("typed", 5)]),
        ("a", "aio-client", "unary", [("catch-all", 1), ("catch-all", 5), ("chain", 5)]),
        ("b", "sync", "unary", [("catch-all", 1), ("catch-all", 5), ("chain", 5)]),
        ("b", "sync", "stream", [("catch-all", 1), ("catch-all", 5), ("chain", 5)]),
        ("b", "aio", "unary", [("catch-all", 1), ("catch-all", 5), ("chain", 5)]),
        ("b", "client", "unary", [("catch-all", 1), ("catch-all", 5), ("chain", 5)]),
    ]
    for harness, side, kind, chains in groups:
        cases.append(Case(harness, side, kind, "none", 0))
        cases += [Case(harness, side, kind, hooks, count) for hooks, count in chains]
    return cases


CASES = _cases()

# --------------------------------------------------------------------------------------
# Interceptors, written once for either library (0.15.4 has only the catch-all hook)
# --------------------------------------------------------------------------------------


def _intercept(
    self: object, method: Callable[[Any, Any], Any], request_or_iterator: Any, context: Any, method_name: str
) -> Any:
    return method(request_or_iterator, context)


def _on_server_rpc(
    self: object, method: Callable[[Any, Any], Any], request: Any, context: Any, method_name: str, /
) -> Any:
    return method(request, context)


async def _aio_intercept(
    self: object, method: Callable[[Any, Any], Any], request_or_iterator: Any, context: Any, method_name: str
) -> Any:
    # 0.15.4's documented pass-through: a streaming response is handed on, not awaited.
    response_or_iterator = method(request_or_iterator, context)
    if hasattr(response_or_iterator, "__aiter__"):
        return response_or_iterator
    return await response_or_iterator


async def _aio_on_unary_unary(
    self: object, method: Callable[[Any, Any], Any], request: Any, context: Any, method_name: str, /
) -> Any:
    return await method(request, context)


def _client_intercept(
    self: object, method: Callable[[Any, Any], Any], request_or_iterator: Any, call_details: Any
) -> Any:
    return method(request_or_iterator, call_details)


async def _aio_client_intercept(
    self: object, method: Callable[[Any, Any], Awaitable[Any]], request_or_iterator: Any, call_details: Any
) -> Any:
    return await method(request_or_iterator, call_details)


def _on_client_call(self: object, method: Callable[[Any, Any], Any], request: Any, call_details: Any, /) -> Any:
    return method(request, call_details)


@dataclass
class Library:
    """The interceptor library a worker measures, found by module name."""

    name: str
    version: str
    location: str
    server: ModuleType
    client: ModuleType
    exception_to_status: ModuleType
    typed_hooks: bool
    chain: Callable[..., Any] | None  # grpc_interceptor.chain, where the library has it

    @classmethod
    def load(cls, module: str) -> Library:
        package = importlib.import_module(module)
        try:
            version = importlib.metadata.version("grpc-interceptor") if module == "grpc_interceptor" else "unknown"
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
        server = importlib.import_module(f"{module}.server")
        return cls(
            name=module,
            version=str(getattr(package, "__version__", version)),
            location=str(getattr(package, "__file__", "?")),
            server=server,
            client=importlib.import_module(f"{module}.client"),
            exception_to_status=importlib.import_module(f"{module}.exception_to_status"),
            typed_hooks=hasattr(server.ServerInterceptor, "on_unary_unary"),
            chain=getattr(package, "chain", None),
        )

    def interceptors(self, side: str, hooks: str, count: int) -> list[Any] | None:
        """Return ``count`` pass-through interceptors of one sort, or None if the library has none."""
        if hooks == "typed" and not self.typed_hooks:
            return None
        if hooks == "chain":
            members = self.interceptors(side, "catch-all", count)
            return None if self.chain is None or members is None else [self.chain(*members)]
        make: Callable[[], Any]
        body: dict[str, Callable[..., Any]]
        if side == "aio-client":  # 0.15.4 has no async client interceptor
            base = getattr(self.client, "AsyncClientInterceptor", None)
            if base is None or hooks not in ("catch-all",):
                return None
            return [
                type("AsyncClientPassThrough", (base,), {"intercept": _aio_client_intercept})() for _ in range(count)
            ]
        if hooks == "exception-to-status":
            if side == "client":
                return None
            name = "ExceptionToStatusInterceptor" if side == "sync" else "AsyncExceptionToStatusInterceptor"
            make = getattr(self.exception_to_status, name)
        elif side == "sync":
            body = {"on_unary_unary": _on_server_rpc, "on_unary_stream": _on_server_rpc}
            make = type(
                "PassThrough", (self.server.ServerInterceptor,), body if hooks == "typed" else {"intercept": _intercept}
            )
        elif side == "aio":
            # A streaming hook may return the continuation's async iterator as it is.
            body = {"on_unary_unary": _aio_on_unary_unary, "on_unary_stream": _on_server_rpc}
            make = type(
                "AsyncPassThrough",
                (self.server.AsyncServerInterceptor,),
                body if hooks == "typed" else {"intercept": _aio_intercept},
            )
        else:
            body = {"on_unary_unary": _on_client_call}
            make = type(
                "ClientPassThrough",
                (self.client.ClientInterceptor,),
                body if hooks == "typed" else {"intercept": _client_intercept},
            )
        return [make() for _ in range(count)]


# --------------------------------------------------------------------------------------
# Harness (a): the chain wired once, as grpc's server would call it
# --------------------------------------------------------------------------------------


class _Context:
    """A servicer context that nothing in a pass-through chain touches."""

    __slots__ = ()


class _Details(grpc.HandlerCallDetails):
    __slots__ = ("invocation_metadata", "method")

    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


REQUEST = b"request"
CONTEXT = _Context()


def _sync_unary(request: bytes, context: object) -> bytes:
    return request


def _sync_stream(request: bytes, context: object) -> Iterator[bytes]:
    for _ in range(MESSAGES):
        yield request


async def _aio_unary(request: bytes, context: object) -> bytes:
    return request


async def _aio_stream(request: bytes, context: object) -> AsyncIterator[bytes]:
    for _ in range(MESSAGES):
        yield request


def _handler(side: str, kind: str) -> grpc.RpcMethodHandler[Any, Any]:
    if kind == "unary":
        return grpc.unary_unary_rpc_method_handler(_sync_unary if side == "sync" else _aio_unary)
    return grpc.unary_stream_rpc_method_handler(_sync_stream if side == "sync" else _aio_stream)


def _chain(interceptors: Sequence[Any], innermost: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Return the outermost continuation: each calls ``intercept_service`` with the next."""
    entry = innermost
    for interceptor in reversed(interceptors):
        entry = functools.partial(interceptor.intercept_service, entry)
    return entry


def _timed_sync(entry: Callable[[Any], Any], kind: str) -> Callable[[int], int]:
    details = _Details(METHOD)

    def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            entry(details).unary_unary(REQUEST, CONTEXT)
        return time.perf_counter_ns() - start

    def stream(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            for _message in entry(details).unary_stream(REQUEST, CONTEXT):
                pass
        return time.perf_counter_ns() - start

    return unary if kind == "unary" else stream


def _timed_aio(entry: Callable[[Any], Any], kind: str, loop: asyncio.AbstractEventLoop) -> Callable[[int], int]:
    details = _Details(METHOD)

    async def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            handler = await entry(details)
            await handler.unary_unary(REQUEST, CONTEXT)
        return time.perf_counter_ns() - start

    async def stream(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            handler = await entry(details)
            async for _message in handler.unary_stream(REQUEST, CONTEXT):
                pass
        return time.perf_counter_ns() - start

    timed = unary if kind == "unary" else stream
    return lambda count: loop.run_until_complete(timed(count))


def _timed_client(interceptors: Sequence[Any], library: Library) -> Callable[[int], int]:
    def channel(call_details: Any, request: Any) -> Any:  # stands for grpc's channel: returns the "call"
        return request

    entry: Callable[[Any, Any], Any] = channel
    for interceptor in reversed(interceptors):
        entry = functools.partial(interceptor.intercept_unary_unary, entry)
    details = library.client.ClientCallDetails(METHOD, None, None, None, None, None)

    def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            entry(details, REQUEST)
        return time.perf_counter_ns() - start

    return unary


def _timed_aio_client(
    interceptors: Sequence[Any], library: Library, loop: asyncio.AbstractEventLoop
) -> Callable[[int], int] | None:
    """Unary calls through what ``aio_channel_interceptors`` installs, chained as grpc.aio chains them.

    ``None`` on a grpcio whose grpc.aio cannot run async client interceptors (the library refuses them).
    """

    async def channel(call_details: Any, request: Any) -> Any:  # stands for grpc.aio's channel
        return request

    entry: Callable[[Any, Any], Awaitable[Any]] = channel
    try:
        installed: list[object] = library.client.aio_channel_interceptors(*interceptors) if interceptors else []
    except RuntimeError:
        return None
    unary_ones = [i for i in installed if isinstance(i, grpc.aio.UnaryUnaryClientInterceptor)]
    for interceptor in reversed(unary_ones):
        entry = functools.partial(interceptor.intercept_unary_unary, entry)
    details = grpc.aio.ClientCallDetails(cast("str", METHOD.encode()), None, None, None, None)

    async def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            await entry(details, REQUEST)
        return time.perf_counter_ns() - start

    return lambda count: loop.run_until_complete(unary(count))


# --------------------------------------------------------------------------------------
# Harness (b): grpc's own server pipeline (private grpc API: skipped where it differs)
# --------------------------------------------------------------------------------------


def _grpc_sync_pipeline(interceptors: Sequence[Any], kind: str) -> Callable[[int], int] | None:
    try:
        pipelines = importlib.import_module("grpc._interceptor")
        server_module = importlib.import_module("grpc._server")
        make_details: Callable[[str, Any], Any] = server_module._HandlerCallDetails
        pipeline: Any = pipelines.service_pipeline(list(interceptors))
    except (ImportError, AttributeError):
        return None
    generic = grpc.method_handlers_generic_handler(SERVICE, {"Method": _handler("sync", kind)})
    query = generic.service
    execute: Callable[..., Any] | None = None if pipeline is None else pipeline.execute

    # As grpc's _find_method_handler: new call details and a context copy per RPC.
    def find() -> Any:
        details = make_details(METHOD, ())
        if execute is None:
            return contextvars.copy_context().run(query, details)
        return contextvars.copy_context().run(execute, query, details)

    def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            find().unary_unary(REQUEST, CONTEXT)
        return time.perf_counter_ns() - start

    def stream(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            for _message in find().unary_stream(REQUEST, CONTEXT):
                pass
        return time.perf_counter_ns() - start

    return unary if kind == "unary" else stream


def _grpc_aio_pipeline(interceptors: Sequence[Any], loop: asyncio.AbstractEventLoop) -> Callable[[int], int] | None:
    try:
        cygrpc = importlib.import_module("grpc._cython.cygrpc")
        find: Callable[..., Any] = cygrpc._find_method_handler
        generic = grpc.method_handlers_generic_handler(SERVICE, {"Method": _handler("aio", "unary")})
        resolver = cygrpc._MethodResolver([generic], {})
        chain = tuple(interceptors)
        if loop.run_until_complete(find(METHOD, (), resolver, chain)) is None:
            return None
    except (ImportError, AttributeError, TypeError):  # another grpc version: another signature
        return None

    async def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            handler = await find(METHOD, (), resolver, chain)
            await handler.unary_unary(REQUEST, CONTEXT)
        return time.perf_counter_ns() - start

    return lambda count: loop.run_until_complete(unary(count))


class _FakeCall(grpc.Call):
    """What the fake channel's calls return: a call that nothing here reads."""

    def initial_metadata(self) -> Any:
        return None

    def trailing_metadata(self) -> Any:
        return None

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def details(self) -> str:
        return ""

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


class _FakeUnaryUnary:
    """A channel's unary-unary multicallable that answers with the request, at once."""

    call = _FakeCall()

    def __call__(self, request: Any, **_: Any) -> Any:
        return request

    def with_call(self, request: Any, **_: Any) -> tuple[Any, grpc.Call]:
        return request, self.call


class _FakeChannel:
    """Stands for a channel under ``grpc.intercept_channel``: unary-unary only."""

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> _FakeUnaryUnary:
        return _FakeUnaryUnary()


def _grpc_client_pipeline(interceptors: Sequence[Any]) -> Callable[[int], int]:
    """Calls through grpc's own client pipeline, ``grpc.intercept_channel`` over a fake channel."""
    channel: Any = grpc.intercept_channel(cast("grpc.Channel", _FakeChannel()), *interceptors)
    multicallable = channel.unary_unary(METHOD)

    def unary(count: int) -> int:
        start = time.perf_counter_ns()
        for _ in range(count):
            multicallable(REQUEST)
        return time.perf_counter_ns() - start

    return unary


def runner_for(case: Case, library: Library, loop: asyncio.AbstractEventLoop) -> Callable[[int], int] | None:
    """Return ``run(count) -> ns``, ``count`` RPCs of ``case``, or ``None`` if the library lacks the case."""
    interceptors = library.interceptors(case.side, case.hooks, case.interceptors) if case.interceptors else []
    if interceptors is None:
        return None
    if case.side == "client":
        return _grpc_client_pipeline(interceptors) if case.harness == "b" else _timed_client(interceptors, library)
    if case.side == "aio-client":
        return _timed_aio_client(interceptors, library, loop)
    if case.harness == "b":
        return (
            _grpc_sync_pipeline(interceptors, case.kind)
            if case.side == "sync"
            else _grpc_aio_pipeline(interceptors, loop)
        )
    handler = _handler(case.side, case.kind)
    if case.side == "sync":
        return _timed_sync(_chain(interceptors, lambda details: handler), case.kind)

    async def innermost(details: Any) -> Any:
        return handler

    return _timed_aio(_chain(interceptors, innermost), case.kind, loop)


INPROCESS = HERE / "inprocess.py"


def in_process(
    label: str, python: str, module: str, quick: bool, processes: int, env: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Time every case of one library with pyperf (``inprocess.py``): ns per RPC of each value, and who ran."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"{label}.json"
        command = [python, str(INPROCESS), "--library", module, "--output", str(out)]
        # A smoke run wants every case exercised, not numbers: pyperf's worker mode, in one
        # process, with a fixed count of RPCs per value.
        command += (
            ["--worker", "--loops", "200", "--values", "1", "--warmups", "1"]
            if quick
            else ["--processes", str(processes), "--values", "3"]
        )
        print(f"\nin-process cases of {label} ({python}), timed by pyperf:", flush=True)
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(
                f"the in-process benchmark of {label} failed (exit status {done.returncode}); the environment of "
                f"{python} needs grpcio, pyperf and the library ({module})"
            )
        suite = pyperf.BenchmarkSuite.load(str(out))
    samples: dict[str, list[float]] = {}
    hello: dict[str, Any] = {}
    for benchmark in suite.get_benchmarks():
        samples[str(benchmark.get_name())] = [value * 1e9 for value in benchmark.get_values()]
        metadata = benchmark.get_metadata()
        hello = {
            "library": metadata.get("grpc_interceptor_library"),
            "version": metadata.get("grpc_interceptor_version"),
            "location": metadata.get("grpc_interceptor_location"),
            "python": metadata.get("python_version_short"),
            "grpcio": metadata.get("grpcio_version"),
        }
    return samples, hello


# --------------------------------------------------------------------------------------
# Loopback: real servers on 127.0.0.1, one sequential client
# --------------------------------------------------------------------------------------


def _sync_loopback_interceptor() -> Any:
    from grpc_interceptor import ServerInterceptor

    class PassThrough(ServerInterceptor):
        def intercept(
            self, method: Any, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str, /
        ) -> Any:
            return method(request_or_iterator, context)

    return PassThrough()


def _aio_loopback_interceptor() -> Any:
    from grpc_interceptor import AsyncServerInterceptor

    class AsyncPassThrough(AsyncServerInterceptor):
        def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> AsyncIterator[Any]:
            return method(request, context)  # type: ignore[no-any-return]

        async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
            return await method(request, context)

    return AsyncPassThrough()


class _RawPassThrough(grpc.ServerInterceptor):
    """A pass-through written against grpc's own API: grpc's cost of an interceptor."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        return continuation(handler_call_details)


class _AsyncRawPassThrough(grpc.aio.ServerInterceptor):
    """The grpc.aio twin of :class:`_RawPassThrough`."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        return await continuation(handler_call_details)


class _RawWrapping(grpc.ServerInterceptor):
    """grpc's own API, wrapping the behaviour, built once per handler.

    The least an interceptor that sees the requests can cost.
    """

    def __init__(self) -> None:
        self._wrapped: dict[int, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]] = {}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        known = self._wrapped.get(id(handler))
        if known is not None and known[0] is handler:
            return known[1]
        behavior = self._wrap(handler.unary_unary, handler_call_details.method)
        built = grpc.unary_unary_rpc_method_handler(behavior, handler.request_deserializer, handler.response_serializer)
        self._wrapped[id(handler)] = (handler, built)
        return built

    def _wrap(self, behavior: Callable[[Any, Any], Any], method_name: str) -> Callable[[Any, Any], Any]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            return behavior(request, context)

        return wrapped


class _AsyncRawWrapping(grpc.aio.ServerInterceptor):
    """The grpc.aio twin of :class:`_RawWrapping`."""

    def __init__(self) -> None:
        self._wrapped: dict[int, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        known = self._wrapped.get(id(handler))
        if known is not None and known[0] is handler:
            return known[1]
        behavior = self._wrap(handler.unary_unary, handler_call_details.method)
        built = grpc.unary_unary_rpc_method_handler(behavior, handler.request_deserializer, handler.response_serializer)
        self._wrapped[id(handler)] = (handler, built)
        return built

    def _wrap(
        self, behavior: Callable[[Any, Any], Awaitable[Any]], method_name: str
    ) -> Callable[[Any, Any], Awaitable[Any]]:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            return await behavior(request, context)

        return wrapped


def _fused_hook(self: object, method: Callable[[Any, Any], Any], request: Any, context: Any, method_name: str) -> Any:
    return method(request, context)


async def _async_fused_hook(
    self: object, method: Callable[[Any, Any], Awaitable[Any]], request: Any, context: Any, method_name: str
) -> Any:
    return await method(request, context)


def _bound(hook: Callable[..., Any], self: object, step: Callable[..., Any], method_name: str) -> Callable[..., Any]:
    """``hook`` as a call of ``(request, context)``: a copy whose ``method_name`` defaults to this method's."""
    copy = types.FunctionType(hook.__code__, hook.__globals__, hook.__name__, (method_name,))
    return functools.partial(copy, self, step)


class _RawFusedHooks(_RawWrapping):
    """grpc's own API, running ``hooks`` pass-through hooks around the behaviour, fused by hand.

    Built once per handler, each hook bound to its continuation and the method name
    (``functools.partial`` of a copy whose last parameter defaults to the method name: no
    frame between the hooks): the least a chain of that many hooks that see the requests
    can cost through grpc's API.
    """

    def __init__(self, hooks: int) -> None:
        super().__init__()
        self._hooks = hooks

    def _wrap(self, behavior: Callable[[Any, Any], Any], method_name: str) -> Callable[[Any, Any], Any]:
        for _ in range(self._hooks):
            behavior = _bound(_fused_hook, self, behavior, method_name)
        return behavior


class _AsyncRawFusedHooks(_AsyncRawWrapping):
    """The grpc.aio twin of :class:`_RawFusedHooks`."""

    def __init__(self, hooks: int) -> None:
        super().__init__()
        self._hooks = hooks

    def _wrap(
        self, behavior: Callable[[Any, Any], Awaitable[Any]], method_name: str
    ) -> Callable[[Any, Any], Awaitable[Any]]:
        for _ in range(self._hooks):
            behavior = _bound(_async_fused_hook, self, behavior, method_name)
        return behavior


#: The loopback chains: ours with 0, 1 and 5 interceptors, and 5 in one chain(); grpc's
#: own pass-through (1 and 5), whose cost is what any interceptor library pays before
#: doing anything; one of grpc's own that wraps the behaviour, the least an interceptor
#: that sees the requests costs, and one that runs five hooks fused by hand, the least a
#: chain of five costs; and a second server with none ("control"), whose distance from
#: the first shows how far two identical servers measure apart: the noise floor of the
#: run. The count is of hooks: chain() and the fused hooks are one grpc interceptor.
CHAINS = (
    ("grpc-interceptor", 0),
    ("grpc-interceptor", 1),
    ("grpc-interceptor", 5),
    ("chain()", 5),
    ("raw grpc", 1),
    ("raw grpc", 5),
    ("raw grpc, wrapping", 1),
    ("raw grpc, fused hooks", 5),
    ("control", 0),
)

_SYNC_MAKERS: dict[str, Callable[[], grpc.ServerInterceptor]] = {  # the rest: ours
    "raw grpc": _RawPassThrough,
    "raw grpc, wrapping": _RawWrapping,
}
_AIO_MAKERS: dict[str, Callable[[], grpc.aio.ServerInterceptor]] = {
    "raw grpc": _AsyncRawPassThrough,
    "raw grpc, wrapping": _AsyncRawWrapping,
}


def _loopback_handlers(aio: bool) -> grpc.GenericRpcHandler:
    unary: Any = _aio_unary if aio else _sync_unary
    stream: Any = _aio_stream if aio else _sync_stream
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {"Unary": grpc.unary_unary_rpc_method_handler(unary), "Stream": grpc.unary_stream_rpc_method_handler(stream)},
    )


def loopback_interceptors(server: str, chain: int) -> list[Any]:
    """The interceptors a server of ``server``'s kind (sync or aio) is given for ``CHAINS[chain]``."""
    name, count = CHAINS[chain]
    if name == "raw grpc, fused hooks":
        return [_AsyncRawFusedHooks(count) if server == "aio" else _RawFusedHooks(count)]
    if server == "aio":
        make_aio: Callable[[], grpc.aio.ServerInterceptor] = _AIO_MAKERS.get(name, _aio_loopback_interceptor)
        interceptors: list[Any] = [make_aio() for _ in range(count)]
    else:
        make: Callable[[], grpc.ServerInterceptor] = _SYNC_MAKERS.get(name, _sync_loopback_interceptor)
        interceptors = [make() for _ in range(count)]
    if name == "chain()":
        from grpc_interceptor import chain as chain_of

        interceptors = [chain_of(*interceptors)]
    return interceptors


def serve(server: str, chain: int) -> None:
    """Run the loopback server of one kind for ``CHAINS[chain]`` until stdin closes.

    It prints its port as a line of JSON first.
    """
    if server == "aio":
        asyncio.run(_serve_aio(loopback_interceptors(server, chain)))
        return
    interceptors: list[grpc.ServerInterceptor] = loopback_interceptors(server, chain)
    executor = ThreadPoolExecutor(max_workers=4)
    sync_server = grpc.server(executor, interceptors=interceptors)
    sync_server.add_generic_rpc_handlers((_loopback_handlers(aio=False),))
    port = sync_server.add_insecure_port("127.0.0.1:0")
    sync_server.start()
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.read()  # until the parent closes it, or exits
    sync_server.stop(None).wait()
    executor.shutdown(wait=True)


async def _serve_aio(interceptors: list[grpc.aio.ServerInterceptor]) -> None:
    aio_server = grpc.aio.server(interceptors=interceptors)
    aio_server.add_generic_rpc_handlers((_loopback_handlers(aio=True),))
    port = aio_server.add_insecure_port("127.0.0.1:0")
    await aio_server.start()
    print(json.dumps({"port": port}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await aio_server.stop(None)


class _ServerProcess:
    """A process running :func:`serve`: one loopback server."""

    def __init__(self, server: str, chain: int) -> None:
        self.server = server
        command = [sys.executable, str(Path(__file__).resolve()), "--serve", server, str(chain)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def port(self) -> int:
        """Wait for the server to listen, and return its port."""
        stdout: IO[str] | None = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError(f"a {self.server} loopback server exited (status {self._process.wait()})")
        port: int = json.loads(line)["port"]
        return port

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


@dataclass
class _Endpoint:
    server: str
    chain: str
    interceptors: int
    channel: grpc.Channel
    unary: grpc.UnaryUnaryMultiCallable[Any, Any]
    stream: grpc.UnaryStreamMultiCallable[Any, Any]


def loopback(rounds: int, unary_calls: int, stream_calls: int) -> list[dict[str, Any]]:
    """Measure RPCs over 127.0.0.1 with 0, 1 and 5 interceptors on a sync and an aio server.

    Each server runs in a process of its own, as servers do: the client's work here
    shares no interpreter lock with it, nor the servers with each other.
    """
    processes: list[_ServerProcess] = []
    endpoints: list[_Endpoint] = []
    try:
        processes = [_ServerProcess(server, chain) for server in ("sync", "aio") for chain in range(len(CHAINS))]
        for process, (name, count) in zip(processes, [*CHAINS, *CHAINS], strict=True):
            endpoints.append(_open(process.server, name, count, process.port()))
        for endpoint in endpoints:  # warm up: connections, caches, code paths
            for _ in range(max(20, unary_calls // 10)):
                endpoint.unary(REQUEST, timeout=10)
            for _message in endpoint.stream(REQUEST, timeout=10):
                pass
        count = len(endpoints)
        unary_rps: list[list[float]] = [[] for _ in endpoints]
        stream_ms: list[list[float]] = [[] for _ in endpoints]
        latencies: list[list[int]] = [[] for _ in endpoints]
        # Call by call across all servers, in a new random order each time, so that each
        # server gets the same share of whatever else the machine is doing meanwhile and
        # none always follows the same one.
        shuffle = random.Random(0).shuffle
        order = list(range(count))
        for _round in range(rounds):
            spent = [0] * count
            for _call in range(unary_calls):
                shuffle(order)
                for index in order:
                    start = time.perf_counter_ns()
                    endpoints[index].unary(REQUEST, timeout=10)
                    elapsed = time.perf_counter_ns() - start
                    spent[index] += elapsed
                    latencies[index].append(elapsed)
            for index in range(count):
                unary_rps[index].append(unary_calls / (spent[index] / 1e9))
            spent = [0] * count
            for _call in range(stream_calls):
                shuffle(order)
                for index in order:
                    start = time.perf_counter_ns()
                    for _message in endpoints[index].stream(REQUEST, timeout=10):
                        pass
                    spent[index] += time.perf_counter_ns() - start
            for index in range(count):
                stream_ms[index].append(spent[index] / stream_calls / 1e6)
        rows: list[dict[str, Any]] = []
        for index, endpoint in enumerate(endpoints):
            none = next(i for i, e in enumerate(endpoints) if e.server == endpoint.server and e.chain == CHAINS[0][0])
            ordered = sorted(latencies[index])
            rps = statistics.median(unary_rps[index])
            ms = statistics.median(stream_ms[index])
            rows.append(
                {
                    "server": endpoint.server,
                    "chain": endpoint.chain,
                    "interceptors": endpoint.interceptors,
                    "unary_rps": rps,
                    # Median of the per-round ratios: each round compares servers that ran
                    # call by call side by side.
                    "unary_rps_ratio_to_none": _paired_ratio(unary_rps[index], unary_rps[none]),
                    "unary_p50_us": ordered[len(ordered) // 2] / 1e3,
                    "unary_p99_us": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e3,
                    "stream_ms": ms,
                    "stream_ratio_to_none": _paired_ratio(stream_ms[index], stream_ms[none]),
                    "rounds": rounds,
                    "unary_calls_per_round": unary_calls,
                    "streams_per_round": stream_calls,
                }
            )
        return rows
    finally:
        for endpoint in endpoints:
            endpoint.channel.close()
        for process in processes:
            process.close()


def _paired_ratio(values: Sequence[float], baselines: Sequence[float]) -> float:
    return statistics.median(value / base for value, base in zip(values, baselines, strict=True))


def _open(server: str, chain: str, count: int, port: int) -> _Endpoint:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return _Endpoint(
        server,
        chain,
        count,
        channel,
        channel.unary_unary(f"/{SERVICE}/Unary"),
        channel.unary_stream(f"/{SERVICE}/Stream"),
    )


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _summary(samples: dict[str, list[float]], case: Case) -> dict[str, Any] | None:
    if case.key not in samples or case.baseline.key not in samples:
        return None
    # pyperf's values, each an average over many RPCs in one worker process: their median
    # is what the report uses, the fastest is kept beside it.
    value, base = statistics.median(samples[case.key]), statistics.median(samples[case.baseline.key])
    overhead = (value - base) / case.interceptors if case.interceptors else None
    return {
        "ns_per_rpc": value,
        "ns_per_rpc_min": min(samples[case.key]),
        "ratio_to_baseline": value / base,
        "overhead_ns_per_interceptor": overhead,
        "overhead_ns_per_message": overhead / MESSAGES if overhead is not None and case.kind == "stream" else None,
    }


def in_process_rows(results: dict[str, dict[str, list[float]]], ours: str, other: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for case in CASES:
        mine = _summary(results[ours], case)
        if mine is None:
            continue
        theirs = _summary(results[other], case) if other is not None else None
        versus = None
        if theirs is not None and case.interceptors:
            versus = mine["overhead_ns_per_interceptor"] / theirs["overhead_ns_per_interceptor"]
        rows.append(
            {
                "key": case.key,
                "harness": case.harness,
                "side": case.side,
                "kind": case.kind,
                "hooks": case.hooks,
                "interceptors": case.interceptors,
                "ours": mine,
                "other": theirs,
                "overhead_ours_over_other": versus,
            }
        )
    return rows


def _target(name: str, value: float | None, limit: float, unit: str) -> dict[str, Any]:
    return {
        "name": name,
        "value": value,
        "limit": limit,
        "unit": unit,
        "met": None if value is None else value <= limit,
    }


def targets(rows: list[dict[str, Any]], loop_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {row["key"]: row for row in rows}

    def overhead(key: str, field: str = "overhead_ns_per_interceptor") -> float | None:
        row = by_key.get(key)
        return None if row is None else row["ours"][field]

    def versus(key: str) -> float | None:
        row = by_key.get(key)
        return None if row is None else row["overhead_ours_over_other"]

    found = [
        _target("(a) sync unary catch-all x1: ns per interceptor", overhead("a/sync/unary/catch-all/1"), 550, "ns"),
        _target("(a) sync unary catch-all x5: ns per interceptor", overhead("a/sync/unary/catch-all/5"), 550, "ns"),
        _target("(a) sync unary catch-all x1: overhead ours/0.15.4", versus("a/sync/unary/catch-all/1"), 1 / 3, "x"),
        _target("(a) sync unary catch-all x5: overhead ours/0.15.4", versus("a/sync/unary/catch-all/5"), 1 / 3, "x"),
        _target(
            "(a) sync stream catch-all x1: ns per message",
            overhead("a/sync/stream/catch-all/1", "overhead_ns_per_message"),
            0.3e3,
            "ns",
        ),
    ]
    # chain() of 5 through grpc's client pipeline, per interceptor, against 0.15.4's list of 5.
    chained, listed = by_key.get("b/client/unary/chain/5"), by_key.get("b/client/unary/catch-all/5")
    theirs = None if listed is None or listed["other"] is None else listed["other"]["overhead_ns_per_interceptor"]
    ratio = None if chained is None or not theirs else chained["ours"]["overhead_ns_per_interceptor"] / theirs
    found.append(_target("(b) client chain() x5: per interceptor, ours/0.15.4's list of 5", ratio, 0.5, "x"))
    for chain_name, label in (("grpc-interceptor", "x5"), ("chain()", "chain() x5")):
        for server in ("sync", "aio"):
            row = next(
                (r for r in loop_rows if r["server"] == server and r["interceptors"] == 5 and r["chain"] == chain_name),
                None,
            )
            drop = None if row is None else 1 - row["unary_rps_ratio_to_none"]
            found.append(_target(f"loopback {server} server unary {label}: RPC/s lost vs none", drop, 0.03, "fraction"))
    return found


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_report(
    rows: list[dict[str, Any]], loop_rows: list[dict[str, Any]], goals: list[dict[str, Any]], meta: dict[str, Any]
) -> None:
    other_name = meta["other"]["version"] if meta.get("other") else None
    print(f"\ngrpc-interceptor {meta['ours']['version']}, python {meta['python']}, grpcio {meta['grpcio']}")
    print(
        f"in-process: ns per RPC, median of pyperf's values ({meta['pyperf_processes']} processes); "
        "x base = ratio to no interceptor;"
    )
    print("+ns/icpt = (chain - none) / interceptors (per message: also / 100 for streams)\n")
    head = f"{'case':<42}{'ours ns':>9}{'x base':>8}{'+ns/icpt':>10}{'+ns/msg':>9}"
    if other_name:
        head += f" |{other_name + ' ns':>11}{'x base':>8}{'+ns/icpt':>10} |{'ours/their':>11}"
    print(head)
    print("-" * len(head))
    for row in rows:
        case = Case(row["harness"], row["side"], row["kind"], row["hooks"], row["interceptors"])
        mine = row["ours"]
        line = (
            f"{case.label:<42}{mine['ns_per_rpc']:>9.0f}{mine['ratio_to_baseline']:>8.2f}"
            f"{_fmt(mine['overhead_ns_per_interceptor'], '.0f'):>10}{_fmt(mine['overhead_ns_per_message'], '.1f'):>9}"
        )
        if other_name:
            theirs = row["other"]
            if theirs is None:
                line += f" |{'n/a':>11}{'':>8}{'':>10} |{'':>11}"
            else:
                line += (
                    f" |{theirs['ns_per_rpc']:>11.0f}{theirs['ratio_to_baseline']:>8.2f}"
                    f"{_fmt(theirs['overhead_ns_per_interceptor'], '.0f'):>10} |"
                    f"{_fmt(row['overhead_ours_over_other'], '.2f'):>11}"
                )
        print(line)
    if loop_rows:
        first = loop_rows[0]
        print(
            f"\nloopback 127.0.0.1, one sequential client, median of {first['rounds']} rounds "
            f"({first['unary_calls_per_round']} unary calls and {first['streams_per_round']} streams of {MESSAGES} "
            "per server per round, call by call across servers in random order)\n"
        )
        head = f"{'server':<8}{'chain':<18}{'icpt':>5}{'RPC/s':>10}{'x none':>8}{'p50 us':>9}{'p99 us':>9}"
        head += f"{'stream ms':>11}{'x none':>8}"
        print(head)
        print("-" * len(head))
        for row in loop_rows:
            print(
                f"{row['server']:<8}{row['chain']:<18}{row['interceptors']:>5}"
                f"{row['unary_rps']:>10.0f}"
                f"{row['unary_rps_ratio_to_none']:>8.3f}{row['unary_p50_us']:>9.1f}{row['unary_p99_us']:>9.1f}"
                f"{row['stream_ms']:>11.3f}{row['stream_ratio_to_none']:>8.3f}"
            )
    print("\ntargets")
    for goal in goals:
        verdict = "n/a" if goal["met"] is None else ("met" if goal["met"] else "MISSED")
        value = _fmt(goal["value"], ".3f" if goal["unit"] != "ns" else ".0f")
        print(f"  {verdict:<7}{goal['name']}: {value} (limit {goal['limit']:.3g} {goal['unit']})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds; numbers are noisy")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results ({DEFAULT_JSON})")
    parser.add_argument("--baseline-python", help="interpreter of an environment with grpc-interceptor 0.15.4")
    parser.add_argument("--baseline-module", help="import name of grpc-interceptor 0.15.4 in this environment")
    parser.add_argument(
        "--processes", type=int, help="pyperf worker processes per in-process case (default 4, quick 1)"
    )
    parser.add_argument("--loopback-rounds", type=int, default=9, help="loopback rounds (default 9, at least 7)")
    parser.add_argument(
        "--loopback-calls", type=int, default=400, help="unary calls per server per loopback round (default 400)"
    )
    parser.add_argument("--no-loopback", action="store_true", help="only the in-process harnesses")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "CHAIN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if args.loopback_calls < 1:
        parser.error("--loopback-calls must be at least 1")

    processes: int = 1 if args.quick else (args.processes or 4)
    results: dict[str, dict[str, list[float]]] = {}
    hellos: dict[str, dict[str, Any]] = {}
    results["ours"], hellos["ours"] = in_process(
        "ours", sys.executable, "grpc_interceptor", args.quick, processes, dict(os.environ)
    )
    if args.baseline_python:
        # The other environment must see its own grpc_interceptor, not this checkout.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        results["other"], hellos["other"] = in_process(
            "0.15.4", args.baseline_python, "grpc_interceptor", args.quick, processes, env
        )
    elif args.baseline_module:
        results["other"], hellos["other"] = in_process(
            "0.15.4", sys.executable, args.baseline_module, args.quick, processes, dict(os.environ)
        )
    if "other" in hellos and hellos["other"]["location"] == hellos["ours"]["location"]:
        raise SystemExit("the baseline imports the same grpc_interceptor as this checkout")
    other = "other" if "other" in results else None
    rows = in_process_rows(results, "ours", other)
    loop_rows: list[dict[str, Any]] = []
    if not args.no_loopback:
        if args.quick:
            loop_rows = loopback(rounds=3, unary_calls=20, stream_calls=1)
        else:
            loop_rows = loopback(rounds=max(args.loopback_rounds, 7), unary_calls=args.loopback_calls, stream_calls=2)
    meta: dict[str, Any] = {
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "pyperf_processes": processes,
        "ours": hellos["ours"],
        "other": hellos.get("other"),
    }
    goals = targets(rows, loop_rows)
    print_report(rows, loop_rows, goals, meta)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps({"meta": meta, "in_process": rows, "loopback": loop_rows, "targets": goals}, indent=2)
    )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
