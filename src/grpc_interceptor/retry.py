"""Client-side retries: transient failures tried again, with backoff, within the call's deadline.

:class:`~grpc_interceptor.RetryInterceptor` (sync channel) and
:class:`~grpc_interceptor.AsyncRetryInterceptor` (grpc.aio
channel) call again when a call fails with one of ``codes`` (``UNAVAILABLE`` by
default), up to ``max_attempts`` attempts in all:

* **Backoff** with full jitter, as in gRPC's retry design: before retry ``n`` it waits a
  random time between 0 and ``min(initial_backoff * multiplier ** (n - 1),
  max_backoff)``.
* **The server's word counts.** A valid ``grpc-retry-pushback-ms`` in the trailing
  metadata is the wait before the next attempt (and the backoff starts over); a
  negative or malformed one means *do not retry*, as in gRPC's design. A
  ``google.rpc.RetryInfo`` among the rich error details gives the wait too (read with
  the ``status`` extra; without it, RetryInfo is not seen and a warning says so once).
* **The deadline covers all attempts.** A call's ``timeout`` is its budget: each
  attempt gets what is left of it, and no wait goes past it (the last error is
  returned instead).
* **Each retry says so**: its request metadata carries ``x-retry-attempt`` with the
  attempt number (``"2"`` for the first retry); the first attempt carries none.
* **What is retried**: unary requests; a request stream only when it is a sequence
  (a list or a tuple), which can be sent again (any other iterator is consumed by the
  first attempt, so that call is not retried); a response stream only while no
  message has arrived (after one, the error goes to the caller). Stream-stream calls
  pass through.

gRPC has retries of its own, configured in the channel's service config
(``grpc.service_config`` option with a ``retryPolicy``). Prefer them when they fit:
they run in grpc's core, replay streamed requests it has buffered, retry transparently
RPCs that never left the client, and throttle retries across calls. Use these
interceptors when the policy belongs in code rather than in channel options, when you
want backoff and attempt numbers visible to your own code and tests, or to honour
``RetryInfo``, which grpc's core ignores. Do not enable both for the same method:
attempts would multiply.

On a sync channel a retried call runs its attempts one after the other in the calling
thread; a ``.future()`` call is waited for when it is made.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, Final, cast

import grpc
import grpc.aio

from grpc_interceptor._call_details import as_our_details
from grpc_interceptor.client import AsyncClientInterceptor, ClientCallDetails, ClientInterceptor
from grpc_interceptor.protocols import (
    AsyncClientStreamUnaryContinuation,
    AsyncClientUnaryStreamContinuation,
    AsyncClientUnaryUnaryContinuation,
    CallFuture,
    CallIterator,
    ClientStreamUnaryContinuation,
    ClientUnaryStreamContinuation,
    ClientUnaryUnaryContinuation,
)

__all__ = ["AsyncRetryInterceptor", "RetryInterceptor"]

#: The request metadata key that tells the server which attempt this is.
ATTEMPT_KEY: Final = "x-retry-attempt"
#: The trailing metadata key by which a server says when to retry (gRPC's retry design).
PUSHBACK_KEY: Final = "grpc-retry-pushback-ms"
_STATUS_DETAILS_KEY: Final = "grpc-status-details-bin"

logger: logging.Logger = logging.getLogger("grpc_interceptor.retry")

_Metadata = Iterable[tuple[str, "str | bytes"]]


def _check_number(name: str, value: object, *, minimum: float, inclusive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < minimum or (not inclusive and value == minimum):
        bound = f"at least {minimum:g}" if inclusive else f"more than {minimum:g}"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _check_codes(codes: object) -> frozenset[grpc.StatusCode]:
    if isinstance(codes, grpc.StatusCode) or not isinstance(codes, Iterable):
        raise TypeError(
            f"codes must be a collection of grpc.StatusCode, e.g. [grpc.StatusCode.UNAVAILABLE]; got {codes!r}"
        )
    found = frozenset(cast("Iterable[object]", codes))
    for code in found:
        if not isinstance(code, grpc.StatusCode):
            raise TypeError(f"codes must hold grpc.StatusCode members, got {type(code).__name__} {code!r}")
    if grpc.StatusCode.OK in found:
        raise ValueError("codes must not hold grpc.StatusCode.OK: a call that succeeded is never retried")
    if not found:
        raise ValueError("codes is empty: nothing would be retried (leave the interceptor out instead)")
    return cast("frozenset[grpc.StatusCode]", found)


#: Not a delay: the server asked for no retry.
_NO_RETRY: Final = -1.0


def _pushback(metadata: _Metadata | None) -> float | None:
    """The server's pushback in seconds, :data:`_NO_RETRY`, or ``None`` if it sent none."""
    for key, value in metadata or ():
        if key == PUSHBACK_KEY:
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
            if not text.isdigit():  # negative, empty or not a number: "do not retry"
                return _NO_RETRY
            return int(text) / 1000
    return None


