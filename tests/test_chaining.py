"""chain(): several interceptors that grpc runs as one, with the meaning of the list."""

from __future__ import annotations

import asyncio
import inspect

import grpc
import grpc.aio
import pytest

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
    aio_channel_interceptors,
    chain,
    methods,
    select,
)
from grpc_interceptor.chaining import (
    ChainedAsyncClientInterceptor,
    ChainedAsyncServerInterceptor,
    ChainedClientInterceptor,
    ChainedServerInterceptor,
)
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client
from tests.conftest import INPUTS, KINDS, METHOD, call

# ---- servers ----------------------------------------------------------------------


class Trace(ServerInterceptor):
    def __init__(self, name, trace):
        self.name = name
        self.trace = trace

    def intercept(self, method, request_or_iterator, context, method_name):
        self.trace.append(f"{self.name}>")
        result = method(request_or_iterator, context)
        if hasattr(result, "__iter__") and not hasattr(result, "output"):
            return self._stream(result)
        self.trace.append(f"<{self.name}")
        return result

    def _stream(self, responses):
        yield from responses
        self.trace.append(f"<{self.name}")


class AsyncTrace(AsyncServerInterceptor):
    def __init__(self, name, trace):
        self.name = name
        self.trace = trace

    async def on_unary_unary(self, method, request, context, method_name, /):
        self.trace.append(f"{self.name}>")
        response = await method(request, context)
        self.trace.append(f"<{self.name}")
        return response

    async def on_stream_unary(self, method, request_iterator, context, method_name, /):
        self.trace.append(f"{self.name}>")
        response = await method(request_iterator, context)
        self.trace.append(f"<{self.name}")
        return response

    async def on_unary_stream(self, method, request, context, method_name, /):
        self.trace.append(f"{self.name}>")
        async for response in method(request, context):
            yield response
        self.trace.append(f"<{self.name}")

    async def on_stream_stream(self, method, request_iterator, context, method_name, /):
        self.trace.append(f"{self.name}>")
        async for response in method(request_iterator, context):
            yield response
        self.trace.append(f"<{self.name}")


class RawTrace(grpc.ServerInterceptor):
    """grpc's own API: it sees the handler lookup, not the RPC."""

    def __init__(self, trace):
        self.trace = trace

    def intercept_service(self, continuation, handler_call_details):
        self.trace.append("raw")
        return continuation(handler_call_details)


class AsyncRawTrace(grpc.aio.ServerInterceptor):
    def __init__(self, trace):
        self.trace = trace

    async def intercept_service(self, continuation, handler_call_details):
        self.trace.append("raw")
        return await continuation(handler_call_details)


def _members(aio, trace, names="abc"):
    make = AsyncTrace if aio else Trace
    return [make(name, trace) for name in names]


def _run(aio, interceptors, kind):
    with dummy_client(special_cases={}, interceptors=interceptors, aio_server=aio) as client:
        return call(client, kind, *INPUTS[kind])


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_chain_runs_its_members_as_the_list_would(aio, kind):
    listed, chained = [], []
    expected = _run(aio, _members(aio, listed), kind)
    outcome = _run(aio, [chain(*_members(aio, chained))], kind)
    assert outcome == expected
    assert outcome.code == grpc.StatusCode.OK
    assert chained == listed == ["a>", "b>", "c>", "<c", "<b", "<a"]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_grpc_sees_one_interceptor_and_the_handler_is_built_once_per_method(aio, kind):
    trace = []
    members = _members(aio, trace)
    chained = chain(*members)
    built = []
    wrap = type(chained)._grpc_interceptor_wrap

    def counting_wrap(self, handler, method_name):
        built.append(method_name)
        return wrap(self, handler, method_name)

    type(chained)._grpc_interceptor_wrap = counting_wrap
    try:
        with dummy_client(special_cases={}, interceptors=[chained], aio_server=aio) as client:
            for _ in range(3):
                assert call(client, kind, *INPUTS[kind]).code == grpc.StatusCode.OK
    finally:
        type(chained)._grpc_interceptor_wrap = wrap
    assert built == [METHOD[kind]]
    assert trace.count("a>") == 3
    # The members' own handler caches were never used: grpc never called them.
    assert all(member._grpc_interceptor_handlers is None for member in members)


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_grpcs_own_interceptors_run_where_they_stand(aio):
    trace = []
    raw = AsyncRawTrace(trace) if aio else RawTrace(trace)
    a, b = _members(aio, trace, "ab")
    chained = chain(a, raw, b)
    with dummy_client(special_cases={}, interceptors=[chained], aio_server=aio) as client:
        assert client.Execute(DummyRequest(input="x")).output == "x"
    # grpc's interceptors run at handler lookup, before any RPC hook; ours in order around the RPC.
    assert trace == ["raw", "a>", "b>", "<b", "<a"]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_selected_and_nested_members_keep_their_meaning(aio):
    trace = []
    a, b, c = _members(aio, trace)
    chained = chain(chain(a, select(b, methods(METHOD["unary_stream"]))), c)
    with dummy_client(special_cases={}, interceptors=[chained], aio_server=aio) as client:
        assert client.Execute(DummyRequest(input="x")).output == "x"
        assert trace == ["a>", "c>", "<c", "<a"]
        trace.clear()
        assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="xy"))] == ["x", "y"]
        assert trace == ["a>", "b>", "c>", "<c", "<b", "<a"]


