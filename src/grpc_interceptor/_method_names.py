"""Method names taken apart: what both sides, selectors and the typed match read.

:class:`MethodName` and :func:`parse_method_name` are public as
``grpc_interceptor.server.MethodName`` and ``grpc_interceptor.MethodName``, as in
0.15.4; they live here, below the server and client modules, so that neither side
imports the other for them.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["MethodName", "parse_method_name"]


class MethodName:
    """A gRPC method name taken apart: ``/package.Service/Method``.

    It is a record: two equal names compare equal and hash alike, and it cannot be
    changed (assigning an attribute raises :class:`AttributeError`). It is written out
    rather than a frozen dataclass so that ``import grpc_interceptor`` does not import
    ``dataclasses``.

    Attributes:
        package: The proto package (``package foo.bar;``), or ``""`` for a proto
            without one.
        service: The service name (``service SearchService { ... }``).
        method: The method name (``rpc Search(...) returns (...);``).
    """

    __slots__ = ("_method", "_package", "_service")
    __match_args__ = ("package", "service", "method")

    _package: str
    _service: str
    _method: str

    def __init__(self, package: str, service: str, method: str) -> None:
        object.__setattr__(self, "_package", package)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_method", method)

    @property
    def package(self) -> str:
        """The proto package, or ``""``."""
        return self._package

    @property
    def service(self) -> str:
        """The service name, without the package."""
        return self._service

    @property
    def method(self) -> str:
        """The method name."""
        return self._method

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"MethodName is immutable: cannot assign to {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"MethodName is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, MethodName)
        return (self._package, self._service, self._method) == (other._package, other._service, other._method)

    def __hash__(self) -> int:
        return hash((self._package, self._service, self._method))

    def __repr__(self) -> str:
        return f"MethodName(package={self._package!r}, service={self._service!r}, method={self._method!r})"

    def __reduce__(self) -> tuple[type[MethodName], tuple[str, str, str]]:
        return (MethodName, (self._package, self._service, self._method))

    def __copy__(self) -> MethodName:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> MethodName:
        return self

    @property
    def fully_qualified_service(self) -> str:
        """Return the service name prefixed with the package.

        Example:
            >>> MethodName("foo.bar", "SearchService", "Search").fully_qualified_service
            'foo.bar.SearchService'
            >>> MethodName("", "SearchService", "Search").fully_qualified_service
            'SearchService'
        """
        return f"{self.package}.{self.service}" if self.package else self.service


def parse_method_name(method_name: str) -> MethodName:
    """Take a method name apart into package, service and method.

    Args:
        method_name: A name of the form ``/foo.bar.SearchService/Search``, as hooks
            receive it. The package may be absent (``/SearchService/Search``).

    Returns:
        The :class:`MethodName`.

    Raises:
        TypeError: If ``method_name`` is not a ``str``.
        ValueError: If ``method_name`` is not of that form; the message quotes it.

    Example:
        >>> parse_method_name("/foo.bar.SearchService/Search")
        MethodName(package='foo.bar', service='SearchService', method='Search')
    """
    if not isinstance(method_name, str):
        raise TypeError(f"parse_method_name: expected a str, got {type(method_name).__name__} {method_name!r}")
    _, _, rest = method_name.partition("/")
    service_path, _, method = rest.partition("/")
    package, _, service = service_path.rpartition(".")
    parsed = MethodName(package, service, method)
    # Valid exactly when the parts put back together give the input again, with a
    # service and a method that are not empty and contain no "/".
    if not service or not method or "/" in method or f"/{parsed.fully_qualified_service}/{method}" != method_name:
        raise ValueError(
            f"not a gRPC method name: {method_name!r} (expected '/package.Service/Method' or '/Service/Method')"
        )
    return parsed
