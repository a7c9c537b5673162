"""grpc_interceptor.exceptions: one exception class per non-OK status code."""

from __future__ import annotations

import pickle

import grpc
import pytest
from grpc import StatusCode
from hypothesis import given, settings
from hypothesis import strategies as st

from grpc_interceptor import exceptions
from grpc_interceptor._sendable import sendable_text
from grpc_interceptor.exceptions import GrpcException, NotFound, exception_class_for

#: The 16 subclasses of 0.15.4 and the code of each.
CODES = {
    "Aborted": StatusCode.ABORTED,
    "AlreadyExists": StatusCode.ALREADY_EXISTS,
    "Cancelled": StatusCode.CANCELLED,
    "DataLoss": StatusCode.DATA_LOSS,
    "DeadlineExceeded": StatusCode.DEADLINE_EXCEEDED,
    "FailedPrecondition": StatusCode.FAILED_PRECONDITION,
    "Internal": StatusCode.INTERNAL,
    "InvalidArgument": StatusCode.INVALID_ARGUMENT,
    "NotFound": StatusCode.NOT_FOUND,
    "OutOfRange": StatusCode.OUT_OF_RANGE,
    "PermissionDenied": StatusCode.PERMISSION_DENIED,
    "ResourceExhausted": StatusCode.RESOURCE_EXHAUSTED,
    "Unauthenticated": StatusCode.UNAUTHENTICATED,
    "Unavailable": StatusCode.UNAVAILABLE,
    "Unimplemented": StatusCode.UNIMPLEMENTED,
    "Unknown": StatusCode.UNKNOWN,
}


def test_exactly_the_subclasses_of_the_reference() -> None:
    defined = {
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type) and issubclass(value, GrpcException) and value is not GrpcException
    }
    assert defined == set(CODES)
    # One class per non-OK code, so every code has a class.
    assert set(CODES.values()) == set(StatusCode) - {StatusCode.OK}


@pytest.mark.parametrize(("name", "code"), CODES.items())
def test_each_class_has_its_code_and_default_details(name: str, code: StatusCode) -> None:
    cls: type[GrpcException] = getattr(exceptions, name)
    error = cls()
    assert error.status_code is code
    assert error.status_string == code.name
    assert isinstance(error.details, str) and error.details
    assert str(error) == error.details
    assert repr(error) == f"{name}(status_code={code.name}, details={error.details!r})"
    assert exception_class_for(code) is cls


def test_every_class_has_its_own_default_details() -> None:
    details = [getattr(exceptions, name)().details for name in CODES]
    assert len(set(details)) == len(CODES)


def test_details_and_code_given_replace_the_defaults() -> None:
    error = NotFound("no user 'bob'", status_code=StatusCode.PERMISSION_DENIED)
    assert (error.status_code, error.details) == (StatusCode.PERMISSION_DENIED, "no user 'bob'")
    assert repr(error) == "NotFound(status_code=PERMISSION_DENIED, details=\"no user 'bob'\")"
    assert str(error) == "no user 'bob'"
    # The class default is left alone.
    assert NotFound().status_code is StatusCode.NOT_FOUND
    assert NotFound().details != "no user 'bob'"


def test_base_class_with_a_code_of_its_own() -> None:
    error = GrpcException("quota", status_code=StatusCode.RESOURCE_EXHAUSTED)
    assert (error.status_code, error.details, error.status_string) == (
        StatusCode.RESOURCE_EXHAUSTED,
        "quota",
        "RESOURCE_EXHAUSTED",
    )
    assert GrpcException(status_code=StatusCode.NOT_FOUND).status_string == "NOT_FOUND"


@pytest.mark.parametrize("cls", [GrpcException, NotFound])
def test_ok_is_refused(cls: type[GrpcException]) -> None:
    with pytest.raises(ValueError, match="OK"):
        cls(status_code=StatusCode.OK)


@pytest.mark.parametrize("code", [5, "NOT_FOUND", grpc.StatusCode.NOT_FOUND.value])
def test_status_code_must_be_a_status_code(code: object) -> None:
    with pytest.raises(TypeError, match="status_code"):
        NotFound(status_code=code)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("details", "text"),
    [(b"bytes", "bytes"), (5, "5"), (["a list"], "['a list']"), (b"caf\xe9", "caf\ufffd")],
)
def test_details_that_are_not_a_str_are_kept(details: object, text: str) -> None:
    error = NotFound(details)  # type: ignore[arg-type]
    assert error.details is details
    assert str(error) == text


