"""A real service's shapes: several message pairs, unions, Empty, oneofs, enums; and the mistakes users make.

The well-known types stand for a user's own messages: ``Value`` has a oneof and an
enum field, ``Timestamp`` and ``Empty`` are what real services take and return.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import grpc
import grpc.aio
from google.protobuf.empty_pb2 import Empty
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import NULL_VALUE, ListValue, NullValue, Value
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc.error_details_pb2 import BadRequest
from typing_extensions import assert_type

from grpc_interceptor import AsyncServerInterceptor, ClientInterceptor, ServerInterceptor
from grpc_interceptor.client_errors import StatusToExceptionInterceptor, exception_from_rpc_error
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.protocols import (
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
    CallFuture,
    ClientUnaryUnaryContinuation,
    ServerContinuation,
    StreamStreamContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse

Ctx = grpc.ServicerContext
AioCtx = grpc.aio.ServicerContext[Value, Timestamp]
UU = UnaryUnaryContinuation[Value, Timestamp]
US = UnaryStreamContinuation[Value, Timestamp]
SS = StreamStreamContinuation[Value, Timestamp]

# --- Correct programs ----------------------------------------------------------------


class Stamp(ServerInterceptor[Value, Timestamp]):
    """A oneof and an enum in the request, a well-known type in the response."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[Value, Timestamp],
        request: Value,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Timestamp:
        kind = request.WhichOneof("kind")
        assert_type(
            kind,
            Literal["null_value", "number_value", "string_value", "bool_value", "struct_value", "list_value"] | None,
        )
        if kind == "null_value" and request.null_value == NULL_VALUE:
            assert_type(request.null_value, NullValue.ValueType)
            return Timestamp(seconds=0)
        response = method(request, context)
        assert_type(response.seconds, int)
        return response


class Ping(ServerInterceptor[Empty, Empty]):
    """Empty in and out."""

    def on_unary_unary(
        self, method: UnaryUnaryContinuation[Empty, Empty], request: Empty, context: Ctx, method_name: str, /
    ) -> Empty:
        return method(request, context)


class Either(ServerInterceptor[DummyRequest | Value, DummyResponse | Timestamp]):
    """One interceptor for two message pairs: unions narrow with isinstance."""

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest | Value, DummyResponse | Timestamp],
        request: DummyRequest | Value,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse | Timestamp:
        if isinstance(request, DummyRequest):
            assert_type(request.input, str)
        else:
            assert_type(request, Value)
        return method(request, context)


class Watch(AsyncServerInterceptor[Value, Timestamp]):
    """A grpc.aio server stream of a well-known type."""

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Value, Timestamp],
        request: Value,
        context: grpc.aio.ServicerContext[Value, Timestamp],
        method_name: str,
        /,
    ) -> Timestamp:
        return await method(request, context)

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[Value, Timestamp],
        request: Value,
        context: grpc.aio.ServicerContext[Value, Timestamp],
        method_name: str,
        /,
    ) -> AsyncIterator[Timestamp]:
        await context.write(Timestamp(seconds=1))
        async for stamp in method(request, context):
            assert_type(stamp, Timestamp)
            yield stamp


class CatchAllNarrowing(ServerInterceptor):
    """Unparametrised catch-all: with protobuf's Message (not Any), isinstance narrows cleanly."""

    def intercept(
        self,
        method: ServerContinuation[Message, Message],
        request_or_iterator: Message | Iterator[Message],
        context: Ctx,
        method_name: str,
        /,
    ) -> Message | Iterator[Message]:
        result = method(request_or_iterator, context)
        if isinstance(result, Iterator):
            assert_type(result, Iterator[Message])
            return (response for response in result)
        assert_type(result, Message)
        return result


def narrowing_any(result: Any | Iterator[Any]) -> None:
    # basedpyright narrows the Any member to Iterator[Unknown]: an error in strict mode
    # (mypy says Iterator[Any]). docs/guide/typing.md says to annotate with Message.
    if isinstance(result, Iterator):
        print(list(result))  # pyright: ignore[reportUnknownArgumentType]


class ClientErrors(ClientInterceptor[Value, Timestamp]):
    """Typed errors on the client, and the rpc error they come from."""

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[Value, Timestamp],
        request: Value,
        call_details: Any,
        /,
    ) -> CallFuture[Timestamp]:
        future = method(request, call_details)
        error = future.exception()
        if isinstance(error, grpc.RpcError):
            converted = exception_from_rpc_error(error)
            assert_type(converted, GrpcException)
            assert_type(converted.details, str)
            assert_type(converted.status_code, grpc.StatusCode)
        return future


