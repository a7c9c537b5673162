"""Server-side limits: how many RPCs may run at once, and how many may start per second.

Both answer an RPC over the limit with ``RESOURCE_EXHAUSTED`` at once, before the
handler runs, rather than queueing it: a server that is full says so, and the client
(or its retry policy) decides what to do.

* :class:`ConcurrencyLimitInterceptor` (sync) and
  :class:`AsyncConcurrencyLimitInterceptor` (grpc.aio) count the RPCs in flight, over
  the whole server or per method. An RPC counts from the moment it is admitted until its
  handler is done: returned, raised, aborted, cancelled, past its deadline, or (for a
  streaming response) abandoned by the client.
* :class:`RateLimitInterceptor` and :class:`AsyncRateLimitInterceptor` keep a token
  bucket: ``rate`` RPCs per second on average, ``burst`` at once after a quiet spell. A
  refused RPC carries ``grpc-retry-pushback-ms`` in its trailing metadata: when the
  next token is due, which grpc's own retry policy and
  :class:`~grpc_interceptor.retry.RetryInterceptor` honour.

The counts are kept under a lock, so they are exact with any number of threads (a sync
server) or tasks (grpc.aio). Narrow a limit to some methods with
:func:`~grpc_interceptor.select`; install several for several limits.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, NoReturn

import grpc
import grpc.aio

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

__all__ = [
    "AsyncConcurrencyLimitInterceptor",
    "AsyncRateLimitInterceptor",
    "ConcurrencyLimitInterceptor",
    "RateLimitInterceptor",
]

#: The trailing metadata key by which a server tells a client when to try again (gRPC's
#: retry design, A6): milliseconds, as a decimal integer.
PUSHBACK_KEY = "grpc-retry-pushback-ms"


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of 1 or more, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, got {value!r}")
    return value


def _check_rate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"rate must be a number of RPCs per second, got {type(value).__name__} {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"rate must be a positive, finite number of RPCs per second, got {value!r}")
    return float(value)


def _check_per_method(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"per_method must be True or False, got {type(value).__name__} {value!r}")
    return value


class _InFlight:
    """RPCs in flight per key ("" for the whole server), never more than ``limit``."""

    __slots__ = ("_counts", "_lock", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> bool:
        with self._lock:
            count = self._counts.get(key, 0)
            if count >= self.limit:
                return False
            self._counts[key] = count + 1
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._counts[key] -= 1

    def count(self, key: str | None) -> int:
        with self._lock:
            return sum(self._counts.values()) if key is None else self._counts.get(key, 0)


class _Release:
    """Gives an admitted RPC's slot back exactly once, whichever path gets here first."""

    __slots__ = ("_done", "_in_flight", "_key", "_lock")

    def __init__(self, in_flight: _InFlight, key: str) -> None:
        self._in_flight, self._key = in_flight, key
        self._done = False
        self._lock = threading.Lock()

    def __call__(self, *_: object) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._in_flight.release(self._key)