@functools.cache
def _retry_info_class() -> Any:
    try:
        status_pb2 = importlib.import_module("google.rpc.status_pb2")
        error_details_pb2 = importlib.import_module("google.rpc.error_details_pb2")
    except ImportError:
        logger.warning(
            "a server sent rich error details, which may hold a google.rpc.RetryInfo; reading them needs the "
            "'status' extra (pip install 'grpc-interceptor[status]'), so the retry delay is the backoff's"
        )
        return None
    return status_pb2.Status, error_details_pb2.RetryInfo


def _retry_info(metadata: _Metadata | None) -> float | None:
    """The delay of a ``google.rpc.RetryInfo`` in the rich status, in seconds, if there is one."""
    for key, value in metadata or ():
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            classes = _retry_info_class()
            if classes is None:
                return None
            status_class, retry_info_class = classes
            try:
                status = status_class.FromString(value)
            except Exception:  # a malformed status says nothing about retrying
                return None
            for detail in status.details:
                if detail.Is(retry_info_class.DESCRIPTOR):
                    info = retry_info_class()
                    detail.Unpack(info)
                    delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
                    return max(0.0, float(delay))
    return None


def _random_fraction() -> float:
    """``random.random()``, with :mod:`random` imported on the first backoff, not with the package."""
    import random

    return random.random()


