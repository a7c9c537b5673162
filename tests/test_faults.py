"""Faults wherever an RPC can fail, in the four kinds, on a sync and on a grpc.aio server.

The chain is ``ExceptionToStatus -> Probe -> handler``. The probe interceptor records
what it sees (the exceptions that go through it, whether the RPC was cancelled, that
its ``finally`` ran), sets trailing metadata, and can itself fail before or after its
continuation. The handler records the same and fails where the test asks it to: before
its first message, mid-stream, by aborting (with and without details, or with
``abort_with_status``), or by waiting until the client cancels or the deadline passes.

Some faults exist only for some kinds: "mid-stream" needs a request or response
stream, a broken request iterator needs a request stream, and so on. Each fault is
run in every kind where it can happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import grpc.aio
import pytest
from helpers_reliability import KINDS, register, stub_method

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
)
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceServicer, DummyServiceStub

#: The longest any test waits for an event; never reached when things work.
TIMEOUT = 10.0
#: The deadline of the deadline tests: long enough for the RPC to reach the handler.
DEADLINE = 0.5

STREAM_REQUEST_KINDS = ("stream_unary", "stream_stream")
STREAM_RESPONSE_KINDS = ("unary_stream", "stream_stream")
WITH_A_STREAM = ("unary_stream", "stream_unary", "stream_stream")

PROBE_TRAILER = ("x-probe", "seen")
STATUS_TRAILER = ("x-quota", "0")


class Status:
    """Anything with these three attributes is a status for ``abort_with_status``."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: tuple[tuple[str, str], ...]) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


QUOTA = Status(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota used up", (STATUS_TRAILER,))


class Record:
    """What the handler and the probe saw, written from server threads, read by the test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[str] = []
        self.handler_started = threading.Event()
        self.handler_blocked = threading.Event()
        self.handler_done = threading.Event()
        self.interceptor_done = threading.Event()
        self.first_request = threading.Event()
        self.callback_done = threading.Event()

    def add(self, event: str) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[str]:
        with self._lock:
            return list(self._events)

    def wait_interceptor(self) -> None:
        assert self.interceptor_done.wait(TIMEOUT), f"the probe's finally never ran: {self.events}"

    def wait_handler(self) -> None:
        assert self.handler_done.wait(TIMEOUT), f"the handler's finally never ran: {self.events}"


# --- the handlers ---------------------------------------------------------------------


@contextlib.contextmanager
def running(record: Record) -> Iterator[None]:
    """Record the handler's start, the exception it ends with, and its ``finally``."""
    record.add("handler start")
    record.handler_started.set()
    try:
        yield
    except BaseException as e:
        record.add(f"handler exit {type(e).__name__}")
        raise
    finally:
        record.add("handler finally")
        record.handler_done.set()


class SyncFaultService(DummyServiceServicer):
    """Echoes, and fails at the point ``fault`` names ("first" message or "mid"-stream).

    Responses: unary-unary echoes the input; unary-stream sends input + "0" and
    input + "1"; stream-unary joins the inputs; stream-stream echoes each input. The
    "mid" point is after the first response (or the first request, for stream-unary).
    """

    def __init__(self, record: Record, fault: str | None = None) -> None:
        self.record = record
        self.fault = fault

    def _point(self, point: str, context: grpc.ServicerContext) -> None:
        fault = self.fault
        if fault == f"raise_{point}":
            raise NotFound(f"handler failed at {point}")
        if point != "mid":
            return
        if fault == "abort":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not yours")
        elif fault == "abort_empty":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "")
        elif fault == "abort_status":
            context.abort_with_status(QUOTA)  # type: ignore[arg-type]
        elif fault == "block":
            ended = threading.Event()
            if not context.add_callback(ended.set):
                ended.set()
            self.record.handler_blocked.set()
            assert ended.wait(TIMEOUT), "the RPC never ended"

    def _requests(self, request_iterator: Iterator[DummyRequest]) -> Iterator[tuple[int, DummyRequest]]:
        for index, request in enumerate(request_iterator):
            if index == 0:
                self.record.first_request.set()
            yield index, request

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        with running(self.record):
            self._point("first", context)
            self._point("mid", context)
            return DummyResponse(output=request.input)

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        with running(self.record):
            self._point("first", context)
            yield DummyResponse(output=request.input + "0")
            self._point("mid", context)
            yield DummyResponse(output=request.input + "1")

    def ExecuteClientStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> DummyResponse:
        with running(self.record):
            self._point("first", context)
            outputs = []
            for index, request in self._requests(request_iterator):
                outputs.append(request.input)
                if index == 0:
                    self._point("mid", context)
            return DummyResponse(output="".join(outputs))

    def ExecuteClientServerStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> Iterator[DummyResponse]:
        with running(self.record):
            self._point("first", context)
            for index, request in self._requests(request_iterator):
                yield DummyResponse(output=request.input)
                if index == 0:
                    self._point("mid", context)