def test_details_whose_str_fails() -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    assert str(NotFound(Unprintable())) == "<Unprintable object whose str() failed>"  # type: ignore[arg-type]


def test_ok_message_says_what_to_do() -> None:
    with pytest.raises(ValueError, match=r"^NotFound: The status code for an exception cannot be OK: .*another"):
        NotFound(status_code=StatusCode.OK)


def test_user_subclass_that_skips_super_init() -> None:
    class UserMissing(NotFound):
        def __init__(self, user: str) -> None:  # no super().__init__()
            self.user = user

    error = UserMissing("bob")
    assert error.status_code is StatusCode.NOT_FOUND
    assert error.details == NotFound().details
    assert error.status_string == "NOT_FOUND"
    assert str(error) == error.details
    assert repr(error) == f"UserMissing(status_code=NOT_FOUND, details={error.details!r})"


def test_user_subclass_with_class_level_code_and_details() -> None:
    class Teapot(GrpcException):
        status_code = StatusCode.FAILED_PRECONDITION
        details = "I am a teapot"

    assert (Teapot().status_code, str(Teapot()), str(Teapot("short and stout"))) == (
        StatusCode.FAILED_PRECONDITION,
        "I am a teapot",
        "short and stout",
    )


def test_exception_class_for_ok_is_refused() -> None:
    with pytest.raises(ValueError, match="OK"):
        exception_class_for(StatusCode.OK)


def test_exceptions_are_raisable_and_caught_as_grpc_exceptions() -> None:
    with pytest.raises(GrpcException) as raised:
        raise exceptions.Unavailable("try later")
    assert isinstance(raised.value, exceptions.Unavailable)
    assert raised.value.args == ("try later",)


def test_args_are_the_positional_arguments_and_str_the_details() -> None:
    assert NotFound().args == ()
    assert str(NotFound()) == "The requested entity was not found"
    assert NotFound(details="gone").args == ()
    assert (str(NotFound(details="gone")), repr(NotFound(details="gone"))) == (
        "gone",
        "NotFound(status_code=NOT_FOUND, details='gone')",
    )


class Rich(exceptions.InvalidArgument):
    """A subclass with keyword-only arguments, metadata and a class attribute of its own."""

    retryable = False

    def __init__(self, field: str, *, reason: str) -> None:
        super().__init__(f"{field}: {reason}", trailing_metadata=[("x-field", field)])
        self.field = field


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip_at_every_protocol(protocol: int) -> None:
    error = Rich("email", reason="not an address")
    again = pickle.loads(pickle.dumps(error, protocol))
    assert type(again) is Rich
    assert (again.args, again.details, again.field, again.trailing_metadata) == (
        ("email",),
        "email: not an address",
        "email",
        (("x-field", "email"),),
    )
    assert repr(again) == repr(error)


def test_unpickled_exception_is_raised_and_caught_as_its_class() -> None:
    again = pickle.loads(pickle.dumps(Rich("email", reason="bad")))
    with pytest.raises(exceptions.InvalidArgument, match="email: bad"):
        raise again


# --- what a status's details become on the wire ----------------------------------------


def wire_size(text: str) -> int:
    """The bytes grpc sends for details: percent-encoding of all but printable ASCII and '%'."""
    return sum(1 if " " <= char <= "~" and char != "%" else 3 * len(char.encode()) for char in text)


@settings(max_examples=300, deadline=None)
# Surrogates included: os.fsdecode() makes them of undecodable bytes.
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=3000))
def test_details_are_sendable_and_bounded(text: str) -> None:
    sent = sendable_text(text)
    sent.encode("utf-8")  # raises for a lone surrogate
    assert wire_size(sent) <= 2048
    valid = text.encode("utf-8", "replace").decode("utf-8")
    if wire_size(valid) <= 2048:
        assert sent == valid
    else:
        assert sent.endswith(" ... (cut)")
        kept = sent.removesuffix(" ... (cut)")
        assert valid.startswith(kept)
        # As much as fits: one more character would not.
        assert wire_size(valid[: len(kept) + 1]) + len(" ... (cut)") > 2048


def test_details_cut_at_the_documented_size() -> None:
    assert sendable_text("x" * 2048) == "x" * 2048
    assert sendable_text("x" * 2049) == "x" * 2038 + " ... (cut)"
    assert sendable_text("%" * 700) == "%" * 679 + " ... (cut)"
    assert sendable_text("naïve \udcff") == "naïve ?"