def status_interceptors() -> None:
    typed = StatusToExceptionInterceptor[Value, Timestamp]()
    assert_type(typed, StatusToExceptionInterceptor[Value, Timestamp])
    grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), typed, StatusToExceptionInterceptor())
    try:
        pass
    except NotFound as e:
        assert_type(e.details, str)
        assert_type(e.status_code, grpc.StatusCode)


def rich_details() -> None:
    # googleapis-common-protos' own stubs, read by mypy with follow_untyped_imports.
    violation = BadRequest.FieldViolation(field="isbn", description="not an ISBN")
    assert_type(BadRequest(field_violations=[violation]).field_violations[0].field, str)
    BadRequest(field_violations=["isbn"])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]  # expect: str


def missing_argument_defaults_to_any() -> None:
    # One type argument is valid: the response parameter keeps its default, Any (PEP 696).
    class RequestOnly(ServerInterceptor[Value]):
        def on_unary_unary(self, method: UU, request: Value, context: Ctx, name: str, /) -> Timestamp:
            return method(request, context)

    print(RequestOnly)


# --- Wrong programs ------------------------------------------------------------------


class Swapped(ServerInterceptor[Timestamp, Value]):
    # The type arguments are swapped: the hook annotated for the real messages is refused.
    def on_unary_unary(self, method: UU, request: Value, context: Ctx, name: str, /) -> Timestamp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: Timestamp
        return method(request, context)


class MissingMethodName(ServerInterceptor[Value, Timestamp]):
    def on_unary_unary(self, method: UU, request: Value, context: Ctx, /) -> Timestamp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: on_unary_unary
        return method(request, context)


class ExtraParameter(ServerInterceptor[Value, Timestamp]):
    def on_unary_unary(self, method: UU, request: Value, context: Ctx, name: str, extra: int, /) -> Timestamp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: on_unary_unary
        return method(request, context)


class WrongContinuationKind(ServerInterceptor[Value, Timestamp]):
    def on_unary_unary(self, method: US, request: Value, context: Ctx, name: str, /) -> Timestamp:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: UnaryUnaryContinuation
        return next(method(request, context))


class BidiContinuationInUnaryHook(ServerInterceptor[Value, Timestamp]):
    def on_unary_stream(self, method: SS, request: Value, context: Ctx, name: str, /) -> Iterator[Timestamp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: UnaryStreamContinuation
        return method(iter([request]), context)


class StreamReturnsList(ServerInterceptor[Value, Timestamp]):
    def on_unary_stream(self, method: US, request: Value, context: Ctx, name: str, /) -> list[Timestamp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]  # expect: list[Timestamp]
        return list(method(request, context))


class StreamBodyReturnsList(ServerInterceptor[Value, Timestamp]):
    def on_unary_stream(self, method: US, request: Value, context: Ctx, name: str, /) -> Iterator[Timestamp]:
        return list(method(request, context))  # type: ignore[return-value]  # pyright: ignore[reportReturnType]  # expect: list[Timestamp]


class WritesTheWrongMessage(AsyncServerInterceptor[Value, Timestamp]):
    async def on_unary_stream(
        self, method: AsyncUnaryStreamContinuation[Value, Timestamp], request: Value, context: AioCtx, name: str, /
    ) -> AsyncIterator[Timestamp]:
        await context.write(Value())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: Value
        async for stamp in method(request, context):
            yield stamp


class OneofMistakes(ServerInterceptor[Value, Timestamp]):
    def on_unary_unary(self, method: UU, request: Value, context: Ctx, name: str, /) -> Timestamp:
        request.WhichOneof("kinds")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: kinds
        request.null_value = "NULL"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
        print(request.list_value.values[0].strin_value)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]  # expect: strin_value
        return method(Empty(), context)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: Empty


def rpc_error_methods_on_our_exceptions(e: GrpcException, lists: ListValue) -> None:
    e.details()  # type: ignore[operator]  # pyright: ignore[reportCallIssue]  # expect: str
    e.code()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]  # expect: code
    print(lists)


def exception_from_what_is_no_rpc_error(error: Exception) -> None:
    exception_from_rpc_error(error)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: Exception


def status_interceptor_on_the_wrong_channel() -> None:
    grpc.aio.insecure_channel("127.0.0.1:1", interceptors=[StatusToExceptionInterceptor()])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
