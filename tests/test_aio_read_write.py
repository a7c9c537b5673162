"""The grpc.aio read/write API behind interceptors (past 0.15.4).

A handler may send its responses with ``await context.write()`` and return ``None``,
and take its requests with ``await context.read()``. Interceptors must see those
messages just as they see yielded and iterated ones: every response, every request,
changes made on the way in, bounded buffering, exceptions after the messages written
before them, cancellation from the client, and contextvars.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import TIMEOUT, Outcome, call, echo

from grpc_interceptor import AsyncExceptionToStatusInterceptor, AsyncServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, raises, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)

STREAM_KINDS = ("unary_stream", "stream_unary", "stream_stream")
STREAMING_RESPONSE_KINDS = ("unary_stream", "stream_stream")
#: The most write-style handlers are allowed to write before being cancelled.
WRITE_LIMIT = 10_000


def inputs_for(kind: str) -> tuple[str, ...]:
    return ("abcd",) if kind == "unary_stream" else ("a", "b", "c", "d")


class _Recorder:
    """What both taps do with messages: record every one, and change or drop some.

    Args:
        change_request: Maps each request on the way in.
        change_response: Maps each response (with its index) on the way out; ``None``
            drops it.
        on_response: Awaited with the index before each response is handled.
        stop_after: Stop taking responses after this many.
    """

    def __init__(
        self,
        change_request: Callable[[DummyRequest], DummyRequest] = lambda request: request,
        change_response: Callable[[DummyResponse, int], DummyResponse | None] = lambda response, index: response,
        on_response: Callable[[int], Any] | None = None,
        stop_after: int | None = None,
    ) -> None:
        self.events: list[str] = []
        self.change_request = change_request
        self.change_response = change_response
        self.on_response = on_response
        self.stop_after = stop_after

    async def requests(self, request_iterator: AsyncIterator[DummyRequest]) -> AsyncIterator[DummyRequest]:
        async for request in request_iterator:
            self.events.append(f"request:{request.input}")
            yield self.change_request(request)

    def request(self, request: DummyRequest) -> DummyRequest:
        self.events.append(f"request:{request.input}")
        return self.change_request(request)

    def requests_in(self, request_or_iterator: Any) -> Any:
        if hasattr(request_or_iterator, "__aiter__"):
            return self.requests(request_or_iterator)
        return self.request(request_or_iterator)

    async def responses(self, responses: AsyncIterator[DummyResponse]) -> AsyncIterator[DummyResponse]:
        index = 0
        try:
            async for response in responses:
                if self.on_response is not None:
                    await self.on_response(index)
                self.events.append(f"response:{response.output}")
                changed = self.change_response(response, index)
                if changed is not None:
                    yield changed
                index += 1
                if self.stop_after is not None and index == self.stop_after:
                    self.events.append("stopped")
                    return
        except Exception as error:
            self.events.append(f"error:{type(error).__name__}:{error}")
            raise
        self.events.append("end")

    def unary_response(self, response: DummyResponse) -> DummyResponse:
        self.events.append(f"response:{response.output}")
        return response


class Tap(_Recorder, AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """A typed interceptor that records every message and may change or drop them."""

    async def on_unary_unary(self, method: Any, request: DummyRequest, context: Any, method_name: str, /) -> Any:
        return self.unary_response(await method(self.request(request), context))

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return self.unary_response(await method(self.requests(request_iterator), context))

    def on_unary_stream(self, method: Any, request: DummyRequest, context: Any, method_name: str, /) -> Any:
        return self.responses(method(self.request(request), context))

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return self.responses(method(self.requests(request_iterator), context))


class CatchAllTap(_Recorder, AsyncServerInterceptor):
    """:class:`Tap` as a 0.15.4 catch-all ``async def intercept`` (the README's shape)."""

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        result = method(self.requests_in(request_or_iterator), context)
        if hasattr(result, "__aiter__"):
            return self.responses(result)
        return self.unary_response(await result)


TAPS = {"typed": Tap, "catch_all": CatchAllTap}


def rw_client(special_cases: dict[str, Any] | None, interceptors: list[Any], read_write: bool = True) -> Any:
    return dummy_client(special_cases, interceptors, aio_server=True, aio_read_write=read_write)


# --- every message, both styles -----------------------------------------------------


@pytest.mark.parametrize("kind", STREAM_KINDS)
def test_hooks_see_the_same_messages_for_both_handler_styles(kind: str) -> None:
    inputs = inputs_for(kind)
    seen: dict[bool, list[str]] = {}
    for read_write in (False, True):
        tap = Tap()
        with rw_client(None, [tap], read_write) as stub:
            assert call(stub, kind, *inputs) == Outcome(echo(kind, *inputs))
        seen[read_write] = tap.events

    expected_requests = [f"request:{text}" for text in inputs]
    expected_responses = [f"response:{output}" for output in echo(kind, *inputs)]
    for events in seen.values():
        assert [e for e in events if e.startswith("request:")] == expected_requests
        assert [e for e in events if e.startswith("response:")] == expected_responses


@pytest.mark.parametrize("kind", STREAMING_RESPONSE_KINDS)
@pytest.mark.parametrize("tap", TAPS)
def test_written_responses_reach_the_client_only_through_the_interceptor(kind: str, tap: str) -> None:
    """Dropping and changing written responses in the hook is what the client gets."""

    def every_other(response: DummyResponse, index: int) -> DummyResponse | None:
        return DummyResponse(output=response.output.upper()) if index % 2 == 0 else None

    inputs = inputs_for(kind)
    interceptor = TAPS[tap](change_response=every_other)
    with rw_client(None, [interceptor]) as stub:
        outcome = call(stub, kind, *inputs)

    assert outcome == Outcome(["A", "C"])
    assert [e for e in interceptor.events if e.startswith("response:")] == [
        "response:a",
        "response:b",
        "response:c",
        "response:d",
    ]
    assert interceptor.events[-1] == "end"


@pytest.mark.parametrize("kind", ["stream_unary", "stream_stream"])
@pytest.mark.parametrize("tap", TAPS)
def test_changed_requests_are_what_read_returns(kind: str, tap: str) -> None:
    interceptor = TAPS[tap](change_request=lambda request: DummyRequest(input=request.input * 2))
    with rw_client(None, [interceptor]) as stub:
        outcome = call(stub, kind, "a", "b", "c")

    assert outcome == Outcome(echo(kind, "aa", "bb", "cc"))


class Reverser(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """Takes the whole request stream and passes on a stream of its own, reversed."""

    @staticmethod
    async def reversed_requests(request_iterator: AsyncIterator[DummyRequest]) -> AsyncIterator[DummyRequest]:
        requests = [request async for request in request_iterator]
        for request in reversed(requests):
            yield request
        yield DummyRequest(input="added")

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        return await method(self.reversed_requests(request_iterator), context)

    async def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        async for response in method(self.reversed_requests(request_iterator), context):
            yield response


@pytest.mark.parametrize("kind", ["stream_unary", "stream_stream"])
def test_read_takes_from_the_stream_the_interceptor_passed_on(kind: str) -> None:
    with rw_client(None, [Reverser()]) as stub:
        outcome = call(stub, kind, "a", "b", "c")

    assert outcome == Outcome(echo(kind, "c", "b", "a", "added"))


# --- an instrumented write-style service ----------------------------------------------


class WriteService(DummyServiceServicer):
    """Write-style streaming handlers that report what they did.

    ``ExecuteServerStream`` reads its input as ``count:N`` (write ``0``..``N-1``),
    ``fail:N`` (write N messages, then raise NotFound) or ``endless`` (write until
    cancelled, at most WRITE_LIMIT). ``ExecuteClientServerStream`` reads requests with
    ``context.read()`` and writes each input back; ``fail`` raises NotFound. With
    ``linger``, it waits after the end of the requests until it is cancelled.
    """

    def __init__(self, linger: bool = False) -> None:
        self.linger = linger
        self.completed_writes = 0
        self.finished = threading.Event()
        self.cancelled = threading.Event()

    async def _write(self, context: Any, output: str) -> None:
        await context.write(DummyResponse(output=output))
        self.completed_writes += 1

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> None:  # type: ignore[override]
        mode, _, number = request.input.partition(":")
        try:
            count = WRITE_LIMIT if mode == "endless" else int(number)
            for index in range(count):
                await self._write(context, str(index))
            if mode == "fail":
                raise NotFound(f"failed after {count}")
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        finally:
            self.finished.set()

    async def ExecuteClientServerStream(self, request_iterator: Any, context: Any) -> None:  # type: ignore[override]
        try:
            while True:
                request = await context.read()
                if request is grpc.aio.EOF:
                    if self.linger:
                        await asyncio.Event().wait()
                    return
                if request.input == "fail":
                    raise NotFound("failed on request")
                await self._write(context, request.input)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        finally:
            self.finished.set()


def register(servicer: DummyServiceServicer) -> Callable[[Any], None]:
    return lambda server: add_DummyServiceServicer_to_server(servicer, server)


@pytest.mark.parametrize("tap", TAPS)
@pytest.mark.parametrize("kind", STREAMING_RESPONSE_KINDS)
def test_write_style_handler_runs_at_most_one_message_ahead(tap: str, kind: str) -> None:
    """While the interceptor dawdles over each message, the handler cannot write on."""
    service = WriteService()
    completed_when_seen: list[int] = []

    async def dawdle(index: int) -> None:
        for _ in range(20):  # give the handler's task every chance to run ahead
            await asyncio.sleep(0)
        completed_when_seen.append(service.completed_writes)

    count = 20
    interceptor = TAPS[tap](on_response=dawdle)
    with serve(register(service), [interceptor], aio_server=True) as channel:
        outcome = call(
            DummyServiceStub(channel), kind, *([f"count:{count}"] if kind == "unary_stream" else map(str, range(count)))
        )

    assert outcome == Outcome([str(index) for index in range(count)])
    assert len(completed_when_seen) == count
    for index, completed in enumerate(completed_when_seen):
        # When the interceptor holds message `index`, every write before it has
        # returned, and at most one more after it (the next message) has.
        assert index <= completed <= index + 2, completed_when_seen


@pytest.mark.parametrize("tap", TAPS)
@pytest.mark.parametrize("kind", STREAMING_RESPONSE_KINDS)
def test_write_style_exception_arrives_after_the_written_messages(tap: str, kind: str) -> None:
    service = WriteService()
    interceptor = TAPS[tap]()
    inputs = ["fail:2"] if kind == "unary_stream" else ["0", "1", "fail"]
    details = "failed after 2" if kind == "unary_stream" else "failed on request"
    with serve(register(service), [AsyncExceptionToStatusInterceptor(), interceptor], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), kind, *inputs)

    assert outcome == Outcome(["0", "1"], grpc.StatusCode.NOT_FOUND, details)
    responses = [e for e in interceptor.events if not e.startswith("request:")]
    assert responses == ["response:0", "response:1", f"error:NotFound:{details}"]
    assert service.finished.is_set()


@pytest.mark.parametrize("tap", TAPS)
def test_write_style_exception_with_the_kit_service(tap: str) -> None:
    interceptor = TAPS[tap]()
    chain = [AsyncExceptionToStatusInterceptor(grpc.StatusCode.INTERNAL), interceptor]
    with rw_client({"boom": raises(RuntimeError("boom"))}, chain) as stub:
        outcome = call(stub, "stream_stream", "a", "b", "boom", "c")

    assert outcome == Outcome(["a", "b"], grpc.StatusCode.INTERNAL, repr(RuntimeError("boom")))
    # Requests and responses interleave as the handler's task and the interceptor take
    # turns; each stream on its own is in order.
    assert [e for e in interceptor.events if e.startswith("request:")] == ["request:a", "request:b", "request:boom"]
    assert [e for e in interceptor.events if not e.startswith("request:")] == [
        "response:a",
        "response:b",
        "error:RuntimeError:boom",
    ]


class WriteThenAbort(DummyServiceServicer):
    """Writes each character of the input, then aborts with PERMISSION_DENIED."""

    async def ExecuteServerStream(self, request: DummyRequest, context: Any) -> None:  # type: ignore[override]
        for char in request.input:
            await context.write(DummyResponse(output=char))
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, "denied")


