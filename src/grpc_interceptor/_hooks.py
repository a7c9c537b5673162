"""Which hook of an interceptor runs for an RPC kind, and the check that one is overridden.

Shared by the server and client bases: all four use the same hook names.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final

from grpc_interceptor._kinds import BY_STREAMING

__all__ = ["HOOKS", "HOOK_FOR_KIND", "RefusesHookless", "bind_hook", "hook_call", "pick_hook", "refusal"]

#: The typed hook for each kind, keyed on (request streaming, response streaming).
HOOK_FOR_KIND: Final = {streaming: kind.hook for streaming, kind in BY_STREAMING.items()}
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


def refusal(cls: type, base: type, entry_points: tuple[str, ...] = ()) -> str | None:
    """Return why instances of ``cls`` are refused, or ``None`` if it overrides a hook.

    Computed once, when the class is defined (as :mod:`abc` computes a class's abstract
    methods), and checked when it is instantiated: defining a class that overrides no
    hook is fine (a base class with helpers, a template, a mixin's partner), making an
    object of it is the mistake, since that object would pass every RPC through.

    ``entry_points`` are grpc's own methods that ``base`` implements (``intercept_service``,
    say): a class that overrides one of them does its own thing and is not refused.
    """
    if any(_owner(cls, name) is not base for name in (*HOOKS, *entry_points)):
        return None
    import difflib  # only for a refusal: ~1 ms that `import grpc_interceptor` need not pay

    # Near misses: a misspelt hook in the class or its own bases, or a hook that a
    # mixin listed after the base defines (the base's pass-through hides it).
    # (MRO tests, not issubclass: during __init_subclass__, cls has no ABC registry of its
    # own yet, and issubclass would fill the base's cache with wrong answers.)
    own = {name for klass in cls.__mro__ if klass not in base.__mro__ for name in vars(klass)}
    near = sorted(
        {
            match
            for name in own
            if not name.startswith("__") and name not in HOOKS
            for match in difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.75)
        }
    )
    hidden = sorted(
        {
            f"{klass.__qualname__}.{name}"
            for klass in cls.__mro__
            if klass not in base.__mro__ and base not in klass.__mro__
            for name in HOOKS
            if name in vars(klass)
        }
    )
    hints: list[str] = []
    if near:
        hints.append(f"did you mean {' or '.join(near)}?")
    if hidden:
        hints.append(
            f"{' and '.join(hidden)} {'is' if len(hidden) == 1 else 'are'} hidden by {base.__name__}'s "
            f"pass-through, which comes first in the bases: list {base.__name__} after the mixin"
        )
    hint = f" ({'; '.join(hints)})" if hints else ""
    return (
        f"Can't instantiate {cls.__name__}: it overrides none of {', '.join(HOOKS)}{hint}, so it would "
        f"pass every RPC through unchanged. Override one of them in {cls.__name__} (a base class of your own "
        f"may leave them to its subclasses: only objects of a class that overrides none are refused)."
    )


def _construct(cls: type, parent: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Make a new object of ``cls`` (from a base's ``__new__``) unless ``cls`` is refused.

    Args:
        cls: The class being instantiated.
        parent: ``super(RefusesHookless, cls).__new__``.
        args: The constructor's positional arguments.
        kwargs: Its keyword arguments.
    """
    reason = cls.__dict__.get("_grpc_interceptor_refusal")
    if reason is not None:
        raise TypeError(reason)
    # object.__new__ refuses arguments when __new__ is overridden: pass them only to a
    # __new__ of some other base that may want them.
    return parent(cls) if parent is object.__new__ else parent(cls, *args, **kwargs)


class RefusesHookless:
    """What the four interceptor bases share: objects of a class that overrides no hook are refused.

    Defining such a class is fine (a base class with helpers, a template, a mixin's
    partner); making an object of it is the mistake, as with 0.15.4's abstract
    ``intercept`` (see :func:`refusal`). A base names itself by defining
    ``_grpc_interceptor_entry_points`` in its own body: grpc's methods it implements,
    which a subclass may override to serve RPCs its own way.
    """

    _grpc_interceptor_entry_points: ClassVar[tuple[str, ...]] = ()
    _grpc_interceptor_refusal: ClassVar[str | None] = None

    def __init_subclass__(cls, /, abstract: bool = False, **kwargs: Any) -> None:
        """Note, once per class, whether its objects are refused (see ``__new__``).

        Args:
            abstract: Accepted for code written for an earlier 0.16 preview, which had
                to mark its own base classes; it changes nothing.
            **kwargs: For other classes' ``__init_subclass__``.
        """
        super().__init_subclass__(**kwargs)
        if "_grpc_interceptor_entry_points" in cls.__dict__:  # one of the bases itself
            return
        base = next(klass for klass in cls.__mro__ if "_grpc_interceptor_entry_points" in klass.__dict__)
        entry_points: tuple[str, ...] = base.__dict__["_grpc_interceptor_entry_points"]
        cls._grpc_interceptor_refusal = refusal(cls, base, entry_points)

    if not TYPE_CHECKING:  # hidden from checkers, which would read it as the constructor's signature

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            """Refuse an object of a class that overrides no hook, as 0.15.4's abstract ``intercept`` did."""
            return _construct(cls, super().__new__, args, kwargs)


def bind_hook(hook: Callable[..., Any], step: Callable[..., Any], method_name: str) -> Callable[..., Any] | None:
    """Return ``hook(step, request, context, method_name)`` as a call of ``(request, context)``.

    The handler a hook runs in, and the continuation one hook of a chain gets for the
    next, are calls of ``(request, context)``; the hook takes ``method_name`` last.
    A closure that adds the two arguments costs a Python frame per hook per RPC. Where
    the hook is a plain method of five positional parameters (``self, method, request,
    context, method_name``: every hook written as the bases spell them), this returns
    instead a ``functools.partial`` of a copy of the hook's function whose last
    parameter defaults to ``method_name``: the same code, globals, closure (so
    ``super()`` works) and other defaults, called by C with no frame of the library's
    in between. Once per method, when the handler is built; ``None`` for any other hook
    (a callable object, a decorated function taking ``*args``...), which the caller
    then wraps in a closure.
    """
    if not isinstance(hook, types.MethodType):
        return None
    function = hook.__func__
    if not isinstance(function, types.FunctionType):
        return None
    code = function.__code__
    if code.co_argcount != _HOOK_PARAMETERS or code.co_flags & inspect.CO_VARARGS:
        return None
    defaults = function.__defaults__
    copy = types.FunctionType(
        code,
        function.__globals__,
        function.__name__,
        (*defaults[:-1], method_name) if defaults else (method_name,),
        function.__closure__,
    )
    copy.__kwdefaults__ = None if function.__kwdefaults__ is None else dict(function.__kwdefaults__)
    copy.__qualname__ = function.__qualname__
    copy.__module__ = function.__module__
    copy.__doc__ = function.__doc__
    copy.__dict__.update(function.__dict__)
    return functools.partial(copy, hook.__self__, step)


#: A hook's positional parameters: ``self, method, request_or_iterator, context, method_name``.
_HOOK_PARAMETERS: Final = 5


def hook_call(hook: Callable[..., Any], step: Callable[..., Any], method_name: str) -> Callable[..., Any]:
    """``hook`` as a call of ``(request, context)``: bound (see :func:`bind_hook`), else a closure."""
    bound = bind_hook(hook, step, method_name)
    if bound is not None:
        return bound

    def call(request_or_iterator: Any, context: Any) -> Any:
        return hook(step, request_or_iterator, context, method_name)

    return call
