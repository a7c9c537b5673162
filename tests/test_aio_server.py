"""AsyncServerInterceptor on a grpc.aio server, end to end.

Every test runs the four RPC kinds against both handler styles of the testing kit:
``yield`` (AsyncDummyService: ``return`` and ``async def`` + ``yield``) and
``read_write`` (AsyncReadWriteDummyService: ``context.read()`` / ``context.write()``),
and each interceptor is written in three ways:

* ``readme``: a 0.15.4 catch-all ``async def intercept`` that awaits a unary result
  and returns a helper async generator when the result has ``__aiter__``, as in the
  0.15.4 README;
* ``yield``: a catch-all ``async def intercept`` + ``yield`` (streaming responses only);
* ``typed``: ``AsyncServerInterceptor[DummyRequest, DummyResponse]`` with the four
  typed hooks.

What an interceptor does is described by a :class:`Plan` shared by the three ways, so
that one expectation covers all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import KINDS, STREAMING_RESPONSE_KINDS, TIMEOUT, Outcome, call, echo

from grpc_interceptor import AsyncExceptionToStatusInterceptor, AsyncServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_channel, dummy_client

STYLES = ("yield", "read_write")
SERVICE = "/DummyService/"
METHOD_OF_KIND = {
    "unary_unary": "Execute",
    "unary_stream": "ExecuteServerStream",
    "stream_unary": "ExecuteClientStream",
    "stream_stream": "ExecuteClientServerStream",
}


@pytest.fixture(params=STYLES)
def style(request: pytest.FixtureRequest) -> str:
    """Each handler style of the testing kit in turn."""
    return str(request.param)


def inputs_for(kind: str) -> tuple[str, ...]:
    """Inputs that give two or more response messages on streaming-response kinds."""
    if kind == "unary_unary":
        return ("hi",)
    if kind == "unary_stream":
        return ("abc",)
    return ("a", "b", "c")


def client(style: str, special_cases: dict[str, Any] | None = None, interceptors: list[Any] | None = None) -> Any:
    return dummy_client(special_cases, interceptors, aio_server=True, aio_read_write=style == "read_write")


async def acall(stub: Any, kind: str, *inputs: str) -> Outcome:
    """:func:`conftest.call` for a grpc.aio stub."""
    requests = [DummyRequest(input=text) for text in inputs]
    outcome = Outcome()
    try:
        if kind == "unary_unary":
            outcome.outputs.append((await stub.Execute(requests[0], timeout=TIMEOUT)).output)
        elif kind == "unary_stream":
            async for response in stub.ExecuteServerStream(requests[0], timeout=TIMEOUT):
                outcome.outputs.append(response.output)
        elif kind == "stream_unary":
            outcome.outputs.append((await stub.ExecuteClientStream(iter(requests), timeout=TIMEOUT)).output)
        else:
            async for response in stub.ExecuteClientServerStream(iter(requests), timeout=TIMEOUT):
                outcome.outputs.append(response.output)
    except grpc.aio.AioRpcError as error:
        outcome.code = error.code()
        outcome.details = error.details()
    return outcome


def recording_handler(events: list[str]) -> Callable[[str, Any], Any]:
    """A coroutine special case that records that the handler ran for ``text``."""

    async def handle(text: str, context: Any) -> str:
        events.append(f"handler:{text}")
        return text

    return handle


class Plan:
    """What an interceptor does, whichever way it is written; it records ``events``.

    Args:
        name: Prefix of the recorded events.
        events: Where events go (shared by a chain, to check its order).
        request_suffix: Appended to every request's input on the way in.
        response_suffix: Appended to every response's output on the way out.
        abort_before: ``await context.abort(PERMISSION_DENIED)`` before the continuation.
        fail: Raise ``before`` the continuation, ``during`` the response stream (instead
            of passing on the second response), or ``after`` the last response.
        mapped: Raise ``NotFound`` (else ``RuntimeError``).
    """

    def __init__(
        self,
        name: str = "I",
        events: list[str] | None = None,
        *,
        request_suffix: str = "",
        response_suffix: str = "",
        abort_before: bool = False,
        fail: str | None = None,
        mapped: bool = False,
    ) -> None:
        self.name = name
        self.events = [] if events is None else events
        self.request_suffix = request_suffix
        self.response_suffix = response_suffix
        self.abort_before = abort_before
        self.fail = fail
        self.mapped = mapped

    def _exception(self) -> Exception:
        message = f"{self.name} fails {self.fail}"
        return NotFound(message) if self.mapped else RuntimeError(message)

    async def begin(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> None:
        self.events.append(f"{self.name}:call:{method_name}")
        if self.abort_before:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{self.name} denies")
        if self.fail == "before":
            raise self._exception()

    def request(self, request: DummyRequest) -> DummyRequest:
        self.events.append(f"{self.name}:request:{request.input}")
        return DummyRequest(input=request.input + self.request_suffix)

    async def requests(self, request_iterator: AsyncIterator[DummyRequest]) -> AsyncIterator[DummyRequest]:
        async for request in request_iterator:
            yield self.request(request)

    def requests_in(self, request_or_iterator: Any) -> Any:
        if hasattr(request_or_iterator, "__aiter__"):
            return self.requests(request_or_iterator)
        return self.request(request_or_iterator)

    def response(self, response: DummyResponse, index: int) -> DummyResponse:
        if self.fail == "during" and index == 1:
            raise self._exception()
        self.events.append(f"{self.name}:response:{response.output}")
        return DummyResponse(output=response.output + self.response_suffix)

    def end(self) -> None:
        self.events.append(f"{self.name}:end")
        if self.fail == "after":
            raise self._exception()


class ReadmeStyle(AsyncServerInterceptor):
    """0.15.4's catch-all: await a unary result, hand back a helper generator for a stream."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        await self.plan.begin(context, method_name)
        response_or_iterator = method(self.plan.requests_in(request_or_iterator), context)
        if not hasattr(response_or_iterator, "__aiter__"):
            response = self.plan.response(await response_or_iterator, 0)
            self.plan.end()
            return response
        # A streaming response: not awaited, handed to a helper async generator.
        return self._intercept_streaming(response_or_iterator)

    async def _intercept_streaming(self, iterator: AsyncIterator[DummyResponse]) -> AsyncIterator[DummyResponse]:
        index = 0
        async for response in iterator:
            yield self.plan.response(response, index)
            index += 1
        self.plan.end()


