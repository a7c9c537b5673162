"""Server-side authentication that fails closed, with the caller's identity for the handler.

:class:`~grpc_interceptor.AuthInterceptor` (sync server) and :class:`~grpc_interceptor.AsyncAuthInterceptor` (grpc.aio)
read the credentials from the request metadata (``authorization: Bearer <token>`` by
default; any key, with or without a scheme), hand them to your function, and run the
handler only if it returns an identity. Everything else refuses the RPC before the
handler runs, for every RPC kind:

* no credentials, more than one, or a value of another form: ``UNAUTHENTICATED``;
* the function returns ``None``, raises
  :class:`~grpc_interceptor.exceptions.Unauthenticated` or any unexpected exception, or
  takes longer than ``timeout``: ``UNAUTHENTICATED``;
* the function raises :class:`~grpc_interceptor.exceptions.PermissionDenied` (it knows
  the caller, who may not call this method): ``PERMISSION_DENIED``.

An unexpected exception is logged (logger ``grpc_interceptor.auth``) and the client
gets a plain "authentication failed", never the exception's text. The handler reads the
identity with :meth:`~grpc_interceptor.AuthInterceptor.identity`, a ``contextvars`` variable typed like
your function's result.

To let some methods through without credentials (the health check, reflection), wrap
the interceptor with :func:`~grpc_interceptor.select`::

    auth = AuthInterceptor(verify_token)
    public = services("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                      "grpc.reflection.v1alpha.ServerReflection")
    server = grpc.server(pool, interceptors=[select(auth, ~public)])
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, Generic, NoReturn, TypeVar, overload

import grpc
import grpc.aio

from grpc_interceptor._sendable import sendable_text, text_of
from grpc_interceptor.exceptions import PermissionDenied, Unauthenticated
from grpc_interceptor.protocols import (
    AsyncStreamStreamContinuation,
    AsyncStreamUnaryContinuation,
    AsyncUnaryStreamContinuation,
    AsyncUnaryUnaryContinuation,
    StreamStreamContinuation,
    StreamUnaryContinuation,
    UnaryStreamContinuation,
    UnaryUnaryContinuation,
)
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor

__all__ = ["AsyncAuthInterceptor", "AuthInterceptor"]

# What the function returns for an accepted caller: a user, a set of claims, anything
# but ``None``. The handler gets it back, with this type, from ``identity()``.
_IdentityT = TypeVar("_IdentityT")

logger: logging.Logger = logging.getLogger("grpc_interceptor.auth")

_KEY = re.compile(r"[0-9a-z_.-]+")
_FAILED = "authentication failed"


class _Refusal(Exception):
    """Why an RPC is refused: raised inside this module, turned into an abort."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


def _unauthenticated(details: str) -> _Refusal:
    return _Refusal(grpc.StatusCode.UNAUTHENTICATED, details)


