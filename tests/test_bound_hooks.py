"""A hook bound to its arguments ahead: what it keeps of the hook, and when it is not made.

``bind_hook`` copies a plain method's function with the method name as the default of
its last parameter and binds ``self`` and the continuation with ``functools.partial``,
so that grpc (and the hook further out in a chain) calls the hook with no frame of the
library's in between.
"""

from __future__ import annotations

import functools
import sys
import traceback
from pathlib import Path
from typing import Any

import grpc
import pytest

from grpc_interceptor import ServerInterceptor, chain
from grpc_interceptor._hooks import bind_hook
from grpc_interceptor.testing import DummyRequest, dummy_client

SOURCES = Path(sys.modules["grpc_interceptor"].__file__ or "").parent


def step(request: Any, context: Any) -> str:
    return f"handled {request}"


class Plain:
    def hook(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        return (self, method(request, context), context, method_name)


class Defaults:
    def hook(self, method: Any, request: Any, context: Any = "no context", method_name: str = "no name") -> Any:
        return method_name


class KeywordOnly:
    def hook(self, method: Any, request: Any, context: Any, method_name: str, *, flag: int = 3) -> Any:
        return (method_name, flag)


class Base:
    def hook(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        return ["base", method_name]


class UsesSuper(Base):
    def hook(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        return ["sub", *super().hook(method, request, context, method_name)]


class Raises:
    def hook(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        raise LookupError(method_name)


def test_the_bound_hook_gets_self_the_continuation_and_the_method_name() -> None:
    plain = Plain()
    bound = bind_hook(plain.hook, step, "/pkg.Service/Method")
    assert isinstance(bound, functools.partial)
    assert bound("ping", "ctx") == (plain, "handled ping", "ctx", "/pkg.Service/Method")


def test_each_method_gets_its_own_copy_and_the_class_is_left_alone() -> None:
    defaults = Defaults()
    first = bind_hook(defaults.hook, step, "/pkg.Service/First")
    second = bind_hook(defaults.hook, step, "/pkg.Service/Second")
    assert first is not None and second is not None
    assert (first("a", "ctx"), second("a", "ctx")) == ("/pkg.Service/First", "/pkg.Service/Second")
    assert Defaults.hook.__defaults__ == ("no context", "no name")
    assert defaults.hook(step, "a") == "no name"


def test_keyword_only_defaults_stay_and_are_not_shared() -> None:
    bound = bind_hook(KeywordOnly().hook, step, "/pkg.Service/Method")
    assert bound is not None
    assert bound("a", "ctx") == ("/pkg.Service/Method", 3)
    assert bound("a", "ctx", flag=4) == ("/pkg.Service/Method", 4)
    bound.func.__kwdefaults__["flag"] = 5
    assert KeywordOnly.hook.__kwdefaults__ == {"flag": 3}


def test_super_works_in_a_bound_hook() -> None:
    bound = bind_hook(UsesSuper().hook, step, "/pkg.Service/Method")
    assert bound is not None
    assert bound("a", "ctx") == ["sub", "base", "/pkg.Service/Method"]


def test_a_traceback_shows_the_hook_itself() -> None:
    bound = bind_hook(Raises().hook, step, "/pkg.Service/Method")
    assert bound is not None
    with pytest.raises(LookupError) as raised:
        bound("a", "ctx")
    innermost = traceback.extract_tb(raised.value.__traceback__)[-1]
    assert (innermost.name, innermost.filename) == ("hook", __file__)
    assert raised.value.__traceback__ is not None
    frame = raised.value.__traceback__.tb_next
    assert frame is not None and frame.tb_frame.f_code is Raises.hook.__code__


def _decorated(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


class Decorated:
    @_decorated
    def hook(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        return method_name


class TooMany:
    def hook(self, method: Any, request: Any, context: Any, method_name: str, extra: Any = None) -> Any:
        return method_name


class CallableHook:
    def __call__(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
        return method_name


@pytest.mark.parametrize(
    "hook",
    [
        pytest.param(Decorated().hook, id="decorated, *args"),
        pytest.param(TooMany().hook, id="six parameters"),
        pytest.param(CallableHook(), id="callable object"),
        pytest.param(Plain.hook, id="plain function, not a method"),
        pytest.param([].append, id="built-in method"),
    ],
)
def test_other_hooks_are_not_bound(hook: Any) -> None:
    assert bind_hook(hook, step, "/pkg.Service/Method") is None


class PassThrough(ServerInterceptor):
    def __init__(self, frames: list[list[str]]) -> None:
        self.frames = frames

    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str, /) -> Any:
        return method(request_or_iterator, context)


def _library_frames() -> list[str]:
    """The names of this call stack's frames that run the library's own modules (not its testing kit)."""
    names = []
    frame = sys._getframe(1)
    while frame is not None:
        if Path(frame.f_code.co_filename).parent == SOURCES:
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


@pytest.mark.parametrize("collapsed", [False, True], ids=["list", "chain()"])
def test_no_frame_of_the_library_runs_between_sync_hooks(collapsed: bool) -> None:
    """On the sync server, hooks call each other and the handler with nothing between."""
    frames: list[list[str]] = []
    interceptors: list[grpc.ServerInterceptor] = [PassThrough(frames) for _ in range(3)]
    if collapsed:
        interceptors = [chain(*interceptors)]

    def execute(text: str, context: grpc.ServicerContext) -> str:
        frames.append(_library_frames())
        return text

    with dummy_client(special_cases={"x": execute}, interceptors=interceptors) as client:
        assert client.Execute(DummyRequest(input="x")).output == "x"
        assert client.Execute(DummyRequest(input="x")).output == "x"
    assert len(frames) == 2
    assert frames == [[], []]
