"""Run-time behaviour of grpc.aio client interceptors (``AsyncClientInterceptor``).

They are installed with ``aio_channel_interceptors`` (the testing kit does it for
``client_interceptors=`` with ``aio_client=True``), and every behaviour is checked for
the four RPC kinds, since grpc.aio registers an interceptor object per kind. What the
server saw comes back in the response: a special case reads
``context.invocation_metadata()`` and returns it as the output.
"""

from __future__ import annotations

import ast
import asyncio
import collections
import contextlib
import gc
import sys
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import grpc.aio
import pytest

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ClientCallDetails,
    ClientInterceptor,
)
from grpc_interceptor.client import aio_channel_interceptors
from grpc_interceptor.exceptions import NotFound, Unavailable
from grpc_interceptor.protocols import (
    AsyncClientStreamStreamContinuation,
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client

if TYPE_CHECKING:
    # Only the generated stubs know the async stub type.
    from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceAsyncStub

KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
RPC_OF_KIND = {
    "unary_unary": "Execute",
    "unary_stream": "ExecuteServerStream",
    "stream_unary": "ExecuteClientStream",
    "stream_stream": "ExecuteClientServerStream",
}
METHOD_OF_KIND = {kind: f"/DummyService/{rpc}" for kind, rpc in RPC_OF_KIND.items()}
KIND_OF_METHOD = {method: kind for kind, method in METHOD_OF_KIND.items()}
all_kinds = pytest.mark.parametrize("kind", KINDS)

_T = TypeVar("_T")


def aio_client(special_cases: dict[str, Any], interceptors: list[Any] | None, client_interceptors: list[Any]) -> Any:
    """A grpc.aio server and a grpc.aio stub with the given interceptors (use with ``async with``)."""
    return dummy_client(special_cases, interceptors, client_interceptors, aio_server=True, aio_client=True)


def start(client: DummyServiceAsyncStub, kind: str, text: str, **kwargs: Any) -> Any:
    """Start the RPC of ``kind`` with one request and return the call."""
    request = DummyRequest(input=text)
    if kind == "unary_unary":
        return client.Execute(request, **kwargs)
    if kind == "unary_stream":
        return client.ExecuteServerStream(request, **kwargs)
    if kind == "stream_unary":
        return client.ExecuteClientStream(iter([request]), **kwargs)
    return client.ExecuteClientServerStream(iter([request]), **kwargs)


async def outputs(kind: str, call: Any) -> str:
    """Wait for the call's response(s) and join the output(s)."""
    if kind.endswith("_stream"):
        return "".join([response.output async for response in call])
    return (await call).output


async def run(client: DummyServiceAsyncStub, kind: str, text: str, **kwargs: Any) -> str:
    return await outputs(kind, start(client, kind, text, **kwargs))


def echo_metadata(_: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """Special case: answer with the request metadata the server saw (our keys only)."""
    seen = [
        (key, value)
        for key, value in context.invocation_metadata() or ()
        if key == "authorization" or key.startswith("x-")
    ]
    return repr(seen)


def seen_metadata(output: str) -> list[tuple[str, str | bytes]]:
    return ast.literal_eval(output)


class Seen(AsyncServerInterceptor):
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


async def collect(request_iterator: AsyncIterable[_T] | Iterable[_T]) -> list[_T]:
    """Take all requests of a streaming request, sync or async iterator."""
    if isinstance(request_iterator, AsyncIterable):
        return [request async for request in request_iterator]
    return list(request_iterator)


async def iterate(items: Iterable[_T]) -> AsyncIterator[_T]:
    for item in items:
        yield item


# --- Metadata --------------------------------------------------------------------------


class PositionalDetails(AsyncClientInterceptor):
    """0.15.4 style: a new ClientCallDetails built positionally, six fields."""

    def __init__(self) -> None:
        self.seen: list[ClientCallDetails] = []

    async def intercept(self, method, request_or_iterator, call_details):
        self.seen.append(call_details)
        new_details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("authorization", "Bearer x")],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )
        return await method(request_or_iterator, new_details)


class ReplaceDetails(AsyncClientInterceptor):
    """Keeps the caller's metadata and adds a header with ``_replace``."""

    def __init__(self) -> None:
        self.seen: list[ClientCallDetails] = []

    async def intercept(self, method, request_or_iterator, call_details):
        self.seen.append(call_details)
        metadata = (*(call_details.metadata or ()), ("authorization", "Bearer x"))
        return await method(request_or_iterator, call_details._replace(metadata=metadata))


