"""Method names taken apart: what both sides, selectors and the typed match read.

:class:`MethodName` and :func:`parse_method_name` are public as
``grpc_interceptor.server.MethodName`` and ``grpc_interceptor.MethodName``, as in
0.15.4; they live here, below the server and client modules, so that neither side
imports the other for them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MethodName", "parse_method_name"]


@dataclass(frozen=True)
class MethodName:
    """A gRPC method name taken apart: ``/package.Service/Method``.

    It is a record: two equal names compare equal and hash alike.

    Attributes:
        package: The proto package (``package foo.bar;``), or ``""`` for a proto
            without one.
        service: The service name (``service SearchService { ... }``).
        method: The method name (``rpc Search(...) returns (...);``).
    """

    package: str
    service: str
    method: str

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
