"""0.15.4-style code around the base classes: templates, mixins, frozen objects, copies.

Written as 0.15.4 code is written (untyped, the catch-all ``intercept`` with four
positional parameters, ``dummy_client(special_cases=..., interceptors=...)``). In 0.15.4
``intercept`` was abstract: a class could leave it to its subclasses and only an
*object* of a class without it was refused. That still holds, with our message.
"""

import abc
import asyncio
import copy
import dataclasses
import pickle

import grpc
import pytest

from grpc_interceptor import AsyncServerInterceptor, ClientInterceptor, ServerInterceptor
from grpc_interceptor.client import AsyncClientInterceptor
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client


def execute(client, text="hi"):
    return client.Execute(DummyRequest(input=text)).output


# --- Classes that override no hook can be defined; their objects are refused -----------


class ServerHelpers(ServerInterceptor):
    """An intermediate base class with helpers and no hook, as 0.15.4 code has them."""

    def suffix(self):
        return "!"


class Shout(ServerHelpers):
    def intercept(self, method, request, context, method_name):
        response = method(request, context)
        response.output += self.suffix()
        return response


class AsyncServerHelpers(AsyncServerInterceptor):
    def suffix(self):
        return "!"


class AsyncShout(AsyncServerHelpers):
    async def intercept(self, method, request, context, method_name):
        response = await method(request, context)
        response.output += self.suffix()
        return response


class ClientHelpers(ClientInterceptor):
    def metadata(self):
        return [("x-who", "helper")]


class AsyncClientHelpers(AsyncClientInterceptor):
    def metadata(self):
        return [("x-who", "helper")]


def test_an_intermediate_base_serves_through_its_subclass():
    with dummy_client(special_cases={}, interceptors=[Shout()]) as client:
        assert execute(client) == "hi!"
    with dummy_client(special_cases={}, interceptors=[AsyncShout()], aio_server=True) as client:
        assert execute(client) == "hi!"


@pytest.mark.parametrize("cls", [ServerHelpers, AsyncServerHelpers, ClientHelpers, AsyncClientHelpers])
def test_an_object_of_a_class_that_overrides_no_hook_is_refused(cls):
    with pytest.raises(TypeError) as raised:
        cls()
    message = str(raised.value)
    assert f"Can't instantiate {cls.__name__}" in message
    assert "overrides none of intercept, on_unary_unary, on_unary_stream, on_stream_unary, on_stream_stream" in message
    assert "would pass every RPC through unchanged" in message


def test_the_refusal_names_the_near_miss():
    class Typo(ServerInterceptor):
        def intercpt(self, method, request, context, method_name):
            return method(request, context)

    with pytest.raises(TypeError, match=r"\(did you mean intercept\?\)"):
        Typo()


class Template(ServerInterceptor):
    """A template method: subclasses say what to check; no hook here."""

    @abc.abstractmethod
    def allowed(self, method_name):
        """Tell whether the method may be called."""
        return False


class GuardTemplate(Template):
    def intercept(self, method, request, context, method_name):
        if not self.allowed(method_name):
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not allowed")
        return method(request, context)


class DenyAll(GuardTemplate):
    def allowed(self, method_name):
        return False


def test_an_abc_template_can_be_defined_and_its_implementation_serves():
    with dummy_client(special_cases={}, interceptors=[DenyAll()]) as client:
        with pytest.raises(grpc.RpcError) as raised:
            execute(client)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


class TaggingMixin:
    """Provides intercept to any interceptor class listed after it."""

    def intercept(self, method, request, context, method_name):
        response = method(request, context)
        response.output += "+mixin"
        return response


class Tagging(TaggingMixin, ServerInterceptor):
    pass


def test_a_mixin_provides_intercept_through_multiple_inheritance():
    with dummy_client(special_cases={}, interceptors=[Tagging()]) as client:
        assert execute(client) == "hi+mixin"


def test_abstract_true_is_accepted_and_changes_nothing():
    class Declared(ServerInterceptor, abstract=True):
        pass

    class Concrete(Declared):
        def intercept(self, method, request, context, method_name):
            return method(request, context)

    with dummy_client(special_cases={}, interceptors=[Concrete()]) as client:
        assert execute(client) == "hi"
    with pytest.raises(TypeError, match="overrides none of"):
        Declared()


# --- The library's state does not go through the object's __setattr__ -------------------


@dataclasses.dataclass(frozen=True)
class FrozenSuffix(ServerInterceptor):
    suffix: str = "?"

    def intercept(self, method, request, context, method_name):
        response = method(request, context)
        response.output += self.suffix
        return response


