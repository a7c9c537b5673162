"""Which classes' objects are refused, decided once per class, and the message that says why."""

from __future__ import annotations

from typing import Any

import pytest

from grpc_interceptor import AsyncServerInterceptor, ClientInterceptor, ServerInterceptor, _hooks
from grpc_interceptor.client import AsyncClientInterceptor

OBJECTS = 200


@pytest.mark.parametrize("base", [ServerInterceptor, AsyncServerInterceptor, ClientInterceptor, AsyncClientInterceptor])
def test_the_check_runs_once_per_class_not_per_object(monkeypatch: pytest.MonkeyPatch, base: Any) -> None:
    checked: list[type] = []
    real = _hooks.refusal

    def counting(cls: type, *args: Any) -> str | None:
        checked.append(cls)
        return real(cls, *args)

    monkeypatch.setattr(_hooks, "refusal", counting)

    class Helpers(base):  # type: ignore[misc,valid-type]
        pass

    class Concrete(Helpers):
        def intercept(self, *args: Any) -> Any:
            raise AssertionError("not called")

    assert checked == [Helpers, Concrete]
    objects = [Concrete() for _ in range(OBJECTS)]
    for _ in range(OBJECTS):
        with pytest.raises(TypeError, match="Can't instantiate Helpers"):
            Helpers()
    assert checked == [Helpers, Concrete]
    assert len({id(o) for o in objects}) == OBJECTS


def test_a_class_overriding_grpcs_own_entry_point_is_not_refused() -> None:
    class Raw(ServerInterceptor):
        def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
            return continuation(handler_call_details)

    class RawClient(ClientInterceptor):
        def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
            return continuation(client_call_details, request)

    assert isinstance(Raw(), ServerInterceptor)
    assert isinstance(RawClient(), ClientInterceptor)


def test_arguments_reach_a_new_of_another_base() -> None:
    class Tagged:
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            made = super().__new__(cls)
            made.tag = (args, kwargs)
            return made

    class Both(ServerInterceptor, Tagged):
        def __init__(self, a: int, b: int = 0) -> None:
            self.a, self.b = a, b

        def intercept(self, *args: Any) -> Any:
            raise AssertionError("not called")

    both: Any = Both(1, b=2)
    assert both.tag == ((1,), {"b": 2})
    assert (both.a, both.b) == (1, 2)


def test_defining_classes_leaves_isinstance_of_the_bases_sound() -> None:
    """The check runs inside class creation, before abc has set the class up: it must not
    ask abc anything, or abc caches wrong answers for the base (seen once: a base that
    was no longer a subclass of itself)."""

    class Mixin:
        def intercept(self, *args: Any) -> Any:
            raise AssertionError("not called")

    class Hidden(ServerInterceptor, Mixin):
        pass

    class Typo(ServerInterceptor):
        def intercpt(self) -> None:
            pass

    assert issubclass(ServerInterceptor, ServerInterceptor)
    assert issubclass(Typo, ServerInterceptor) and issubclass(Hidden, ServerInterceptor)
    assert not issubclass(Mixin, ServerInterceptor)


def test_a_mixin_listed_after_the_base_is_named_in_the_refusal() -> None:
    class TaggingMixin:
        def intercept(self, method: Any, request: Any, context: Any, method_name: str) -> Any:
            return method(request, context)

    class Backwards(ServerInterceptor, TaggingMixin):
        pass

    class Forwards(TaggingMixin, ServerInterceptor):
        pass

    with pytest.raises(TypeError, match=r"TaggingMixin.intercept is hidden by ServerInterceptor's pass-through"):
        Backwards()
    assert isinstance(Forwards(), ServerInterceptor)