class _AuthConfig(Generic[_IdentityT]):
    """What the sync and the grpc.aio interceptor share: the settings, parsing, the identity."""

    metadata_key: str
    scheme: str | None
    timeout: float | None

    def _grpc_interceptor_configure(
        self, authenticate: object, metadata_key: object, scheme: object, timeout: object
    ) -> None:
        if not callable(authenticate):
            raise TypeError(
                "authenticate must be a function of (credentials, method_name) that returns the caller's "
                f"identity, got {type(authenticate).__name__} {authenticate!r}"
            )
        if not isinstance(metadata_key, str):
            raise TypeError(f"metadata_key must be a str, got {type(metadata_key).__name__} {metadata_key!r}")
        if not _KEY.fullmatch(metadata_key) or metadata_key.startswith("grpc-"):
            raise ValueError(
                f"metadata_key {metadata_key!r} is not a metadata key a client can send: use lower-case letters, "
                "digits, '-', '_' or '.', not starting with 'grpc-'"
            )
        if metadata_key.endswith("-bin"):
            raise ValueError(
                f"metadata_key {metadata_key!r} is a binary key; credentials are read from a text key "
                "(one not ending in '-bin')"
            )
        if scheme is not None and (not isinstance(scheme, str) or not scheme or not scheme.isprintable()):
            raise TypeError(f"scheme must be a word such as 'Bearer', or None for the bare value; got {scheme!r}")
        if scheme is not None and any(char.isspace() for char in scheme):
            raise ValueError(f"scheme must be one word such as 'Bearer', got {scheme!r}")
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise TypeError(
                    f"timeout must be a number of seconds or None, got {type(timeout).__name__} {timeout!r}"
                )
            if not (timeout > 0 and math.isfinite(timeout)):
                raise ValueError(f"timeout must be a positive, finite number of seconds (or None), got {timeout!r}")
        self._authenticate: Callable[[str, str], Any] = authenticate
        self.metadata_key = metadata_key
        self.scheme = scheme
        self.timeout = None if timeout is None else float(timeout)
        self._scheme_folded = None if scheme is None else scheme.casefold()
        self._form = f"'{metadata_key}: {scheme} <credentials>'" if scheme else f"'{metadata_key}: <credentials>'"
        self._identity: contextvars.ContextVar[_IdentityT] = contextvars.ContextVar(
            f"grpc_interceptor.auth.identity.{id(self):x}"
        )

    def identity(self) -> _IdentityT:
        """Return the identity of the caller of the current RPC, as the function returned it.

        Call it in a handler (or an interceptor further in) of an RPC this interceptor
        admitted; it works in ``def`` and ``async def`` handlers alike, also in the
        thread where grpc.aio runs a plain ``def`` handler.

        Returns:
            The identity.

        Raises:
            LookupError: Outside such an RPC, e.g. in a method exempted with
                :func:`~grpc_interceptor.select`.
        """
        try:
            return self._identity.get()
        except LookupError:
            raise LookupError(
                f"no authenticated caller here: {type(self).__name__}.identity() works only while an RPC it "
                "admitted runs (in its handler); for a method it does not guard (exempted with select()), "
                "there is none"
            ) from None

    def _credentials(self, metadata: Iterable[tuple[str, str | bytes]] | None, method_name: str) -> str:
        key = self.metadata_key
        values = [value for k, value in metadata or () if k == key]
        form = self._form
        if not values:
            raise _unauthenticated(f"missing credentials: {method_name} needs the request metadata {form}")
        if len(values) > 1:
            raise _unauthenticated(f"{len(values)} '{key}' metadata entries: send exactly one, of the form {form}")
        value = values[0]
        if not isinstance(value, str):
            raise _unauthenticated(f"malformed credentials: expected {form}")
        # One split gives the scheme and the credentials, and shows any whitespace inside.
        parts = value.split()
        if self._scheme_folded is None:
            if len(parts) != 1:
                raise _unauthenticated(f"malformed credentials: expected {form}")
            return parts[0]
        if len(parts) != 2 or parts[0].casefold() != self._scheme_folded:
            raise _unauthenticated(f"malformed credentials: expected {form}")
        return parts[1]

    def _judged(self, outcome: object, started: float) -> _IdentityT:
        """Turn what the function gave into the identity, or the refusal."""
        if self.timeout is not None and time.monotonic() - started > self.timeout:
            logger.warning(
                "authentication refused: the function took longer than %s s (timeout=%s)", self.timeout, self.timeout
            )
            raise _unauthenticated(_FAILED)
        if outcome is None:
            raise _unauthenticated("credentials not accepted")
        if inspect.isawaitable(outcome):  # an async function on a sync server, or one that gave a coroutine
            close = getattr(outcome, "close", None)
            if close is not None:
                close()  # no "never awaited" warning for a coroutine nobody will await
            logger.error("authentication refused: the function gave an awaitable where an identity was due")
            raise _unauthenticated(_FAILED)
        identity: _IdentityT = outcome  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
        return identity