class YieldStyle(AsyncServerInterceptor):
    """A catch-all ``async def intercept`` + ``yield``, for streaming responses."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    async def intercept(
        self, method: Any, request_or_iterator: Any, context: Any, method_name: str
    ) -> AsyncIterator[DummyResponse]:
        await self.plan.begin(context, method_name)
        index = 0
        async for response in method(self.plan.requests_in(request_or_iterator), context):
            yield self.plan.response(response, index)
            index += 1
        self.plan.end()


class TypedStyle(AsyncServerInterceptor[DummyRequest, DummyResponse]):
    """One typed hook per kind."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    async def on_unary_unary(
        self, method: Any, request: DummyRequest, context: Any, method_name: str, /
    ) -> DummyResponse:
        await self.plan.begin(context, method_name)
        response = self.plan.response(await method(self.plan.request(request), context), 0)
        self.plan.end()
        return response

    async def on_stream_unary(
        self, method: Any, request_iterator: AsyncIterator[DummyRequest], context: Any, method_name: str, /
    ) -> DummyResponse:
        await self.plan.begin(context, method_name)
        response = self.plan.response(await method(self.plan.requests(request_iterator), context), 0)
        self.plan.end()
        return response

    async def on_unary_stream(
        self, method: Any, request: DummyRequest, context: Any, method_name: str, /
    ) -> AsyncIterator[DummyResponse]:
        await self.plan.begin(context, method_name)
        index = 0
        async for response in method(self.plan.request(request), context):
            yield self.plan.response(response, index)
            index += 1
        self.plan.end()

    async def on_stream_stream(
        self, method: Any, request_iterator: AsyncIterator[DummyRequest], context: Any, method_name: str, /
    ) -> AsyncIterator[DummyResponse]:
        await self.plan.begin(context, method_name)
        index = 0
        async for response in method(self.plan.requests(request_iterator), context):
            yield self.plan.response(response, index)
            index += 1
        self.plan.end()