def assert_our_details(details: object, kind: str, metadata: tuple[tuple[str, str | bytes], ...]) -> None:
    """Hooks get our ClientCallDetails: ``method`` a str, metadata a tuple of pairs."""
    assert type(details) is ClientCallDetails
    assert isinstance(details.method, str)
    assert details.method == METHOD_OF_KIND[kind]
    assert type(details.metadata) is tuple
    assert details.metadata == metadata
    assert all(type(pair) is tuple for pair in details.metadata)
    assert details.compression is None


@all_kinds
async def test_positional_client_call_details_set_metadata_seen_by_server(kind: str) -> None:
    interceptor = PositionalDetails()
    async with aio_client({"md": echo_metadata}, None, [interceptor]) as client:
        output = await run(client, kind, "md", metadata=(("x-caller", "dropped"),))
    # The positional details replace the caller's metadata, as the README example does.
    assert seen_metadata(output) == [("authorization", "Bearer x")]
    (details,) = interceptor.seen
    assert_our_details(details, kind, (("x-caller", "dropped"),))


@all_kinds
async def test_replaced_client_call_details_add_metadata_seen_by_server(kind: str) -> None:
    interceptor = ReplaceDetails()
    async with aio_client({"md": echo_metadata}, None, [interceptor]) as client:
        output = await run(client, kind, "md", metadata=(("x-caller", "kept"),))
        plain = await run(client, kind, "plain")
    assert seen_metadata(output) == [("x-caller", "kept"), ("authorization", "Bearer x")]
    assert plain == "plain"
    first, second = interceptor.seen
    assert_our_details(first, kind, (("x-caller", "kept"),))
    assert_our_details(second, kind, ())


@all_kinds
async def test_hook_sees_timeout_and_wait_for_ready(kind: str) -> None:
    interceptor = ReplaceDetails()
    async with aio_client({}, None, [interceptor]) as client:
        assert await run(client, kind, "ab", timeout=30, wait_for_ready=True) == "ab"
    (details,) = interceptor.seen
    assert details.timeout == 30
    assert details.wait_for_ready is True


@all_kinds
async def test_binary_metadata_survives(kind: str) -> None:
    seen: list[ClientCallDetails] = []

    class AddBinary(AsyncClientInterceptor):
        async def intercept(self, method, request_or_iterator, call_details):
            seen.append(call_details)
            metadata = (*(call_details.metadata or ()), ("x-added-bin", b"\x00\xff\x80"))
            return await method(request_or_iterator, call_details._replace(metadata=metadata))

    async with aio_client({"md": echo_metadata}, None, [AddBinary()]) as client:
        output = await run(client, kind, "md", metadata=(("x-caller-bin", b"\xfe\x01"),))
    assert seen_metadata(output) == [("x-caller-bin", b"\xfe\x01"), ("x-added-bin", b"\x00\xff\x80")]
    (details,) = seen
    assert_our_details(details, kind, (("x-caller-bin", b"\xfe\x01"),))


# --- Chaining --------------------------------------------------------------------------


