"""The protovalidate interceptors, against a real sign-up service on 127.0.0.1.

The service is the validation example's (``examples/signup/signup.proto``, whose
``Account`` has protovalidate rules); each handler notes the names it was handed, so
that the tests see that a bad request never reaches it, for all four RPC kinds, on
sync and grpc.aio servers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import grpc
import protovalidate
import pytest

from grpc_interceptor.rich_status import error_details_of
from grpc_interceptor.testing import serve
from grpc_interceptor.validation import AsyncValidationInterceptor, ValidationInterceptor, field_path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from signup import signup_pb2, signup_pb2_grpc
from signup.signup_pb2 import Account, Ping, Summary, Team, Tree, Welcome

GOOD = {"email": "ada@example.com", "name": "Ada", "age": 36}


def good(name="Ada", **changes):
    return Account(**{**GOOD, "name": name, **changes})


class Signup(signup_pb2_grpc.SignupServicer):
    def __init__(self):
        self.seen = []

    def Register(self, request, context):
        self.seen.append(request.name)
        return Welcome(text=f"welcome {request.name}")

    def RegisterMany(self, request_iterator, context):
        count = 0
        for request in request_iterator:
            self.seen.append(request.name)
            count += 1
        return Summary(accounts=count)

    def Suggest(self, request, context):
        self.seen.append(request.name)
        yield Welcome(text=request.name + "1")
        yield Welcome(text=request.name + "2")

    def Chat(self, request_iterator, context):
        for request in request_iterator:
            self.seen.append(request.name)
            yield Welcome(text=request.name)

    def Echo(self, request, context):
        self.seen.append(request.text)
        return request

    def Form(self, request, context):
        self.seen.append(request.title)
        return Summary(accounts=len(request.members))

    def Plant(self, request, context):
        self.seen.append(request.label)
        return Summary(accounts=len(request.children))


class AsyncSignup(signup_pb2_grpc.SignupServicer):
    def __init__(self):
        self.seen = []

    async def Register(self, request, context):
        self.seen.append(request.name)
        return Welcome(text=f"welcome {request.name}")

    async def RegisterMany(self, request_iterator, context):
        count = 0
        async for request in request_iterator:
            self.seen.append(request.name)
            count += 1
        return Summary(accounts=count)

    async def Suggest(self, request, context):
        self.seen.append(request.name)
        yield Welcome(text=request.name + "1")
        yield Welcome(text=request.name + "2")

    async def Chat(self, request_iterator, context):
        async for request in request_iterator:
            self.seen.append(request.name)
            yield Welcome(text=request.name)

    async def Echo(self, request, context):
        self.seen.append(request.text)
        return request

    async def Form(self, request, context):
        self.seen.append(request.title)
        return Summary(accounts=len(request.members))

    async def Plant(self, request, context):
        self.seen.append(request.label)
        return Summary(accounts=len(request.children))


def serve_signup(servicer, interceptor, aio):
    return serve(
        lambda server: signup_pb2_grpc.add_SignupServicer_to_server(servicer, server), [interceptor], aio_server=aio
    )


@pytest.fixture(params=["sync", "aio"])
def signup(request):
    """A served sign-up service behind a validation interceptor: (stub, servicer)."""
    aio = request.param == "aio"
    servicer = AsyncSignup() if aio else Signup()
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()

    def register(server):
        signup_pb2_grpc.add_SignupServicer_to_server(servicer, server)

    with serve(register, [interceptor], aio_server=aio) as channel:
        yield signup_pb2_grpc.SignupStub(channel), servicer


def refused(call):
    with pytest.raises(grpc.RpcError) as caught:
        call()
    error = caught.value
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT, error
    return error


def violations(error):
    (bad_request,) = error_details_of(error)
    assert type(bad_request).__name__ == "BadRequest"
    return [(v.field, v.description) for v in bad_request.field_violations]


def test_a_valid_request_reaches_the_handler(signup):
    stub, servicer = signup
    assert stub.Register(good(), timeout=5).text == "welcome Ada"
    assert servicer.seen == ["Ada"]


def test_an_invalid_unary_request_never_reaches_the_handler(signup):
    stub, servicer = signup
    error = refused(lambda: stub.Register(Account(email="nope", name="", age=7, tags=["x", ""]), timeout=5))
    assert servicer.seen == []
    assert violations(error) == [
        ("email", "must be a valid email address"),
        ("name", "must be at least 1 characters"),
        ("age", "must be greater than or equal to 13 and less than or equal to 150"),
        ("tags[1]", "must be at least 1 characters"),
    ]
    assert error.details().startswith("invalid request: email: must be a valid email address; name: ")


def test_an_invalid_request_of_a_server_stream_is_refused_before_the_handler(signup):
    stub, servicer = signup
    error = refused(lambda: list(stub.Suggest(good(name="x" * 17), timeout=5)))
    assert servicer.seen == []
    assert violations(error) == [("name", "must be at most 16 characters")]
    assert [r.text for r in stub.Suggest(good(), timeout=5)] == ["Ada1", "Ada2"]


def test_a_request_stream_is_validated_message_by_message(signup):
    stub, servicer = signup
    requests = [good("one"), good("two"), good("", age=200), good("four")]
    error = refused(lambda: stub.RegisterMany(iter(requests), timeout=5))
    assert servicer.seen == ["one", "two"]  # the ones before the bad one, and no more
    assert violations(error) == [
        ("name", "must be at least 1 characters"),
        ("age", "must be greater than or equal to 13 and less than or equal to 150"),
    ]
    assert stub.RegisterMany(iter([good("a"), good("b")]), timeout=5).accounts == 2


def test_a_bidi_stream_answers_until_the_bad_message(signup):
    stub, servicer = signup
    received = []

    def chat():
        for response in stub.Chat(iter([good("one"), good("two"), good(age=1), good("four")]), timeout=5):
            received.append(response.text)

    error = refused(chat)
    assert received == ["one", "two"]
    assert servicer.seen == ["one", "two"]
    assert violations(error) == [("age", "must be greater than or equal to 13 and less than or equal to 150")]


def test_a_message_without_rules_passes_through(signup):
    stub, servicer = signup
    assert stub.Echo(Ping(text=""), timeout=5).text == ""
    assert servicer.seen == [""]


def test_rules_of_a_nested_message_are_checked(signup):
    stub, servicer = signup
    error = refused(lambda: stub.Form(Team(title="t", members=[good(), good(name="")]), timeout=5))
    assert violations(error) == [("members[1].name", "must be at least 1 characters")]
    assert servicer.seen == []
    assert stub.Form(Team(title="ok", members=[good()]), timeout=5).accounts == 1
    assert stub.Plant(Tree(label="root", children=[Tree(label="leaf")]), timeout=5).accounts == 1
    assert servicer.seen == ["ok", "root"]


def test_only_messages_that_may_have_rules_go_to_protovalidate():
    from grpc_interceptor.testing import DummyRequest
    from grpc_interceptor.validation import _needs_validation

    assert _needs_validation(Account)
    assert _needs_validation(Team)  # through its members
    assert not _needs_validation(Ping)
    assert not _needs_validation(Tree)  # contains itself, has no rules
    assert not _needs_validation(DummyRequest)
    assert _needs_validation(bytes)  # not a protobuf message: protovalidate decides


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_message_without_rules_never_reaches_protovalidate(aio):
    servicer = AsyncSignup() if aio else Signup()
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()
    interceptor._validator = Broken()  # it would fail any message it is handed
    with serve_signup(servicer, interceptor, aio) as ch:
        assert signup_pb2_grpc.SignupStub(ch).Echo(Ping(text="x"), timeout=5).text == "x"
        with pytest.raises(grpc.RpcError) as caught:
            signup_pb2_grpc.SignupStub(ch).Register(good(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INTERNAL


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_fail_fast_reports_one_violation(aio):
    servicer = AsyncSignup() if aio else Signup()
    interceptor = (AsyncValidationInterceptor if aio else ValidationInterceptor)(fail_fast=True)
    with serve_signup(servicer, interceptor, aio) as ch:
        error = refused(lambda: signup_pb2_grpc.SignupStub(ch).Register(Account(name="", age=1), timeout=5))
    assert len(violations(error)) == 1


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_without_the_status_extra_the_details_still_say_what_was_wrong(aio, monkeypatch):
    from grpc_interceptor import validation

    monkeypatch.setattr(validation, "_bad_request", lambda violations: [])
    servicer = AsyncSignup() if aio else Signup()
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()
    with serve_signup(servicer, interceptor, aio) as ch:
        error = refused(lambda: signup_pb2_grpc.SignupStub(ch).Register(good(name=""), timeout=5))
    assert error.details() == "invalid request: name: must be at least 1 characters"
    assert error_details_of(error) == ()
    assert servicer.seen == []


class Broken:
    """A validator whose rules do not compile."""

    def collect_violations(self, message, fail_fast=False):
        raise protovalidate.CompilationError("bad rule")


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_rules_that_cannot_run_fail_closed(aio, caplog):
    servicer = AsyncSignup() if aio else Signup()
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()
    interceptor._validator = Broken()
    with serve_signup(servicer, interceptor, aio) as ch:
        with pytest.raises(grpc.RpcError) as caught:
            signup_pb2_grpc.SignupStub(ch).Register(good(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INTERNAL
    assert caught.value.details() == "the server could not validate the request"
    assert servicer.seen == []
    assert "could not validate a Account" in caplog.text


@pytest.mark.parametrize("cls", [ValidationInterceptor, AsyncValidationInterceptor])
def test_configuration_is_checked_when_built(cls):
    with pytest.raises(TypeError, match=r"protovalidate\.Validator"):
        cls("strict")
    with pytest.raises(TypeError, match="fail_fast"):
        cls(fail_fast="yes")
    validator = protovalidate.Validator()
    assert cls(validator)._validator is validator


def test_field_paths():
    found = protovalidate.collect_violations(Account(email="ada@example.com", name="A", age=20, tags=["", "b", ""]))
    assert [field_path(v) for v in found] == ["tags[0]", "tags[2]"]
    assert signup_pb2.DESCRIPTOR.name == "signup/signup.proto"


def _handler_for(interceptor, name, continuation_handler):
    """What the interceptor makes of the servicer's handler of ``name``, as grpc's server asks."""
    import asyncio

    class Details(grpc.HandlerCallDetails):
        method = f"/demo.signup.v1.Signup/{name}"
        invocation_metadata = ()

    if isinstance(interceptor, AsyncValidationInterceptor):

        async def continuation(details):
            return continuation_handler

        async def ask():
            return await interceptor.intercept_service(continuation, Details())

        return asyncio.run(ask())
    return interceptor.intercept_service(lambda details: continuation_handler, Details())


def _servicer_handlers(servicer):
    """The servicer's handlers by method name, as generated code registers them."""
    captured = {}

    class Server:
        def add_generic_rpc_handlers(self, handlers):
            for handler in handlers:
                captured.update(getattr(handler, "_method_handlers", {}))

        def add_registered_method_handlers(self, service, handlers):
            captured.update(handlers)

    signup_pb2_grpc.add_SignupServicer_to_server(servicer, Server())
    return {name.rsplit("/", 1)[-1]: handler for name, handler in captured.items()}


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_method_whose_requests_have_no_rules_is_served_by_its_own_handler(aio):
    # Decided once per method: Echo takes a Ping (no rules), so grpc gets the servicer's
    # own handler back and its RPCs run nothing of the interceptor's; Register takes an
    # Account (rules), so it is wrapped.
    handlers = _servicer_handlers(AsyncSignup() if aio else Signup())
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()
    interceptor._validator = Broken()  # never asked: nothing is validated here
    assert _handler_for(interceptor, "Echo", handlers["Echo"]) is handlers["Echo"]
    assert _handler_for(interceptor, "Plant", handlers["Plant"]) is handlers["Plant"]  # Tree: recursive, no rules
    for name in ("Register", "RegisterMany", "Suggest", "Chat", "Form"):
        assert _handler_for(interceptor, name, handlers[name]) is not handlers[name], name


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_subclass_that_overrides_a_hook_still_sees_messages_without_rules(aio):
    seen = []
    if aio:

        class Counting(AsyncValidationInterceptor):
            async def on_unary_unary(self, method, request, context, method_name):
                seen.append(method_name)
                return await super().on_unary_unary(method, request, context, method_name)

    else:

        class Counting(ValidationInterceptor):
            def on_unary_unary(self, method, request, context, method_name):
                seen.append(method_name)
                return super().on_unary_unary(method, request, context, method_name)

    servicer = AsyncSignup() if aio else Signup()
    with serve_signup(servicer, Counting(), aio) as ch:
        assert signup_pb2_grpc.SignupStub(ch).Echo(Ping(text="x"), timeout=5).text == "x"
    assert seen == ["/demo.signup.v1.Signup/Echo"]


@pytest.mark.parametrize("aio", [False, True], ids=["sync", "aio"])
def test_a_method_whose_request_class_cannot_be_known_is_validated_message_by_message(aio):
    # A deserializer of its own may make messages of any class: fail closed, look at each.
    interceptor = AsyncValidationInterceptor() if aio else ValidationInterceptor()
    for deserializer in (lambda data: Ping.FromString(data), None):
        handler = grpc.unary_unary_rpc_method_handler(lambda request, context: request, deserializer)
        assert _handler_for(interceptor, "Echo", handler) is not handler
