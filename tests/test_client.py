"""Run-time behaviour of sync client interceptors (``ClientInterceptor`` on ``grpc.intercept_channel``).

Every behaviour is checked for the four RPC kinds against a real server from the
testing kit. What the server saw comes back in the response: a special case reads
``context.invocation_metadata()`` and returns it as the output.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from grpc_interceptor import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor, ServerInterceptor, chain
from grpc_interceptor.client import ClientInterceptorReturnType
from grpc_interceptor.exception_to_status import ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import NotFound, Unavailable
from grpc_interceptor.protocols import (
    CallFuture,
    CallIterator,
    ClientStreamStreamContinuation,
    ClientStreamUnaryContinuation,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_channel, dummy_client
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
RPC_OF_KIND = {
    "unary_unary": "Execute",
    "unary_stream": "ExecuteServerStream",
    "stream_unary": "ExecuteClientStream",
    "stream_stream": "ExecuteClientServerStream",
}
KIND_OF_METHOD = {f"/DummyService/{rpc}": kind for kind, rpc in RPC_OF_KIND.items()}
all_kinds = pytest.mark.parametrize("kind", KINDS)


def run(client: DummyServiceStub, kind: str, text: str, **kwargs: Any) -> str:
    """Call the RPC of ``kind`` with one request and join the output(s)."""
    request = DummyRequest(input=text)
    if kind == "unary_unary":
        return client.Execute(request, **kwargs).output
    if kind == "unary_stream":
        return "".join(response.output for response in client.ExecuteServerStream(request, **kwargs))
    if kind == "stream_unary":
        return client.ExecuteClientStream(iter([request]), **kwargs).output
    return "".join(response.output for response in client.ExecuteClientServerStream(iter([request]), **kwargs))


def echo_metadata(_: str, context: grpc.ServicerContext) -> str:
    """Special case: answer with the request metadata the server saw (our keys only)."""
    seen = [
        (key, value) for key, value in context.invocation_metadata() if key == "authorization" or key.startswith("x-")
    ]
    return repr(seen)


def seen_metadata(output: str) -> list[tuple[str, str | bytes]]:
    return ast.literal_eval(output)


class Seen(ServerInterceptor):
    """Server side: records the method of every RPC that reached the server."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def intercept(self, method, request_or_iterator, context, method_name):
        self.methods.append(method_name)
        return method(request_or_iterator, context)


class FailFirst:
    """Special case: the first ``failures`` calls raise Unavailable("attempt N"), then echo."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, text: str, context: object) -> str:
        with self._lock:
            self.calls += 1
            attempt = self.calls
        if attempt <= self.failures:
            raise Unavailable(f"attempt {attempt}")
        return f"{text} on attempt {attempt}"


# --- Metadata ------------------------------------------------------------------------


class PositionalDetails(ClientInterceptor):
    """0.15.4 style: a new ClientCallDetails built positionally, six fields."""

    def intercept(self, method, request_or_iterator, call_details):
        new_details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("authorization", "Bearer x")],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )
        return method(request_or_iterator, new_details)


class ReplaceDetails(ClientInterceptor):
    """Keeps the caller's metadata and adds a header with ``_replace``."""

    def intercept(self, method, request_or_iterator, call_details):
        metadata = [*(call_details.metadata or ()), ("authorization", "Bearer x")]
        return method(request_or_iterator, call_details._replace(metadata=metadata))


@all_kinds
def test_positional_client_call_details_set_metadata_seen_by_server(kind: str) -> None:
    with dummy_client({"md": echo_metadata}, client_interceptors=[PositionalDetails()]) as client:
        output = run(client, kind, "md", metadata=[("x-caller", "dropped")])
    # The positional details replace the caller's metadata, as the README example does.
    assert seen_metadata(output) == [("authorization", "Bearer x")]


@all_kinds
def test_replaced_client_call_details_add_metadata_seen_by_server(kind: str) -> None:
    with dummy_client({"md": echo_metadata}, client_interceptors=[ReplaceDetails()]) as client:
        output = run(client, kind, "md", metadata=[("x-caller", "kept")])
        plain = run(client, kind, "plain")
    assert seen_metadata(output) == [("x-caller", "kept"), ("authorization", "Bearer x")]
    assert plain == "plain"