WAYS: dict[str, Callable[[Plan], AsyncServerInterceptor[Any, Any]]] = {
    "readme": ReadmeStyle,
    "yield": YieldStyle,
    "typed": TypedStyle,
}
#: (kind, way) pairs: the ``yield`` catch-all only makes sense for a streaming response.
KIND_WAYS = [(kind, way) for kind in KINDS for way in WAYS if way != "yield" or kind in STREAMING_RESPONSE_KINDS]


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
def test_interceptor_sees_every_request_and_response(kind: str, way: str, style: str) -> None:
    plan = Plan()
    inputs = inputs_for(kind)
    with client(style, interceptors=[WAYS[way](plan)]) as stub:
        outcome = call(stub, kind, *inputs)

    assert outcome == Outcome(echo(kind, *inputs))
    assert plan.events[0] == f"I:call:{SERVICE}{METHOD_OF_KIND[kind]}"
    assert [e.split(":", 2)[2] for e in plan.events if e.startswith("I:request:")] == list(inputs)
    assert [e.split(":", 2)[2] for e in plan.events if e.startswith("I:response:")] == outcome.outputs
    assert plan.events[-1] == "I:end"


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
async def test_with_an_aio_client(kind: str, way: str, style: str) -> None:
    plan = Plan(response_suffix="!")
    inputs = inputs_for(kind)
    async with dummy_client(
        None, [WAYS[way](plan)], aio_server=True, aio_client=True, aio_read_write=style == "read_write"
    ) as stub:
        outcome = await acall(stub, kind, *inputs)

    assert outcome == Outcome([output + "!" for output in echo(kind, *inputs)])
    assert plan.events[-1] == "I:end"


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
def test_modifies_requests_and_responses(kind: str, way: str, style: str) -> None:
    plan = Plan(request_suffix="<", response_suffix=">")
    inputs = inputs_for(kind)
    with client(style, interceptors=[WAYS[way](plan)]) as stub:
        outcome = call(stub, kind, *inputs)

    changed_inputs = [text + "<" for text in inputs]
    assert outcome == Outcome([output + ">" for output in echo(kind, *changed_inputs)])
    assert "<" in "".join(outcome.outputs)


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
def test_chain_modifies_in_order(kind: str, way: str, style: str) -> None:
    outer = Plan("A", request_suffix="1", response_suffix="1")
    inner = Plan("B", request_suffix="2", response_suffix="2")
    inputs = inputs_for(kind)
    with client(style, interceptors=[WAYS[way](outer), WAYS[way](inner)]) as stub:
        outcome = call(stub, kind, *inputs)

    # Requests pass the outer interceptor first; responses pass the inner one first.
    assert outcome == Outcome([output + "21" for output in echo(kind, *[text + "12" for text in inputs])])