class OwnWay(Trace):
    """One of ours that serves RPCs its own way: it overrides grpc's entry point."""

    def intercept_service(self, continuation, handler_call_details):
        self.trace.append("own way")
        return super().intercept_service(continuation, handler_call_details)


def test_a_member_that_serves_rpcs_its_own_way_is_called_as_grpc_would():
    trace = []
    own = OwnWay("b", trace)
    with dummy_client(special_cases={}, interceptors=[chain(Trace("a", trace), own, Trace("c", trace))]) as client:
        assert client.Execute(DummyRequest(input="x")).output == "x"
        assert client.Execute(DummyRequest(input="y")).output == "y"
    assert trace == ["own way", "a>", "b>", "c>", "<c", "<b", "<a"] * 2


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_selection_of_ours_is_built_into_the_handler_once_per_method(aio):
    trace = []
    (inner,) = _members(aio, trace, "a")
    selected = select(inner, methods(METHOD["unary_unary"]))
    with dummy_client(special_cases={}, interceptors=[selected], aio_server=aio) as client:
        for _ in range(3):
            assert client.Execute(DummyRequest(input="x")).output == "x"
            assert [r.output for r in client.ExecuteServerStream(DummyRequest(input="xy"))] == ["x", "y"]
    assert trace == ["a>", "<a"] * 3
    # The selection looked the handler up for both methods; the interceptor itself never did.
    assert set(selected._grpc_interceptor_handlers) == {METHOD["unary_unary"], METHOD["unary_stream"]}
    assert inner._grpc_interceptor_handlers is None


