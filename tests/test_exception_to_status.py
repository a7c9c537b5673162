"""ExceptionToStatusInterceptor (sync), end to end in all four RPC kinds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from conftest import INPUTS, KINDS, METHOD, STREAMING_RESPONSE_KINDS, Outcome, call, echo
from google.rpc.error_details_pb2 import ErrorInfo
from grpc import StatusCode

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    ExceptionToStatusInterceptor,
    ServerInterceptor,
    exceptions,
)
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.rich_status import error_details_of
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, raises

# Inputs that reach the special case "error" after the RPC has sent what it could:
# the streaming kinds answer "a" and "b" first.
BEFORE_ERROR = {
    "unary_unary": (),
    "unary_stream": (),
    "stream_unary": ("a", "b"),
    "stream_stream": ("a", "b"),
}


def outcome_of_error(kind: str, interceptor: ServerInterceptor, error: Callable[..., Any]) -> Outcome:
    """Make the ``kind`` RPC hit ``error`` in the handler, after any messages it sends first."""
    with dummy_client({"error": error}, [interceptor]) as client:
        return call(client, kind, *BEFORE_ERROR[kind], "error")


def sent_first(kind: str) -> list[str]:
    """What the client receives before the error: the streamed answers to "a" and "b"."""
    return list(BEFORE_ERROR[kind]) if kind in STREAMING_RESPONSE_KINDS else []


@pytest.mark.parametrize(
    "error",
    [NotFound("no such thing"), GrpcException("no such thing", status_code=StatusCode.DATA_LOSS)],
    ids=["NotFound", "GrpcException-with-code"],
)
def test_grpc_exception_becomes_the_status(kind: str, error: GrpcException) -> None:
    outcome = outcome_of_error(kind, ExceptionToStatusInterceptor(), raises(error))
    assert outcome == Outcome(sent_first(kind), error.status_code, "no such thing")


def test_every_exception_class_sends_its_code_and_default_details() -> None:
    classes = [
        getattr(exceptions, name) for name in exceptions.__all__ if name not in ("GrpcException", "exception_class_for")
    ]
    special_cases = {cls.__name__: raises(cls()) for cls in classes}
    with dummy_client(special_cases, [ExceptionToStatusInterceptor()]) as client:
        for cls in classes:
            assert call(client, "unary_unary", cls.__name__) == Outcome([], cls.status_code, cls.details)


class RaiseAfterFirst(ServerInterceptor[DummyRequest, DummyResponse]):
    """Pass the first response on, then raise NotFound: an error in the middle of the stream."""

    def on_unary_stream(self, method: Any, request: Any, context: grpc.ServicerContext, method_name: str, /) -> Any:
        responses = method(request, context)
        yield next(responses)
        raise NotFound("gone mid-stream")

    on_stream_stream = on_unary_stream


@pytest.mark.parametrize("kind", STREAMING_RESPONSE_KINDS)
def test_error_mid_stream_after_messages_reached_the_client(kind: str) -> None:
    with dummy_client(interceptors=[ExceptionToStatusInterceptor(), RaiseAfterFirst()]) as client:
        outcome = call(client, kind, *INPUTS[kind])
    assert outcome == Outcome(["a"], StatusCode.NOT_FOUND, "gone mid-stream")


def test_unknown_exception_keeps_grpcs_unknown_status_by_default(kind: str) -> None:
    outcome = outcome_of_error(kind, ExceptionToStatusInterceptor(), raises(ValueError("bad value")))
    assert (outcome.outputs, outcome.code) == (sent_first(kind), StatusCode.UNKNOWN)
    assert outcome.details is not None and "bad value" in outcome.details


def test_status_on_unknown_exception(kind: str) -> None:
    interceptor = ExceptionToStatusInterceptor(status_on_unknown_exception=StatusCode.INTERNAL)
    outcome = outcome_of_error(kind, interceptor, raises(ValueError("bad value")))
    assert outcome == Outcome(sent_first(kind), StatusCode.INTERNAL, "ValueError('bad value')")


def test_unknown_exception_details_hide_the_exception(kind: str) -> None:
    interceptor = ExceptionToStatusInterceptor(StatusCode.INTERNAL, unknown_exception_details="Internal error")
    outcome = outcome_of_error(kind, interceptor, raises(ValueError("password=hunter2")))
    assert outcome == Outcome(sent_first(kind), StatusCode.INTERNAL, "Internal error")


def test_status_on_unknown_exception_cannot_be_ok() -> None:
    with pytest.raises(ValueError, match="OK"):
        ExceptionToStatusInterceptor(status_on_unknown_exception=StatusCode.OK)


@pytest.mark.parametrize("code", [13, "INTERNAL"])
def test_status_on_unknown_exception_must_be_a_status_code(code: object) -> None:
    with pytest.raises(TypeError, match="StatusCode"):
        ExceptionToStatusInterceptor(status_on_unknown_exception=code)  # type: ignore[arg-type]


def _abort(text: str, context: grpc.ServicerContext) -> str:
    context.abort(StatusCode.PERMISSION_DENIED, "go away")
    raise AssertionError("abort returned")


def _set_code_then_raise(text: str, context: grpc.ServicerContext) -> str:
    context.set_code(StatusCode.PERMISSION_DENIED)
    raise ValueError("after set_code")


@pytest.mark.parametrize("handler_error", [_abort, _set_code_then_raise], ids=["abort", "set_code"])
def test_code_set_by_the_handler_wins_over_status_on_unknown_exception(kind: str, handler_error: Any) -> None:
    interceptor = ExceptionToStatusInterceptor(status_on_unknown_exception=StatusCode.INTERNAL)
    outcome = outcome_of_error(kind, interceptor, handler_error)
    assert (outcome.outputs, outcome.code) == (sent_first(kind), StatusCode.PERMISSION_DENIED)
    if handler_error is _abort:
        assert outcome.details == "go away"


class Overdrawn(Exception):
    pass


class MapOverdrawn(ExceptionToStatusInterceptor):
    def handle_exception(self, ex, request_or_iterator, context, method_name):
        if isinstance(ex, Overdrawn):
            context.abort(StatusCode.FAILED_PRECONDITION, f"overdrawn in {method_name}")
        super().handle_exception(ex, request_or_iterator, context, method_name)


def test_handle_exception_override_maps_a_custom_exception(kind: str) -> None:
    outcome = outcome_of_error(kind, MapOverdrawn(), raises(Overdrawn()))
    assert outcome == Outcome(sent_first(kind), StatusCode.FAILED_PRECONDITION, f"overdrawn in {METHOD[kind]}")
    # What it does not map, the base class still does.
    assert outcome_of_error(kind, MapOverdrawn(), raises(NotFound("x"))).code == StatusCode.NOT_FOUND


class OldStyleSubclass(ExceptionToStatusInterceptor):
    """As 0.15.4 users extended it: override intercept and call super().intercept."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append(method_name)
        return super().intercept(method, request_or_iterator, context, method_name)


