"""The exceptions and the status interceptors, as code written for 0.15.4 uses them.

Written the way 0.15.4 code is written: untyped tests, ``dummy_client(special_cases=...,
interceptors=...)``, ``pytest.raises(..., match=...)`` on 0.15.4's messages, and
``handle_exception`` overrides annotated ``-> NoReturn`` that end with
``super().handle_exception(...)``, which the type checkers' default modes must accept
(``tests/test_typing.py`` checks this file with them).

Details that are not a ``str`` and a user's own ``error_details`` / ``trailing_metadata``
attributes work at run time as in 0.15.4, but the checkers reject them (they rejected
such details with 0.15.4 too): their tests are in ``tests/test_exceptions.py`` and
``tests/test_aio_exception_to_status.py``.
"""

import copy
import pickle
from typing import Any, NoReturn

import grpc
import grpc.aio
import pytest

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    GrpcException,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Unknown,
)
from grpc_interceptor.testing import DummyRequest, dummy_client, raises

# The default details of 0.15.4, class by class.
DEFAULT_DETAILS = {
    Aborted: "The operation was aborted",
    AlreadyExists: "The entity attempted to be created already exists",
    Cancelled: "The operation was cancelled",
    DataLoss: "There was unrecoverable data loss or corruption",
    DeadlineExceeded: "Deadline expired before operation could complete",
    FailedPrecondition: "The operation was rejected because the system is not in a state required for execution",
    Internal: "Internal error",
    InvalidArgument: "The client specified an invalid argument",
    NotFound: "The requested entity was not found",
    OutOfRange: "The operation was attempted past the valid range",
    PermissionDenied: "The caller does not have permission to execute the specified operation",
    ResourceExhausted: "A resource has been exhausted",
    Unauthenticated: "The request does not have valid authentication credentials for the operation",
    Unavailable: "The service is currently unavailable",
    Unimplemented: "The operation is not implemented or not supported/enabled in this service",
    Unknown: "Unknown exception occurred",
    GrpcException: "Unknown exception occurred",
}

SERVERS = ["sync", "aio", "aio_read_write"]


def client_for(server, special_cases):
    if server == "sync":
        return dummy_client(special_cases=special_cases, interceptors=[ExceptionToStatusInterceptor()])
    return dummy_client(
        special_cases=special_cases,
        interceptors=[AsyncExceptionToStatusInterceptor()],
        aio_server=True,
        aio_read_write=server == "aio_read_write",
    )


def status_of(client, text):
    with pytest.raises(grpc.RpcError) as e:
        client.Execute(DummyRequest(input=text), timeout=10)
    return e.value.code(), e.value.details()


# --- default details -------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(DEFAULT_DETAILS), ids=lambda cls: cls.__name__)
def test_default_details(cls):
    assert cls().details == DEFAULT_DETAILS[cls]
    assert cls.details == DEFAULT_DETAILS[cls]


@pytest.mark.parametrize("server", SERVERS)
def test_default_details_reach_the_client(server):
    special_cases = {cls.__name__: raises(cls()) for cls in DEFAULT_DETAILS}
    with client_for(server, special_cases) as client:
        for cls, details in DEFAULT_DETAILS.items():
            assert status_of(client, cls.__name__) == (cls.status_code, details)


# --- args, pickle and copy ---------------------------------------------------------------


def test_args_are_the_positional_arguments():
    assert NotFound().args == ()
    assert NotFound("no such user").args == ("no such user",)
    assert NotFound(details="no such user").args == ()
    assert GrpcException("quota", grpc.StatusCode.RESOURCE_EXHAUSTED).args == (
        "quota",
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    assert NotFound("no such user", status_code=grpc.StatusCode.PERMISSION_DENIED).args == ("no such user",)


class UserNotFound(NotFound):
    def __init__(self, user_id, reason="no such user"):
        super().__init__(f"user {user_id}: {reason}")
        self.user_id = user_id


class QuotaExceeded(ResourceExhausted):
    def __init__(self, *, quota):
        super().__init__(f"quota {quota} exceeded", status_code=grpc.StatusCode.UNAVAILABLE)
        self.quota = quota


class SkipsInit(PermissionDenied):
    def __init__(self, user_id):
        self.user_id = user_id


@pytest.mark.parametrize(
    "error",
    [UserNotFound(7), UserNotFound(7, "gone"), QuotaExceeded(quota=10), SkipsInit(7), NotFound("plain")],
    ids=["own_init", "own_init_two_args", "keyword_only_init", "skips_init", "plain"],
)
@pytest.mark.parametrize(
    "round_trip",
    [lambda e: pickle.loads(pickle.dumps(e)), copy.copy, copy.deepcopy],
    ids=["pickle", "copy", "deepcopy"],
)
def test_subclass_with_its_own_init_survives_a_round_trip(error, round_trip):
    again = round_trip(error)
    assert type(again) is type(error)
    assert again is not error
    assert again.args == error.args
    assert (again.status_code, again.details) == (error.status_code, error.details)
    assert vars(again) == vars(error)
    assert repr(again) == repr(error)
    assert str(again) == str(error)


def test_user_args_of_own_init():
    error = UserNotFound(7, "gone")
    assert error.args == (7, "gone")
    assert error.details == "user 7: gone"
    assert str(error) == "user 7: gone"


# --- 0.15.4's error messages ---------------------------------------------------------------


def test_error_messages_of_0154():
    with pytest.raises(ValueError, match="The status code for an exception cannot be OK"):
        NotFound(status_code=grpc.StatusCode.OK)
    with pytest.raises(ValueError, match="The status code for an exception cannot be OK"):
        GrpcException("fine", grpc.StatusCode.OK)
    with pytest.raises(ValueError, match="The status code for unknown exceptions cannot be OK"):
        ExceptionToStatusInterceptor(status_on_unknown_exception=grpc.StatusCode.OK)
    with pytest.raises(ValueError, match="The status code for unknown exceptions cannot be OK"):
        AsyncExceptionToStatusInterceptor(grpc.StatusCode.OK)


# --- handle_exception overrides annotated as in 0.15.4 -----------------------------------


class KeyErrorToNotFound(ExceptionToStatusInterceptor):
    def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str
    ) -> NoReturn:
        if isinstance(ex, KeyError):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no key {ex.args[0]}")
        super().handle_exception(ex, request_or_iterator, context, method_name)


class AsyncKeyErrorToNotFound(AsyncExceptionToStatusInterceptor):
    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: grpc.aio.ServicerContext, method_name: str
    ) -> NoReturn:
        if isinstance(ex, KeyError):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no key {ex.args[0]}")
        await super().handle_exception(ex, request_or_iterator, context, method_name)


@pytest.mark.parametrize("server", SERVERS)
def test_no_return_overrides_calling_super(server):
    special_cases = {"key": raises(KeyError("k")), "gone": raises(Unavailable("gone"))}
    if server == "sync":
        interceptors = [KeyErrorToNotFound()]
    else:
        interceptors = [AsyncKeyErrorToNotFound()]
    with dummy_client(
        special_cases=special_cases,
        interceptors=interceptors,
        aio_server=server != "sync",
        aio_read_write=server == "aio_read_write",
    ) as client:
        assert status_of(client, "key") == (grpc.StatusCode.NOT_FOUND, "no key k")
        assert status_of(client, "gone") == (grpc.StatusCode.UNAVAILABLE, "gone")
