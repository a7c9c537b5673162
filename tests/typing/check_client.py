"""What users of the sync ``ClientInterceptor`` get from the type checkers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc
from typing_extensions import assert_type

from grpc_interceptor import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor, ClientInterceptorReturnType
from grpc_interceptor.protocols import (
    CallFuture,
    CallIterator,
    ClientContinuation,
    ClientStreamStreamContinuation,
    ClientStreamUnaryContinuation,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
)
from grpc_interceptor.testing import DummyRequest, DummyResponse
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

Req = DummyRequest
Resp = DummyResponse
Details = ClientCallDetails
UU = ClientUnaryUnaryContinuation[DummyRequest, DummyResponse]
US = ClientUnaryStreamContinuation[DummyRequest, DummyResponse]
SU = ClientStreamUnaryContinuation[DummyRequest, DummyResponse]
SS = ClientStreamStreamContinuation[DummyRequest, DummyResponse]

# --- Correct programs ----------------------------------------------------------------


class Metadata(ClientInterceptor[DummyRequest, DummyResponse]):
    """Every typed hook overridden, with what each continuation gives."""

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("authorization", "Bearer token")],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )
        future = method(request, details)
        assert_type(future, CallFuture[DummyResponse])
        assert_type(future.result(), DummyResponse)
        assert_type(future.code(), grpc.StatusCode)
        return future

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        responses = method(request, call_details)
        assert_type(next(responses), DummyResponse)
        for response in responses:
            assert_type(response, DummyResponse)
        return responses

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        return method(request_iterator, call_details)

    def on_stream_stream(
        self,
        method: ClientStreamStreamContinuation[DummyRequest, DummyResponse],
        request_iterator: Iterator[DummyRequest],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        return method(request_iterator, call_details)


class Retry(ClientInterceptor[DummyRequest, DummyResponse]):
    """The continuation called again after a failure; ``_replace`` for new details."""

    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        assert_type(call_details, ClientCallDetails)
        future = method(request, call_details)
        if future.exception() is not None:
            future = method(request, call_details._replace(timeout=5.0, metadata=[("x-retry", "1")]))
        return future


class CatchAll(ClientInterceptor[DummyRequest, DummyResponse]):
    """The typed catch-all hook."""

    def intercept(
        self,
        method: ClientContinuation[DummyRequest, DummyResponse],
        request_or_iterator: DummyRequest | Iterator[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse] | CallIterator[DummyResponse]:
        result = method(request_or_iterator, call_details)
        assert_type(result, CallFuture[DummyResponse] | CallIterator[DummyResponse])
        return result


class Untyped(ClientInterceptor):
    """0.15.4 style: unparametrised."""

    def intercept(
        self, method: ClientContinuation[Any, Any], request_or_iterator: Any, call_details: ClientCallDetails, /
    ) -> Any:
        return method(request_or_iterator, call_details)


class Legacy(ClientInterceptor):
    """0.15.4's annotations: a plain Callable and ClientInterceptorReturnType, grpc's own details."""

    def intercept(
        self,
        method: Callable[..., Any],
        request_or_iterator: Any,
        call_details: grpc.ClientCallDetails,
    ) -> ClientInterceptorReturnType:
        result: ClientInterceptorReturnType = method(request_or_iterator, call_details)
        return result


class LegacyReturnType(ClientInterceptor[DummyRequest, DummyResponse]):
    """``-> ClientInterceptorReturnType`` accepts what a typed continuation returns."""

    def intercept(
        self,
        method: ClientContinuation[DummyRequest, DummyResponse],
        request_or_iterator: DummyRequest | Iterator[DummyRequest],
        call_details: ClientCallDetails,
        /,
    ) -> ClientInterceptorReturnType:
        call = method(request_or_iterator, call_details)
        assert_type(call.exception(), Exception | None)
        return call

    def on_unary_unary(self, method: UU, request: Req, details: Details, /) -> ClientInterceptorReturnType:
        future = method(request, details)
        assert_type(future.result(), DummyResponse)
        return future

    def on_unary_stream(self, method: US, request: Req, details: Details, /) -> CallIterator[Resp]:
        call = method(request, details)
        # grpc's streaming calls are futures too: result() waits for the status.
        assert_type(call.result(), object)
        legacy: ClientInterceptorReturnType = call
        print(legacy.code())
        return call


def channel() -> DummyServiceStub:
    plain = grpc.insecure_channel("127.0.0.1:1")
    interceptors = (Metadata(), Retry(), CatchAll(), Untyped(), Legacy(), LegacyReturnType())
    intercepted = grpc.intercept_channel(plain, *interceptors)
    stub = DummyServiceStub(intercepted)
    assert_type(stub.Execute(DummyRequest(input="x")), DummyResponse)
    return stub


def details_fields(details: ClientCallDetails) -> None:
    assert_type(details.method, str)
    assert_type(details.timeout, float | None)
    assert_type(details.wait_for_ready, bool | None)
    assert_type(details._replace(method="/p.S/M"), ClientCallDetails)


# --- Wrong programs ------------------------------------------------------------------


class ClientWrongRequest(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method: UU, request: Resp, details: Details, /) -> CallFuture[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(DummyRequest(), details)


class ClientWrongResponse(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_stream_unary(self, method: SU, requests: Iterator[Req], details: Details, /) -> CallFuture[Req]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class ClientStreamReturnsFuture(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_stream(self, method: US, request: Req, details: Details, /) -> CallFuture[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class ClientBidiTakesMessage(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Req, details: Details, /) -> CallIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(iter([requests]), details)


class ClientServerStreamWrongResponse(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_stream(self, method: US, request: Req, details: Details, /) -> CallIterator[Req]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class ClientBidiWrongRequest(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_stream_stream(self, method: SS, requests: Iterator[Resp], details: Details, /) -> CallIterator[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        raise NotImplementedError


class AsyncHookOnSyncChannel(ClientInterceptor[DummyRequest, DummyResponse]):
    async def on_unary_unary(self, method: UU, request: Req, details: Details, /) -> CallFuture[Resp]:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        return method(request, details)


class MisusedClientContinuations(ClientInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(
        self,
        method: ClientUnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[DummyResponse]:
        method(call_details, request)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        method(request)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
        method(DummyResponse(), call_details)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
        wrong: DummyRequest = method(request, call_details).result()  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
        method(request, call_details).output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        print(wrong)
        return method(request, call_details).result()  # type: ignore[return-value]  # pyright: ignore[reportReturnType]

    def on_unary_stream(
        self,
        method: ClientUnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallIterator[DummyResponse]:
        method(request, call_details).result().output.upper()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        return method(iter([request]), call_details)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def wrong_details(call_details: ClientCallDetails) -> None:
    ClientCallDetails(call_details.method, None, None, None, None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    call_details._replace(timeout="soon")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: timeout
    call_details._replace(metadata={"authorization": "Bearer token"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: dict[str, str]
    call_details._replace(deadline=5.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]  # expect: deadline
    call_details._replace(metadata=[("x-retry", 1)])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    ClientCallDetails(call_details.method, "5", None, None, None, None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ClientCallDetails(call_details.method, None, {"authorization": "x"}, None, None, None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]  # expect: dict[str, str]
    print(call_details.deadline)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownArgumentType]
    call_details.method.decode()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def wrong_wiring() -> None:
    class AsyncMetadata(AsyncClientInterceptor[DummyRequest, DummyResponse], abstract=True):
        pass

    grpc.intercept_channel(grpc.insecure_channel("127.0.0.1:1"), AsyncMetadata())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