def test_status_mapping_in_a_chain_sees_what_the_members_inside_raise():
    trace = []

    def not_found(request, context):
        raise NotFound("no such thing")

    with dummy_client(
        special_cases={"missing": not_found},
        interceptors=[chain(ExceptionToStatusInterceptor(), *_members(False, trace, "ab"))],
    ) as client:
        with pytest.raises(grpc.RpcError) as caught:
            client.Execute(DummyRequest(input="missing"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "no such thing"
    assert trace == ["a>", "b>"]


class _Later:
    """An awaitable of its own, not a coroutine."""

    def __init__(self, awaitable):
        self._awaitable = awaitable

    def __await__(self):
        return self._finish().__await__()

    async def _finish(self):
        response = await self._awaitable
        return DummyResponse(output=response.output + "!")


class ReturnsAnAwaitable(AsyncServerInterceptor):
    def on_unary_unary(self, method, request, context, method_name, /):
        return _Later(method(request, context))


@pytest.mark.parametrize("inner", [True, False], ids=["inner", "outer"])
def test_an_aio_member_may_return_an_awaitable_that_is_not_a_coroutine(inner):
    trace = []
    members = [*_members(True, trace, "a"), ReturnsAnAwaitable()]
    if not inner:
        members.reverse()
    with dummy_client(special_cases={}, interceptors=[chain(*members)], aio_server=True) as client:
        assert client.Execute(DummyRequest(input="x")).output == "x!"
    assert trace == ["a>", "<a"]


class InATask(AsyncServerInterceptor):
    """A typed hook that runs its continuation in a task of its own."""

    def __init__(self, seen):
        self.seen = seen

    async def on_unary_unary(self, method, request, context, method_name, /):
        pending = method(request, context)
        self.seen.append(inspect.iscoroutine(pending))
        return await asyncio.create_task(pending)


def test_a_typed_aio_hooks_continuation_returns_a_coroutine():
    """As any async def does: it can go to asyncio.create_task, in a chain and alone."""
    seen = []
    for interceptors in ([chain(InATask(seen), InATask(seen))], [InATask(seen)]):
        with dummy_client(special_cases={}, interceptors=interceptors, aio_server=True) as client:
            assert client.Execute(DummyRequest(input="x")).output == "x"
    assert seen == [True, True, True]


def test_chain_returns_the_base_of_its_members():
    class Client(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            return method(request_or_iterator, call_details)

    class AsyncClient(AsyncClientInterceptor):
        async def intercept(self, method, request_or_iterator, call_details):
            return await method(request_or_iterator, call_details)

    assert isinstance(chain(*_members(False, [])), ChainedServerInterceptor)
    assert isinstance(chain(*_members(True, [])), ChainedAsyncServerInterceptor)
    assert isinstance(chain(Client(), Client()), ChainedClientInterceptor)
    assert isinstance(chain(AsyncClient()), ChainedAsyncClientInterceptor)


def test_chain_refuses_nothing_and_mixed_sorts():
    with pytest.raises(TypeError, match="at least one interceptor"):
        chain()
    with pytest.raises(TypeError, match=r"one sort .*Trace \(sync server\), AsyncTrace \(grpc.aio server\)"):
        chain(Trace("a", []), AsyncTrace("b", []))
    with pytest.raises(TypeError, match=r"object \(not an interceptor\)"):
        chain(Trace("a", []), object())


# ---- sync clients -----------------------------------------------------------------


class ClientTrace(ClientInterceptor):
    def __init__(self, name, trace):
        self.name = name
        self.trace = trace

    def intercept(self, method, request_or_iterator, call_details):
        self.trace.append(f"{self.name}>")
        metadata = [*(call_details.metadata or ()), ("x-trace", self.name)]
        result = method(request_or_iterator, call_details._replace(metadata=metadata))
        self.trace.append(f"<{self.name}")
        return result


class Failing(ClientInterceptor):
    def intercept(self, method, request_or_iterator, call_details):
        raise LookupError("inner failure")


class Observing(ClientInterceptor):
    """Records what its continuation gave back when the member inside it raised."""

    def __init__(self):
        self.seen = []

    def intercept(self, method, request_or_iterator, call_details):
        result = method(request_or_iterator, call_details)
        try:
            result.result()
        except Exception as error:
            self.seen.append(type(error).__name__)
        return result


class RawClientTrace(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, trace):
        self.trace = trace

    def intercept_unary_unary(self, continuation, client_call_details, request):
        self.trace.append("raw")
        return continuation(client_call_details, request)


def _metadata_echo(request, context):
    return ",".join(value for key, value in context.invocation_metadata() if key == "x-trace")


def test_a_client_chain_runs_as_the_list_would_for_every_kind():
    listed, chained = [], []
    with (
        dummy_client(special_cases={}, client_interceptors=[ClientTrace(n, listed) for n in "abc"]) as listed_client,
        dummy_client(
            special_cases={}, client_interceptors=[chain(*(ClientTrace(n, chained) for n in "abc"))]
        ) as chained_client,
    ):
        for kind in KINDS:
            expected = call(listed_client, kind, *INPUTS[kind])
            assert call(chained_client, kind, *INPUTS[kind]) == expected
    assert chained == listed
    assert listed[:6] == ["a>", "b>", "c>", "<c", "<b", "<a"]


def test_a_client_chain_passes_changed_call_details_inward():
    with dummy_client(
        special_cases={"meta": _metadata_echo},
        client_interceptors=[chain(ClientTrace("a", []), RawClientTrace([]), ClientTrace("b", []))],
    ) as client:
        assert client.Execute(DummyRequest(input="meta")).output == "a,b"


def test_an_inner_client_members_exception_reaches_the_outer_one_as_in_grpcs_pipeline():
    outer_listed, outer_chained = Observing(), Observing()
    with dummy_client(special_cases={}, client_interceptors=[outer_listed, Failing()]) as client:
        with pytest.raises(LookupError):
            client.Execute(DummyRequest(input="x"))
    with dummy_client(special_cases={}, client_interceptors=[chain(outer_chained, Failing())]) as client:
        with pytest.raises(LookupError):
            client.Execute(DummyRequest(input="x"))
    assert outer_chained.seen == outer_listed.seen == ["LookupError"]


def test_a_raw_client_interceptor_of_one_kind_is_skipped_for_the_others():
    trace = []
    with dummy_client(
        special_cases={}, client_interceptors=[chain(ClientTrace("a", trace), RawClientTrace(trace))]
    ) as client:
        assert call(client, "unary_stream", "xy").outputs == ["x", "y"]
        assert trace == ["a>", "<a"]
        trace.clear()
        assert call(client, "unary_unary", "x").outputs == ["x"]
        assert trace == ["a>", "raw", "<a"]


# ---- grpc.aio clients -------------------------------------------------------------


class AsyncClientTrace(AsyncClientInterceptor):
    def __init__(self, name, trace):
        self.name = name
        self.trace = trace

    async def intercept(self, method, request_or_iterator, call_details):
        self.trace.append(f"{self.name}>")
        metadata = [*(call_details.metadata or ()), ("x-trace", self.name)]
        call = await method(request_or_iterator, call_details._replace(metadata=metadata))
        self.trace.append(f"<{self.name}")
        return call


class CachedStream(AsyncClientInterceptor):
    """Answers a server stream without a call, as a cache would."""

    async def on_unary_stream(self, method, request, call_details, /):
        async def answers():
            yield DummyResponse(output="cached")

        return answers()


class SeesCalls(AsyncClientInterceptor):
    def __init__(self):
        self.seen = []

    async def on_unary_stream(self, method, request, call_details, /):
        call = await method(request, call_details)
        self.seen.append(isinstance(call, grpc.aio.UnaryStreamCall))
        return call

    async def on_unary_unary(self, method, request, call_details, /):
        call = await method(request, call_details)
        self.seen.append(isinstance(call, grpc.aio.UnaryUnaryCall))
        return call


class CachedUnary(AsyncClientInterceptor):
    async def on_unary_unary(self, method, request, call_details, /):
        return DummyResponse(output="cached")


async def _aio_calls(chained):
    trace_results = []
    with dummy_client(
        special_cases={"meta": _metadata_echo},
        aio_server=True,
        aio_client=True,
        client_interceptors=[chained],
    ) as client:
        trace_results.append((await client.Execute(DummyRequest(input="meta"))).output)
        trace_results.append([r.output async for r in client.ExecuteServerStream(DummyRequest(input="xy"))])
    return trace_results


def test_an_aio_client_chain_runs_as_the_list_would():
    trace = []
    chained = chain(*(AsyncClientTrace(n, trace) for n in "ab"))
    results = asyncio.run(_aio_calls(chained))
    assert results == ["a,b", ["x", "y"]]
    assert trace == ["a>", "b>", "<b", "<a", "a>", "b>", "<b", "<a"]


def test_an_aio_client_chain_gives_outer_members_a_call_for_an_inner_answer():
    sees = SeesCalls()

    async def run():
        with dummy_client(
            special_cases={},
            aio_server=True,
            aio_client=True,
            client_interceptors=[chain(sees, CachedStream(), CachedUnary())],
        ) as client:
            assert (await client.Execute(DummyRequest(input="x"))).output == "cached"
            call = client.ExecuteServerStream(DummyRequest(input="xy"))
            assert [r.output async for r in call] == ["cached"]
            assert await call.code() == grpc.StatusCode.OK

    asyncio.run(run())
    assert sees.seen == [True, True]


def test_aio_channel_interceptors_takes_a_chain():
    installed = aio_channel_interceptors(chain(CachedUnary(), CachedStream()))
    assert len(installed) == 4
    assert all(isinstance(i, grpc.aio.ClientInterceptor) for i in installed)