class AsyncFaultService(DummyServiceServicer):
    """:class:`SyncFaultService` for a grpc.aio server; "block" waits until cancelled."""

    def __init__(self, record: Record, fault: str | None = None) -> None:
        self.record = record
        self.fault = fault

    async def _point(self, point: str, context: Any) -> None:
        fault = self.fault
        if fault == f"raise_{point}":
            raise NotFound(f"handler failed at {point}")
        if point != "mid":
            return
        if fault == "abort":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "not yours")
        elif fault == "abort_empty":
            await context.abort(grpc.StatusCode.PERMISSION_DENIED)
        elif fault == "abort_status":
            await context.abort_with_status(QUOTA)
        elif fault == "block":
            self.record.handler_blocked.set()
            await asyncio.wait_for(asyncio.Event().wait(), TIMEOUT)  # ends by cancellation

    async def _requests(self, request_iterator: AsyncIterator[DummyRequest]) -> AsyncIterator[tuple[int, DummyRequest]]:
        index = 0
        async for request in request_iterator:
            if index == 0:
                self.record.first_request.set()
            yield index, request
            index += 1

    async def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:
        with running(self.record):
            await self._point("first", context)
            await self._point("mid", context)
            return DummyResponse(output=request.input)

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> AsyncIterator[DummyResponse]:
        with running(self.record):
            await self._point("first", context)
            yield DummyResponse(output=request.input + "0")
            await self._point("mid", context)
            yield DummyResponse(output=request.input + "1")

    async def ExecuteClientStream(self, request_iterator: AsyncIterator[DummyRequest], context: Any) -> DummyResponse:
        with running(self.record):
            await self._point("first", context)
            outputs = []
            async for index, request in self._requests(request_iterator):
                outputs.append(request.input)
                if index == 0:
                    await self._point("mid", context)
            return DummyResponse(output="".join(outputs))

    async def ExecuteClientServerStream(
        self, request_iterator: AsyncIterator[DummyRequest], context: Any
    ) -> AsyncIterator[DummyResponse]:
        with running(self.record):
            await self._point("first", context)
            async for index, request in self._requests(request_iterator):
                yield DummyResponse(output=request.input)
                if index == 0:
                    await self._point("mid", context)


# --- the probe interceptors -----------------------------------------------------------