class Step(AsyncClientInterceptor):
    """Records entry and exit, and appends its name to the ``x-chain`` header."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def intercept(self, method, request_or_iterator, call_details):
        self.log.append(f"{self.name} in")
        metadata = (*(call_details.metadata or ()), ("x-chain", self.name))
        call = await method(request_or_iterator, call_details._replace(metadata=metadata))
        self.log.append(f"{self.name} out")
        return call


@all_kinds
async def test_interceptors_chain_in_order(kind: str) -> None:
    log: list[str] = []
    steps = [Step("a", log), Step("b", log), Step("c", log)]
    async with aio_client({"md": echo_metadata}, None, steps) as client:
        output = await run(client, kind, "md")
    assert log == ["a in", "b in", "c in", "c out", "b out", "a out"]
    assert seen_metadata(output) == [("x-chain", "a"), ("x-chain", "b"), ("x-chain", "c")]


# --- Retry -----------------------------------------------------------------------------


async def prepend(first: _T, rest: AsyncIterator[_T]) -> AsyncIterator[_T]:
    yield first
    async for item in rest:
        yield item


class Retry(AsyncClientInterceptor):
    """Calls the continuation again while the RPC fails with UNAVAILABLE, ``attempts`` times at most.

    A unary response is checked with ``await call.code()``; a streaming response by
    taking its first message before handing the stream to the caller (``code()`` of a
    stream that succeeds only resolves once its messages are read).
    """

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts
        self.tries = 0

    async def on_unary_unary(self, method, request, call_details):
        return await self._unary(lambda: method(request, call_details))

    async def on_stream_unary(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        return await self._unary(lambda: method(iter(requests), call_details))

    async def on_unary_stream(self, method, request, call_details):
        return await self._stream(lambda: method(request, call_details))

    async def on_stream_stream(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        return await self._stream(lambda: method(iter(requests), call_details))

    async def _unary(self, start_call: Callable[[], Awaitable[Any]]) -> Any:
        for _ in range(self.attempts):
            self.tries += 1
            call = await start_call()
            if await call.code() != grpc.StatusCode.UNAVAILABLE:
                return call
        return call

    async def _stream(self, start_call: Callable[[], Awaitable[Any]]) -> Any:
        last_error: grpc.aio.AioRpcError | None = None
        for _ in range(self.attempts):
            self.tries += 1
            call = await start_call()
            responses = call.__aiter__()
            try:
                first = await anext(responses)
            except StopAsyncIteration:
                return iterate(())
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    raise
                last_error = error
                continue
            return prepend(first, responses)
        # A stream that failed was read already: the caller gets its error, not the call.
        assert last_error is not None
        raise last_error


@all_kinds
async def test_retry_until_success(kind: str) -> None:
    flaky = FailFirst(failures=2)
    retry = Retry(attempts=3)
    async with aio_client({"flaky": flaky}, [AsyncExceptionToStatusInterceptor()], [retry]) as client:
        call = start(client, kind, "flaky")
        output = await outputs(kind, call)
        code = await call.code()
    assert output == "flaky on attempt 3"
    assert code == grpc.StatusCode.OK
    assert retry.tries == 3
    assert flaky.calls == 3


@all_kinds
async def test_retry_gives_up_with_the_last_error(kind: str) -> None:
    flaky = FailFirst(failures=10)
    retry = Retry(attempts=3)
    async with aio_client({"flaky": flaky}, [AsyncExceptionToStatusInterceptor()], [retry]) as client:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await run(client, kind, "flaky")
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.details() == "attempt 3"
    assert retry.tries == 3
    assert flaky.calls == 3


def _raise_not_found(_: str, context: object) -> str:
    raise NotFound("gone")


@all_kinds
async def test_retry_leaves_other_errors_alone(kind: str) -> None:
    retry = Retry(attempts=3)
    async with aio_client({"gone": _raise_not_found}, [AsyncExceptionToStatusInterceptor()], [retry]) as client:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await run(client, kind, "gone")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert retry.tries == 1


# --- Caching ---------------------------------------------------------------------------


async def _resolved(value: _T) -> _T:
    return value


class _FinishedCall:
    """What a finished, successful grpc.aio call answers, for a cache to hand out."""

    def __init__(self, responses: Iterable[DummyResponse]) -> None:
        self._responses = collections.deque(responses)

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        callback(self)

    def time_remaining(self) -> float | None:
        return None

    async def initial_metadata(self) -> grpc.aio.Metadata:
        return grpc.aio.Metadata()

    async def trailing_metadata(self) -> grpc.aio.Metadata:
        return grpc.aio.Metadata()

    async def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK

    async def details(self) -> str:
        return ""

    async def debug_error_string(self) -> str:
        return ""

    async def wait_for_connection(self) -> None:
        return None

    # For a unary response.
    def __await__(self) -> Any:
        return _resolved(self._responses[0]).__await__()

    # For a streaming response.
    async def _take(self) -> AsyncIterator[DummyResponse]:
        while self._responses:
            yield self._responses.popleft()

    def __aiter__(self) -> AsyncIterator[DummyResponse]:
        return self._take()

    async def read(self) -> Any:
        return self._responses.popleft() if self._responses else grpc.aio.EOF

    # For a streaming request: it was answered already.
    async def write(self, request: Any) -> None:
        raise grpc.aio.UsageError("the call is finished")

    async def done_writing(self) -> None:
        return None


class CachedUnaryUnaryCall(_FinishedCall, grpc.aio.UnaryUnaryCall):
    pass


class CachedUnaryStreamCall(_FinishedCall, grpc.aio.UnaryStreamCall):
    pass


class CachedStreamUnaryCall(_FinishedCall, grpc.aio.StreamUnaryCall):
    pass


class CachedStreamStreamCall(_FinishedCall, grpc.aio.StreamStreamCall):
    pass


class CallCache(AsyncClientInterceptor):
    """Answers known inputs with a finished call object, without calling the continuation."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    async def on_unary_unary(self, method, request, call_details):
        if request.input in self.known:
            return CachedUnaryUnaryCall([DummyResponse(output=self.known[request.input])])
        return await method(request, call_details)

    async def on_stream_unary(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        key = "".join(request.input for request in requests)
        if key in self.known:
            return CachedStreamUnaryCall([DummyResponse(output=self.known[key])])
        return await method(iter(requests), call_details)

    async def on_unary_stream(self, method, request, call_details):
        if request.input in self.known:
            return CachedUnaryStreamCall([DummyResponse(output=char) for char in self.known[request.input]])
        return await method(request, call_details)

    async def on_stream_stream(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        if all(request.input in self.known for request in requests):
            return CachedStreamStreamCall([DummyResponse(output=self.known[request.input]) for request in requests])
        return await method(iter(requests), call_details)


@all_kinds
async def test_cache_answers_with_a_call_object_without_calling_the_server(kind: str) -> None:
    seen = Seen()
    async with aio_client({}, [seen], [CallCache({"hit": "from cache"})]) as client:
        call = start(client, kind, "hit")
        assert await outputs(kind, call) == "from cache"
        assert await call.code() == grpc.StatusCode.OK
        assert seen.methods == []
        assert await run(client, kind, "miss") == "miss"
    assert [KIND_OF_METHOD[method] for method in seen.methods] == [kind]


class PlainCache(AsyncClientInterceptor):
    """Answers known inputs with the response itself, or an async iterator of responses."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    async def on_unary_unary(self, method, request, call_details):
        if request.input in self.known:
            return DummyResponse(output=self.known[request.input])
        return await method(request, call_details)

    async def on_stream_unary(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        key = "".join(request.input for request in requests)
        if key in self.known:
            return DummyResponse(output=self.known[key])
        return await method(iter(requests), call_details)

    async def on_unary_stream(self, method, request, call_details):
        if request.input in self.known:
            return iterate([DummyResponse(output=char) for char in self.known[request.input]])
        return await method(request, call_details)

    async def on_stream_stream(self, method, request_iterator, call_details):
        requests = await collect(request_iterator)
        if all(request.input in self.known for request in requests):
            return iterate([DummyResponse(output=self.known[request.input]) for request in requests])
        return await method(iter(requests), call_details)


async def _plain_cached_outcome(client: DummyServiceAsyncStub, kind: str) -> object:
    """The output and status of a call a PlainCache answers, or the error it ends with.

    The call object is dropped before returning, so that grpc.aio's clean-up of it
    runs inside the test rather than when the channel closes.
    """
    call = start(client, kind, "hit")
    try:
        return await outputs(kind, call), await call.code()
    except Exception as error:
        return repr(error)
    finally:
        del call


@contextlib.contextmanager
def stray_errors() -> Iterator[list[str]]:
    """Collect, as text, the errors nobody can catch inside the block.

    Those are errors in ``__del__`` and in callbacks run by the event loop. Only their
    text is kept: a kept exception would keep alive, through its traceback, the
    objects whose clean-up failed.
    """
    errors: list[str] = []
    loop = asyncio.get_running_loop()
    previous_hook, previous_handler = sys.unraisablehook, loop.get_exception_handler()

    def record_unraisable(unraisable: Any) -> None:
        errors.append(f"{unraisable.exc_type.__name__}: {unraisable.exc_value}")

    def record_callback_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        errors.append(f"{context['message']}: {context.get('exception')!r}")

    sys.unraisablehook = record_unraisable
    loop.set_exception_handler(record_callback_error)
    try:
        yield errors
        gc.collect()
    finally:
        sys.unraisablehook = previous_hook
        loop.set_exception_handler(previous_handler)


@pytest.mark.parametrize("kind", ["unary_unary", "unary_stream", "stream_unary", "stream_stream"])
async def test_cache_answers_with_plain_values_without_calling_the_server(kind: str) -> None:
    """What the AsyncClientInterceptor docs promise: a hook may return the response(s) themselves."""
    seen = Seen()
    with stray_errors() as cleanup_errors:
        async with aio_client({}, [seen], [PlainCache({"hit": "from cache"})]) as client:
            outcome = await _plain_cached_outcome(client, kind)
            gc.collect()
    assert outcome == ("from cache", grpc.StatusCode.OK)
    assert cleanup_errors == []
    assert seen.methods == []


# --- Exceptions raised by the interceptor -------------------------------------------------


class InterceptorError(Exception):
    pass


class RaiseBefore(AsyncClientInterceptor):
    async def intercept(self, method, request_or_iterator, call_details):
        raise InterceptorError("refused before the call")


class RaiseAfter(AsyncClientInterceptor):
    async def intercept(self, method, request_or_iterator, call_details):
        call = await method(request_or_iterator, call_details)
        output = await outputs(KIND_OF_METHOD[call_details.method], call)
        raise InterceptorError(f"refused after {output}")


@all_kinds
async def test_exception_before_the_continuation_reaches_the_caller(kind: str) -> None:
    seen = Seen()
    async with aio_client({}, [seen], [RaiseBefore()]) as client:
        with pytest.raises(InterceptorError, match=r"^refused before the call$"):
            await run(client, kind, "ab")
    assert seen.methods == []


@all_kinds
async def test_exception_after_the_continuation_reaches_the_caller(kind: str) -> None:
    seen = Seen()
    async with aio_client({}, [seen], [RaiseAfter()]) as client:
        with pytest.raises(InterceptorError, match=r"^refused after ab$"):
            await run(client, kind, "ab")
    assert [KIND_OF_METHOD[method] for method in seen.methods] == [kind]


# --- Reading the response and the status -----------------------------------------------


def _trailer_then_echo(text: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
    context.set_trailing_metadata((("x-trailer", "fine"),))
    return text


def _trailer_then_fail(text: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
    context.set_trailing_metadata((("x-trailer", "failed"),))
    raise NotFound("no such thing")


def _ours(metadata: Any) -> list[tuple[str, str | bytes]]:
    return [(key, value) for key, value in metadata or () if key.startswith("x-")]


class Observe(AsyncClientInterceptor):
    """Reads responses, status code, details and trailing metadata of every call.

    A unary call's status is read right away; a stream's once its messages are read,
    since ``code()`` of a stream that succeeds resolves only then.
    """

    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.status: list[tuple[grpc.StatusCode, str, list[tuple[str, str | bytes]]]] = []

    async def _record_status(self, call: Any) -> None:
        self.status.append((await call.code(), await call.details(), _ours(await call.trailing_metadata())))

    async def _unary(self, call: Any) -> Any:
        await self._record_status(call)
        if await call.code() == grpc.StatusCode.OK:
            self.outputs.append((await call).output)
        return call

    async def _stream(self, call: Any) -> AsyncIterator[DummyResponse]:
        try:
            async for response in call:
                self.outputs.append(response.output)
                yield response
        finally:
            await self._record_status(call)

    async def on_unary_unary(self, method, request, call_details):
        return await self._unary(await method(request, call_details))

    async def on_stream_unary(self, method, request_iterator, call_details):
        return await self._unary(await method(request_iterator, call_details))

    async def on_unary_stream(self, method, request, call_details):
        return self._stream(await method(request, call_details))

    async def on_stream_stream(self, method, request_iterator, call_details):
        return self._stream(await method(request_iterator, call_details))


@all_kinds
async def test_interceptor_reads_response_and_status(kind: str) -> None:
    observe = Observe()
    async with aio_client({"ok": _trailer_then_echo}, [AsyncExceptionToStatusInterceptor()], [observe]) as client:
        call = start(client, kind, "ok")
        assert await outputs(kind, call) == "ok"
        # The caller still sees the status of the call the interceptor read.
        assert await call.code() == grpc.StatusCode.OK
        assert _ours(await call.trailing_metadata()) == [("x-trailer", "fine")]
    assert "".join(observe.outputs) == "ok"
    assert observe.status == [(grpc.StatusCode.OK, "", [("x-trailer", "fine")])]


@all_kinds
async def test_interceptor_reads_error_status(kind: str) -> None:
    observe = Observe()
    async with aio_client({"bad": _trailer_then_fail}, [AsyncExceptionToStatusInterceptor()], [observe]) as client:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await run(client, kind, "bad")
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "no such thing"
    assert observe.outputs == []
    assert observe.status == [(grpc.StatusCode.NOT_FOUND, "no such thing", [("x-trailer", "failed")])]


# --- Untyped (0.15.4-style) and typed interceptors ------------------------------------------


class MetadataClientInterceptor(AsyncClientInterceptor):
    """The README's metadata interceptor, in its async form: untyped ``intercept``."""

    async def intercept(
        self,
        method: Callable,
        request_or_iterator: Any,
        call_details: grpc.ClientCallDetails,
    ):
        new_details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("authorization", "Bearer mysecrettoken")],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )

        return await method(request_or_iterator, new_details)