def test_old_style_subclass_calling_super_intercept_still_maps_statuses(kind: str) -> None:
    interceptor = OldStyleSubclass()
    outcome = outcome_of_error(kind, interceptor, raises(NotFound("no such thing")))
    assert outcome == Outcome(sent_first(kind), StatusCode.NOT_FOUND, "no such thing")
    assert interceptor.seen == [METHOD[kind]]


def test_subclass_that_skips_super_init(kind: str) -> None:
    class NoInit(ExceptionToStatusInterceptor):
        def __init__(self):  # no super().__init__()
            self.extra = True

    assert outcome_of_error(kind, NoInit(), raises(NotFound("x"))).code == StatusCode.NOT_FOUND
    assert outcome_of_error(kind, NoInit(), raises(ValueError("y"))).code == StatusCode.UNKNOWN


def test_user_exception_subclass_that_skips_super_init(kind: str) -> None:
    class UserMissing(NotFound):
        def __init__(self, user):  # no super().__init__()
            self.user = user

    outcome = outcome_of_error(kind, ExceptionToStatusInterceptor(), raises(UserMissing("bob")))
    assert outcome == Outcome(sent_first(kind), StatusCode.NOT_FOUND, NotFound.details)


# --- The README examples of 0.15.4, as users pasted them ---
# Each is named ExceptionToStatusInterceptor in the README; they are renamed here to
# live side by side. The bodies are the README's (the imports they need are at the top).