def test_abort_after_writes_without_interceptors_keeps_every_message() -> None:
    """What grpc does on its own, for the test below."""
    with serve(register(WriteThenAbort()), [], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), "unary_stream", "abc")

    assert outcome == Outcome(["a", "b", "c"], grpc.StatusCode.PERMISSION_DENIED, "denied")


@pytest.mark.parametrize("tap", TAPS)
def test_abort_after_writes_keeps_every_message(tap: str) -> None:
    """A message whose write() returned reaches the client before the abort does."""
    interceptor = TAPS[tap]()
    with serve(register(WriteThenAbort()), [interceptor], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), "unary_stream", "abc")

    assert outcome == Outcome(["a", "b", "c"], grpc.StatusCode.PERMISSION_DENIED, "denied")


# --- cancellation ---------------------------------------------------------------------


async def wait_for_event(event: threading.Event) -> bool:
    return await asyncio.get_running_loop().run_in_executor(None, event.wait, TIMEOUT)


@pytest.mark.parametrize("tap", TAPS)
async def test_client_cancellation_cancels_a_write_style_handler(tap: str) -> None:
    service = WriteService()
    interceptor = TAPS[tap]()
    async with serve(register(service), [interceptor], aio_server=True, aio_client=True) as channel:
        rpc = DummyServiceStub(channel).ExecuteServerStream(DummyRequest(input="endless"), timeout=TIMEOUT)
        assert (await rpc.read()).output == "0"
        assert (await rpc.read()).output == "1"
        rpc.cancel()
        assert await wait_for_event(service.finished), "the handler's finally did not run"

    assert service.cancelled.is_set()
    assert service.completed_writes < WRITE_LIMIT
    assert "end" not in interceptor.events


