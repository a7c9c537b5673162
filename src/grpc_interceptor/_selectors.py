"""Selectors: which methods an interceptor applies to, as predicates on method names.

Built by :func:`methods`, :func:`services` and :func:`where` and combined with ``~``,
``|`` and ``&``; public as ``grpc_interceptor.selection.MethodSelector`` (and the
package's names). They know nothing of interceptors: :func:`grpc_interceptor.select`
puts one in front of an interceptor, on either side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from grpc_interceptor._method_names import MethodName, parse_method_name

__all__ = ["MethodSelector", "methods", "services", "where"]


class MethodSelector:
    """Which methods an interceptor applies to; build one with :func:`methods`, :func:`services` or :func:`where`.

    Selectors combine: ``~a`` selects every method ``a`` does not, ``a | b`` the
    methods of either, ``a & b`` those of both. A selector is also a predicate on
    :class:`~grpc_interceptor.MethodName`.

    Example:
        >>> selector = ~services("grpc.health.v1.Health") & where(lambda m: m.method != "Ping")
        >>> selector
        (~services('grpc.health.v1.Health') & where(<lambda>))
        >>> selector.matches("/shop.Orders/Create"), selector.matches("/grpc.health.v1.Health/Check")
        (True, False)
    """

    __slots__ = ("_description", "_test")

    def __init__(self, test: Callable[[MethodName | None], bool], description: str) -> None:
        # Private: build selectors with methods(), services(), where() and the operators.
        self._test = test
        self._description = description

    def __call__(self, method: MethodName, /) -> bool:
        """Tell whether the method is selected."""
        return self._test(method)

    def matches(self, method_name: str) -> bool:
        """Tell whether the method named ``/package.Service/Method`` is selected.

        A name of another form matches no :func:`methods`, :func:`services` or
        :func:`where` selector (and so matches their negation).
        """
        try:
            parsed: MethodName | None = parse_method_name(method_name)
        except ValueError:
            parsed = None
        return self._test(parsed)

    def __invert__(self) -> MethodSelector:
        test = self._test
        return MethodSelector(lambda method: not test(method), f"~{self._description}")

    def __or__(self, other: MethodSelector) -> MethodSelector:
        if not isinstance(other, MethodSelector):
            return NotImplemented
        left, right = self._test, other._test
        return MethodSelector(
            lambda method: left(method) or right(method), f"({self._description} | {other._description})"
        )

    def __and__(self, other: MethodSelector) -> MethodSelector:
        if not isinstance(other, MethodSelector):
            return NotImplemented
        left, right = self._test, other._test
        return MethodSelector(
            lambda method: left(method) and right(method), f"({self._description} & {other._description})"
        )

    def __repr__(self) -> str:
        return self._description


def _check_names(function: str, names: tuple[object, ...]) -> tuple[str, ...]:
    if not names:
        raise ValueError(f"{function}() needs at least one name: a selector of no method selects nothing")
    for name in names:
        if not isinstance(name, str):
            hint = f" (unpack a collection: {function}(*names))" if hasattr(name, "__iter__") else ""
            raise TypeError(f"{function}() takes names as str arguments, got {type(name).__name__} {name!r}{hint}")
    return cast("tuple[str, ...]", names)


def methods(*names: str) -> MethodSelector:
    """Select methods by their full names, ``/package.Service/Method``.

    Args:
        *names: Full method names, as grpc and the hooks' ``method_name`` give them
            (``/Service/Method`` for a proto without a package).

    Returns:
        The selector.

    Raises:
        ValueError: If a name is not a full method name (the message says why), or
            no name is given.
        TypeError: If a name is not a ``str``.

    Example:
        >>> methods("/shop.v1.Orders/Create", "/shop.v1.Orders/Delete").matches("/shop.v1.Orders/Create")
        True
        >>> methods("shop.v1.Orders/Create")
        Traceback (most recent call last):
        ...
        ValueError: methods(): 'shop.v1.Orders/Create' is not a full method name: it must start with '/' (did you mean '/shop.v1.Orders/Create'?)
    """  # noqa: E501
    for name in _check_names("methods", names):
        try:
            parse_method_name(name)
        except ValueError:
            if not name.startswith("/") and name.count("/") == 1:
                reason = f"it must start with '/' (did you mean '/{name}'?)"
            elif "/" not in name:
                reason = f"expected '/package.Service/Method' (for a whole service, use services({name!r}))"
            else:
                reason = "expected '/package.Service/Method' or '/Service/Method'"
            raise ValueError(f"methods(): {name!r} is not a full method name: {reason}") from None
    selected = frozenset(names)
    shown = ", ".join(map(repr, names))
    return MethodSelector(
        lambda method: method is not None and f"/{method.fully_qualified_service}/{method.method}" in selected,
        f"methods({shown})",
    )


def services(*names: str) -> MethodSelector:
    """Select every method of some services.

    A name with a dot is a service with its package (``shop.v1.Orders``) and selects
    that service only. A name without a dot (``Orders``) selects the service of that
    name in any package, and in a proto without a package.

    Args:
        *names: Service names, ``package.Service`` or ``Service``.

    Returns:
        The selector.

    Raises:
        ValueError: If a name is empty, contains ``/`` (a method name: use
            :func:`methods`) or has an empty part between dots; or if no name is given.
        TypeError: If a name is not a ``str``.

    Example:
        >>> selector = services("grpc.health.v1.Health", "Orders")
        >>> [selector.matches(name) for name in ("/grpc.health.v1.Health/Check", "/shop.Orders/Get", "/shop.Cart/Get")]
        [True, True, False]
    """
    qualified: set[str] = set()
    bare: set[str] = set()
    for name in _check_names("services", names):
        if "/" in name:
            hint = (
                f"use methods({name!r}) for one method"
                if name.startswith("/") and name.count("/") == 2
                else f"write it without '/': services({name.strip('/')!r})"
            )
            raise ValueError(f"services(): {name!r} is not a service name: {hint}")
        if not name or "" in name.split("."):
            raise ValueError(f"services(): {name!r} is not a service name: expected 'package.Service' or 'Service'")
        (qualified if "." in name else bare).add(name)
    shown = ", ".join(map(repr, names))
    return MethodSelector(
        lambda method: method is not None and (method.fully_qualified_service in qualified or method.service in bare),
        f"services({shown})",
    )


def where(predicate: Callable[[MethodName], bool]) -> MethodSelector:
    """Select the methods for which ``predicate`` returns true.

    The predicate runs once per method, the first time the method is called. If it
    raises, :func:`select` takes the method as selected (a guard still guards) and
    logs the error once for that method, on ``grpc_interceptor.selection``.

    Args:
        predicate: A function of the :class:`~grpc_interceptor.MethodName`.

    Returns:
        The selector.

    Raises:
        TypeError: If ``predicate`` is not callable.

    Example:
        >>> reads = where(lambda m: m.method.startswith(("Get", "List")))
        >>> reads.matches("/shop.Orders/GetOrder"), reads.matches("/shop.Orders/CreateOrder")
        (True, False)
    """
    if not callable(predicate):
        raise TypeError(f"where() takes a function of a MethodName, got {type(predicate).__name__} {predicate!r}")
    name = getattr(predicate, "__name__", None) or repr(predicate)
    return MethodSelector(lambda method: method is not None and bool(predicate(method)), f"where({name})")