class ReadmeUnaryInterceptor(ServerInterceptor):
    def intercept(
        self,
        method: Callable,
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> Any:
        """Override this method to implement a custom interceptor.

        You should call method(request, context) to invoke the
        next handler (either the RPC method implementation, or the
        next interceptor in the list).
        """
        try:
            return method(request, context)
        except GrpcException as e:
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise


class ReadmeStreamingInterceptor(ServerInterceptor):
    def intercept(
        self,
        method: Callable,
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> Any:
        try:
            for response in method(request, context):  # noqa: UP028  (as in the README)
                yield response
        except GrpcException as e:
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise


class ReadmeBothInterceptor(ServerInterceptor):
    def intercept(self, method, request, context, method_name):
        # Call the RPC. It could be either unary or streaming
        try:
            response_or_iterator = method(request, context)
        except GrpcException as e:
            # If it was unary, then any exception raised would be caught
            # immediately, so handle it here.
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise
        # Check if it's streaming
        if hasattr(response_or_iterator, "__iter__"):
            # Now we know it's a server streaming RPC, so the actual RPC method
            # hasn't run yet. Delegate to a helper to iterate over it so it runs.
            # The helper needs to re-yield the responses, and we need to return
            # the generator that produces.
            return self._intercept_streaming(response_or_iterator, context)  # the README forgot `context`
        else:
            # For unary cases, we are done, so just return the response.
            return response_or_iterator

    def _intercept_streaming(self, iterator, context):
        try:
            for resp in iterator:  # noqa: UP028  (as in the README)
                yield resp
        except GrpcException as e:
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise


@pytest.mark.parametrize(
    ("interceptor", "kinds"),
    [
        (ReadmeUnaryInterceptor(), ("unary_unary", "stream_unary")),
        (ReadmeStreamingInterceptor(), STREAMING_RESPONSE_KINDS),
        (ReadmeBothInterceptor(), KINDS),
    ],
    ids=["unary", "streaming", "both"],
)
def test_readme_interceptors(interceptor: ServerInterceptor, kinds: tuple[str, ...]) -> None:
    special_cases = {"error": raises(NotFound("Sorry, your thing is missing"))}
    with dummy_client(special_cases, [interceptor]) as client:
        for kind in kinds:
            assert call(client, kind, "ab") == Outcome(echo(kind, "ab"))
            outcome = call(client, kind, *BEFORE_ERROR[kind], "error")
            assert outcome == Outcome(sent_first(kind), StatusCode.NOT_FOUND, "Sorry, your thing is missing")


def test_readme_testing_example() -> None:
    # The README's "Testing" section, verbatim but for its imports.
    special_cases = {"error": raises(NotFound())}
    interceptors = [ExceptionToStatusInterceptor()]
    with dummy_client(special_cases=special_cases, interceptors=interceptors) as client:
        # Test a happy path first
        assert client.Execute(DummyRequest(input="foo")).output == "foo"
        # And now a special case
        with pytest.raises(grpc.RpcError) as e:
            client.Execute(DummyRequest(input="error"))
        assert e.value.code() == grpc.StatusCode.NOT_FOUND


# --- rich error details with details that must be made sendable -----------------------

LONG_ACCENTED = "é" * 5_000  # six bytes each on the wire: cut to 339 of them and the mark


class FakeDetail:
    """Passes the constructor's duck-typed check of a protobuf message, but cannot be packed."""

    DESCRIPTOR = None

    def SerializeToString(self) -> bytes:
        return b""


def rich_client(server: str, special_cases: dict[str, Any]) -> Any:
    if server == "sync":
        return dummy_client(special_cases, [ExceptionToStatusInterceptor()])
    return dummy_client(special_cases, [AsyncExceptionToStatusInterceptor()], aio_server=True)


@pytest.mark.parametrize("server", ["sync", "aio"])
def test_rich_details_go_with_the_details_as_sent(server: str) -> None:
    # grpc_status checks on the client that the google.rpc.Status's message is the
    # call's details: the rich status must carry the details as they were cut.
    info = ErrorInfo(reason="TOO_LONG", domain="example.com")
    special_cases = {
        "long": raises(NotFound(LONG_ACCENTED + "\udcff", error_details=[info])),
    }
    with rich_client(server, special_cases) as client, pytest.raises(grpc.RpcError) as raised:
        client.Execute(DummyRequest(input="long"), timeout=10)
    error: Any = raised.value
    assert error.code() == StatusCode.NOT_FOUND
    assert error.details() == "é" * 339 + " ... (cut)"
    assert error_details_of(error) == (info,)


@pytest.mark.parametrize("server", ["sync", "aio"])
def test_rich_details_that_cannot_be_packed_leave_the_status(server: str, caplog: Any) -> None:
    special_cases = {"fake": raises(NotFound("no such thing", error_details=[FakeDetail()]))}  # type: ignore[list-item]
    with rich_client(server, special_cases) as client, pytest.raises(grpc.RpcError) as raised:
        client.Execute(DummyRequest(input="fake"), timeout=10)
    error: Any = raised.value
    assert (error.code(), error.details()) == (StatusCode.NOT_FOUND, "no such thing")
    assert "NotFound: its error_details are not sent" in caplog.text