class _Policy:
    """When to retry, and how long to wait: what the sync and the grpc.aio interceptor share."""

    codes: frozenset[grpc.StatusCode]
    max_attempts: int
    initial_backoff: float
    max_backoff: float
    multiplier: float

    def _grpc_interceptor_configure(
        self,
        codes: object,
        max_attempts: object,
        initial_backoff: object,
        max_backoff: object,
        multiplier: object,
        random_fraction: object,
        clock: object,
    ) -> None:
        self.codes = _check_codes(codes)
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int):
            raise TypeError(f"max_attempts must be an int, got {type(max_attempts).__name__} {max_attempts!r}")
        if max_attempts < 2:
            raise ValueError(f"max_attempts must be 2 or more (the first attempt counts), got {max_attempts!r}")
        self.max_attempts = max_attempts
        self.initial_backoff = _check_number("initial_backoff", initial_backoff, minimum=0, inclusive=False)
        self.max_backoff = _check_number("max_backoff", max_backoff, minimum=0, inclusive=False)
        if self.max_backoff < self.initial_backoff:
            raise ValueError(
                f"max_backoff ({max_backoff!r}) must not be less than initial_backoff ({initial_backoff!r})"
            )
        self.multiplier = _check_number("multiplier", multiplier, minimum=1, inclusive=True)
        for name, function in (("random", random_fraction), ("clock", clock)):
            if not callable(function):
                raise TypeError(f"{name} must be a function of no arguments, got {function!r}")
        self._random = cast("Callable[[], float]", random_fraction)
        self._clock = cast("Callable[[], float]", clock)

    def _delay(self, backoffs: int, metadata: _Metadata | None) -> tuple[float, bool] | None:
        """The wait before the next attempt and whether the server set it, or ``None``: no retry."""
        pushback = _pushback(metadata)
        if pushback == _NO_RETRY:
            return None
        if pushback is not None:
            return pushback, True
        server = _retry_info(metadata)
        if server is not None:
            return server, True
        ceiling = min(self.initial_backoff * self.multiplier**backoffs, self.max_backoff)
        return self._random() * ceiling, False

    def _details(self, call_details: grpc.ClientCallDetails, attempt: int, deadline: float | None) -> ClientCallDetails:
        """The details of attempt ``attempt``: its number in the metadata, what is left of the deadline."""
        metadata = [(k, v) for k, v in call_details.metadata or () if k != ATTEMPT_KEY]
        metadata.append((ATTEMPT_KEY, str(attempt)))
        timeout = call_details.timeout if deadline is None else max(deadline - self._clock(), 0.0)
        return ClientCallDetails(
            call_details.method,
            timeout,
            metadata,
            call_details.credentials,
            call_details.wait_for_ready,
            getattr(call_details, "compression", None),
        )

    def _plan(
        self, attempt: int, backoffs: int, code: grpc.StatusCode, metadata: _Metadata | None, deadline: float | None
    ) -> tuple[float, int] | None:
        """The wait before attempt ``attempt + 1`` and the backoff count after it, or ``None`` to give up."""
        if code not in self.codes or attempt >= self.max_attempts:
            return None
        delay = self._delay(backoffs, metadata)
        if delay is None:
            return None
        wait, from_server = delay
        if deadline is not None and self._clock() + wait >= deadline:
            return None  # the next attempt would start too late
        return wait, 0 if from_server else backoffs + 1


def _replayable(request_iterator: object) -> bool:
    return isinstance(request_iterator, Sequence) and not isinstance(request_iterator, (str, bytes))