@pytest.mark.parametrize("tap", TAPS)
async def test_client_cancellation_cancels_a_handler_that_reads(tap: str) -> None:
    """A client that cancels mid-stream ends the request stream and cancels the handler.

    grpc itself (no interceptor involved) mostly ends the request stream of a cancelled
    call with EOF rather than raising from ``context.read()``: the handler here
    lingers after EOF, so that only its cancellation can end it.
    """
    service = WriteService(linger=True)
    interceptor = TAPS[tap]()
    async with serve(register(service), [interceptor], aio_server=True, aio_client=True) as channel:
        rpc = DummyServiceStub(channel).ExecuteClientServerStream(timeout=TIMEOUT)
        await rpc.write(DummyRequest(input="x"))
        assert (await rpc.read()).output == "x"
        # The handler's write() returns once the chain asks for the next message, a loop
        # turn after the client has it: cancel only once the handler is back in read().
        for _ in range(200):
            if service.completed_writes:
                break
            await asyncio.sleep(0.01)
        assert service.completed_writes == 1
        rpc.cancel()
        assert await wait_for_event(service.finished), "the handler's finally did not run"

    assert service.cancelled.is_set()
    assert service.completed_writes == 1


@pytest.mark.parametrize("tap", TAPS)
def test_interceptor_that_stops_early_cancels_the_handler(tap: str) -> None:
    service = WriteService()
    interceptor = TAPS[tap](stop_after=2)
    with serve(register(service), [interceptor], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), "unary_stream", "endless")
        assert service.finished.wait(TIMEOUT), "the handler's finally did not run"

    assert outcome == Outcome(["0", "1"])
    assert service.cancelled.is_set()
    assert service.completed_writes < WRITE_LIMIT