class Probe(ServerInterceptor):
    """Records what goes through it; may fail "before" or "after" its continuation, or
    hand the handler a request iterator that breaks after one message ("iterator")."""

    def __init__(self, record: Record, fault: str | None = None) -> None:
        self.record = record
        self.fault = fault

    def _start(self, context: grpc.ServicerContext, requests: Any) -> Any:
        self.record.add("probe start")
        context.set_trailing_metadata((PROBE_TRAILER,))
        context.add_callback(self._terminated)
        if self.fault == "before":
            raise NotFound("probe failed before")
        if self.fault == "iterator" and not isinstance(requests, DummyRequest):
            return self._broken(requests)
        return requests

    @staticmethod
    def _broken(requests: Iterator[DummyRequest]) -> Iterator[DummyRequest]:
        yield next(requests)
        raise NotFound("request stream broke")

    def _terminated(self) -> None:
        self.record.add("probe callback")
        self.record.callback_done.set()

    def _after(self) -> None:
        if self.fault == "after":
            raise NotFound("probe failed after")

    def _end(self, context: grpc.ServicerContext) -> None:
        self.record.add(f"probe finally active={context.is_active()}")
        self.record.interceptor_done.set()

    def _unary(self, method: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            response = method(self._start(context, request), context)
            self._after()
            return response
        except BaseException as e:
            self.record.add(f"probe saw {type(e).__name__}")
            raise
        finally:
            self._end(context)

    def _stream(self, method: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from method(self._start(context, request), context)
            self._after()
        except BaseException as e:
            self.record.add(f"probe saw {type(e).__name__}")
            raise
        finally:
            self._end(context)

    def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        return self._unary(method, request, context)

    def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return self._unary(method, request_iterator, context)

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Iterator[Any]:
        return self._stream(method, request, context)

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Iterator[Any]:
        return self._stream(method, request_iterator, context)


class AsyncProbe(AsyncServerInterceptor):
    """:class:`Probe` for a grpc.aio server; records ``context.cancelled()`` at the end."""

    def __init__(self, record: Record, fault: str | None = None) -> None:
        self.record = record
        self.fault = fault

    def _start(self, context: Any, requests: Any) -> Any:
        self.record.add("probe start")
        context.set_trailing_metadata((PROBE_TRAILER,))
        context.add_done_callback(lambda _: self._terminated())
        if self.fault == "before":
            raise NotFound("probe failed before")
        if self.fault == "iterator" and not isinstance(requests, DummyRequest):
            return self._broken(requests)
        return requests

    @staticmethod
    async def _broken(requests: AsyncIterator[DummyRequest]) -> AsyncIterator[DummyRequest]:
        yield await anext(aiter(requests))
        raise NotFound("request stream broke")

    def _terminated(self) -> None:
        self.record.add("probe callback")
        self.record.callback_done.set()

    def _after(self) -> None:
        if self.fault == "after":
            raise NotFound("probe failed after")

    def _end(self, context: Any) -> None:
        self.record.add(f"probe finally cancelled={context.cancelled()}")
        self.record.interceptor_done.set()

    async def _unary(self, method: Any, request: Any, context: Any) -> Any:
        try:
            response = await method(self._start(context, request), context)
            self._after()
            return response
        except BaseException as e:
            self.record.add(f"probe saw {type(e).__name__}")
            raise
        finally:
            self._end(context)

    async def _stream(self, method: Any, request: Any, context: Any) -> AsyncIterator[Any]:
        try:
            async for response in method(self._start(context, request), context):
                yield response
            self._after()
        except BaseException as e:
            self.record.add(f"probe saw {type(e).__name__}")
            raise
        finally:
            self._end(context)

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        return await self._unary(method, request, context)

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return await self._unary(method, request_iterator, context)

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> AsyncIterator[Any]:
        return self._stream(method, request, context)

    def on_stream_stream(
        self, method: Any, request_iterator: Any, context: Any, method_name: str, /
    ) -> AsyncIterator[Any]:
        return self._stream(method, request_iterator, context)


# --- clients and expectations ---------------------------------------------------------


@dataclass
class Seen:
    """What the client saw of one RPC."""

    outputs: list[str] = field(default_factory=list)
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str = ""
    trailers: list[tuple[str, Any]] = field(default_factory=list)


def trailers_of(metadata: Any) -> list[tuple[str, Any]]:
    return [(item[0], item[1]) for item in metadata or ()]


def request_for(kind: str) -> Any:
    if kind.startswith("stream"):
        return [DummyRequest(input=text) for text in "abc"]
    return DummyRequest(input="a")


def call_sync(stub: Any, kind: str, request: Any = None, timeout: float = TIMEOUT) -> Seen:
    request = request_for(kind) if request is None else request
    if isinstance(request, list):
        request = iter(request)
    method, seen = stub_method(stub, kind), Seen()
    try:
        if kind.endswith("_unary"):
            response, call = method.with_call(request, timeout=timeout)
            seen.outputs.append(response.output)
        else:
            call = method(request, timeout=timeout)
            seen.outputs.extend(response.output for response in call)
    except grpc.RpcError as e:
        call = e
    seen.code, seen.details, seen.trailers = call.code(), call.details() or "", trailers_of(call.trailing_metadata())
    return seen


async def call_async(stub: Any, kind: str, request: Any = None, timeout: float = TIMEOUT) -> Seen:
    request = request_for(kind) if request is None else request
    call, seen = stub_method(stub, kind)(request, timeout=timeout), Seen()
    try:
        if kind.endswith("_unary"):
            seen.outputs.append((await call).output)
        else:
            seen.outputs.extend([response.output async for response in call])
    except grpc.aio.AioRpcError:
        pass
    seen.code, seen.details = await call.code(), await call.details() or ""
    seen.trailers = trailers_of(await call.trailing_metadata())
    return seen


SUCCESS = {
    "unary_unary": ["a"],
    "unary_stream": ["a0", "a1"],
    "stream_unary": ["abc"],
    "stream_stream": ["a", "b", "c"],
}
#: What a streaming response has sent when the handler fails at its "mid" point.
BEFORE_MID = {"unary_unary": [], "unary_stream": ["a0"], "stream_unary": [], "stream_stream": ["a"]}


@dataclass(frozen=True)
class Fault:
    """One fault, the kinds it applies to, and what the client must see."""

    name: str
    kinds: tuple[str, ...]
    handler: str | None = None  # the SyncFaultService / AsyncFaultService fault
    probe: str | None = None  # the Probe fault
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str = ""
    handler_runs: bool = True

    def outputs(self, kind: str) -> list[str]:
        if self.code is grpc.StatusCode.OK:
            return SUCCESS[kind]
        if self.probe == "after":
            return SUCCESS[kind] if kind in STREAM_RESPONSE_KINDS else []
        if self.handler in ("raise_first",) or not self.handler_runs:
            return []
        return BEFORE_MID[kind]

    def trailers(self) -> list[tuple[str, str]]:
        # abort_with_status replaces the trailing metadata with the status's.
        return [STATUS_TRAILER] if self.handler == "abort_status" else [PROBE_TRAILER]

    def probe_saw(self, flavour: str) -> str | None:
        """The exception the probe sees go through it (aborts raise grpc's own)."""
        if self.code is grpc.StatusCode.OK:
            return None
        if self.handler is not None and self.handler.startswith("abort"):
            return "Exception" if flavour == "sync" else "AbortError"
        return "NotFound"


FAULTS = [
    Fault("success", KINDS),
    Fault("interceptor raises before continuation", KINDS, probe="before",
          code=grpc.StatusCode.NOT_FOUND, details="probe failed before", handler_runs=False),
    Fault("interceptor raises after continuation", KINDS, probe="after",
          code=grpc.StatusCode.NOT_FOUND, details="probe failed after"),
    Fault("handler raises before first message", KINDS, handler="raise_first",
          code=grpc.StatusCode.NOT_FOUND, details="handler failed at first"),
    Fault("handler raises mid-stream", WITH_A_STREAM, handler="raise_mid",
          code=grpc.StatusCode.NOT_FOUND, details="handler failed at mid"),
    Fault("request iterator raises in the server", STREAM_REQUEST_KINDS, probe="iterator",
          code=grpc.StatusCode.NOT_FOUND, details="request stream broke"),
    Fault("abort with details", KINDS, handler="abort",
          code=grpc.StatusCode.PERMISSION_DENIED, details="not yours"),
    Fault("abort without details", KINDS, handler="abort_empty", code=grpc.StatusCode.PERMISSION_DENIED),
    Fault("abort_with_status", KINDS, handler="abort_status",
          code=grpc.StatusCode.RESOURCE_EXHAUSTED, details="quota used up"),
]  # fmt: skip

CASES = [pytest.param(fault, kind, id=f"{fault.name}-{kind}") for fault in FAULTS for kind in fault.kinds]


def check_fault(fault: Fault, kind: str, flavour: str, seen: Seen, record: Record) -> None:
    assert (seen.outputs, seen.code, seen.details) == (fault.outputs(kind), fault.code, fault.details)
    assert [item for item in seen.trailers if item[0].startswith("x-")] == fault.trailers()
    record.wait_interceptor()
    if fault.handler_runs:
        record.wait_handler()
    events = record.events
    if fault.handler_runs:
        assert "handler finally" in events
        # The handler ends by the exception it raised, or the one raised into it.
        raised = None if fault.probe == "after" else fault.probe_saw(flavour)
        assert [e for e in events if e.startswith("handler exit")] == (
            [] if raised is None else [f"handler exit {raised}"]
        )
    else:
        assert not record.handler_started.is_set(), events
    saw = fault.probe_saw(flavour)
    assert [e for e in events if e.startswith("probe saw")] == ([] if saw is None else [f"probe saw {saw}"])
    end = "probe finally active=True" if flavour == "sync" else "probe finally cancelled=False"
    assert end in events


@pytest.mark.parametrize(("fault", "kind"), CASES)
def test_sync_fault(fault: Fault, kind: str) -> None:
    record = Record()
    chain = [ExceptionToStatusInterceptor(), Probe(record, fault.probe)]
    with serve(register(SyncFaultService(record, fault.handler)), chain) as channel:
        seen = call_sync(DummyServiceStub(channel), kind)
    check_fault(fault, kind, "sync", seen, record)


@pytest.mark.parametrize(("fault", "kind"), CASES)
def test_aio_fault(fault: Fault, kind: str) -> None:
    # A sync client: when the server ends an RPC before reading the whole request
    # stream, a grpc.aio client that is still writing it may report INTERNAL "Internal
    # error from Core" instead of the server's status (grpc's own race, seen without
    # any interceptor); a sync client always reports the server's status.
    record = Record()
    chain = [AsyncExceptionToStatusInterceptor(), AsyncProbe(record, fault.probe)]
    with serve(register(AsyncFaultService(record, fault.handler)), chain, aio_server=True) as channel:
        seen = call_sync(DummyServiceStub(channel), kind)
    check_fault(fault, kind, "aio", seen, record)


# --- cancellation, deadlines and broken client request streams -------------------------


def start_blocking_call_sync(stub: Any, kind: str, record: Record, timeout: float) -> Any:
    """Start an RPC whose handler blocks at its "mid" point; return once it blocks.

    A streaming response has sent its first message by then, and the client has it.
    """
    method, request = stub_method(stub, kind), request_for(kind)
    if isinstance(request, list):
        request = iter(request)
    if kind in STREAM_RESPONSE_KINDS:
        call = method(request, timeout=timeout)
        assert next(call).output == BEFORE_MID[kind][0]
    else:
        call = method.future(request, timeout=timeout)
    assert record.handler_blocked.wait(TIMEOUT)
    return call


def finish_sync(call: Any, kind: str) -> None:
    """Take the rest of a call that must fail."""
    with pytest.raises((grpc.RpcError, grpc.FutureCancelledError)):
        if kind in STREAM_RESPONSE_KINDS:
            list(call)
        else:
            call.result(timeout=TIMEOUT)


#: How a sync handler blocked at its "mid" point ends once the RPC is cancelled: a
#: unary-unary one returns (its response is dropped), a unary-stream one is closed at
#: its next ``yield``, and the others' next read of the request stream raises.
SYNC_HANDLER_END = {
    "unary_unary": None,
    "unary_stream": "GeneratorExit",
    "stream_unary": "RpcError",
    "stream_stream": "RpcError",
}


def check_sync_server_saw_the_end(record: Record, kind: str) -> None:
    record.wait_interceptor()
    record.wait_handler()
    events = record.events
    assert "probe finally active=False" in events
    assert record.callback_done.wait(TIMEOUT)
    end = SYNC_HANDLER_END[kind]
    assert [e for e in events if e.startswith("handler exit")] == ([] if end is None else [f"handler exit {end}"])
    assert [e for e in events if e.startswith("probe saw")] == ([] if end is None else [f"probe saw {end}"])


@pytest.mark.parametrize("kind", KINDS)
def test_sync_client_cancels_mid_rpc(kind: str) -> None:
    record = Record()
    chain = [ExceptionToStatusInterceptor(), Probe(record)]
    with serve(register(SyncFaultService(record, "block")), chain) as channel:
        call = start_blocking_call_sync(DummyServiceStub(channel), kind, record, TIMEOUT)
        assert call.cancel()
        finish_sync(call, kind)
        assert call.code() is grpc.StatusCode.CANCELLED
        # Checked before the server stops, which would cancel the RPC anyway.
        check_sync_server_saw_the_end(record, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_sync_deadline_exceeded(kind: str) -> None:
    record = Record()
    chain = [ExceptionToStatusInterceptor(), Probe(record)]
    with serve(register(SyncFaultService(record, "block")), chain) as channel:
        call = start_blocking_call_sync(DummyServiceStub(channel), kind, record, DEADLINE)
        finish_sync(call, kind)
        assert call.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        check_sync_server_saw_the_end(record, kind)


async def wait_in_thread(event: threading.Event) -> bool:
    return await asyncio.get_running_loop().run_in_executor(None, event.wait, TIMEOUT)


async def start_blocking_call_async(stub: Any, kind: str, record: Record, timeout: float) -> Any:
    call = stub_method(stub, kind)(request_for(kind), timeout=timeout)
    if kind in STREAM_RESPONSE_KINDS:
        assert (await call.read()).output == BEFORE_MID[kind][0]
    assert await wait_in_thread(record.handler_blocked)
    return call


async def finish_async(call: Any, kind: str) -> None:
    with pytest.raises((grpc.aio.AioRpcError, asyncio.CancelledError)):
        if kind in STREAM_RESPONSE_KINDS:
            await asyncio.wait_for(call.read(), TIMEOUT)
        else:
            await asyncio.wait_for(call, TIMEOUT)


async def check_aio_server_saw_the_end(record: Record) -> None:
    assert await wait_in_thread(record.interceptor_done), record.events
    assert await wait_in_thread(record.handler_done), record.events
    events = record.events
    # The handler's task was cancelled; the cancellation went through the probe.
    # (grpc.aio's context.cancelled() stays False on the server side: it tells only
    # whether the server itself cancelled.)
    assert "handler exit CancelledError" in events
    assert "probe saw CancelledError" in events
    assert await wait_in_thread(record.callback_done)


@pytest.mark.parametrize("kind", KINDS)
async def test_aio_client_cancels_mid_rpc(kind: str) -> None:
    record = Record()
    chain = [AsyncExceptionToStatusInterceptor(), AsyncProbe(record)]
    async with serve(register(AsyncFaultService(record, "block")), chain, aio_server=True, aio_client=True) as channel:
        call = await start_blocking_call_async(DummyServiceStub(channel), kind, record, TIMEOUT)
        assert call.cancel()
        await finish_async(call, kind)
        assert await call.code() is grpc.StatusCode.CANCELLED
        await check_aio_server_saw_the_end(record)


@pytest.mark.parametrize("kind", KINDS)
async def test_aio_deadline_exceeded(kind: str) -> None:
    record = Record()
    chain = [AsyncExceptionToStatusInterceptor(), AsyncProbe(record)]
    async with serve(register(AsyncFaultService(record, "block")), chain, aio_server=True, aio_client=True) as channel:
        call = await start_blocking_call_async(DummyServiceStub(channel), kind, record, DEADLINE)
        await finish_async(call, kind)
        assert await call.code() is grpc.StatusCode.DEADLINE_EXCEEDED
        await check_aio_server_saw_the_end(record)


@pytest.mark.parametrize("kind", STREAM_REQUEST_KINDS)
def test_sync_client_request_iterator_raises(kind: str) -> None:
    record = Record()
    got_first = threading.Event()  # the client has what the server sent for "a"

    def requests() -> Iterator[DummyRequest]:
        yield DummyRequest(input="a")
        assert (record.first_request if kind == "stream_unary" else got_first).wait(TIMEOUT)
        raise ValueError("client iterator broke")

    chain = [ExceptionToStatusInterceptor(), Probe(record)]
    with serve(register(SyncFaultService(record)), chain) as channel:
        method, outputs = stub_method(DummyServiceStub(channel), kind), []
        with pytest.raises(grpc.RpcError) as raised:
            if kind == "stream_unary":
                method(requests(), timeout=TIMEOUT)
            else:
                for response in method(requests(), timeout=TIMEOUT):
                    outputs.append(response.output)
                    got_first.set()
        error: Any = raised.value
        # grpc's client cancels the call with this status when the iterator raises.
        assert (error.code(), error.details()) == (grpc.StatusCode.UNKNOWN, "Exception iterating requests!")
        assert outputs == BEFORE_MID[kind]
        record.wait_interceptor()
        record.wait_handler()
    # The server learns of the cancellation either as the end of the request stream
    # (grpc's request iterator stops, and the handler ends normally), or by an RpcError
    # from the request iterator, or by its response generator being closed; which one
    # depends on timing. Whichever it is goes through the probe, and both finally
    # blocks and the probe's termination callback ran.
    assert record.callback_done.wait(TIMEOUT)
    events = record.events
    ends = [e for e in events if e.startswith(("handler exit", "probe saw"))]
    assert ends in (
        [],
        ["handler exit RpcError", "probe saw RpcError"],
        ["handler exit GeneratorExit", "probe saw GeneratorExit"],
    )


@pytest.mark.parametrize("kind", STREAM_REQUEST_KINDS)
async def test_aio_client_request_iterator_raises(kind: str) -> None:
    record = Record()
    got_first = threading.Event()

    async def requests() -> AsyncIterator[DummyRequest]:
        yield DummyRequest(input="a")
        assert await wait_in_thread(record.first_request if kind == "stream_unary" else got_first)
        raise ValueError("client iterator broke")

    chain = [AsyncExceptionToStatusInterceptor(), AsyncProbe(record)]
    async with serve(register(AsyncFaultService(record)), chain, aio_server=True, aio_client=True) as channel:
        call, outputs = stub_method(DummyServiceStub(channel), kind)(requests(), timeout=TIMEOUT), []
        # grpc.aio's client cancels the call when the iterator raises.
        with pytest.raises(asyncio.CancelledError):
            if kind == "stream_unary":
                await asyncio.wait_for(call, TIMEOUT)
            else:
                async for response in call:
                    outputs.append(response.output)
                    got_first.set()
        assert await call.code() is grpc.StatusCode.CANCELLED
        assert outputs == BEFORE_MID[kind]
        assert await wait_in_thread(record.interceptor_done), record.events
        assert await wait_in_thread(record.handler_done), record.events
    # grpc.aio's server may see the client's cancellation as the end of the request
    # stream (its read() gives EOF), and the handler then ends normally; or the
    # handler's task is cancelled. Either way the finally blocks ran, and nothing else
    # went through the probe.
    events = record.events
    assert [e for e in events if e.startswith(("handler exit", "probe saw"))] in (
        [],
        ["handler exit CancelledError", "probe saw CancelledError"],
    )