@dataclasses.dataclass(frozen=True)
class AsyncFrozenSuffix(AsyncServerInterceptor):
    suffix: str = "?"

    async def intercept(self, method, request, context, method_name):
        response = await method(request, context)
        response.output += self.suffix
        return response


class Guarded(ServerInterceptor):
    """Refuses any attribute set after __init__, as some configuration objects do."""

    suffix = ""

    def __init__(self):
        object.__setattr__(self, "suffix", "#")

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is read-only")

    def intercept(self, method, request, context, method_name):
        response = method(request, context)
        response.output += self.suffix
        return response


@dataclasses.dataclass(frozen=True)
class FrozenMetadata(ClientInterceptor):
    value: str = "frozen"

    def intercept(self, method, request_or_iterator, call_details):
        metadata = [*(call_details.metadata or ()), ("x-who", self.value)]
        return method(request_or_iterator, call_details._replace(metadata=metadata))


def who(_, context):
    return dict(context.invocation_metadata()).get("x-who", "nobody")


def test_frozen_dataclass_and_guarded_interceptors_serve_rpcs():
    with dummy_client(special_cases={}, interceptors=[FrozenSuffix(), Guarded()]) as client:
        assert execute(client) == "hi#?"
        assert execute(client) == "hi#?"  # the second RPC goes through the cached handler
    with dummy_client(special_cases={}, interceptors=[AsyncFrozenSuffix()], aio_server=True) as client:
        assert execute(client) == "hi?"
        assert execute(client) == "hi?"
    with dummy_client(special_cases={"who": who}, client_interceptors=[FrozenMetadata()]) as client:
        assert execute(client, "who") == "frozen"
        assert execute(client, "who") == "frozen"


class Named(ServerInterceptor):
    """Appends its name; notes which object's hook ran."""

    def __init__(self, name, ran):
        self.name = name
        self.ran = ran

    def intercept(self, method, request, context, method_name):
        self.ran.append(self)
        response = method(request, context)
        response.output += self.name
        return response


class AsyncNamed(AsyncServerInterceptor):
    def __init__(self, name, ran):
        self.name = name
        self.ran = ran

    async def intercept(self, method, request, context, method_name):
        self.ran.append(self)
        response = await method(request, context)
        response.output += self.name
        return response


class Details(grpc.HandlerCallDetails):
    def __init__(self, method):
        self.method = method
        self.invocation_metadata = ()


def echo(request, context):
    return DummyResponse(output=request.input)


async def async_echo(request, context):
    return DummyResponse(output=request.input)


METHOD = "/DummyService/Execute"


def make_handlers():
    """One handler object for every call, as a generic handler built once and registered
    on several servers gives: what an interceptor remembers per handler is then reused."""
    return {
        "sync": grpc.unary_unary_rpc_method_handler(echo),
        "aio": grpc.unary_unary_rpc_method_handler(async_echo),
    }


HANDLERS = make_handlers()


def serve_once(interceptor, text="hi"):
    """One RPC through interceptor.intercept_service, as grpc's sync server makes it."""
    handler = interceptor.intercept_service(lambda details: HANDLERS["sync"], Details(METHOD))
    return handler.unary_unary(DummyRequest(input=text), None).output


def async_serve_once(interceptor, text="hi"):
    async def continuation(details):
        return HANDLERS["aio"]

    async def rpc():
        handler = await interceptor.intercept_service(continuation, Details(METHOD))
        return (await handler.unary_unary(DummyRequest(input=text), None)).output

    return asyncio.run(rpc())


@pytest.mark.parametrize("aio", [False, True])
def test_a_copy_of_a_used_interceptor_runs_its_own_hooks(aio):
    ran = []
    original = (AsyncNamed if aio else Named)("-a", ran)
    rpc = async_serve_once if aio else serve_once
    assert rpc(original) == "hi-a"
    copied = copy.copy(original)
    copied.name = "-b"
    assert rpc(copied) == "hi-b"
    assert rpc(copied) == "hi-b"
    assert rpc(original) == "hi-a"
    assert ran == [original, copied, copied, original]


def test_deep_copies_and_pickles_of_a_used_interceptor_run_their_own_hooks():
    ran = []
    original = Named("-a", ran)
    with dummy_client(special_cases={}, interceptors=[original]) as client:
        assert execute(client) == "hi-a"
    assert serve_once(original) == "hi-a"
    deep = copy.deepcopy(original)
    deep.name = "-deep"
    unpickled = pickle.loads(pickle.dumps(original))
    unpickled.name = "-pickled"
    assert serve_once(deep) == "hi-deep"
    assert serve_once(unpickled) == "hi-pickled"
    assert ran == [original, original]  # the copies did not run the original's hooks
    # Each copy has its own log, copied from the original's, then its own RPC.
    assert deep.ran == [deep, deep, deep]
    assert unpickled.ran == [unpickled, unpickled, unpickled]


