"""Which hook of an interceptor runs for an RPC kind, and the check that one is overridden.

Shared by the server and client bases: all four use the same hook names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, Final

__all__ = ["HOOKS", "HOOK_FOR_KIND", "check_overrides", "pick_hook"]

#: The typed hook for each kind, keyed on (request streaming, response streaming).
HOOK_FOR_KIND: Final = {
    (False, False): "on_unary_unary",
    (False, True): "on_unary_stream",
    (True, False): "on_stream_unary",
    (True, True): "on_stream_stream",
}
HOOKS: Final = ("intercept", *HOOK_FOR_KIND.values())


def _owner(cls: type, name: str) -> type | None:
    """Return the class in ``cls``'s MRO that defines ``name``."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def pick_hook(interceptor: object, base: type, hook_name: str) -> tuple[Callable[..., Any], bool]:
    """Return the hook to call for one RPC kind, and whether it is the catch-all.

    The typed hook wins unless only ``intercept`` is overridden, or ``intercept`` is
    overridden further down the hierarchy than the typed hook (a 0.15.4-style subclass
    of a class that uses the typed hooks).
    """
    cls = type(interceptor)
    hook_owner = _owner(cls, hook_name)
    catch_all_owner = _owner(cls, "intercept")
    if hook_owner is base or (
        catch_all_owner is not None and hook_owner is not None and not issubclass(hook_owner, catch_all_owner)
    ):
        catch_all: Callable[..., Any] = getattr(interceptor, "intercept")  # noqa: B009
        return catch_all, True
    return getattr(interceptor, hook_name), False


def check_overrides(cls: type, base: type, abstract: bool) -> None:
    """Refuse, when it is defined, a subclass that overrides no hook (often a misspelling)."""
    if abstract or any(_owner(cls, name) is not base for name in HOOKS):
        return
    own = [name for name in vars(cls) if not name.startswith("__")]
    near = sorted({match for name in own for match in difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.75)})
    hint = f" (did you mean {' or '.join(near)}?)" if near else ""
    raise TypeError(
        f"{cls.__qualname__} overrides none of {', '.join(HOOKS)}{hint}, so it would pass every RPC "
        f"through unchanged. Override one of them, or, for a base class of your own, declare it "
        f"with `class {cls.__name__}({base.__name__}, abstract=True)`."
    )