class RetryInterceptor(_Policy, ClientInterceptor):
    """Retry calls of a sync channel that fail with a transient status.

    Install it with ``grpc.intercept_channel(channel, RetryInterceptor())``, after any
    interceptor that should see each attempt, before (outside) a default deadline.

    Args:
        codes: The status codes to retry.
        max_attempts: The most attempts per call, the first one included (2 or more).
        initial_backoff: The ceiling, in seconds, of the wait before the first retry.
        max_backoff: The ceiling of any wait.
        multiplier: How much the ceiling grows from one retry to the next (1 or more).
        sleep: How to wait (``time.sleep``; a test passes its own).
        random: A function giving a fraction in [0, 1) (``random.random``).
        clock: Seconds from a monotonic clock (``time.monotonic``).

    Raises:
        TypeError: If an argument is of the wrong type.
        ValueError: If ``codes`` is empty or holds OK, ``max_attempts`` is below 2,
            a backoff is not positive or ``max_backoff`` is below
            ``initial_backoff``, or ``multiplier`` is below 1.

    Example:
        >>> from grpc_interceptor.exceptions import Unavailable
        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> from grpc_interceptor import ExceptionToStatusInterceptor
        >>> failures = iter([Unavailable("warming up")])
        >>> def flaky(text, context):
        ...     failure = next(failures, None)
        ...     if failure is not None:
        ...         raise failure
        ...     return text
        >>> waits = []
        >>> retry = RetryInterceptor(max_attempts=3, sleep=waits.append)
        >>> with dummy_client(
        ...     special_cases={"flaky": flaky},
        ...     interceptors=[ExceptionToStatusInterceptor()],
        ...     client_interceptors=[retry],
        ... ) as client:
        ...     client.Execute(DummyRequest(input="flaky"), timeout=5).output
        'flaky'
        >>> len(waits)
        1
    """

    def __init__(
        self,
        codes: Iterable[grpc.StatusCode] = (grpc.StatusCode.UNAVAILABLE,),
        max_attempts: int = 3,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
        multiplier: float = 2.0,
        *,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random_fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grpc_interceptor_configure(codes, max_attempts, initial_backoff, max_backoff, multiplier, random, clock)
        if not callable(sleep):
            raise TypeError(f"sleep must be a function of seconds, like time.sleep; got {sleep!r}")
        self._sleep = sleep

    def _retried(self, method: Callable[[Any, Any], Any], request: Any, call_details: grpc.ClientCallDetails) -> Any:
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        outcome = method(request, call_details)
        error = outcome.exception()
        if error is None:
            return outcome
        return self._again(method, request, call_details, deadline, outcome, error)

    def _again(
        self,
        method: Callable[[Any, Any], Any],
        request: Any,
        call_details: grpc.ClientCallDetails,
        deadline: float | None,
        outcome: Any,
        error: Any,
    ) -> Any:
        """Retry after the first attempt failed with ``error``, as the policy allows."""
        attempt, backoffs = 1, 0
        while True:
            if not isinstance(error, grpc.RpcError) or not callable(getattr(error, "code", None)):
                return outcome  # not a status (an interceptor further in raised): nothing to retry
            failed: Any = error  # a grpc.Call as well, with the status
            plan = self._plan(attempt, backoffs, failed.code(), failed.trailing_metadata(), deadline)
            if plan is None:
                return outcome
            wait, backoffs = plan
            self._sleep(wait)
            attempt += 1
            outcome = method(request, self._details(call_details, attempt, deadline))
            error = outcome.exception()
            if error is None:
                return outcome

    def on_unary_unary(
        self, method: ClientUnaryUnaryContinuation[Any, Any], request: Any, call_details: grpc.ClientCallDetails, /
    ) -> CallFuture[Any]:
        """Call, and call again while the call fails with a code to retry."""
        # The path of every call that succeeds, inline: one check of the outcome.
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        outcome = method(request, call_details)
        error = outcome.exception()
        if error is None:
            return outcome
        return cast("CallFuture[Any]", self._again(method, request, call_details, deadline, outcome, error))

    def intercept_unary_unary(self, continuation: Any, call_details: grpc.ClientCallDetails, request: Any) -> Any:
        """Implement :class:`grpc.UnaryUnaryClientInterceptor`; not part of this class's API."""
        if type(self) is not RetryInterceptor:  # a subclass may override the hooks
            return ClientInterceptor.intercept_unary_unary(self, continuation, call_details, request)
        # on_unary_unary's path, straight on grpc's continuation and details: a call
        # that succeeds at once needs nothing built for the hooks.
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        outcome = continuation(call_details, request)
        error = outcome.exception()
        if error is None:
            return outcome

        def method(request: Any, details: grpc.ClientCallDetails) -> Any:
            return continuation(details, request)

        return self._again(method, request, as_our_details(call_details), deadline, outcome, error)

    def on_stream_unary(
        self,
        method: ClientStreamUnaryContinuation[Any, Any],
        request_iterator: Iterator[Any],
        call_details: grpc.ClientCallDetails,
        /,
    ) -> CallFuture[Any]:
        """Like ``on_unary_unary`` for a sequence of requests; any other iterator is sent once."""
        if not _replayable(request_iterator):
            return method(request_iterator, call_details)

        def attempt(requests: Sequence[Any], details: grpc.ClientCallDetails) -> Any:
            return method(iter(requests), details)  # grpc's sync channel wants an iterator

        return cast("CallFuture[Any]", self._retried(attempt, request_iterator, call_details))

    def on_unary_stream(
        self, method: ClientUnaryStreamContinuation[Any, Any], request: Any, call_details: grpc.ClientCallDetails, /
    ) -> CallIterator[Any]:
        """Call, and call again while the call fails before its first response."""
        return cast("CallIterator[Any]", _RetryingStream(self, method, request, call_details))


class _RetryingStream:
    """A sync response stream that starts over while no message has come: the call grpc gave, or a later one."""

    def __init__(
        self,
        policy: RetryInterceptor,
        method: Callable[[Any, Any], Any],
        request: Any,
        call_details: grpc.ClientCallDetails,
    ) -> None:
        self._policy, self._method, self._request, self._details = policy, method, request, call_details
        timeout = call_details.timeout
        self._deadline = None if timeout is None else policy._clock() + timeout  # pyright: ignore[reportPrivateUsage]
        self._call: Any = method(request, call_details)
        self._started = False

    def __getattr__(self, name: str) -> Any:  # code(), details(), cancel(), ...: the current call's
        return getattr(self._call, name)

    def __iter__(self) -> _RetryingStream:
        return self

    def __next__(self) -> Any:
        if self._started:
            return next(self._call)
        attempt, backoffs, policy = 1, 0, self._policy
        while True:
            try:
                response = next(self._call)
            except grpc.RpcError as error:
                failed: Any = error
                plan = policy._plan(attempt, backoffs, failed.code(), failed.trailing_metadata(), self._deadline)  # pyright: ignore[reportPrivateUsage]
                if plan is None:
                    raise
                wait, backoffs = plan
                policy._sleep(wait)  # pyright: ignore[reportPrivateUsage]
                attempt += 1
                details = policy._details(self._details, attempt, self._deadline)  # pyright: ignore[reportPrivateUsage]
                self._call = self._method(self._request, details)
                continue
            self._started = True
            return response


class AsyncRetryInterceptor(_Policy, AsyncClientInterceptor):
    """Retry calls of a grpc.aio channel that fail with a transient status.

    The grpc.aio twin of :class:`~grpc_interceptor.RetryInterceptor`, with the same arguments; ``sleep``
    is a coroutine function (``asyncio.sleep``). Install it with
    :func:`~grpc_interceptor.aio_channel_interceptors`.

    Args:
        codes: The status codes to retry.
        max_attempts: The most attempts per call, the first one included.
        initial_backoff: The ceiling, in seconds, of the wait before the first retry.
        max_backoff: The ceiling of any wait.
        multiplier: How much the ceiling grows from one retry to the next.
        sleep: How to wait (``asyncio.sleep``).
        random: A function giving a fraction in [0, 1).
        clock: Seconds from a monotonic clock.

    Raises:
        TypeError: If an argument is of the wrong type.
        ValueError: If a value is out of range (see :class:`~grpc_interceptor.RetryInterceptor`).

    Example:
        >>> retry = AsyncRetryInterceptor(codes=[grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED])
        >>> sorted(code.name for code in retry.codes), retry.max_attempts
        (['RESOURCE_EXHAUSTED', 'UNAVAILABLE'], 3)
    """

    def __init__(
        self,
        codes: Iterable[grpc.StatusCode] = (grpc.StatusCode.UNAVAILABLE,),
        max_attempts: int = 3,
        initial_backoff: float = 0.1,
        max_backoff: float = 5.0,
        multiplier: float = 2.0,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        random: Callable[[], float] = _random_fraction,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grpc_interceptor_configure(codes, max_attempts, initial_backoff, max_backoff, multiplier, random, clock)
        if not callable(sleep):
            raise TypeError(f"sleep must be a coroutine function of seconds, like asyncio.sleep; got {sleep!r}")
        self._sleep = sleep

    async def _retried(self, method: Callable[[Any, Any], Awaitable[Any]], request: Any, call_details: Any) -> Any:
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        call = await method(request, call_details)
        code = await call.code()
        if code is grpc.StatusCode.OK:
            return call
        return await self._again(method, request, call_details, deadline, call, code)

    async def _again(
        self,
        method: Callable[[Any, Any], Awaitable[Any]],
        request: Any,
        call_details: Any,
        deadline: float | None,
        call: Any,
        code: grpc.StatusCode,
    ) -> Any:
        """Retry after the first attempt ended with ``code``, as the policy allows."""
        attempt, backoffs = 1, 0
        while True:
            plan = self._plan(attempt, backoffs, code, await call.trailing_metadata(), deadline)
            if plan is None:
                return call
            wait, backoffs = plan
            await self._sleep(wait)
            attempt += 1
            call = await method(request, self._details(call_details, attempt, deadline))
            code = await call.code()
            if code is grpc.StatusCode.OK:
                return call

    async def on_unary_unary(
        self,
        method: AsyncClientUnaryUnaryContinuation[Any, Any],
        request: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        """Call, and call again while the call fails with a code to retry."""
        # The path of every call that succeeds, inline: one coroutine fewer than _retried.
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        call = await method(request, call_details)
        code = await call.code()
        if code is grpc.StatusCode.OK:
            return call
        return await self._again(method, request, call_details, deadline, call, code)

    async def on_stream_unary(
        self,
        method: AsyncClientStreamUnaryContinuation[Any, Any],
        request_iterator: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        """Like ``on_unary_unary`` for a sequence of requests; any other iterator is sent once."""
        if not _replayable(request_iterator):
            return await method(request_iterator, call_details)
        return await self._retried(method, request_iterator, call_details)

    async def on_unary_stream(
        self,
        method: AsyncClientUnaryStreamContinuation[Any, Any],
        request: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        """Call, and call again while the call fails before its first response."""
        timeout = call_details.timeout
        deadline = None if timeout is None else self._clock() + timeout
        call = await method(request, call_details)
        return _AsyncRetryingStream(self, method, request, call_details, call, deadline)


class _AsyncRetryingStream(grpc.aio.UnaryStreamCall):  # type: ignore[type-arg]  # pyright: ignore[reportMissingTypeArgument]
    """A grpc.aio response stream that starts over while no message has come."""

    def __init__(
        self,
        policy: AsyncRetryInterceptor,
        method: Callable[[Any, Any], Awaitable[Any]],
        request: Any,
        call_details: Any,
        call: Any,
        deadline: float | None,
    ) -> None:
        self._policy, self._method, self._request, self._call_details = policy, method, request, call_details
        self._call, self._deadline = call, deadline
        self._iterator: AsyncIterator[Any] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._iterator is None:
            self._iterator = self._responses()
        return self._iterator

    async def read(self) -> Any:
        try:
            return await anext(self.__aiter__())
        except StopAsyncIteration:
            return grpc.aio.EOF

    async def _responses(self) -> AsyncIterator[Any]:
        attempt, backoffs, policy = 1, 0, self._policy
        while True:
            iterator = aiter(self._call)
            try:
                first = await anext(iterator)
            except StopAsyncIteration:
                return
            except grpc.aio.AioRpcError as error:
                plan = policy._plan(attempt, backoffs, error.code(), error.trailing_metadata(), self._deadline)  # pyright: ignore[reportPrivateUsage]
                if plan is None:
                    raise
                wait, backoffs = plan
                await policy._sleep(wait)  # pyright: ignore[reportPrivateUsage]
                attempt += 1
                details = policy._details(self._call_details, attempt, self._deadline)  # pyright: ignore[reportPrivateUsage]
                self._call = await self._method(self._request, details)
                continue
            yield first
            async for response in iterator:
                yield response
            return

    # The rest is the current attempt's.
    def cancel(self) -> bool:
        return bool(self._call.cancel())

    def cancelled(self) -> bool:
        return bool(self._call.cancelled())

    def done(self) -> bool:
        return bool(self._call.done())

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        self._call.add_done_callback(callback)

    def time_remaining(self) -> float | None:
        remaining: float | None = self._call.time_remaining()
        return remaining

    async def initial_metadata(self) -> Any:
        return await self._call.initial_metadata()

    async def trailing_metadata(self) -> Any:
        return await self._call.trailing_metadata()

    async def code(self) -> grpc.StatusCode:
        code: grpc.StatusCode = await self._call.code()
        return code

    async def details(self) -> str:
        details: str = await self._call.details()
        return details

    async def wait_for_connection(self) -> None:
        await self._call.wait_for_connection()