def _refusal_for(error: Exception) -> _Refusal:
    """The refusal for an exception the function raised."""
    # The function's own details, as grpc can send them (any object, a lone surrogate, a
    # megabyte of text: never a hang, never another code).
    if isinstance(error, PermissionDenied):
        return _Refusal(grpc.StatusCode.PERMISSION_DENIED, sendable_text(text_of(error.details)))
    if isinstance(error, Unauthenticated):
        return _unauthenticated(sendable_text(text_of(error.details)))
    logger.error("authentication refused: the function raised %s", type(error).__name__, exc_info=error)
    return _unauthenticated(_FAILED)


class AuthInterceptor(_AuthConfig[_IdentityT], ServerInterceptor):
    """Authenticate every RPC of a sync server from its metadata, failing closed.

    Args:
        authenticate: ``authenticate(credentials, method_name)``, a plain ``def``:
            it gets the credentials (the token after the scheme) and the method
            (``/package.Service/Method``) and returns the caller's identity; it
            returns ``None`` or raises to refuse (raise
            :class:`~grpc_interceptor.exceptions.PermissionDenied` for
            PERMISSION_DENIED). It runs in the RPC's thread.
        metadata_key: The metadata key the credentials come in.
        scheme: The word before the credentials (``Bearer``; compared ignoring
            case), or ``None`` when the whole value is the credentials (an API key).
        timeout: Seconds the function may take; an answer that comes later is a
            refusal (a sync function cannot be interrupted: the RPC waits for it).
            ``None``: no limit.

    Raises:
        TypeError: If ``authenticate`` is not callable, or is an ``async def``
            (use :class:`~grpc_interceptor.AsyncAuthInterceptor` on grpc.aio), or another argument
            is of the wrong type.
        ValueError: If ``metadata_key`` is not a key a client can send as text,
            ``scheme`` is not one word, or ``timeout`` is not positive.

    Example:
        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> def verify(token, method_name):
        ...     return {"s3cret": "ada"}.get(token)
        >>> auth = AuthInterceptor(verify)
        >>> whoami = {"who": lambda text, context: auth.identity()}
        >>> with dummy_client(special_cases=whoami, interceptors=[auth]) as client:
        ...     client.Execute(DummyRequest(input="who"), metadata=[("authorization", "Bearer s3cret")]).output
        ...     try:
        ...         client.Execute(DummyRequest(input="who"), metadata=[("authorization", "Bearer guess")])
        ...     except grpc.RpcError as error:
        ...         print(error.code().name, error.details())
        'ada'
        UNAUTHENTICATED credentials not accepted
    """

    def __init__(
        self,
        authenticate: Callable[[str, str], _IdentityT | None],
        *,
        metadata_key: str = "authorization",
        scheme: str | None = "Bearer",
        timeout: float | None = 5.0,
    ) -> None:
        if inspect.iscoroutinefunction(authenticate):
            raise TypeError(
                f"authenticate {authenticate!r} is an async function, which a sync grpc.server() cannot await: "
                "use AsyncAuthInterceptor on a grpc.aio.server(), or pass a plain def"
            )
        self._grpc_interceptor_configure(authenticate, metadata_key, scheme, timeout)

    def _admit(self, context: grpc.ServicerContext, method_name: str) -> _IdentityT:
        """Return the caller's identity, or abort the RPC."""
        try:
            credentials = self._credentials(context.invocation_metadata(), method_name)
            started = time.monotonic()
            try:
                outcome = self._authenticate(credentials, method_name)
            except Exception as error:
                raise _refusal_for(error) from None
            return self._judged(outcome, started)
        except _Refusal as refusal:
            self._refuse(context, refusal)

    @staticmethod
    def _refuse(context: grpc.ServicerContext, refusal: _Refusal) -> NoReturn:
        context.abort(refusal.code, refusal.details)

    def on_unary_unary(
        self, method: UnaryUnaryContinuation[Any, Any], request: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        token = self._identity.set(self._admit(context, method_name))
        try:
            return method(request, context)
        finally:
            self._identity.reset(token)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        token = self._identity.set(self._admit(context, method_name))
        try:
            return method(request_iterator, context)
        finally:
            self._identity.reset(token)

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        return self._stream(self._admit(context, method_name), lambda: method(request, context))

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        return self._stream(self._admit(context, method_name), lambda: method(request_iterator, context))

    def _stream(self, identity: _IdentityT, start: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        # A streaming handler runs a step each time grpc asks for a message, maybe in
        # another context each time: every step runs in a context that has the identity.
        context = contextvars.copy_context()
        context.run(self._identity.set, identity)
        return _steps_in(context, context.run(start))


def _steps_in(context: contextvars.Context, responses: Iterator[Any]) -> Iterator[Any]:
    iterator = iter(responses)
    try:
        while True:
            try:
                response = context.run(next, iterator)
            except StopIteration:
                return
            yield response
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            context.run(close)


class AsyncAuthInterceptor(_AuthConfig[_IdentityT], AsyncServerInterceptor):
    """Authenticate every RPC of a grpc.aio server from its metadata, failing closed.

    The grpc.aio twin of :class:`~grpc_interceptor.AuthInterceptor`. The function may be an ``async
    def`` (awaited, and cancelled after ``timeout``) or a plain ``def`` (called on the
    event loop: keep it quick, it holds up every other RPC while it runs).

    Args:
        authenticate: ``authenticate(credentials, method_name)``, sync or async;
            returns the identity, or ``None`` or raises to refuse.
        metadata_key: The metadata key the credentials come in.
        scheme: The word before the credentials, or ``None``.
        timeout: Seconds the function may take, or ``None``.

    Raises:
        TypeError: If ``authenticate`` is not callable, or another argument is of
            the wrong type.
        ValueError: If ``metadata_key``, ``scheme`` or ``timeout`` is not allowed.

    Example:
        >>> async def verify(api_key, method_name):
        ...     return "batch-job" if api_key == "k-123" else None
        >>> auth = AsyncAuthInterceptor(verify, metadata_key="x-api-key", scheme=None)
        >>> auth.metadata_key, auth.scheme
        ('x-api-key', None)
    """

    @overload
    def __init__(
        self,
        authenticate: Callable[[str, str], Awaitable[_IdentityT | None]],
        *,
        metadata_key: str = "authorization",
        scheme: str | None = "Bearer",
        timeout: float | None = 5.0,
    ) -> None: ...
    @overload
    def __init__(
        self,
        authenticate: Callable[[str, str], _IdentityT | None],
        *,
        metadata_key: str = "authorization",
        scheme: str | None = "Bearer",
        timeout: float | None = 5.0,
    ) -> None: ...
    def __init__(
        self,
        authenticate: Callable[[str, str], Any],
        *,
        metadata_key: str = "authorization",
        scheme: str | None = "Bearer",
        timeout: float | None = 5.0,
    ) -> None:
        self._grpc_interceptor_configure(authenticate, metadata_key, scheme, timeout)

    async def _admit(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> _IdentityT:
        """Return the caller's identity, or abort the RPC."""
        try:
            credentials = self._credentials(context.invocation_metadata(), method_name)
            started = time.monotonic()
            try:
                outcome = self._authenticate(credentials, method_name)
                if inspect.isawaitable(outcome):
                    outcome = await asyncio.wait_for(outcome, self.timeout)
            except (asyncio.TimeoutError, TimeoutError):
                logger.warning("authentication refused: the function took longer than %s s", self.timeout)
                raise _unauthenticated(_FAILED) from None
            except Exception as error:
                raise _refusal_for(error) from None
            return self._judged(outcome, started)
        except _Refusal as refusal:
            await context.abort(refusal.code, refusal.details)
            raise AssertionError("context.abort() returned") from None  # it raises

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        token = self._identity.set(await self._admit(context, method_name))
        try:
            return await method(request, context)
        finally:
            self._identity.reset(token)

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        token = self._identity.set(await self._admit(context, method_name))
        try:
            return await method(request_iterator, context)
        finally:
            self._identity.reset(token)

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        # The RPC's task runs this generator: what it sets, the handler sees.
        self._identity.set(await self._admit(context, method_name))
        async for response in method(request, context):
            yield response

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC for an authenticated caller; refuse it otherwise."""
        self._identity.set(await self._admit(context, method_name))
        async for response in method(request_iterator, context):
            yield response