@all_kinds
def test_hook_sees_method_and_caller_metadata(kind: str) -> None:
    seen: list[grpc.ClientCallDetails] = []

    class Record(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            seen.append(call_details)
            return method(request_or_iterator, call_details)

    with dummy_client({}, client_interceptors=[Record()]) as client:
        assert run(client, kind, "ab", metadata=[("x-caller", "c")], timeout=30) == "ab"
    (details,) = seen
    assert isinstance(details, grpc.ClientCallDetails)
    assert KIND_OF_METHOD[details.method] == kind
    assert list(details.metadata) == [("x-caller", "c")]
    assert details.timeout == 30


class TypedDetails(ClientInterceptor[DummyRequest, DummyResponse]):
    """Typed hooks of every kind: record what they receive, add a header with ``_replace``."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    def _changed(self, call_details: ClientCallDetails) -> ClientCallDetails:
        self.seen.append(call_details)
        return call_details._replace(metadata=[*(call_details.metadata or ()), ("x-typed", "1")])

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request, self._changed(call_details))

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        return method(request, self._changed(call_details))

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request_iterator, self._changed(call_details))

    def on_stream_stream(
        self,
        method: ClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        return method(request_iterator, self._changed(call_details))


@all_kinds
def test_typed_hooks_receive_our_client_call_details(kind: str) -> None:
    interceptor = TypedDetails()
    with dummy_client({"md": echo_metadata}, client_interceptors=[interceptor]) as client:
        output = run(client, kind, "md", metadata=[("x-caller", "kept")], timeout=30)
    (details,) = interceptor.seen
    # grpc builds its own details object; the hook gets ours, with the same fields.
    assert type(details) is ClientCallDetails
    assert isinstance(details, grpc.ClientCallDetails)
    assert KIND_OF_METHOD[details.method] == kind
    assert details.timeout == 30
    assert seen_metadata(output) == [("x-caller", "kept"), ("x-typed", "1")]


@all_kinds
def test_typed_hooks_in_a_chain_receive_our_client_call_details(kind: str) -> None:
    outer, inner = TypedDetails(), TypedDetails()
    with dummy_client({"md": echo_metadata}, client_interceptors=[chain(outer, inner)]) as client:
        output = run(client, kind, "md")
    assert [type(details) for details in outer.seen + inner.seen] == [ClientCallDetails, ClientCallDetails]
    assert seen_metadata(output) == [("x-typed", "1"), ("x-typed", "1")]


class TypedRetry(ClientInterceptor[DummyRequest, DummyResponse]):
    """The retry of the typing corpus: narrows with isinstance before ``_replace``."""

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        future = method(request, call_details)
        if future.exception() is not None and isinstance(call_details, ClientCallDetails):
            future = method(request, call_details._replace(timeout=30.0))
        return future


def test_typed_retry_that_narrows_with_isinstance_retries() -> None:
    fail_once = FailFirst(1)
    with dummy_client({"flaky": fail_once}, client_interceptors=[TypedRetry()]) as client:
        assert client.Execute(DummyRequest(input="flaky")).output == "flaky on attempt 2"
    assert fail_once.calls == 2


def test_details_grpc_builds_become_ours_with_every_field() -> None:
    # grpc's sync channel hands interceptors a namedtuple of its own.
    seen: list[object] = []

    class Record(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            seen.append(call_details)
            return "answered"

    credentials = grpc.access_token_call_credentials("token")
    grpc_details = ClientCallDetailsOfGrpc("/p.S/M", 1.5, (("k", "v"),), credentials, True, grpc.Compression.Gzip)
    assert not isinstance(grpc_details, ClientCallDetails)
    assert Record().intercept_unary_unary(lambda details, request: None, grpc_details, DummyRequest()) == "answered"
    (details,) = seen
    assert type(details) is ClientCallDetails
    assert tuple(details) == ("/p.S/M", 1.5, (("k", "v"),), credentials, True, grpc.Compression.Gzip)
    # Ours are passed as they are.
    ours = ClientCallDetails("/p.S/M", None, None, None, None, None)
    Record().intercept_unary_unary(lambda details, request: None, ours, DummyRequest())
    assert seen[-1] is ours


class ClientCallDetailsOfGrpc(grpc.ClientCallDetails):
    """A grpc.ClientCallDetails that is not ours (five attributes, like grpc.aio's, no compression)."""

    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression=None):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        if compression is not None:
            self.compression = compression


def test_details_without_compression_become_ours() -> None:
    seen: list[object] = []

    class Record(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            seen.append(call_details)
            return None

    Record().intercept_stream_stream(
        lambda d, r: None, ClientCallDetailsOfGrpc("/p.S/M", None, None, None, None), iter(())
    )
    assert seen == [ClientCallDetails("/p.S/M", None, None, None, None, None)]


def test_grpc_facing_methods_keep_0_15_4_parameter_names() -> None:
    # 0.15.4: intercept_unary_unary(self, continuation, call_details, request), and
    # request_iterator for the streaming-request kinds; callers may pass them by name.
    expected = {
        "intercept_unary_unary": ["self", "continuation", "call_details", "request"],
        "intercept_unary_stream": ["self", "continuation", "call_details", "request"],
        "intercept_stream_unary": ["self", "continuation", "call_details", "request_iterator"],
        "intercept_stream_stream": ["self", "continuation", "call_details", "request_iterator"],
    }
    for name, parameters in expected.items():
        assert list(inspect.signature(getattr(ClientInterceptor, name)).parameters) == parameters, name


def test_grpc_facing_methods_called_by_keyword_as_0_15_4_tests_do() -> None:
    class Tag(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            return method(request_or_iterator, call_details._replace(method="/tagged"))

    def continuation(call_details, request):
        return (call_details.method, request)

    details = ClientCallDetails("/p.S/M", None, None, None, None, None)
    interceptor = Tag()
    assert interceptor.intercept_unary_unary(continuation, call_details=details, request="r") == ("/tagged", "r")
    assert interceptor.intercept_unary_stream(continuation, call_details=details, request="r") == ("/tagged", "r")
    assert interceptor.intercept_stream_unary(continuation, call_details=details, request_iterator="i") == (
        "/tagged",
        "i",
    )
    assert interceptor.intercept_stream_stream(continuation, call_details=details, request_iterator="i") == (
        "/tagged",
        "i",
    )


@all_kinds
def test_binary_metadata_survives(kind: str) -> None:
    class AddBinary(ClientInterceptor):
        def intercept(self, method, request_or_iterator, call_details):
            metadata = [*(call_details.metadata or ()), ("x-added-bin", b"\x00\xff\x80")]
            return method(request_or_iterator, call_details._replace(metadata=metadata))

    with dummy_client({"md": echo_metadata}, client_interceptors=[AddBinary()]) as client:
        output = run(client, kind, "md", metadata=[("x-caller-bin", b"\xfe\x01")])
    assert seen_metadata(output) == [("x-caller-bin", b"\xfe\x01"), ("x-added-bin", b"\x00\xff\x80")]


# --- Chaining ------------------------------------------------------------------------


class Step(ClientInterceptor):
    """Records entry and exit, and appends its name to the ``x-chain`` header."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def intercept(self, method, request_or_iterator, call_details):
        self.log.append(f"{self.name} in")
        metadata = [*(call_details.metadata or ()), ("x-chain", self.name)]
        result = method(request_or_iterator, call_details._replace(metadata=metadata))
        self.log.append(f"{self.name} out")
        return result


@all_kinds
def test_interceptors_chain_in_order(kind: str) -> None:
    log: list[str] = []
    steps = [Step("a", log), Step("b", log), Step("c", log)]
    with dummy_client({"md": echo_metadata}, client_interceptors=steps) as client:
        output = run(client, kind, "md")
    assert log == ["a in", "b in", "c in", "c out", "b out", "a out"]
    assert seen_metadata(output) == [("x-chain", "a"), ("x-chain", "b"), ("x-chain", "c")]


# --- Retry ---------------------------------------------------------------------------


class Retry(ClientInterceptor):
    """Calls the continuation again while the RPC fails with UNAVAILABLE, ``attempts`` times at most.

    A unary response is checked through the future; a streaming response by taking
    its first message before handing the stream to the caller.
    """

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts
        self.tries = 0

    def on_unary_unary(self, method, request, call_details):
        return self._unary(lambda: method(request, call_details))

    def on_stream_unary(self, method, request_iterator, call_details):
        requests = list(request_iterator)
        return self._unary(lambda: method(iter(requests), call_details))

    def on_unary_stream(self, method, request, call_details):
        return self._stream(lambda: method(request, call_details))

    def on_stream_stream(self, method, request_iterator, call_details):
        requests = list(request_iterator)
        return self._stream(lambda: method(iter(requests), call_details))

    def _unary(self, start: Callable[[], Any]) -> Any:
        for _ in range(self.attempts):
            self.tries += 1
            future = start()
            if future.exception() is None or future.code() != grpc.StatusCode.UNAVAILABLE:
                return future
        return future

    def _stream(self, start: Callable[[], Any]) -> Any:
        for _ in range(self.attempts):
            self.tries += 1
            call = start()
            try:
                first = next(call)
            except StopIteration:
                return call
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    return call
                continue
            return itertools.chain([first], call)
        return call


@all_kinds
def test_retry_until_success(kind: str) -> None:
    flaky = FailFirst(failures=2)
    retry = Retry(attempts=3)
    with dummy_client({"flaky": flaky}, [ExceptionToStatusInterceptor()], [retry]) as client:
        output = run(client, kind, "flaky")
    assert output == "flaky on attempt 3"
    assert retry.tries == 3
    assert flaky.calls == 3


@all_kinds
def test_retry_gives_up_with_the_last_error(kind: str) -> None:
    flaky = FailFirst(failures=10)
    retry = Retry(attempts=3)
    with dummy_client({"flaky": flaky}, [ExceptionToStatusInterceptor()], [retry]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            run(client, kind, "flaky")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.details() == "attempt 3"
    assert retry.tries == 3
    assert flaky.calls == 3


@all_kinds
def test_retry_leaves_other_errors_alone(kind: str) -> None:
    retry = Retry(attempts=3)
    with dummy_client({"gone": _raise_not_found}, [ExceptionToStatusInterceptor()], [retry]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            run(client, kind, "gone")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert retry.tries == 1


def _raise_not_found(_: str, context: object) -> str:
    raise NotFound("gone")


# --- Caching -------------------------------------------------------------------------


class CachedFuture(grpc.Call, grpc.Future):
    """A finished, successful call holding a response: what a unary hook may return instead of calling on."""

    def __init__(self, response: DummyResponse) -> None:
        self._response = response

    def result(self, timeout: float | None = None) -> DummyResponse:
        return self._response

    def exception(self, timeout: float | None = None) -> Exception | None:
        return None

    def traceback(self, timeout: float | None = None) -> None:
        return None

    def add_done_callback(self, fn: Callable[[grpc.Future], None]) -> None:
        fn(self)

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    def details(self) -> str:
        return ""

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return False


class Cache(ClientInterceptor):
    """Answers inputs it knows without calling the continuation."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    def on_unary_unary(self, method, request, call_details):
        if request.input in self.known:
            return CachedFuture(DummyResponse(output=self.known[request.input]))
        return method(request, call_details)

    def on_stream_unary(self, method, request_iterator, call_details):
        requests = list(request_iterator)
        key = "".join(request.input for request in requests)
        if key in self.known:
            return CachedFuture(DummyResponse(output=self.known[key]))
        return method(iter(requests), call_details)

    def on_unary_stream(self, method, request, call_details):
        if request.input in self.known:
            return iter([DummyResponse(output=char) for char in self.known[request.input]])
        return method(request, call_details)

    def on_stream_stream(self, method, request_iterator, call_details):
        requests = list(request_iterator)
        if all(request.input in self.known for request in requests):
            return iter([DummyResponse(output=self.known[request.input]) for request in requests])
        return method(iter(requests), call_details)


@all_kinds
def test_cache_answers_without_calling_the_server(kind: str) -> None:
    seen = Seen()
    with dummy_client({}, [seen], [Cache({"hit": "from cache"})]) as client:
        assert run(client, kind, "hit") == "from cache"
        assert seen.methods == []
        assert run(client, kind, "miss") == "miss"
    assert [KIND_OF_METHOD[method] for method in seen.methods] == [kind]


@pytest.mark.parametrize("kind", ["unary_unary", "stream_unary"])
def test_cached_future_works_with_with_call_and_future(kind: str) -> None:
    seen = Seen()
    with dummy_client({}, [seen], [Cache({"hit": "from cache"})]) as client:
        if kind == "unary_unary":
            response, call = client.Execute.with_call(DummyRequest(input="hit"))
            future = client.Execute.future(DummyRequest(input="hit"))
        else:
            response, call = client.ExecuteClientStream.with_call(iter([DummyRequest(input="hit")]))
            future = client.ExecuteClientStream.future(iter([DummyRequest(input="hit")]))
        assert response.output == "from cache"
        assert isinstance(call, CachedFuture)
        assert call.code() == grpc.StatusCode.OK
        assert future.result().output == "from cache"
    assert seen.methods == []


# --- Exceptions raised by the interceptor ---------------------------------------------


class InterceptorError(Exception):
    pass


class RaiseBefore(ClientInterceptor):
    def intercept(self, method, request_or_iterator, call_details):
        raise InterceptorError("refused before the call")


class RaiseAfter(ClientInterceptor):
    def intercept(self, method, request_or_iterator, call_details):
        result = method(request_or_iterator, call_details)
        if KIND_OF_METHOD[call_details.method].endswith("_stream"):
            outputs = [response.output for response in result]
        else:
            outputs = [result.result().output]
        raise InterceptorError(f"refused after {''.join(outputs)}")


@all_kinds
def test_exception_before_the_continuation_reaches_the_caller(kind: str) -> None:
    seen = Seen()
    with dummy_client({}, [seen], [RaiseBefore()]) as client:
        with pytest.raises(InterceptorError, match=r"^refused before the call$"):
            run(client, kind, "ab")
    assert seen.methods == []


@all_kinds
def test_exception_after_the_continuation_reaches_the_caller(kind: str) -> None:
    seen = Seen()
    with dummy_client({}, [seen], [RaiseAfter()]) as client:
        with pytest.raises(InterceptorError, match=r"^refused after ab$"):
            run(client, kind, "ab")
    assert [KIND_OF_METHOD[method] for method in seen.methods] == [kind]


# --- Reading the response and the status ---------------------------------------------


def _trailer_then_echo(text: str, context: grpc.ServicerContext) -> str:
    context.set_trailing_metadata((("x-trailer", "fine"),))
    return text


def _trailer_then_fail(text: str, context: grpc.ServicerContext) -> str:
    context.set_trailing_metadata((("x-trailer", "failed"),))
    raise NotFound("no such thing")


def _ours(metadata: Any) -> list[tuple[str, str | bytes]]:
    return [(key, value) for key, value in metadata or () if key.startswith("x-")]


class Observe(ClientInterceptor):
    """Reads responses, status code, details and trailing metadata of every call."""

    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.status: list[tuple[grpc.StatusCode, str | None, list[tuple[str, str | bytes]]]] = []

    def _record_status(self, call: grpc.Call) -> None:
        self.status.append((call.code(), call.details(), _ours(call.trailing_metadata())))

    def _unary(self, future: Any) -> Any:
        self._record_status(future)
        if future.exception() is None:
            self.outputs.append(future.result().output)
        return future

    def _stream(self, call: Any) -> Iterator[DummyResponse]:
        try:
            for response in call:
                self.outputs.append(response.output)
                yield response
        finally:
            self._record_status(call)

    def on_unary_unary(self, method, request, call_details):
        return self._unary(method(request, call_details))

    def on_stream_unary(self, method, request_iterator, call_details):
        return self._unary(method(request_iterator, call_details))

    def on_unary_stream(self, method, request, call_details):
        return self._stream(method(request, call_details))

    def on_stream_stream(self, method, request_iterator, call_details):
        return self._stream(method(request_iterator, call_details))


@all_kinds
def test_interceptor_reads_response_and_status(kind: str) -> None:
    observe = Observe()
    with dummy_client({"ok": _trailer_then_echo}, [ExceptionToStatusInterceptor()], [observe]) as client:
        assert run(client, kind, "ok") == "ok"
    assert "".join(observe.outputs) == "ok"
    ((code, details, trailing),) = observe.status
    assert code == grpc.StatusCode.OK
    assert not details
    assert trailing == [("x-trailer", "fine")]


@all_kinds
def test_interceptor_reads_error_status(kind: str) -> None:
    observe = Observe()
    with dummy_client({"bad": _trailer_then_fail}, [ExceptionToStatusInterceptor()], [observe]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            run(client, kind, "bad")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert observe.outputs == []
    assert observe.status == [(grpc.StatusCode.NOT_FOUND, "no such thing", [("x-trailer", "failed")])]


# The 0.15.4 README interceptor, as written, runs in tests/test_compat.py.


# --- Typed hooks -------------------------------------------------------------------------


class TypedHooks(ClientInterceptor[DummyRequest, DummyResponse]):
    """One typed hook per kind; each tags the call with its own name."""

    def __init__(self) -> None:
        self.hooks: list[str] = []

    def _tag(self, hook: str, call_details: grpc.ClientCallDetails) -> ClientCallDetails:
        self.hooks.append(hook)
        return ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("x-hook", hook)],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request, self._tag("on_unary_unary", call_details))

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        return method(request, self._tag("on_unary_stream", call_details))

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request_iterator, self._tag("on_stream_unary", call_details))

    def on_stream_stream(
        self,
        method: ClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        return method(request_iterator, self._tag("on_stream_stream", call_details))


@all_kinds
def test_typed_hooks_run_for_their_kind(kind: str) -> None:
    typed = TypedHooks()
    with dummy_client({"md": echo_metadata}, client_interceptors=[typed]) as client:
        output = run(client, kind, "md")
    assert typed.hooks == [f"on_{kind}"]
    assert seen_metadata(output) == [("x-hook", f"on_{kind}")]


@all_kinds
def test_base_class_passes_through(kind: str) -> None:
    with dummy_client({}, client_interceptors=[ClientInterceptor()]) as client:
        assert run(client, kind, "ab") == "ab"


# --- ClientCallDetails and ClientInterceptorReturnType ---------------------------------


def test_client_call_details_is_a_grpc_client_call_details_and_a_named_tuple() -> None:
    credentials = grpc.access_token_call_credentials("token")
    details = ClientCallDetails("/pkg.Svc/M", 1.5, [("k", "v")], credentials, True, grpc.Compression.Gzip)
    assert isinstance(details, grpc.ClientCallDetails)
    assert isinstance(details, tuple)
    fields = ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    assert ClientCallDetails._fields == fields
    assert tuple(details) == ("/pkg.Svc/M", 1.5, [("k", "v")], credentials, True, grpc.Compression.Gzip)
    assert details.method == "/pkg.Svc/M"
    assert details.timeout == 1.5
    assert details.metadata == [("k", "v")]
    assert details.credentials is credentials
    assert details.wait_for_ready is True
    assert details.compression is grpc.Compression.Gzip

    changed = details._replace(metadata=[("k", "w")], timeout=None)
    assert type(changed) is ClientCallDetails
    assert changed == ("/pkg.Svc/M", None, [("k", "w")], credentials, True, grpc.Compression.Gzip)
    assert details.metadata == [("k", "v")]


def test_client_call_details_by_keyword() -> None:
    details = ClientCallDetails(
        method="/pkg.Svc/M", timeout=None, metadata=None, credentials=None, wait_for_ready=None, compression=None
    )
    assert details == ClientCallDetails("/pkg.Svc/M", None, None, None, None, None)


def test_client_interceptor_return_type_is_a_class() -> None:
    assert inspect.isclass(ClientInterceptorReturnType)
    assert issubclass(ClientInterceptorReturnType, grpc.Call)
    assert issubclass(ClientInterceptorReturnType, grpc.Future)


# --- Wrong wiring fails at once ---------------------------------------------------------


def _async_interceptor_for(kind: str) -> AsyncClientInterceptor:
    """An async interceptor that overrides only the hook of ``kind``."""

    async def hook(self: Any, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return await method(request_or_iterator, call_details)

    cls = type(f"Async_{kind}", (AsyncClientInterceptor,), {f"on_{kind}": hook})
    return cls()


@all_kinds
def test_async_interceptor_on_sync_channel_is_refused(kind: str) -> None:
    interceptor = _async_interceptor_for(kind)
    with dummy_channel() as channel:
        with pytest.raises(TypeError):
            grpc.intercept_channel(channel, interceptor)
    with pytest.raises(TypeError, match="AsyncClientInterceptor"):
        dummy_client(client_interceptors=[interceptor])  # type: ignore[list-item]
