"""Rich error details (the ``status`` extra): google.rpc.Status from server exception to client exception."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import TIMEOUT
from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.duration_pb2 import Duration
from google.rpc import status_pb2
from google.rpc.error_details_pb2 import BadRequest, ErrorInfo, RetryInfo
from grpc_status import rpc_status
from test_client_errors import call_aio, call_sync

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    AsyncStatusToExceptionInterceptor,
    ExceptionToStatusInterceptor,
    StatusToExceptionInterceptor,
)
from grpc_interceptor.exceptions import InvalidArgument, NotFound, Unavailable
from grpc_interceptor.rich_status import STATUS_DETAILS_KEY, error_details_of, to_grpc_status
from grpc_interceptor.testing import DummyRequest, dummy_client, raises

BAD_REQUEST = BadRequest(field_violations=[BadRequest.FieldViolation(field="input", description="too short")])
ERROR_INFO = ErrorInfo(reason="INPUT_TOO_SHORT", domain="example.com", metadata={"min": "3"})
RETRY_INFO = RetryInfo(retry_delay=Duration(seconds=2, nanos=500))

SPECIAL = {
    "bad": raises(InvalidArgument("input too short", error_details=[BAD_REQUEST, ERROR_INFO])),
    "busy": raises(Unavailable("busy", error_details=[RETRY_INFO], trailing_metadata=[("served-by", "node-7")])),
}


def test_every_kind_sends_and_decodes_the_details(kind: str) -> None:
    with dummy_client(SPECIAL, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        with pytest.raises(InvalidArgument) as raised:
            call_sync(client, kind, "bad")
    error = raised.value
    assert error.details == "input too short"
    assert error.error_details == (BAD_REQUEST, ERROR_INFO)
    bad_request = error.error_detail(BadRequest)
    assert bad_request is not None
    assert bad_request.field_violations[0].field == "input"
    assert error.error_detail(RetryInfo) is None


async def test_aio_every_kind_sends_and_decodes_the_details(kind: str) -> None:
    async with dummy_client(
        SPECIAL,
        [AsyncExceptionToStatusInterceptor()],
        [AsyncStatusToExceptionInterceptor()],
        aio_server=True,
        aio_client=True,
    ) as client:
        with pytest.raises(InvalidArgument) as raised:
            await call_aio(client, kind, "bad")
    assert raised.value.error_details == (BAD_REQUEST, ERROR_INFO)


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_details_and_trailing_metadata_travel_together(aio: bool) -> None:
    server: Any = [AsyncExceptionToStatusInterceptor()] if aio else [ExceptionToStatusInterceptor()]
    with dummy_client(SPECIAL, server, [StatusToExceptionInterceptor()], aio_server=aio) as client:
        with pytest.raises(Unavailable) as raised:
            client.Execute(DummyRequest(input="busy"), timeout=TIMEOUT)
    error = raised.value
    assert error.error_detail(RetryInfo) == RETRY_INFO
    assert ("served-by", "node-7") in error.trailing_metadata
    assert STATUS_DETAILS_KEY in [key for key, _ in error.trailing_metadata]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_the_wire_format_is_grpcio_status(aio: bool) -> None:
    """A client with no interceptor of ours reads the status with grpcio-status itself."""
    server: Any = [AsyncExceptionToStatusInterceptor()] if aio else [ExceptionToStatusInterceptor()]
    with dummy_client(SPECIAL, server, aio_server=aio) as client:
        with pytest.raises(grpc.RpcError) as raised:
            client.Execute(DummyRequest(input="bad"), timeout=TIMEOUT)
    status = rpc_status.from_call(raised.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert status.message == "input too short"
    unpacked = BadRequest()
    assert status.details[0].Unpack(unpacked)
    assert unpacked == BAD_REQUEST


def test_a_detail_of_an_unknown_type_stays_packed() -> None:
    unknown = AnyMessage(type_url="type.googleapis.com/nowhere.Unknown", value=b"\x08\x01")

    def abort(text: str, context: grpc.ServicerContext) -> str:
        status = status_pb2.Status(code=grpc.StatusCode.NOT_FOUND.value[0], message="gone", details=[unknown])
        context.abort_with_status(rpc_status.to_status(status))

    with dummy_client({"x": abort}, client_interceptors=[StatusToExceptionInterceptor()]) as client:
        with pytest.raises(NotFound) as raised:
            client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    assert raised.value.error_details == (unknown,)


def test_a_status_that_contradicts_the_call_is_not_trusted() -> None:
    def abort(text: str, context: grpc.ServicerContext) -> str:
        lying = status_pb2.Status(code=grpc.StatusCode.INTERNAL.value[0], message="other")
        context.set_trailing_metadata(((STATUS_DETAILS_KEY, lying.SerializeToString()),))
        context.abort(grpc.StatusCode.NOT_FOUND, "gone")

    with dummy_client({"x": abort}, client_interceptors=[StatusToExceptionInterceptor()]) as client:
        with pytest.raises(NotFound) as raised:
            client.Execute(DummyRequest(input="x"), timeout=TIMEOUT)
    assert raised.value.error_details == ()
    assert STATUS_DETAILS_KEY in [key for key, _ in raised.value.trailing_metadata]


def test_to_grpc_status_replaces_an_old_rich_status_and_keeps_other_metadata() -> None:
    old = status_pb2.Status(code=5, message="old").SerializeToString()
    exception = NotFound("new", error_details=[ERROR_INFO], trailing_metadata=[("k", "v"), (STATUS_DETAILS_KEY, old)])
    status = to_grpc_status(exception)
    assert status.code is grpc.StatusCode.NOT_FOUND
    assert status.details == "new"
    [(key, value), (details_key, packed)] = status.trailing_metadata
    assert (key, value) == ("k", "v")
    assert details_key == STATUS_DETAILS_KEY
    assert isinstance(packed, bytes)
    decoded = status_pb2.Status.FromString(packed)
    assert decoded.message == "new"
    assert len(decoded.details) == 1


def test_error_details_of_an_error_without_a_call() -> None:
    assert error_details_of(grpc.RpcError()) == ()


# --- Without the extra --------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )


def test_nothing_imports_the_extra_unless_rich_details_are_used() -> None:
    result = run_python(
        """
        import sys
        import grpc
        import grpc_interceptor
        from grpc_interceptor import ExceptionToStatusInterceptor, StatusToExceptionInterceptor, select, services
        from grpc_interceptor.exceptions import NotFound
        from grpc_interceptor.testing import DummyRequest, dummy_client, raises

        special = {"x": raises(NotFound("gone", trailing_metadata=[("k", "v")]))}
        server = [select(ExceptionToStatusInterceptor(), services("DummyService"))]
        with dummy_client(special, server, [StatusToExceptionInterceptor()]) as client:
            assert client.Execute(DummyRequest(input="ok"), timeout=10).output == "ok"
            try:
                client.Execute(DummyRequest(input="x"), timeout=10)
            except NotFound as e:
                assert e.trailing_metadata == (("k", "v"),), e.trailing_metadata
            else:
                raise AssertionError("no NotFound")
        loaded = sorted(m for m in sys.modules if m.startswith(("grpc_status", "google.rpc")))
        print("loaded:", loaded)
        assert not loaded, loaded
        """
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "loaded: []" in result.stdout


def test_without_the_extra_rich_details_say_how_to_get_it() -> None:
    result = run_python(
        """
        import sys
        sys.modules["grpc_status"] = None  # as if grpcio-status were not installed
        import grpc
        from google.protobuf.wrappers_pb2 import StringValue
        from grpc_interceptor import ExceptionToStatusInterceptor, StatusToExceptionInterceptor
        from grpc_interceptor.exceptions import NotFound
        from grpc_interceptor.rich_status import to_grpc_status
        from grpc_interceptor.testing import DummyRequest, dummy_client

        try:
            to_grpc_status(NotFound(error_details=[StringValue(value="why")]))
        except ImportError as e:
            print("ImportError:", e)

        # A client without the extra still gets the typed error; the details stay in the metadata.
        def abort(text, context):
            context.set_trailing_metadata((("grpc-status-details-bin", b"\\x08\\x05\\x12\\x04gone"),))
            context.abort(grpc.StatusCode.NOT_FOUND, "gone")

        with dummy_client({"x": abort}, client_interceptors=[StatusToExceptionInterceptor()]) as client:
            try:
                client.Execute(DummyRequest(input="x"), timeout=10)
            except NotFound as e:
                print("client:", e.details, e.error_details, [key for key, _ in e.trailing_metadata])
        """
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "ImportError: rich error details need the 'status' extra: pip install 'grpc-interceptor[status]'" in (
        result.stdout
    )
    assert "client: gone () ['grpc-status-details-bin']" in result.stdout
