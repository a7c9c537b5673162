"""Typed errors on the client: a failed call raises NotFound & co., sync and grpc.aio, all four kinds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import KINDS, TIMEOUT

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncExceptionToStatusInterceptor,
    AsyncStatusToExceptionInterceptor,
    ClientInterceptor,
    ExceptionToStatusInterceptor,
    StatusToExceptionInterceptor,
    exception_from_rpc_error,
)
from grpc_interceptor.exceptions import (
    FailedPrecondition,
    GrpcException,
    InvalidArgument,
    NotFound,
    Unavailable,
    exception_class_for,
)
from grpc_interceptor.testing import DummyRequest, dummy_client, raises

ERROR_CODES = [code for code in grpc.StatusCode if code is not grpc.StatusCode.OK]


def requests(*inputs: str) -> Iterator[DummyRequest]:
    return iter([DummyRequest(input=text) for text in inputs])


def call_sync(client: Any, kind: str, *inputs: str) -> list[str]:
    """Make a ``kind`` call and return the outputs, letting any exception through."""
    outputs: list[str] = []
    if kind == "unary_unary":
        outputs.append(client.Execute(DummyRequest(input=inputs[0]), timeout=TIMEOUT).output)
    elif kind == "unary_stream":
        outputs.extend(r.output for r in client.ExecuteServerStream(DummyRequest(input=inputs[0]), timeout=TIMEOUT))
    elif kind == "stream_unary":
        outputs.append(client.ExecuteClientStream(requests(*inputs), timeout=TIMEOUT).output)
    else:
        for response in client.ExecuteClientServerStream(requests(*inputs), timeout=TIMEOUT):
            outputs.append(response.output)
    return outputs


async def call_aio(client: Any, kind: str, *inputs: str, received: list[str] | None = None) -> list[str]:
    outputs = [] if received is None else received
    if kind == "unary_unary":
        outputs.append((await client.Execute(DummyRequest(input=inputs[0]), timeout=TIMEOUT)).output)
    elif kind == "unary_stream":
        async for response in client.ExecuteServerStream(DummyRequest(input=inputs[0]), timeout=TIMEOUT):
            outputs.append(response.output)
    elif kind == "stream_unary":
        outputs.append((await client.ExecuteClientStream(requests(*inputs), timeout=TIMEOUT)).output)
    else:
        async for response in client.ExecuteClientServerStream(requests(*inputs), timeout=TIMEOUT):
            outputs.append(response.output)
    return outputs


SPECIAL = {
    "missing": raises(NotFound("no such book", trailing_metadata=[("book-id", "42"), ("trace-bin", b"\x00\x01")])),
    "busy": raises(Unavailable("try later")),
}


# --- Sync --------------------------------------------------------------------------------


def test_every_kind_raises_the_typed_exception(kind: str) -> None:
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        with pytest.raises(NotFound) as raised:
            call_sync(client, kind, "missing")
    error = raised.value
    assert error.status_code is grpc.StatusCode.NOT_FOUND
    assert error.details == "no such book"
    assert ("book-id", "42") in error.trailing_metadata
    assert ("trace-bin", b"\x00\x01") in error.trailing_metadata
    assert not isinstance(error, grpc.RpcError)
    cause: Any = error.__cause__
    assert isinstance(cause, grpc.RpcError)
    assert cause.code() is grpc.StatusCode.NOT_FOUND
    assert cause.details() == "no such book"


def test_streaming_response_raises_while_iterating_after_the_first_messages() -> None:
    received: list[str] = []
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        responses = client.ExecuteClientServerStream(requests("a", "b", "busy", "c"), timeout=TIMEOUT)
        with pytest.raises(Unavailable, match="try later"):
            for response in responses:
                received.append(response.output)
        # The call object still answers like grpc's.
        assert responses.code() is grpc.StatusCode.UNAVAILABLE
        assert responses.details() == "try later"
    assert received == ["a", "b"]


@pytest.mark.parametrize("code", ERROR_CODES, ids=[code.name for code in ERROR_CODES])
def test_each_code_gets_its_class(code: grpc.StatusCode) -> None:
    def abort(text: str, context: grpc.ServicerContext) -> str:
        context.abort(code, f"aborted with {code.name}")

    with dummy_client({"x": abort}, client_interceptors=[StatusToExceptionInterceptor()]) as client:
        with pytest.raises(GrpcException) as raised:
            client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    assert type(raised.value) is exception_class_for(code)
    assert raised.value.status_code is code
    assert raised.value.details == f"aborted with {code.name}"


def test_successful_calls_are_unchanged(kind: str) -> None:
    with dummy_client(client_interceptors=[StatusToExceptionInterceptor()]) as client:
        inputs = ("abc",) if kind.startswith("unary") else ("a", "b")
        outputs = call_sync(client, kind, *inputs)
        response, call = client.Execute.with_call(DummyRequest(input="ok"), timeout=TIMEOUT)
    assert outputs == {"unary_unary": ["abc"], "unary_stream": ["a", "b", "c"]}.get(kind, outputs)
    assert outputs
    assert response.output == "ok"
    assert call.code() is grpc.StatusCode.OK


def test_futures_raise_and_return_the_typed_exception() -> None:
    done: list[object] = []
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        future = client.Execute.future(DummyRequest(input="missing"), timeout=TIMEOUT)
        future.add_done_callback(done.append)
        with pytest.raises(NotFound) as raised:
            future.result()
        exception = future.exception()
        assert future.code() is grpc.StatusCode.NOT_FOUND
        with pytest.raises(NotFound):
            client.Execute.with_call(DummyRequest(input="missing"), timeout=TIMEOUT)
        with pytest.raises(NotFound):
            client.ExecuteClientStream.future(requests("missing"), timeout=TIMEOUT).result()
    # The same exception every time the future is asked.
    assert exception is raised.value
    assert done == [future]


def test_code_written_for_rpc_error_does_not_catch_it_silently() -> None:
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        with pytest.raises(NotFound):
            try:
                client.Execute(DummyRequest(input="missing"), timeout=TIMEOUT)
            except grpc.RpcError:  # pragma: no cover - must not be reached
                pytest.fail("a typed error was caught as grpc.RpcError")


class FailingInterceptor(ClientInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, call_details: Any, /) -> Any:
        raise ValueError("not an RPC error")


def test_errors_without_a_status_pass_unchanged() -> None:
    with dummy_client(client_interceptors=[StatusToExceptionInterceptor(), FailingInterceptor()]) as client:
        with pytest.raises(ValueError, match="not an RPC error"):
            client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)


class SeesRpcErrors(ClientInterceptor):
    """Notes the class of the error it sees: an interceptor installed after the typed one."""

    def __init__(self) -> None:
        self.seen: list[type[BaseException]] = []

    def on_unary_unary(self, method: Any, request: Any, call_details: Any, /) -> Any:
        call = method(request, call_details)
        error = call.exception()
        if error is not None:
            self.seen.append(type(error))
        return call


def test_interceptors_after_it_still_see_rpc_errors() -> None:
    inner = SeesRpcErrors()
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor(), inner]) as client:
        with pytest.raises(NotFound):
            client.Execute(DummyRequest(input="missing"), timeout=TIMEOUT)
    [seen] = inner.seen
    assert issubclass(seen, grpc.RpcError)


def test_exception_from_rpc_error() -> None:
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            client.Execute(DummyRequest(input="busy"), timeout=TIMEOUT)
    converted = exception_from_rpc_error(raised.value)
    assert isinstance(converted, Unavailable)
    assert converted.details == "try later"
    with pytest.raises(ValueError, match="carries no error status code"):
        exception_from_rpc_error(grpc.RpcError())


def test_server_side_trailing_metadata_is_sent_without_the_client_interceptor() -> None:
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            client.Execute(DummyRequest(input="missing"), timeout=TIMEOUT)
    error: Any = raised.value
    assert error.code() is grpc.StatusCode.NOT_FOUND
    assert ("book-id", "42") in [tuple(entry) for entry in error.trailing_metadata()]


# --- grpc.aio ----------------------------------------------------------------------------


def aio_client(special: dict[str, Any]) -> Any:
    return dummy_client(
        special,
        [AsyncExceptionToStatusInterceptor()],
        [AsyncStatusToExceptionInterceptor()],
        aio_server=True,
        aio_client=True,
    )


async def test_aio_every_kind_raises_the_typed_exception(kind: str) -> None:
    async with aio_client(SPECIAL) as client:
        with pytest.raises(NotFound) as raised:
            await call_aio(client, kind, "missing")
    error = raised.value
    assert error.details == "no such book"
    assert ("book-id", "42") in error.trailing_metadata
    assert ("trace-bin", b"\x00\x01") in error.trailing_metadata
    assert isinstance(error.__cause__, grpc.aio.AioRpcError)
    assert error.__cause__.code() is grpc.StatusCode.NOT_FOUND


async def test_aio_streaming_response_raises_while_iterating() -> None:
    received: list[str] = []
    failed = asyncio.Event()

    async def requests_until_failed() -> AsyncIterator[DummyRequest]:
        # "c" waits until the client has seen the status: grpc.aio reports a write that
        # races the server's status as INTERNAL in place of the status itself.
        yield DummyRequest(input="a")
        yield DummyRequest(input="busy")
        await asyncio.wait_for(failed.wait(), TIMEOUT)
        yield DummyRequest(input="c")

    async with aio_client(SPECIAL) as client:
        with pytest.raises(Unavailable):
            try:
                async for response in client.ExecuteClientServerStream(requests_until_failed(), timeout=TIMEOUT):
                    received.append(response.output)
            finally:
                failed.set()
    assert received == ["a"]


async def test_aio_successful_calls_and_the_call_object() -> None:
    async with aio_client(SPECIAL) as client:
        for kind in KINDS:
            assert await call_aio(client, kind, "a")
        call = client.Execute(DummyRequest(input="missing"), timeout=TIMEOUT)
        with pytest.raises(NotFound):
            await call
        # The status is still there for code that asks the call.
        assert await call.code() is grpc.StatusCode.NOT_FOUND
        assert await call.details() == "no such book"
        assert ("book-id", "42") in list(await call.trailing_metadata())


async def test_aio_stream_unary_with_the_write_api() -> None:
    async with aio_client(SPECIAL) as client:
        call = client.ExecuteClientStream(timeout=TIMEOUT)
        await call.write(DummyRequest(input="a"))
        await call.write(DummyRequest(input="missing"))
        await call.done_writing()
        with pytest.raises(NotFound, match="no such book"):
            await call
        ok = client.ExecuteClientStream(timeout=TIMEOUT)
        await ok.write(DummyRequest(input="a"))
        await ok.write(DummyRequest(input="b"))
        await ok.done_writing()
        assert (await ok).output == "ab"


async def test_aio_stream_stream_with_read_and_write() -> None:
    async with aio_client(SPECIAL) as client:
        call = client.ExecuteClientServerStream(timeout=TIMEOUT)
        await call.write(DummyRequest(input="a"))
        assert (await call.read()).output == "a"
        await call.write(DummyRequest(input="missing"))
        with pytest.raises(NotFound):
            await call.read()


@pytest.mark.parametrize("code", ERROR_CODES, ids=[code.name for code in ERROR_CODES])
async def test_aio_each_code_gets_its_class(code: grpc.StatusCode) -> None:
    async def abort(text: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        await context.abort(code, "no")

    async with dummy_client(
        {"x": abort}, client_interceptors=[AsyncStatusToExceptionInterceptor()], aio_server=True, aio_client=True
    ) as client:
        with pytest.raises(GrpcException) as raised:
            await client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    assert type(raised.value) is exception_class_for(code)


async def test_aio_trailing_metadata_set_by_the_handler_is_kept() -> None:
    async def fail(text: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        context.set_trailing_metadata((("from-handler", "yes"),))
        raise FailedPrecondition("not now")

    async with aio_client({"x": fail}) as client:
        with pytest.raises(FailedPrecondition) as raised:
            await client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    assert ("from-handler", "yes") in raised.value.trailing_metadata


# --- The exception's new fields --------------------------------------------------------


def test_trailing_metadata_is_checked() -> None:
    assert InvalidArgument(trailing_metadata=[("k", "v")]).trailing_metadata == (("k", "v"),)
    with pytest.raises(ValueError, match="lowercase"):
        InvalidArgument(trailing_metadata=[("Key", "v")])
    with pytest.raises(ValueError, match="needs a bytes value"):
        InvalidArgument(trailing_metadata=[("k-bin", "v")])
    with pytest.raises(ValueError, match="needs a str value"):
        InvalidArgument(trailing_metadata=[("k", b"v")])
    with pytest.raises(TypeError, match=r"\(key, value\) pairs"):
        InvalidArgument(trailing_metadata="k=v")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"\(key, value\) pairs"):
        InvalidArgument(trailing_metadata=[("k", "v", "w")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="protobuf message"):
        InvalidArgument(error_details=["not a message"])  # type: ignore[list-item]


def test_repr_and_defaults_stay_as_in_0_15_4() -> None:
    class Skips(NotFound):
        def __init__(self) -> None:  # skips super().__init__(), as 0.15.4 subclasses may
            pass

    skipping = Skips()
    assert skipping.error_details == ()
    assert skipping.trailing_metadata == ()
    assert repr(NotFound("x")) == "NotFound(status_code=NOT_FOUND, details='x')"
    assert str(NotFound("x")) == "x"
    assert repr(NotFound("x", trailing_metadata=[("k", "v")])) == (
        "NotFound(status_code=NOT_FOUND, details='x', trailing_metadata=[('k', 'v')])"
    )


# --- A gap found in the async client base (client.py, _client_aio.py) --------------------


class ReYield(AsyncClientInterceptor):
    """Answers a stream-stream call with an async iterator of the call's responses."""

    async def on_stream_stream(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        call = await method(request_iterator, call_details)

        async def responses() -> Any:
            async for response in call:
                yield response

        return responses()


async def test_write_api_behind_a_hook_that_answers_with_an_async_iterator() -> None:
    async with dummy_client(client_interceptors=[ReYield()], aio_server=True, aio_client=True) as client:
        call = client.ExecuteClientServerStream(timeout=TIMEOUT)
        await call.write(DummyRequest(input="a"))
        assert (await call.read()).output == "a"
        await call.done_writing()