# --- contextvars ----------------------------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("REQUEST_ID", default="unset")


class YieldVarService(DummyServiceServicer):
    """Answers with the value of REQUEST_ID the handler sees (return / yield / iterate)."""

    async def Execute(self, request: Any, context: Any) -> DummyResponse:
        return DummyResponse(output=REQUEST_ID.get())

    async def ExecuteClientStream(self, request_iterator: Any, context: Any) -> DummyResponse:
        async for _ in request_iterator:
            pass
        return DummyResponse(output=REQUEST_ID.get())

    async def ExecuteServerStream(self, request: Any, context: Any) -> AsyncIterator[DummyResponse]:
        yield DummyResponse(output=REQUEST_ID.get())

    async def ExecuteClientServerStream(self, request_iterator: Any, context: Any) -> AsyncIterator[DummyResponse]:
        async for _ in request_iterator:
            yield DummyResponse(output=REQUEST_ID.get())


class ReadWriteVarService(YieldVarService):
    """:class:`YieldVarService` with ``context.read()`` and ``context.write()``."""

    async def ExecuteClientStream(self, request_iterator: Any, context: Any) -> DummyResponse:
        while await context.read() is not grpc.aio.EOF:
            pass
        return DummyResponse(output=REQUEST_ID.get())

    async def ExecuteServerStream(self, request: Any, context: Any) -> None:  # type: ignore[override]
        await context.write(DummyResponse(output=REQUEST_ID.get()))

    async def ExecuteClientServerStream(self, request_iterator: Any, context: Any) -> None:  # type: ignore[override]
        while await context.read() is not grpc.aio.EOF:
            await context.write(DummyResponse(output=REQUEST_ID.get()))


