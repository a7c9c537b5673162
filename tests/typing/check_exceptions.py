"""Status exceptions and method names: what their attributes are, and what they refuse."""

from __future__ import annotations

import grpc
from typing_extensions import assert_type

from grpc_interceptor import MethodName, parse_method_name
from grpc_interceptor.exceptions import GrpcException, InvalidArgument, NotFound, exception_class_for

# --- Correct programs ----------------------------------------------------------------


class UserNotFound(NotFound):
    """0.15.4 users subclass and may skip ``super().__init__()``."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.details = f"no user {user_id}"


def exceptions() -> None:
    e = NotFound("no such thing")
    assert_type(e.details, str)
    assert_type(e.status_code, grpc.StatusCode)
    assert_type(e.status_string, str)
    assert_type(GrpcException("custom", grpc.StatusCode.DATA_LOSS).details, str)
    assert_type(InvalidArgument(details=None).details, str)
    assert_type(exception_class_for(grpc.StatusCode.NOT_FOUND), type[GrpcException])
    assert_type(exception_class_for(grpc.StatusCode.NOT_FOUND)("gone"), GrpcException)
    assert_type(UserNotFound(7).details, str)
    try:
        raise UserNotFound(7)
    except GrpcException as caught:
        assert_type(caught.details, str)


def method_names() -> None:
    name = parse_method_name("/foo.bar.SearchService/Search")
    assert_type(name, MethodName)
    assert_type(name.package, str)
    assert_type(name.service, str)
    assert_type(name.method, str)
    assert_type(name.fully_qualified_service, str)
    assert_type({name: 1}, dict[MethodName, int])
    assert_type(name == MethodName("foo.bar", "SearchService", "Search"), bool)


# --- Wrong programs ------------------------------------------------------------------


def wrong_exceptions(e: GrpcException) -> None:
    GrpcException(status_code="NOT_FOUND")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    GrpcException(status_code=5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    NotFound(details=404)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    NotFound(b"no such thing")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    e.details.decode()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    e.status_code = "NOT_FOUND"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    exception_class_for("NOT_FOUND")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    e.status_string()  # type: ignore[operator]  # pyright: ignore[reportCallIssue]


def wrong_method_names() -> None:
    name = parse_method_name("/foo.bar.SearchService/Search")
    print(name.package + 1)  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnknownArgumentType]
    name.method()  # type: ignore[operator]  # pyright: ignore[reportCallIssue]
    name.fully_qualified_service()  # type: ignore[operator]  # pyright: ignore[reportCallIssue]
    name.package = "other"  # type: ignore[misc]  # pyright: ignore[reportAttributeAccessIssue]
    parse_method_name(b"/foo.bar.SearchService/Search")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    MethodName("foo.bar", "SearchService")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    list(name)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