class ClientNamed(ClientInterceptor):
    def __init__(self, name):
        self.name = name

    def intercept(self, method, request_or_iterator, call_details):
        metadata = [*(call_details.metadata or ()), ("x-who", self.name)]
        return method(request_or_iterator, call_details._replace(metadata=metadata))


def test_a_copy_of_a_used_client_interceptor_runs_its_own_hooks():
    original = ClientNamed("a")
    with dummy_client(special_cases={"who": who}, client_interceptors=[original]) as client:
        assert execute(client, "who") == "a"
    copied = copy.copy(original)
    copied.name = "b"
    with dummy_client(special_cases={"who": who}, client_interceptors=[copied]) as client:
        assert execute(client, "who") == "b"


class NoSuperInit(ServerInterceptor):
    def __init__(self, suffix):
        self.suffix = suffix  # no super().__init__(), as 0.15.4 allowed

    def intercept(self, method, request, context, method_name):
        response = method(request, context)
        response.output += self.suffix
        return response


class AsyncNoSuperInit(AsyncServerInterceptor):
    def __init__(self, suffix):
        self.suffix = suffix

    async def intercept(self, method, request, context, method_name):
        response = await method(request, context)
        response.output += self.suffix
        return response


class ClientNoSuperInit(ClientInterceptor):
    def __init__(self, name):
        self.name = name

    def intercept(self, method, request_or_iterator, call_details):
        metadata = [*(call_details.metadata or ()), ("x-who", self.name)]
        return method(request_or_iterator, call_details._replace(metadata=metadata))


def test_subclasses_that_skip_super_init_keep_working():
    with dummy_client(special_cases={}, interceptors=[NoSuperInit("1"), NoSuperInit("2")]) as client:
        assert execute(client) == "hi21"
    with dummy_client(special_cases={}, interceptors=[AsyncNoSuperInit("1")], aio_server=True) as client:
        assert execute(client) == "hi1"
    with dummy_client(special_cases={"who": who}, client_interceptors=[ClientNoSuperInit("z")]) as client:
        assert execute(client, "who") == "z"


# --- The hook is picked once per method (kept on purpose: documented) ---------------------


class Marking(ServerInterceptor):
    def __init__(self):
        self.ran = []

    def intercept(self, method, request, context, method_name):
        self.ran.append("original")
        return method(request, context)


class AsyncMarking(AsyncServerInterceptor):
    def __init__(self):
        self.ran = []

    async def intercept(self, method, request, context, method_name):
        self.ran.append("original")
        return await method(request, context)


@pytest.mark.parametrize("aio_server", [False, True])
def test_patching_intercept_after_the_first_rpc_of_a_method_has_no_effect_on_it(aio_server):
    interceptor = (AsyncMarking if aio_server else Marking)()

    def patched(method, request, context, method_name):
        interceptor.ran.append("patched")
        return method(request, context)

    async def async_patched(method, request, context, method_name):
        interceptor.ran.append("patched")
        return await method(request, context)

    with dummy_client(special_cases={}, interceptors=[interceptor], aio_server=aio_server) as client:
        execute(client)
        interceptor.intercept = async_patched if aio_server else patched
        execute(client)
        # A method whose first RPC comes after the patch picks the hook then.
        client.ExecuteClientStream(iter([DummyRequest(input="a")]))
        execute(client)
    assert interceptor.ran == ["original", "original", "patched", "original"]


def test_patching_the_class_after_the_first_rpc_has_no_effect_either():
    class Local(Marking):
        pass

    interceptor = Local()
    with dummy_client(special_cases={}, interceptors=[interceptor]) as client:
        execute(client)

        def patched(self, method, request, context, method_name):
            self.ran.append("patched")
            return method(request, context)

        Local.intercept = patched
        execute(client)
    assert interceptor.ran == ["original", "original"]


def test_a_client_interceptor_picks_its_hooks_on_its_first_call():
    class Counting(ClientInterceptor):
        def __init__(self):
            self.ran = []

        def intercept(self, method, request_or_iterator, call_details):
            self.ran.append("original")
            return method(request_or_iterator, call_details)

    interceptor = Counting()

    def patched(method, request_or_iterator, call_details):
        interceptor.ran.append("patched")
        return method(request_or_iterator, call_details)

    with dummy_client(special_cases={}, client_interceptors=[interceptor]) as client:
        execute(client)
        interceptor.intercept = patched
        execute(client)
        client.ExecuteClientStream(iter([DummyRequest(input="a")]))
    assert interceptor.ran == ["original", "original", "original"]