class _Buckets:
    """A token bucket per key: ``rate`` tokens a second, at most ``burst`` kept."""

    __slots__ = ("_buckets", "_clock", "_lock", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, time of the last refill]
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token; return 0.0, or the seconds until one is due if there is none."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = [float(self.burst), now]
            tokens = min(float(self.burst), bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
            if tokens >= 1.0:
                bucket[0] = tokens - 1.0
                return 0.0
            bucket[0] = tokens
            return (1.0 - tokens) / self.rate


def _busy_details(in_flight: _InFlight, key: str) -> str:
    where = f"of {key}" if key else "on this server"
    return (
        f"server busy: {in_flight.limit} RPCs {where} are already in flight, the most it runs at once; "
        "retry later, with backoff"
    )


def _rate_details(buckets: _Buckets, key: str, wait: float) -> str:
    where = f"of {key}" if key else "on this server"
    return (
        f"rate limit exceeded: RPCs {where} may start at {buckets.rate:g} per second (bursts of "
        f"{buckets.burst}); retry in {wait * 1000:.0f} ms or later"
    )


def _pushback(wait: float) -> tuple[tuple[str, str]]:
    return ((PUSHBACK_KEY, str(max(1, math.ceil(wait * 1000)))),)


class _ConcurrencyConfig:
    def _grpc_interceptor_configure(self, max_in_flight: int, per_method: bool) -> None:
        self.max_in_flight = _check_count("max_in_flight", max_in_flight)
        self.per_method = _check_per_method(per_method)
        self._in_flight = _InFlight(self.max_in_flight)

    def in_flight(self, method_name: str | None = None) -> int:
        """Return how many RPCs are in flight now.

        Args:
            method_name: With ``per_method=True``, the method to count
                (``/package.Service/Method``); ``None`` counts every method.

        Returns:
            The number of admitted RPCs whose handler is not done yet.
        """
        return self._in_flight.count(method_name if self.per_method else None)

    def _key(self, method_name: str) -> str:
        return method_name if self.per_method else ""


class ConcurrencyLimitInterceptor(_ConcurrencyConfig, ServerInterceptor):
    """Refuse RPCs beyond ``max_in_flight`` running at once, with RESOURCE_EXHAUSTED (sync server).

    An RPC counts from the moment it is admitted until its handler is done, whatever
    ends it (for a streaming response: the last message, an error, or the client going
    away). The refused RPC's handler never runs.

    Args:
        max_in_flight: How many RPCs may run at once (1 or more).
        per_method: Count each method on its own (each may have ``max_in_flight``
            RPCs in flight) rather than the whole server together.

    Raises:
        TypeError: If ``max_in_flight`` is not an int, or ``per_method`` not a bool.
        ValueError: If ``max_in_flight`` is less than 1.

    Example:
        >>> from grpc_interceptor.testing import dummy_client, DummyRequest
        >>> limit = ConcurrencyLimitInterceptor(max_in_flight=8)
        >>> with dummy_client(special_cases={}, interceptors=[limit]) as client:
        ...     client.Execute(DummyRequest(input="hi")).output
        'hi'
        >>> limit.in_flight()
        0
    """

    def __init__(self, max_in_flight: int, *, per_method: bool = False) -> None:
        self._grpc_interceptor_configure(max_in_flight, per_method)

    def _admit(self, context: grpc.ServicerContext, method_name: str) -> str:
        key = self._key(method_name)
        if not self._in_flight.acquire(key):
            self._refuse(context, key)
        return key

    def _refuse(self, context: grpc.ServicerContext, key: str) -> NoReturn:
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _busy_details(self._in_flight, key))

    def on_unary_unary(
        self, method: UnaryUnaryContinuation[Any, Any], request: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = self._admit(context, method_name)
        try:
            return method(request, context)
        finally:
            self._in_flight.release(key)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = self._admit(context, method_name)
        try:
            return method(request_iterator, context)
        finally:
            self._in_flight.release(key)

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        release = _Release(self._in_flight, self._admit(context, method_name))
        return self._stream(lambda: method(request, context), context, release)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        release = _Release(self._in_flight, self._admit(context, method_name))
        return self._stream(lambda: method(request_iterator, context), context, release)

    @staticmethod
    def _stream(start: Callable[[], Iterator[Any]], context: grpc.ServicerContext, release: _Release) -> Iterator[Any]:
        # The generator's finally releases on every end it sees; the callback covers a
        # client that leaves before grpc ever asks the generator for a message.
        context.add_callback(release)
        try:
            responses = start()
        except BaseException:
            release()
            raise
        return _released_after(responses, release)


def _released_after(responses: Iterator[Any], release: _Release) -> Iterator[Any]:
    try:
        yield from responses
    finally:
        release()


class AsyncConcurrencyLimitInterceptor(_ConcurrencyConfig, AsyncServerInterceptor):
    """Refuse RPCs beyond ``max_in_flight`` running at once, with RESOURCE_EXHAUSTED (grpc.aio).

    The grpc.aio twin of :class:`ConcurrencyLimitInterceptor`, with the same arguments.
    A cancelled RPC (the client left, or its deadline passed) gives its slot back when
    grpc.aio cancels its handler.

    Args:
        max_in_flight: How many RPCs may run at once (1 or more).
        per_method: Count each method on its own.

    Raises:
        TypeError: If ``max_in_flight`` is not an int, or ``per_method`` not a bool.
        ValueError: If ``max_in_flight`` is less than 1.

    Example:
        >>> limit = AsyncConcurrencyLimitInterceptor(100, per_method=True)
        >>> limit.in_flight("/shop.Orders/Create")
        0
    """

    def __init__(self, max_in_flight: int, *, per_method: bool = False) -> None:
        self._grpc_interceptor_configure(max_in_flight, per_method)

    async def _admit(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> str:
        key = self._key(method_name)
        if not self._in_flight.acquire(key):
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _busy_details(self._in_flight, key))
        return key

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = await self._admit(context, method_name)
        try:
            return await method(request, context)
        finally:
            self._in_flight.release(key)

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = await self._admit(context, method_name)
        try:
            return await method(request_iterator, context)
        finally:
            self._in_flight.release(key)

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = await self._admit(context, method_name)
        try:
            async for response in method(request, context):
                yield response
        finally:
            self._in_flight.release(key)

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        key = await self._admit(context, method_name)
        try:
            async for response in method(request_iterator, context):
                yield response
        finally:
            self._in_flight.release(key)


class _RateConfig:
    def _grpc_interceptor_configure(
        self, rate: float, burst: int | None, per_method: bool, clock: Callable[[], float]
    ) -> None:
        rate = _check_rate(rate)
        burst = max(1, math.ceil(rate)) if burst is None else _check_count("burst", burst)
        if not callable(clock):
            raise TypeError(f"clock must be a function returning seconds, like time.monotonic; got {clock!r}")
        self.rate, self.burst = rate, burst
        self.per_method = _check_per_method(per_method)
        self._buckets = _Buckets(rate, burst, clock)

    def _key(self, method_name: str) -> str:
        return method_name if self.per_method else ""


class RateLimitInterceptor(_RateConfig, ServerInterceptor):
    """Refuse RPCs that start faster than ``rate`` per second, with RESOURCE_EXHAUSTED (sync server).

    A token bucket: it holds up to ``burst`` tokens, gains ``rate`` a second, and each
    RPC takes one; with none left, the RPC is refused at once (its handler never runs)
    with ``grpc-retry-pushback-ms`` set to when the next token is due.

    Args:
        rate: RPCs per second on average (a positive number; 0.5 is one every two
            seconds).
        burst: How many RPCs may start at once after a quiet spell; by default
            ``rate`` rounded up (one second's worth), at least 1.
        per_method: A bucket for each method rather than one for the whole server.
        clock: Seconds from a monotonic clock (``time.monotonic``; a test may pass
            its own).

    Raises:
        TypeError: If an argument is of the wrong type.
        ValueError: If ``rate`` is not positive and finite, or ``burst`` below 1.

    Example:
        >>> from grpc_interceptor.testing import dummy_client, DummyRequest
        >>> with dummy_client(interceptors=[RateLimitInterceptor(rate=1, burst=1)]) as client:
        ...     client.Execute(DummyRequest(input="first")).output
        ...     try:
        ...         client.Execute(DummyRequest(input="second"))
        ...     except grpc.RpcError as error:
        ...         print(error.code().name)
        'first'
        RESOURCE_EXHAUSTED
    """

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        per_method: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grpc_interceptor_configure(rate, burst, per_method, clock)

    def intercept(
        self, method: Any, request_or_iterator: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Run the RPC if a token is left; refuse it otherwise."""
        key = self._key(method_name)
        wait = self._buckets.take(key)
        if wait:
            context.set_trailing_metadata(_pushback(wait))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _rate_details(self._buckets, key, wait))
        return method(request_or_iterator, context)


class AsyncRateLimitInterceptor(_RateConfig, AsyncServerInterceptor):
    """Refuse RPCs that start faster than ``rate`` per second, with RESOURCE_EXHAUSTED (grpc.aio).

    The grpc.aio twin of :class:`RateLimitInterceptor`, with the same arguments.

    Args:
        rate: RPCs per second on average.
        burst: How many RPCs may start at once; by default ``rate`` rounded up.
        per_method: A bucket for each method.
        clock: Seconds from a monotonic clock.

    Raises:
        TypeError: If an argument is of the wrong type.
        ValueError: If ``rate`` is not positive and finite, or ``burst`` below 1.

    Example:
        >>> AsyncRateLimitInterceptor(rate=50).burst
        50
    """

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        per_method: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grpc_interceptor_configure(rate, burst, per_method, clock)

    async def _admit(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> None:
        key = self._key(method_name)
        wait = self._buckets.take(key)
        if wait:
            context.set_trailing_metadata(_pushback(wait))
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _rate_details(self._buckets, key, wait))

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a token is left; refuse it otherwise."""
        await self._admit(context, method_name)
        return await method(request, context)

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a token is left; refuse it otherwise."""
        await self._admit(context, method_name)
        return await method(request_iterator, context)

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC if a token is left; refuse it otherwise."""
        await self._admit(context, method_name)
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
        """Run the RPC if a token is left; refuse it otherwise."""
        await self._admit(context, method_name)
        async for response in method(request_iterator, context):
            yield response
