"""Plain ``def`` handlers on a grpc.aio server behind an AsyncServerInterceptor.

grpc.aio serves such handlers in the ``migration_thread_pool`` given to
``grpc.aio.server(...)``, with a sync view of the context: ``abort()`` raises and ends
the RPC with its code, ``send_initial_metadata()`` sends at once. Behind an interceptor
they must get the same, in all four kinds: a handler that aborts must never send its
data (a security check often lives in the handler), and the pool's threads (their
names, initializer and thread-locals) must be the ones that run it.

Each test starts its own grpc.aio server on 127.0.0.1 in the test's event loop.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import KINDS, TIMEOUT, Outcome

from grpc_interceptor import AsyncServerInterceptor
from grpc_interceptor.testing import DummyRequest, DummyResponse
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)

POOL_PREFIX = "migration-pool"


class SyncService(DummyServiceServicer):
    """The four kinds as plain ``def`` handlers that record the thread that runs them.

    An input ``deny`` aborts with PERMISSION_DENIED; ``deny-suppressed`` aborts, swallows
    the exception and returns (or yields) data all the same; ``metadata`` sends initial
    metadata first; ``code`` sets FAILED_PRECONDITION and details and returns data.
    """

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.after_abort: list[str] = []
        self.callbacks = 0
        self.finished = threading.Event()

    def _handle(self, text: str, context: Any) -> str:
        try:
            return self._answer(text, context)
        finally:
            self.finished.set()

    def _answer(self, text: str, context: Any) -> str:
        self.threads.append(threading.current_thread().name)
        context.add_callback(self._callback)
        if text.startswith("deny"):
            try:
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")
            except Exception:
                if text != "deny-suppressed":
                    raise
            self.after_abort.append(text)
            return "secret"
        if text == "metadata":
            context.send_initial_metadata((("x-initial", "sent"),))
        if text == "code":
            context.set_code(grpc.StatusCode.FAILED_PRECONDITION)
            context.set_details("not now")
        return text

    def _callback(self) -> None:
        self.callbacks += 1

    def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:  # type: ignore[override]
        return DummyResponse(output=self._handle(request.input, context))

    def ExecuteClientStream(self, request_iterator: Iterator[DummyRequest], context: Any) -> DummyResponse:  # type: ignore[override]
        text = "".join(request.input for request in request_iterator)
        return DummyResponse(output=self._handle(text, context))

    def ExecuteServerStream(self, request: DummyRequest, context: Any) -> Iterator[DummyResponse]:  # type: ignore[override]
        output = self._handle(request.input, context)
        yield DummyResponse(output=output)
        yield DummyResponse(output=output)

    def ExecuteClientServerStream(  # type: ignore[override]
        self, request_iterator: Iterator[DummyRequest], context: Any
    ) -> Iterator[DummyResponse]:
        for request in request_iterator:
            yield DummyResponse(output=self._handle(request.input, context))


class PassThrough(AsyncServerInterceptor):
    """0.15.4's shape: await a unary result, hand a stream back."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        self.seen.append(method_name.rsplit("/", 1)[1])
        result = method(request_or_iterator, context)
        if hasattr(result, "__aiter__"):
            return result
        return await result


class OwnContext:
    """A context of an interceptor's own, that forwards to grpc's (0.15.4's documented way)."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self.user = "alice"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class Typed(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Typed hooks that pass a context of their own on, and see every response."""

    def __init__(self) -> None:
        self.responses: list[str] = []

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        response = await method(request, OwnContext(context))
        self.responses.append(response.output)
        return response

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        response = await method(request_iterator, OwnContext(context))
        self.responses.append(response.output)
        return response

    async def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        async for response in method(request, OwnContext(context)):
            self.responses.append(response.output)
            yield response

    async def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        async for response in method(request_iterator, OwnContext(context)):
            self.responses.append(response.output)
            yield response


INTERCEPTORS = {
    "catch_all": lambda: [PassThrough()],
    "typed": lambda: [Typed()],
    "chain": lambda: [PassThrough(), Typed()],
}


@asynccontextmanager
async def sync_server(
    service: DummyServiceServicer, interceptors: list[Any], pool: ThreadPoolExecutor | None
) -> AsyncIterator[DummyServiceStub]:
    server = grpc.aio.server(migration_thread_pool=pool, interceptors=interceptors)
    add_DummyServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield DummyServiceStub(channel)
    finally:
        await server.stop(None)


async def acall(stub: Any, kind: str, text: str) -> tuple[Outcome, Any]:
    """One RPC; returns what the client saw and the call (for its metadata)."""
    outcome = Outcome()
    request = DummyRequest(input=text)
    rpc: Any = None
    try:
        if kind == "unary_unary":
            rpc = stub.Execute(request, timeout=TIMEOUT)
            outcome.outputs.append((await rpc).output)
        elif kind == "stream_unary":
            rpc = stub.ExecuteClientStream(iter([request]), timeout=TIMEOUT)
            outcome.outputs.append((await rpc).output)
        elif kind == "unary_stream":
            rpc = stub.ExecuteServerStream(request, timeout=TIMEOUT)
            outcome.outputs.extend([response.output async for response in rpc])
        else:
            rpc = stub.ExecuteClientServerStream(iter([request]), timeout=TIMEOUT)
            outcome.outputs.extend([response.output async for response in rpc])
    except grpc.aio.AioRpcError as error:
        outcome.code = error.code()
        outcome.details = error.details()
    return outcome, rpc