class SetsVar(AsyncServerInterceptor):
    """Sets REQUEST_ID to the method's last path segment before the continuation (catch-all)."""

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        REQUEST_ID.set("from " + method_name.rsplit("/", 1)[1])
        result = method(request_or_iterator, context)
        return result if hasattr(result, "__aiter__") else await result


class TypedSetsVar(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """:class:`SetsVar` with typed hooks."""

    @staticmethod
    def _set(method_name: str) -> None:
        REQUEST_ID.set("from " + method_name.rsplit("/", 1)[1])

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        self._set(method_name)
        return await method(request, context)

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        self._set(method_name)
        return await method(request_iterator, context)

    async def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        self._set(method_name)
        async for response in method(request, context):
            yield response

    async def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        self._set(method_name)
        async for response in method(request_iterator, context):
            yield response


METHODS = {
    "unary_unary": "Execute",
    "unary_stream": "ExecuteServerStream",
    "stream_unary": "ExecuteClientStream",
    "stream_stream": "ExecuteClientServerStream",
}


@pytest.mark.parametrize("service", [YieldVarService, ReadWriteVarService], ids=["yield", "read_write"])
@pytest.mark.parametrize("setter", [SetsVar, TypedSetsVar], ids=["catch_all", "typed"])
def test_contextvar_set_by_the_interceptor_is_seen_by_the_handler(
    kind: str, service: type[DummyServiceServicer], setter: type[AsyncServerInterceptor[Any, Any]]
) -> None:
    with serve(register(service()), [setter()], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), kind, *(["x"] if kind.startswith("unary") else ["x", "y"]))

    answers = 2 if kind == "stream_stream" else 1
    assert outcome == Outcome([f"from {METHODS[kind]}"] * answers)


@pytest.mark.parametrize("service", [YieldVarService, ReadWriteVarService], ids=["yield", "read_write"])
def test_contextvar_without_interceptor_value_is_the_default(kind: str, service: type[DummyServiceServicer]) -> None:
    """The check above can fail: nothing set, the handler sees the default."""
    with serve(register(service()), [Tap()], aio_server=True) as channel:
        outcome = call(DummyServiceStub(channel), kind, "x")

    assert outcome == Outcome(["unset"])


class HandlerSetsVar(DummyServiceServicer):
    """A yield-style server stream that sets REQUEST_ID itself."""

    async def ExecuteServerStream(self, request: Any, context: Any) -> AsyncIterator[DummyResponse]:
        REQUEST_ID.set("from handler")
        yield DummyResponse(output="x")


class WriteHandlerSetsVar(DummyServiceServicer):
    """:class:`HandlerSetsVar` with ``context.write()``."""

    async def ExecuteServerStream(self, request: Any, context: Any) -> None:  # type: ignore[override]
        REQUEST_ID.set("from handler")
        await context.write(DummyResponse(output="x"))


class ReadsVarAfter(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    def __init__(self) -> None:
        self.after: list[str] = []

    async def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        async for response in method(request, context):
            yield response
        self.after.append(REQUEST_ID.get())


@pytest.mark.parametrize(
    ("service", "seen"),
    [(HandlerSetsVar, "from handler"), (WriteHandlerSetsVar, "unset")],
    ids=["yield", "write"],
)
def test_contextvar_set_by_a_write_style_handler_stays_in_its_task(
    service: type[DummyServiceServicer], seen: str
) -> None:
    """A documented limit: a write-style handler runs in a task of its own (with a copy
    of the interceptor's context), so values it sets do not reach the interceptor; a
    yield-style handler runs in the interceptor's task, so they do."""
    interceptor = ReadsVarAfter()
    with serve(register(service()), [interceptor], aio_server=True) as channel:
        assert call(DummyServiceStub(channel), "unary_stream", "x") == Outcome(["x"])

    assert interceptor.after == [seen]
