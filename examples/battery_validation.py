"""protovalidate rules checked before the handler runs, for all four RPC kinds.

Run it with ``python examples/battery_validation.py`` (it needs the ``validate`` and
``status`` extras). ``signup/signup.proto`` puts protovalidate rules on ``Account``:
an email address, a name of 1 to 16 characters, an age from 13 to 150, at most three
non-empty tags. The sign-up service runs behind a ``ValidationInterceptor``; each
handler notes the accounts it was handed. The example makes good and bad calls of
every kind and prints what the client got: ``INVALID_ARGUMENT`` with the broken fields
(from the ``google.rpc.BadRequest`` in the status) for each bad account, the answers
before it for a stream, and nothing bad ever reaching a handler. It exits 0 when all of
that held.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, cast

import grpc
from signup import signup_pb2_grpc
from signup.signup_pb2 import Account, Ping, Summary, Team, Tree, Welcome

from grpc_interceptor.rich_status import error_details_of
from grpc_interceptor.testing import serve
from grpc_interceptor.validation import ValidationInterceptor


class Signup(signup_pb2_grpc.SignupServicer):
    """Welcome each account, noting the names it was handed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def Register(self, request: Account, context: grpc.ServicerContext) -> Welcome:
        self.seen.append(request.name)
        return Welcome(text=f"welcome, {request.name}")

    def RegisterMany(self, request_iterator: Iterator[Account], context: grpc.ServicerContext) -> Summary:
        accounts = 0
        for request in request_iterator:
            self.seen.append(request.name)
            accounts += 1
        return Summary(accounts=accounts)

    def Suggest(self, request: Account, context: grpc.ServicerContext) -> Iterator[Welcome]:
        self.seen.append(request.name)
        for suffix in ("42", "_x"):
            yield Welcome(text=request.name.lower() + suffix)

    def Chat(self, request_iterator: Iterator[Account], context: grpc.ServicerContext) -> Iterator[Welcome]:
        for request in request_iterator:
            self.seen.append(request.name)
            yield Welcome(text=f"hello, {request.name}")

    def Echo(self, request: Ping, context: grpc.ServicerContext) -> Ping:
        return request

    def Form(self, request: Team, context: grpc.ServicerContext) -> Summary:
        self.seen.append(request.title)
        return Summary(accounts=len(request.members))

    def Plant(self, request: Tree, context: grpc.ServicerContext) -> Summary:
        return Summary(accounts=len(request.children))


class _FieldViolation(Protocol):
    field: str
    description: str


class _BadRequest(Protocol):
    @property
    def field_violations(self) -> Sequence[_FieldViolation]: ...


def account(name: str, email: str = "ada@example.com", age: int = 36, tags: Iterable[str] = ()) -> Account:
    return Account(email=email, name=name, age=age, tags=list(tags))


def outcome(call: Callable[[list[str]], None]) -> tuple[str, list[str], list[str]]:
    """Run a call; return its code, what it answered (up to a failure), and the fields refused."""
    answers: list[str] = []
    try:
        call(answers)
    except grpc.RpcError as error:
        fields = [
            violation.field
            for detail in error_details_of(error)
            for violation in cast("_BadRequest", detail).field_violations
        ]
        return cast("grpc.Call", error).code().name, answers, fields
    return "OK", answers, []


def main() -> int:
    """Make good and bad calls of every kind; 0 if every bad account was refused in time."""
    service = Signup()
    with serve(
        lambda server: signup_pb2_grpc.add_SignupServicer_to_server(service, server), [ValidationInterceptor()]
    ) as (channel):
        stub = signup_pb2_grpc.SignupStub(channel)
        bad = account("", email="ada@", age=7, tags=["ok", ""])
        calls: list[tuple[str, Callable[[list[str]], None], tuple[str, list[str], list[str]]]] = [
            (
                "Register",
                lambda out: out.append(stub.Register(account("Ada"), timeout=5).text),
                ("OK", ["welcome, Ada"], []),
            ),
            (
                "Register",
                lambda out: out.append(stub.Register(bad, timeout=5).text),
                ("INVALID_ARGUMENT", [], ["email", "name", "age", "tags[1]"]),
            ),
            (
                "RegisterMany",
                lambda out: out.append(
                    str(stub.RegisterMany(iter([account("Bo"), account("Cy", age=200)]), timeout=5).accounts)
                ),
                ("INVALID_ARGUMENT", [], ["age"]),
            ),
            (
                "Suggest",
                lambda out: out.extend(r.text for r in stub.Suggest(account("Ada" * 6), timeout=5)),
                ("INVALID_ARGUMENT", [], ["name"]),
            ),
            (
                "Chat",
                lambda out: out.extend(
                    r.text for r in stub.Chat(iter([account("Di"), account("Ed", tags="abcd")]), timeout=5)
                ),
                ("INVALID_ARGUMENT", ["hello, Di"], ["tags"]),
            ),
            (
                "Form",
                lambda out: out.append(str(stub.Form(Team(members=[account("Fay"), account("")]), timeout=5).accounts)),
                ("INVALID_ARGUMENT", [], ["members[1].name"]),
            ),
            ("Echo", lambda out: out.append(stub.Echo(Ping(text=""), timeout=5).text), ("OK", [""], [])),
        ]
        ok = True
        for method, call, expected in calls:
            got = outcome(call)
            print(f"{method:<13} -> {got[0]:<17} answers {got[1]!s:<15} refused fields {got[2]}")
            ok = ok and got == expected
    print(f"The handlers saw: {service.seen}")
    ok = ok and service.seen == ["Ada", "Bo", "Di"]
    print("every invalid account was refused before its handler saw it" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