def index_of(events: list[str], event: str) -> int:
    assert event in events, f"{event!r} missing from {events}"
    return events.index(event)


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
def test_chain_order(kind: str, way: str, style: str) -> None:
    events: list[str] = []
    inputs = inputs_for(kind)
    special_cases = {text: recording_handler(events) for text in inputs}
    interceptors = [WAYS[way](Plan("A", events)), WAYS[way](Plan("B", events))]
    with client(style, special_cases, interceptors) as stub:
        outcome = call(stub, kind, *inputs)

    assert outcome == Outcome(echo(kind, *inputs))
    method_name = SERVICE + METHOD_OF_KIND[kind]
    calls = [e for e in events if ":call:" in e]
    assert calls == [f"A:call:{method_name}", f"B:call:{method_name}"]
    handled = [e for e in events if e.startswith("handler:")]
    assert handled == [f"handler:{text}" for text in inputs]
    assert index_of(events, f"B:call:{method_name}") < index_of(events, handled[0])
    for text in inputs:
        assert index_of(events, f"A:request:{text}") < index_of(events, f"B:request:{text}")
        assert index_of(events, f"B:request:{text}") < index_of(events, f"handler:{text}")
    for output in outcome.outputs:
        assert index_of(events, f"B:response:{output}") < index_of(events, f"A:response:{output}")
    assert events.count("B:end") == events.count("A:end") == 1
    assert events[-1] == "A:end"
    assert all(index_of(events, f"B:response:{output}") < index_of(events, "B:end") for output in outcome.outputs)


def test_chain_order_unary_unary_exactly(style: str) -> None:
    events: list[str] = []
    interceptors = [ReadmeStyle(Plan("A", events)), TypedStyle(Plan("B", events))]
    with client(style, {"x": recording_handler(events)}, interceptors) as stub:
        assert call(stub, "unary_unary", "x") == Outcome(["x"])

    method_name = SERVICE + "Execute"
    assert events == [
        f"A:call:{method_name}",
        "A:request:x",
        f"B:call:{method_name}",
        "B:request:x",
        "handler:x",
        "B:response:x",
        "B:end",
        "A:response:x",
        "A:end",
    ]


@pytest.mark.parametrize(("kind", "way"), KIND_WAYS)
def test_abort_before_the_continuation(kind: str, way: str, style: str) -> None:
    events: list[str] = []
    plan = Plan(events=events, abort_before=True)
    inputs = inputs_for(kind)
    special_cases = {text: recording_handler(events) for text in inputs}
    with client(style, special_cases, [WAYS[way](plan)]) as stub:
        outcome = call(stub, kind, *inputs)

    assert outcome == Outcome([], grpc.StatusCode.PERMISSION_DENIED, "I denies")
    # The handler never ran, and no request (of a stream too) was taken.
    assert events == [f"I:call:{SERVICE}{METHOD_OF_KIND[kind]}"]


@pytest.mark.parametrize("kind", ["stream_unary", "stream_stream"])
@pytest.mark.parametrize("way", ["readme", "typed"])
async def test_abort_while_the_client_is_still_streaming(kind: str, way: str, style: str) -> None:
    """The client opens the request stream and neither writes nor closes it: the abort arrives.

    (The client does not write: a write racing the abort status sometimes ends as
    INTERNAL in grpc itself, with no interceptor involved.)
    """
    events: list[str] = []
    plan = Plan(events=events, abort_before=True)
    async with dummy_client(
        {"a": recording_handler(events)},
        [WAYS[way](plan)],
        aio_server=True,
        aio_client=True,
        aio_read_write=style == "read_write",
    ) as stub:
        method = stub.ExecuteClientStream if kind == "stream_unary" else stub.ExecuteClientServerStream
        rpc = method(timeout=TIMEOUT)
        code = await asyncio.wait_for(rpc.code(), TIMEOUT)
        details = await rpc.details()

    assert (code, details) == (grpc.StatusCode.PERMISSION_DENIED, "I denies")
    assert events == [f"I:call:{SERVICE}{METHOD_OF_KIND[kind]}"]


def exception_cases() -> list[tuple[str, str, str]]:
    return [
        (kind, way, fail)
        for kind, way in KIND_WAYS
        for fail in ("before", "during", "after")
        if fail != "during" or kind in STREAMING_RESPONSE_KINDS
    ]