@all_kinds
async def test_untyped_intercept_runs_for_every_kind(kind: str) -> None:
    async with aio_client({"md": echo_metadata}, None, [MetadataClientInterceptor()]) as client:
        output = await run(client, kind, "md")
    assert seen_metadata(output) == [("authorization", "Bearer mysecrettoken")]


class TypedHooks(AsyncClientInterceptor[DummyRequest, DummyResponse]):
    """One typed hook per kind; each tags the call with its own name."""

    def __init__(self) -> None:
        self.hooks: list[str] = []

    def _tag(self, hook: str, call_details: ClientCallDetails) -> ClientCallDetails:
        self.hooks.append(hook)
        return call_details._replace(metadata=(("x-hook", hook),))

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.UnaryUnaryCall[Any, DummyResponse]:
        return await method(request, self._tag("on_unary_unary", call_details))

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.UnaryStreamCall[Any, DummyResponse]:
        return await method(request, self._tag("on_unary_stream", call_details))

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.StreamUnaryCall[Any, DummyResponse]:
        return await method(request_iterator, self._tag("on_stream_unary", call_details))

    async def on_stream_stream(
        self,
        method: AsyncClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: AsyncIterable[DummyRequest] | Iterable[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> grpc.aio.StreamStreamCall[Any, DummyResponse]:
        return await method(request_iterator, self._tag("on_stream_stream", call_details))


@all_kinds
async def test_typed_hooks_run_for_their_kind(kind: str) -> None:
    typed = TypedHooks()
    async with aio_client({"md": echo_metadata}, None, [typed]) as client:
        output = await run(client, kind, "md")
    assert typed.hooks == [f"on_{kind}"]
    assert seen_metadata(output) == [("x-hook", f"on_{kind}")]


@all_kinds
async def test_base_class_in_dummy_client_passes_through(kind: str) -> None:
    """0.15.4 raised TypeError for an async client interceptor here."""
    async with aio_client({}, None, [AsyncClientInterceptor()]) as client:
        assert await run(client, kind, "ab") == "ab"


@all_kinds
async def test_typed_and_untyped_interceptors_share_a_channel(kind: str) -> None:
    typed = TypedHooks()
    async with aio_client({"md": echo_metadata}, None, [AsyncClientInterceptor(), typed, ReplaceDetails()]) as client:
        output = await run(client, kind, "md")
    assert seen_metadata(output) == [("x-hook", f"on_{kind}"), ("authorization", "Bearer x")]


# --- Wrong wiring fails at once -----------------------------------------------------------


def _sync_interceptor_for(kind: str) -> ClientInterceptor:
    """A sync interceptor that overrides only the hook of ``kind``."""

    def hook(self: Any, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return method(request_or_iterator, call_details)

    cls = type(f"Sync_{kind}", (ClientInterceptor,), {f"on_{kind}": hook})
    return cls()


@all_kinds
async def test_sync_interceptor_on_aio_channel_is_refused(kind: str) -> None:
    interceptor = _sync_interceptor_for(kind)
    # grpc.aio refuses, when the channel is made, what is none of its interceptor classes.
    with pytest.raises(ValueError, match="Interceptor"):
        grpc.aio.insecure_channel("127.0.0.1:1", interceptors=[interceptor])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"grpc\.intercept_channel"):
        aio_channel_interceptors(interceptor)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sync ClientInterceptor"):
        dummy_client(client_interceptors=[interceptor], aio_server=True, aio_client=True)  # type: ignore[list-item]
