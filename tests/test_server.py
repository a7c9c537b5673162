"""The sync ServerInterceptor, end to end through a real server, in all four RPC kinds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from conftest import INPUTS, KINDS, METHOD, STREAMING_RESPONSE_KINDS, TIMEOUT, call, echo

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.protocols import (
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_channel, dummy_client


def recording(log: list[str], *inputs: str) -> dict[str, Any]:
    """Special cases under which ``inputs`` (default "x") make the handler note "handler" in ``log``."""

    def note(text: str, context: grpc.ServicerContext) -> str:
        log.append("handler")
        return text

    return dict.fromkeys(inputs or ("x",), note)


# --- Interceptors written as 0.15.4 users wrote them: untyped, one catch-all hook ---


class Shout(ServerInterceptor):
    """Upper-case every request and add "!" to every response, whatever the kind."""

    def intercept(self, method, request_or_iterator, context, method_name):
        if isinstance(request_or_iterator, DummyRequest):
            request_or_iterator = DummyRequest(input=request_or_iterator.input.upper())
        else:
            request_or_iterator = (DummyRequest(input=r.input.upper()) for r in request_or_iterator)
        result = method(request_or_iterator, context)
        if isinstance(result, DummyResponse):
            return DummyResponse(output=result.output + "!")
        return (DummyResponse(output=r.output + "!") for r in result)


class Trace(ServerInterceptor):
    """Log when the RPC enters this interceptor and when it leaves it (after the last response)."""

    def __init__(self, name, log):
        self.name = name
        self.log = log

    def intercept(self, method, request_or_iterator, context, method_name):
        self.log.append(f"enter {self.name}")
        result = method(request_or_iterator, context)
        if hasattr(result, "__iter__"):
            return self._exit_after(result)
        self.log.append(f"exit {self.name}")
        return result

    def _exit_after(self, responses):
        yield from responses
        self.log.append(f"exit {self.name}")


class Deny(ServerInterceptor):
    def intercept(self, method, request_or_iterator, context, method_name):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")


# --- The same with the typed hooks ---


def _up(request: DummyRequest) -> DummyRequest:
    return DummyRequest(input=request.input.upper())


def _bang(response: DummyResponse) -> DummyResponse:
    return DummyResponse(output=response.output + "!")


class TypedShout(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return _bang(method(_up(request), context))

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        for response in method(_up(request), context):
            yield _bang(response)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        return _bang(method(map(_up, request_iterator), context))

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        for response in method(map(_up, request_iterator), context):
            yield _bang(response)


class TypedTrace(ServerInterceptor[DummyRequest, DummyResponse]):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def on_unary_unary(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        self.log.append(f"enter {self.name}")
        response = method(request, context)
        self.log.append(f"exit {self.name}")
        return response

    on_stream_unary = on_unary_unary

    def on_unary_stream(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        self.log.append(f"enter {self.name}")
        yield from method(request, context)
        self.log.append(f"exit {self.name}")

    on_stream_stream = on_unary_stream


class TypedDeny(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")

    on_stream_unary = on_unary_unary

    # Generators: the abort happens when grpc asks for the first response.
    def on_unary_stream(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "no credentials")
        yield from method(request, context)

    on_stream_stream = on_unary_stream


@pytest.mark.parametrize("interceptor", [Shout(), TypedShout()], ids=["catch-all", "typed"])
def test_interceptor_changes_requests_and_responses(kind: str, interceptor: ServerInterceptor) -> None:
    with dummy_client(interceptors=[interceptor]) as client:
        outcome = call(client, kind, *INPUTS[kind])
    assert outcome.code == grpc.StatusCode.OK
    assert outcome.outputs == [output.upper() + "!" for output in echo(kind, *INPUTS[kind])]


def test_catch_all_sees_the_method_name_and_the_request(kind: str) -> None:
    seen: list[tuple[str, object]] = []

    class Spy(ServerInterceptor):
        def intercept(self, method, request_or_iterator, context, method_name):
            seen.append((method_name, request_or_iterator))
            return method(request_or_iterator, context)

    with dummy_client(interceptors=[Spy()]) as client:
        assert call(client, kind, "x").outputs == echo(kind, "x")
    [(method_name, request)] = seen
    assert method_name == METHOD[kind]
    if kind.startswith("unary"):
        assert request == DummyRequest(input="x")
    else:
        assert isinstance(request, Iterator)


@pytest.mark.parametrize("trace", [Trace, TypedTrace], ids=["catch-all", "typed"])
def test_chain_runs_outermost_first_and_unwinds_in_reverse(kind: str, trace: type[Any]) -> None:
    log: list[str] = []
    interceptors = [trace("A", log), trace("B", log), trace("C", log)]
    with dummy_client(recording(log), interceptors) as client:
        assert call(client, kind, "x").outputs == echo(kind, "x")
    assert log == ["enter A", "enter B", "enter C", "handler", "exit C", "exit B", "exit A"]


def test_mixed_chain_of_catch_all_and_typed_interceptors(kind: str) -> None:
    log: list[str] = []
    interceptors = [Trace("A", log), TypedShout(), TypedTrace("B", log), Shout()]
    with dummy_client(recording(log), interceptors) as client:
        outcome = call(client, kind, *INPUTS[kind])
    # Each Shout upper-cases the requests on the way in and adds "!" on the way out.
    assert outcome.outputs == [output.upper() + "!!" for output in echo(kind, *INPUTS[kind])]
    assert log == ["enter A", "enter B", "exit B", "exit A"]


@pytest.mark.parametrize("interceptor", [Deny(), TypedDeny()], ids=["catch-all", "typed"])
def test_abort_before_the_continuation_never_runs_the_handler(kind: str, interceptor: ServerInterceptor) -> None:
    log: list[str] = []
    with dummy_client(recording(log), [interceptor]) as client:
        # Streaming requests: the interceptor never touches the request iterator.
        outcome = call(client, kind, "x") if kind.startswith("unary") else call(client, kind, "x", "x", "x")
    assert (outcome.outputs, outcome.code, outcome.details) == ([], grpc.StatusCode.UNAUTHENTICATED, "no credentials")
    assert log == []


class FailAt(ServerInterceptor[DummyRequest, DummyResponse]):
    """Raise RuntimeError before the handler, after its first response, or after all of it."""

    def __init__(self, point: str) -> None:
        self.point = point

    def _fail_if(self, point: str) -> None:
        if point == self.point:
            raise RuntimeError(f"boom {point}")

    def on_unary_unary(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        self._fail_if("before")
        response = method(request, context)
        self._fail_if("after")
        return response

    on_stream_unary = on_unary_unary

    def on_unary_stream(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        self._fail_if("before")
        for index, response in enumerate(method(request, context)):
            if index == 1:
                self._fail_if("during")
            yield response
        self._fail_if("after")

    on_stream_stream = on_unary_stream


@pytest.mark.parametrize(
    ("kind", "point"),
    [(kind, point) for kind in KINDS for point in ("before", "after")]
    + [(kind, "during") for kind in STREAMING_RESPONSE_KINDS],
)
def test_exception_before_during_or_after_the_stream(kind: str, point: str) -> None:
    log: list[str] = []
    with dummy_client(recording(log, "abc", "a"), [FailAt(point)]) as client:
        outcome = call(client, kind, *INPUTS[kind])
    everything = echo(kind, *INPUTS[kind])
    received = {"before": [], "during": everything[:1], "after": everything if kind in STREAMING_RESPONSE_KINDS else []}
    assert outcome.outputs == received[point]
    assert outcome.code == grpc.StatusCode.UNKNOWN
    assert outcome.details is not None and f"boom {point}" in outcome.details
    assert log == ([] if point == "before" else ["handler"])


def test_method_the_server_does_not_implement_passes_through() -> None:
    log: list[str] = []
    with dummy_channel(interceptors=[Trace("A", log), TypedTrace("B", log)]) as channel:
        with pytest.raises(grpc.RpcError) as raised:
            channel.unary_unary("/pkg.Nope/Missing")(b"", timeout=TIMEOUT)
        # The server still serves the methods it has.
        assert channel.unary_unary(METHOD["unary_unary"])(b"", timeout=TIMEOUT) == b""
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
    assert log == ["enter A", "enter B", "exit B", "exit A"]


class CountWraps(ServerInterceptor):
    """Count the handlers built per method and the RPCs intercepted."""

    def __init__(self) -> None:
        self.wraps: Counter[str] = Counter()
        self.rpcs = 0

    def intercept(self, method, request_or_iterator, context, method_name):
        self.rpcs += 1
        return method(request_or_iterator, context)

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        self.wraps[method_name] += 1
        return super()._grpc_interceptor_wrap(handler, method_name)


class CountContinuations(grpc.ServerInterceptor):
    """A plain grpc interceptor counting how often the one before it calls the continuation."""

    def __init__(self) -> None:
        self.calls = 0

    def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
        self.calls += 1
        return continuation(handler_call_details)


def test_handler_is_built_once_per_method_not_per_rpc(kind: str) -> None:
    counter, inner = CountWraps(), CountContinuations()
    with dummy_client(interceptors=[counter, inner]) as client:
        for _ in range(20):
            assert call(client, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
    assert counter.wraps == {METHOD[kind]: 1}
    assert counter.rpcs == 20
    assert inner.calls == 20  # the continuation still runs on every RPC


def test_a_new_handler_from_the_continuation_is_never_served_stale() -> None:
    class NewHandlerEachRpc(grpc.ServerInterceptor):
        def __init__(self) -> None:
            self.calls = 0

        def intercept_service(self, continuation: Any, handler_call_details: grpc.HandlerCallDetails) -> Any:
            number = str(self.calls)
            self.calls += 1
            return grpc.unary_unary_rpc_method_handler(
                lambda request, context: DummyResponse(output=number),
                request_deserializer=DummyRequest.FromString,
                response_serializer=DummyResponse.SerializeToString,
            )

    counter = CountWraps()
    with dummy_client(interceptors=[counter, NewHandlerEachRpc()]) as client:
        outputs = [call(client, "unary_unary", "x").outputs[0] for _ in range(5)]
    assert outputs == ["0", "1", "2", "3", "4"]
    assert counter.wraps == {METHOD["unary_unary"]: 5}


def test_subclass_that_skips_super_init_works(kind: str) -> None:
    class Suffix(ServerInterceptor):
        def __init__(self, suffix):  # no super().__init__()
            self.suffix = suffix

        def intercept(self, method, request_or_iterator, context, method_name):
            result = method(request_or_iterator, context)
            if isinstance(result, DummyResponse):
                return DummyResponse(output=result.output + self.suffix)
            return (DummyResponse(output=r.output + self.suffix) for r in result)

    with dummy_client(interceptors=[Suffix("?")]) as client:
        for _ in range(2):  # the second RPC uses the cached handler
            assert call(client, kind, *INPUTS[kind]).outputs == [o + "?" for o in echo(kind, *INPUTS[kind])]


# --- Which hook runs ---


def test_object_of_a_class_overriding_no_hook_is_refused_with_the_near_miss() -> None:
    class Misspelt(ServerInterceptor):  # defining it is fine: it might be a base class
        def intercpt(self, method, request_or_iterator, context, method_name):
            return method(request_or_iterator, context)

    class AlsoMisspelt(ServerInterceptor):
        def on_unary_strem(self, method, request, context, method_name):
            return method(request, context)

    with pytest.raises(TypeError, match="did you mean intercept"):
        Misspelt()
    with pytest.raises(TypeError, match="did you mean on_unary_stream"):
        AlsoMisspelt()


def test_abstract_base_is_accepted_but_its_concrete_subclasses_must_override_a_hook(kind: str) -> None:
    class Base(ServerInterceptor, abstract=True):  # the keyword is accepted and changes nothing
        suffix = "#"

    class Concrete(Base):
        def intercept(self, method, request_or_iterator, context, method_name):
            result = method(request_or_iterator, context)
            if isinstance(result, DummyResponse):
                return DummyResponse(output=result.output + self.suffix)
            return (DummyResponse(output=r.output + self.suffix) for r in result)

    with dummy_client(interceptors=[Concrete()]) as client:
        assert call(client, kind, *INPUTS[kind]).outputs == [o + "#" for o in echo(kind, *INPUTS[kind])]

    class Forgot(Base):
        pass

    with pytest.raises(TypeError, match="overrides none of intercept"):
        Forgot()


class HookLog(ServerInterceptor, abstract=True):
    def __init__(self) -> None:
        self.ran: list[str] = []

    def _note(self, hook: str, method: Any, request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
        self.ran.append(hook)
        return method(request_or_iterator, context)


class CatchAll(HookLog):
    def intercept(self, method, request_or_iterator, context, method_name):
        return self._note("intercept", method, request_or_iterator, context)


class TypedUnary(HookLog):
    def on_unary_unary(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        return self._note("on_unary_unary", method, request, context)


class BothInOneClass(HookLog):
    intercept = CatchAll.intercept
    on_unary_unary = TypedUnary.on_unary_unary


class TypedBelowCatchAll(CatchAll):
    on_unary_unary = TypedUnary.on_unary_unary


class CatchAllBelowTyped(TypedUnary):
    intercept = CatchAll.intercept


@pytest.mark.parametrize(
    ("interceptor_class", "unary_unary_hook"),
    [
        (TypedUnary, "on_unary_unary"),
        (BothInOneClass, "on_unary_unary"),  # same class: the typed hook is the more specific
        (TypedBelowCatchAll, "on_unary_unary"),
        (CatchAllBelowTyped, "intercept"),  # a 0.15.4-style subclass of a typed interceptor
    ],
)
def test_the_more_derived_hook_wins(kind: str, interceptor_class: type[HookLog], unary_unary_hook: str) -> None:
    interceptor = interceptor_class()
    with dummy_client(interceptors=[interceptor]) as client:
        assert call(client, kind, *INPUTS[kind]).outputs == echo(kind, *INPUTS[kind])
    if kind == "unary_unary":
        expected = [unary_unary_hook]
    else:  # the other kinds go to intercept, which TypedUnary leaves as a silent pass-through
        expected = [] if interceptor_class is TypedUnary else ["intercept"]
    assert interceptor.ran == expected