def answers(kind: str, output: str) -> list[str]:
    return [output, output] if kind == "unary_stream" else [output]


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(2, thread_name_prefix=POOL_PREFIX)
    yield executor
    executor.shutdown(wait=False)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chain", INTERCEPTORS)
@pytest.mark.parametrize("text", ["deny", "deny-suppressed"])
async def test_abort_in_a_sync_handler_ends_the_rpc_without_its_data(
    kind: str, chain: str, text: str, pool: ThreadPoolExecutor
) -> None:
    service = SyncService()
    async with sync_server(service, INTERCEPTORS[chain](), pool) as stub:
        outcome, _ = await acall(stub, kind, text)

    assert outcome == Outcome([], grpc.StatusCode.PERMISSION_DENIED, "denied")
    # The status reaches the client before the handler's thread goes on from abort(); that
    # thread waits for the loop, so the wait for it must not block the loop.
    assert await asyncio.to_thread(service.finished.wait, TIMEOUT)
    # abort() raised in the handler (unless the handler swallowed it).
    assert service.after_abort == ([text] if text == "deny-suppressed" else [])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chain", INTERCEPTORS)
async def test_sync_context_methods_work(kind: str, chain: str, pool: ThreadPoolExecutor) -> None:
    service = SyncService()
    async with sync_server(service, INTERCEPTORS[chain](), pool) as stub:
        outcome, rpc = await acall(stub, kind, "metadata")
        initial = await rpc.initial_metadata()
        coded, _ = await acall(stub, kind, "code")

    assert outcome == Outcome(answers(kind, "metadata"))
    assert ("x-initial", "sent") in list(initial)
    assert (coded.code, coded.details) == (grpc.StatusCode.FAILED_PRECONDITION, "not now")
    # add_callback() callbacks ran once each handler had finished.
    assert service.callbacks == len(service.threads) == 2


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("chain", INTERCEPTORS)
async def test_sync_handlers_run_in_the_migration_thread_pool(kind: str, chain: str, pool: ThreadPoolExecutor) -> None:
    service = SyncService()
    interceptors = INTERCEPTORS[chain]()
    async with sync_server(service, interceptors, pool) as stub:
        outcome, _ = await acall(stub, kind, "x")

    assert outcome == Outcome(answers(kind, "x"))
    assert service.threads and all(name.startswith(POOL_PREFIX) for name in service.threads), service.threads
    if chain != "catch_all":
        assert interceptors[-1].responses == answers(kind, "x")


async def test_the_pool_bounds_concurrency(pool: ThreadPoolExecutor) -> None:
    """Six handlers that each wait on a barrier of three: at most two (the pool) at once."""
    running = 0
    most = 0
    lock = threading.Lock()

    class Slow(DummyServiceServicer):
        def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:  # type: ignore[override]
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            threading.Event().wait(0.05)
            with lock:
                running -= 1
            return DummyResponse(output=threading.current_thread().name)

    async with sync_server(Slow(), [PassThrough()], pool) as stub:
        outputs = await asyncio.gather(*(stub.Execute(DummyRequest(input="x"), timeout=TIMEOUT) for _ in range(6)))

    assert most <= 2
    assert {response.output.rsplit("_", 1)[0] for response in outputs} == {POOL_PREFIX}


async def test_initializer_and_thread_locals_of_the_pool_hold() -> None:
    local = threading.local()

    def initializer() -> None:
        local.tag = "initialised"

    class ReadsLocal(DummyServiceServicer):
        def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:  # type: ignore[override]
            return DummyResponse(output=getattr(local, "tag", "missing"))

    executor = ThreadPoolExecutor(1, initializer=initializer)
    try:
        async with sync_server(ReadsLocal(), [Typed()], executor) as stub:
            response = await stub.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    finally:
        executor.shutdown(wait=False)

    assert response.output == "initialised"


async def test_without_a_pool_the_loop_default_executor_runs_them() -> None:
    """No migration_thread_pool: grpc.aio uses the loop's default executor, and so do we."""
    service = SyncService()
    async with sync_server(service, [PassThrough()], None) as stub:
        outcome, _ = await acall(stub, "unary_unary", "x")

    assert outcome == Outcome(["x"])
    assert service.threads and not service.threads[0].startswith(POOL_PREFIX)
    assert service.threads[0] != threading.current_thread().name


async def test_a_context_of_the_interceptor_s_own_reaches_the_sync_handler(pool: ThreadPoolExecutor) -> None:
    seen: list[str] = []

    class ReadsUser(DummyServiceServicer):
        def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:  # type: ignore[override]
            seen.append(context.user)
            return DummyResponse(output=request.input)

    async with sync_server(ReadsUser(), [Typed()], pool) as stub:
        response = await stub.Execute(DummyRequest(input="x"), timeout=TIMEOUT)

    assert response.output == "x"
    assert seen == ["alice"]


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect each test's grpc objects in the test: left to a later, random moment, their
    collection once broke the parsing of a module at the end of the session
    (CPython 3.11's "AST constructor recursion depth mismatch")."""
    yield
    gc.collect()
