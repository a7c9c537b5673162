"""Shared pieces of the load, fault and security tests.

A scripted service whose behaviour is chosen by each request (``"<mode>:<id>"``), the
outcome the client must see for every request, counting interceptors whose counts a
test can check exactly, and helpers to check that nothing outlives a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio

from grpc_interceptor import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceServicer, add_DummyServiceServicer_to_server

KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
MODES = ("ok", "mapped", "unknown", "abort")

#: What the tag interceptor appends to every response message.
TAG = "+"
#: The trailing metadata the trailer interceptor sets on every RPC.
TRAILER = ("x-chain", "trailer")


def mode_for(index: int) -> str:
    """The fixed mix of the load tests: 70% succeed, 10% each of the three failures."""
    slot = index % 10
    return MODES[slot - 6] if slot >= 7 else "ok"


def kind_for(index: int) -> str:
    """The RPC kind of request ``index`` in the load tests: a streaming-light mix.

    Of every 100 requests, 70 are unary-unary and 10 each of the streaming kinds
    (streaming RPCs cost several times as much). The kind is taken from
    ``index // 10`` so that every kind gets the same mix of modes.
    """
    return _LOAD_KINDS[(index // 10) % 10]


_LOAD_KINDS = ("unary_unary",) * 7 + ("unary_stream", "stream_unary", "stream_stream")


# --- the scripted service -------------------------------------------------------------


def answer(text: str, context: Any) -> str:
    """Answer one request message of the sync service: echo it, or fail as it asks."""
    mode, _, rid = text.partition(":")
    if mode == "mapped":
        raise NotFound(f"no item {rid}")
    if mode == "unknown":
        raise RuntimeError(f"crash {rid}")
    if mode == "abort":
        context.abort(grpc.StatusCode.PERMISSION_DENIED, f"denied {rid}")
    return f"done {rid}"


async def answer_async(text: str, context: Any) -> str:
    """:func:`answer` for a grpc.aio context, whose ``abort`` is a coroutine."""
    mode, _, rid = text.partition(":")
    if mode == "abort":
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"denied {rid}")
    return answer(text, context)


def stream_requests(mode: str, rid: int) -> list[DummyRequest]:
    """The request stream of request ``rid``: two that succeed, then one in ``mode``."""
    return [DummyRequest(input=f"ok:{rid}.0"), DummyRequest(input=f"ok:{rid}.1"), DummyRequest(input=f"{mode}:{rid}")]


class ScriptedService(DummyServiceServicer):
    """A sync service whose failures are chosen by the request (see :func:`answer`).

    A streaming response sends two messages before the last one, which may fail; a
    streaming request fails on its last message.
    """

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        return DummyResponse(output=answer(request.input, context))

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        rid = request.input.partition(":")[2]
        yield DummyResponse(output=f"{rid}.0")
        yield DummyResponse(output=f"{rid}.1")
        yield DummyResponse(output=answer(request.input, context))

    def ExecuteClientStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> DummyResponse:
        return DummyResponse(output=",".join(answer(request.input, context) for request in request_iterator))

    def ExecuteClientServerStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> Iterator[DummyResponse]:
        for request in request_iterator:
            yield DummyResponse(output=answer(request.input, context))


class AsyncScriptedService(DummyServiceServicer):
    """:class:`ScriptedService` for a grpc.aio server (``async def`` with return and yield)."""

    async def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:
        return DummyResponse(output=await answer_async(request.input, context))

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> AsyncIterator[DummyResponse]:
        rid = request.input.partition(":")[2]
        yield DummyResponse(output=f"{rid}.0")
        yield DummyResponse(output=f"{rid}.1")
        yield DummyResponse(output=await answer_async(request.input, context))

    async def ExecuteClientStream(self, request_iterator: AsyncIterator[DummyRequest], context: Any) -> DummyResponse:
        outputs = [await answer_async(request.input, context) async for request in request_iterator]
        return DummyResponse(output=",".join(outputs))

    async def ExecuteClientServerStream(
        self, request_iterator: AsyncIterator[DummyRequest], context: Any
    ) -> AsyncIterator[DummyResponse]:
        async for request in request_iterator:
            yield DummyResponse(output=await answer_async(request.input, context))


@dataclass(frozen=True)
class Outcome:
    """What the client sees of one RPC."""

    responses: tuple[str, ...]
    code: grpc.StatusCode
    details: str
    trailer: bool = True


def expected_outcome(kind: str, mode: str, rid: int) -> Outcome:
    """The outcome request ``rid`` in ``mode`` must get through the load chain."""
    if kind == "stream_unary":
        ok_responses: tuple[str, ...] = (f"done {rid}.0,done {rid}.1,done {rid}",)
    elif kind == "unary_unary":
        ok_responses = (f"done {rid}",)
    elif kind == "unary_stream":
        ok_responses = (f"{rid}.0", f"{rid}.1", f"done {rid}")
    else:
        ok_responses = (f"done {rid}.0", f"done {rid}.1", f"done {rid}")
    tagged = tuple(response + TAG for response in ok_responses)
    if mode == "ok":
        return Outcome(tagged, grpc.StatusCode.OK, "")
    # A streaming response has sent its first two messages when the last one fails.
    sent = tagged[:2] if kind.endswith("_stream") else ()
    if mode == "mapped":
        return Outcome(sent, grpc.StatusCode.NOT_FOUND, f"no item {rid}")
    if mode == "unknown":
        return Outcome(sent, grpc.StatusCode.INTERNAL, repr(RuntimeError(f"crash {rid}")))
    return Outcome(sent, grpc.StatusCode.PERMISSION_DENIED, f"denied {rid}")


# --- clients --------------------------------------------------------------------------


def stub_method(stub: Any, kind: str) -> Any:
    return {
        "unary_unary": stub.Execute,
        "unary_stream": stub.ExecuteServerStream,
        "stream_unary": stub.ExecuteClientStream,
        "stream_stream": stub.ExecuteClientServerStream,
    }[kind]


def has_trailer(metadata: Any) -> bool:
    return any((item[0], item[1]) == TRAILER for item in metadata or ())


def call_sync(stub: Any, kind: str, mode: str, rid: int) -> Outcome:
    """Make one RPC of the load mix with a sync stub and record what came back."""
    method = stub_method(stub, kind)
    request: Any = stream_requests(mode, rid) if kind.startswith("stream") else DummyRequest(input=f"{mode}:{rid}")
    if kind.startswith("stream"):
        request = iter(request)
    responses: list[str] = []
    try:
        if kind.endswith("_unary"):
            response, call = method.with_call(request)
            responses.append(response.output)
        else:
            call = method(request)
            responses.extend(response.output for response in call)
    except grpc.RpcError as e:
        rpc_error: Any = e
        return Outcome(
            tuple(responses), rpc_error.code(), rpc_error.details() or "", has_trailer(rpc_error.trailing_metadata())
        )
    return Outcome(tuple(responses), call.code(), call.details() or "", has_trailer(call.trailing_metadata()))


async def call_async(stub: Any, kind: str, mode: str, rid: int) -> Outcome:
    """Make one RPC of the load mix with a grpc.aio stub and record what came back."""
    method = stub_method(stub, kind)
    request: Any = stream_requests(mode, rid) if kind.startswith("stream") else DummyRequest(input=f"{mode}:{rid}")
    responses: list[str] = []
    call = method(request)
    try:
        if kind.endswith("_unary"):
            responses.append((await call).output)
        else:
            async for response in call:
                responses.append(response.output)
    except grpc.aio.AioRpcError as e:
        return Outcome(tuple(responses), e.code(), e.details() or "", has_trailer(e.trailing_metadata()))
    return Outcome(
        tuple(responses), await call.code(), await call.details() or "", has_trailer(await call.trailing_metadata())
    )


# --- interceptors ---------------------------------------------------------------------


class Counts:
    """A counter that many server threads may add to at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, ...]] = Counter()

    def add(self, *key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> Counter[tuple[str, ...]]:
        with self._lock:
            return Counter(self._counts)


class CountingInterceptor(ServerInterceptor):
    """Counts, per kind, calls, responses, completions and the exceptions that go through."""

    def __init__(self) -> None:
        self.counts = Counts()

    def _unary(self, kind: str, method: Any, request: Any, context: Any) -> Any:
        self.counts.add(kind, "calls")
        try:
            response = method(request, context)
        except BaseException as e:
            self.counts.add(kind, "error", type(e).__name__)
            raise
        self.counts.add(kind, "responses")
        self.counts.add(kind, "completed")
        return response

    def _stream(self, kind: str, method: Any, request: Any, context: Any) -> Iterator[Any]:
        self.counts.add(kind, "calls")
        try:
            for response in method(request, context):
                self.counts.add(kind, "responses")
                yield response
        except BaseException as e:
            self.counts.add(kind, "error", type(e).__name__)
            raise
        self.counts.add(kind, "completed")

    def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        return self._unary("unary_unary", method, request, context)

    def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return self._unary("stream_unary", method, request_iterator, context)

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Iterator[Any]:
        return self._stream("unary_stream", method, request, context)

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Iterator[Any]:
        return self._stream("stream_stream", method, request_iterator, context)


class AsyncCountingInterceptor(AsyncServerInterceptor):
    """:class:`CountingInterceptor` for a grpc.aio server."""

    def __init__(self) -> None:
        self.counts = Counts()

    async def _unary(self, kind: str, method: Any, request: Any, context: Any) -> Any:
        self.counts.add(kind, "calls")
        try:
            response = await method(request, context)
        except BaseException as e:
            self.counts.add(kind, "error", type(e).__name__)
            raise
        self.counts.add(kind, "responses")
        self.counts.add(kind, "completed")
        return response

    async def _stream(self, kind: str, method: Any, request: Any, context: Any) -> AsyncIterator[Any]:
        self.counts.add(kind, "calls")
        try:
            async for response in method(request, context):
                self.counts.add(kind, "responses")
                yield response
        except BaseException as e:
            self.counts.add(kind, "error", type(e).__name__)
            raise
        self.counts.add(kind, "completed")

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        return await self._unary("unary_unary", method, request, context)

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return await self._unary("stream_unary", method, request_iterator, context)

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> AsyncIterator[Any]:
        return self._stream("unary_stream", method, request, context)

    def on_stream_stream(
        self, method: Any, request_iterator: Any, context: Any, method_name: str, /
    ) -> AsyncIterator[Any]:
        return self._stream("stream_stream", method, request_iterator, context)


class TrailerInterceptor(ServerInterceptor):
    """Sets :data:`TRAILER` as trailing metadata before the RPC runs (0.15.4-style hook)."""

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        context.set_trailing_metadata((TRAILER,))
        return method(request_or_iterator, context)


class AsyncTrailerInterceptor(AsyncServerInterceptor):
    """:class:`TrailerInterceptor` for a grpc.aio server, with an ``async def`` + ``return`` catch-all."""

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        context.set_trailing_metadata((TRAILER,))
        result = method(request_or_iterator, context)
        return result if hasattr(result, "__aiter__") else await result


class TagInterceptor(ServerInterceptor[DummyRequest, DummyResponse]):
    """Appends :data:`TAG` to every response message (typed hooks)."""

    def on_unary_unary(self, method: Any, request: DummyRequest, context: Any, method_name: str, /) -> DummyResponse:
        return DummyResponse(output=method(request, context).output + TAG)

    def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> DummyResponse:
        return DummyResponse(output=method(request_iterator, context).output + TAG)

    def on_unary_stream(
        self, method: Any, request: DummyRequest, context: Any, method_name: str, /
    ) -> Iterator[DummyResponse]:
        for response in method(request, context):
            yield DummyResponse(output=response.output + TAG)

    def on_stream_stream(
        self, method: Any, request_iterator: Any, context: Any, method_name: str, /
    ) -> Iterator[DummyResponse]:
        for response in method(request_iterator, context):
            yield DummyResponse(output=response.output + TAG)


class AsyncTagInterceptor(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """:class:`TagInterceptor` for a grpc.aio server."""

    async def on_unary_unary(
        self, method: Any, request: DummyRequest, context: Any, method_name: str, /
    ) -> DummyResponse:
        return DummyResponse(output=(await method(request, context)).output + TAG)

    async def on_stream_unary(
        self, method: Any, request_iterator: Any, context: Any, method_name: str, /
    ) -> DummyResponse:
        return DummyResponse(output=(await method(request_iterator, context)).output + TAG)

    async def on_unary_stream(
        self, method: Any, request: DummyRequest, context: Any, method_name: str, /
    ) -> AsyncIterator[DummyResponse]:
        async for response in method(request, context):
            yield DummyResponse(output=response.output + TAG)

    async def on_stream_stream(
        self, method: Any, request_iterator: Any, context: Any, method_name: str, /
    ) -> AsyncIterator[DummyResponse]:
        async for response in method(request_iterator, context):
            yield DummyResponse(output=response.output + TAG)


# --- servers and leak checks ----------------------------------------------------------


@contextlib.contextmanager
def sync_server(
    servicer: DummyServiceServicer, interceptors: list[grpc.ServerInterceptor], workers: int = 16
) -> Iterator[str]:
    """Serve ``servicer`` on a sync ``grpc.server`` with a pool of ``workers`` threads; give its address."""
    executor = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reliability-server")
    server = grpc.server(executor, interceptors=interceptors)
    add_DummyServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()
        executor.shutdown(wait=True)


@contextlib.asynccontextmanager
async def aio_server(servicer: DummyServiceServicer, interceptors: list[Any]) -> AsyncIterator[str]:
    """Serve ``servicer`` on a ``grpc.aio.server`` on the running loop; give its address.

    The testing kit runs an aio server on an event loop of its own; on the loop of
    the test, server and client share one loop, as they would in one aio process.
    (With two loops in one process, grpcio 1.76 logs a BlockingIOError from its
    completion-queue poller now and then; later releases do not.)
    """
    server = grpc.aio.server(interceptors=interceptors)
    add_DummyServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(None)


def register(servicer: DummyServiceServicer) -> Callable[[Any], None]:
    """What :func:`grpc_interceptor.testing.serve` takes to serve ``servicer``."""

    def add(server: Any) -> None:
        add_DummyServiceServicer_to_server(servicer, server)

    return add


def leftover_threads(baseline: set[threading.Thread], timeout: float = 10.0) -> list[str]:
    """Names of the threads started after ``baseline`` that do not end within ``timeout``.

    Threads that are on their way out (a request-consumer thread of a finished call)
    are joined rather than waited for with sleeps.
    """
    for thread in threading.enumerate():
        if thread not in baseline and thread is not threading.current_thread():
            thread.join(timeout)
    return sorted(thread.name for thread in threading.enumerate() if thread not in baseline)


def released(gone: threading.Event, turns: int = 20) -> bool:
    """Whether an object with ``weakref.finalize(obj, gone.set)`` is gone, soon.

    Each turn collects garbage, then waits briefly on the event, in case another
    thread holds the last reference for a moment.
    """
    for _ in range(turns):
        gc.collect()
        if gone.wait(0.05):
            return True
    return gone.is_set()


async def finalized(gone: threading.Event, turns: int = 100) -> bool:
    """Whether an object with ``weakref.finalize(obj, gone.set)`` is gone, soon.

    A closed grpc.aio channel may still be referenced for a moment by callbacks queued
    on the loop or by grpc's poller thread: each turn collects garbage, waits briefly
    on the event (other threads run), then lets the loop run its queued callbacks.
    """
    for _ in range(turns):
        gc.collect()
        if gone.wait(0.01):
            return True
        await asyncio.sleep(0)
    return gone.is_set()


def other_tasks() -> set[asyncio.Task[Any]]:
    """The tasks of the running loop other than the current one."""
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}