@pytest.mark.parametrize(("kind", "way", "fail"), exception_cases())
@pytest.mark.parametrize("mapped", [True, False], ids=["mapped", "unknown"])
def test_exception_from_the_interceptor(kind: str, way: str, fail: str, mapped: bool, style: str) -> None:
    events: list[str] = []
    plan = Plan(events=events, fail=fail, mapped=mapped)
    inputs = inputs_for(kind)
    special_cases = {text: recording_handler(events) for text in inputs}
    interceptors: list[Any] = [WAYS[way](plan)]
    if mapped:
        interceptors.insert(0, AsyncExceptionToStatusInterceptor())
    with client(style, special_cases, interceptors) as stub:
        outcome = call(stub, kind, *inputs)

    all_outputs = echo(kind, *inputs)
    streaming = kind in STREAMING_RESPONSE_KINDS
    delivered = {"before": [], "during": all_outputs[:1], "after": all_outputs if streaming else []}[fail]
    assert outcome.outputs == delivered
    if mapped:
        assert (outcome.code, outcome.details) == (grpc.StatusCode.NOT_FOUND, f"I fails {fail}")
    else:
        assert outcome.code == grpc.StatusCode.UNKNOWN
    handler_ran = any(e.startswith("handler:") for e in events)
    assert handler_ran == (fail != "before")


def test_unimplemented_method_passes_through() -> None:
    plans = [Plan(), Plan()]
    interceptors = [ReadmeStyle(plans[0]), TypedStyle(plans[1])]
    with dummy_channel(None, interceptors, aio_server=True) as channel:
        missing = channel.unary_unary(
            SERVICE + "Missing",
            request_serializer=DummyRequest.SerializeToString,
            response_deserializer=DummyResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as raised:
            missing(DummyRequest(input="x"), timeout=TIMEOUT)
        error: Any = raised.value
        assert error.code() == grpc.StatusCode.UNIMPLEMENTED
        # The server still works, through the interceptors.
        stub_call = channel.unary_unary(
            SERVICE + "Execute",
            request_serializer=DummyRequest.SerializeToString,
            response_deserializer=DummyResponse.FromString,
        )
        assert stub_call(DummyRequest(input="x"), timeout=TIMEOUT).output == "x"

    assert [e for e in plans[0].events if "Missing" in e] == []
    assert plans[0].events[0] == f"I:call:{SERVICE}Execute"


@pytest.mark.parametrize("kind", KINDS)
def test_handler_context_works_behind_an_interceptor(kind: str, style: str) -> None:
    seen: list[str] = []

    async def check(text: str, context: Any) -> str:
        seen.append(text)
        context.set_trailing_metadata((("x-handler", "yes"),))
        return text

    with dummy_channel(
        {"a": check}, [TypedStyle(Plan())], aio_server=True, aio_read_write=style == "read_write"
    ) as channel:
        path = SERVICE + METHOD_OF_KIND[kind]
        serializers = {
            "request_serializer": DummyRequest.SerializeToString,
            "response_deserializer": DummyResponse.FromString,
        }
        request = DummyRequest(input="a")
        if kind == "unary_unary":
            _, rpc = channel.unary_unary(path, **serializers).with_call(request, timeout=TIMEOUT)
        elif kind == "stream_unary":
            _, rpc = channel.stream_unary(path, **serializers).with_call(iter([request]), timeout=TIMEOUT)
        elif kind == "unary_stream":
            rpc = channel.unary_stream(path, **serializers)(request, timeout=TIMEOUT)
            assert [r.output for r in rpc] == ["a"]
        else:
            rpc = channel.stream_stream(path, **serializers)(iter([request]), timeout=TIMEOUT)
            assert [r.output for r in rpc] == ["a"]
        trailing = rpc.trailing_metadata()

    assert seen == ["a"]
    assert ("x-handler", "yes") in [(item.key, item.value) for item in trailing]
