"""Server-side limits: how many RPCs may run at once, and how many may start per second.

Both answer an RPC over the limit with ``RESOURCE_EXHAUSTED`` at once, before the
handler runs, rather than queueing it: a server that is full says so, and the client
(or its retry policy) decides what to do.

* :class:`~grpc_interceptor.ConcurrencyLimitInterceptor` (sync) and
  :class:`~grpc_interceptor.AsyncConcurrencyLimitInterceptor` (grpc.aio) count the RPCs in flight, over
  the whole server or per method. An RPC counts from the moment it is admitted until its
  handler is done: returned, raised, aborted, cancelled, past its deadline, or (for a
  streaming response) abandoned by the client.
* :class:`~grpc_interceptor.RateLimitInterceptor` and :class:`~grpc_interceptor.AsyncRateLimitInterceptor` keep a token
  bucket: ``rate`` RPCs per second on average, ``burst`` at once after a quiet spell. A
  refused RPC carries ``grpc-retry-pushback-ms`` in its trailing metadata: when the
  next token is due, which grpc's own retry policy and
  :class:`~grpc_interceptor.RetryInterceptor` honour.

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

from grpc_interceptor import _server_aio as _aio
from grpc_interceptor._battery import runs_own_hook
from grpc_interceptor._handlers import behavior_of, rebuild_handler
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


#: The largest ``max_in_flight`` and ``burst``: each slot or token is a list item.
MAX_COUNT = 1_000_000


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of 1 or more, got {type(value).__name__} {value!r}")
    if not 1 <= value <= MAX_COUNT:
        raise ValueError(f"{name} must be from 1 to {MAX_COUNT:,}, got {value!r}")
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
    """Free slots per key ("" for the whole server): a list of ``limit`` tokens each.

    Taking a slot is ``list.pop()`` and giving it back ``list.append()``, each a single
    operation on the list that no other thread can interleave with (the interpreter
    lock, or the list's own lock on a free-threaded build): exact counts without a lock
    of our own, at the cost of two C calls per RPC.
    """

    __slots__ = ("_lock", "_slots", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots: dict[str, list[None]] = {}
        self._lock = threading.Lock()

    def slots(self, key: str) -> list[None]:
        slots = self._slots.get(key)
        if slots is None:
            with self._lock:  # two first RPCs of a method at once must share one list
                slots = self._slots.setdefault(key, [None] * self.limit)
        return slots

    def count(self, key: str | None) -> int:
        lists = list(self._slots.values()) if key is None else [self._slots.get(key, [None] * self.limit)]
        return sum(self.limit - len(slots) for slots in lists)


class _Release:
    """Gives an admitted RPC's slot back exactly once, whichever path gets here first."""

    __slots__ = ("_done", "_lock", "_slots")

    def __init__(self, slots: list[None]) -> None:
        self._slots = slots
        self._done = False
        self._lock = threading.Lock()

    def __call__(self, *_: object) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._slots.append(None)


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` kept.

    The tokens are the items of a list, so that taking one is a ``list.pop()``, atomic
    without a lock of ours (as in :class:`_InFlight`). The tokens earned since the last
    refill are added under a lock, which an RPC takes only when at least one token is
    due (``due``, the time of the next one, is read without the lock), and never waits
    for: if another thread is refilling, that one adds them. The count can only err
    towards fewer tokens (a refill that reads the length while others take), never more.
    """

    __slots__ = ("_interval", "_last", "_lock", "burst", "clock", "due", "rate", "tokens")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._interval = 1.0 / rate
        self.tokens: list[None] = [None] * burst
        self._last = clock()  # the time up to which tokens have been added
        self.due = self._last + self._interval  # when the next token is earned
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take a token; return 0.0, or the seconds until one is due if there is none."""
        now = self.clock()
        if now >= self.due:
            self.refill(now)
        try:
            self.tokens.pop()
        except IndexError:
            return self.wait(now)
        return 0.0

    def wait(self, now: float) -> float:
        """The seconds from ``now`` until the next token is due (at least a millisecond)."""
        return max(self.due - now, 0.001)

    def refill(self, now: float) -> None:
        """Add the tokens earned up to ``now`` (unless another thread is doing it)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            last = self._last
            earned = int((now - last) * self.rate + 1e-9)
            if earned < 1:
                return
            room = self.burst - len(self.tokens)
            if earned >= room:  # full: nothing is earned while it stays full
                self.tokens.extend([None] * room)
                last = now
            else:
                self.tokens.extend([None] * earned)
                last += earned / self.rate
            self._last = last
            self.due = last + self._interval
        finally:
            self._lock.release()


class _Buckets:
    """A bucket per key ("" for the whole server), made on first use."""

    __slots__ = ("_buckets", "_clock", "_lock", "burst", "rate")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def bucket(self, key: str) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            with self._lock:
                bucket = self._buckets.setdefault(key, _Bucket(self.rate, self.burst, self._clock))
        return bucket

    def take(self, key: str) -> float:
        return self.bucket(key).take()


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
    max_in_flight: int
    per_method: bool

    def _grpc_interceptor_configure(self, max_in_flight: int, per_method: bool) -> None:
        self.max_in_flight = _check_count("max_in_flight", max_in_flight)
        self.per_method = _check_per_method(per_method)
        self._in_flight = _InFlight(self.max_in_flight)
        self._all = self._in_flight.slots("")

    def in_flight(self, method_name: str | None = None) -> int:
        """Return how many RPCs are in flight now.

        Args:
            method_name: With ``per_method=True``, the method to count
                (``/package.Service/Method``); ``None`` counts every method.

        Returns:
            The number of admitted RPCs whose handler is not done yet.
        """
        return self._in_flight.count(method_name if self.per_method else None)

    def _slots(self, method_name: str) -> list[None]:
        return self._in_flight.slots(method_name) if self.per_method else self._all


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

    def _refuse(self, context: grpc.ServicerContext, method_name: str) -> NoReturn:
        key = method_name if self.per_method else ""
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _busy_details(self._in_flight, key))

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # A unary response: the slots to count in are the method's (decided once), and
        # the check is built into the handler, one list pop and append per RPC.
        cls = ConcurrencyLimitInterceptor
        own = cls.on_stream_unary if handler.request_streaming else cls.on_unary_unary
        if handler.response_streaming or not runs_own_hook(self, ServerInterceptor, handler, method_name, own):
            return super()._grpc_interceptor_wrap(handler, method_name)
        slots, step, refuse = self._slots(method_name), behavior_of(handler), self._refuse
        take, give_back = slots.pop, slots.append

        def behavior(request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
            try:
                take()
            except IndexError:
                refuse(context, method_name)
            try:
                return step(request_or_iterator, context)
            finally:
                give_back(None)

        return rebuild_handler(handler, behavior)

    def on_unary_unary(
        self, method: UnaryUnaryContinuation[Any, Any], request: Any, context: grpc.ServicerContext, method_name: str, /
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = self._all if not self.per_method else self._in_flight.slots(method_name)
        try:
            slots.pop()
        except IndexError:
            self._refuse(context, method_name)
        try:
            return method(request, context)
        finally:
            slots.append(None)

    def on_stream_unary(
        self,
        method: StreamUnaryContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = self._slots(method_name)
        try:
            slots.pop()
        except IndexError:
            self._refuse(context, method_name)
        try:
            return method(request_iterator, context)
        finally:
            slots.append(None)

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        return self._stream(lambda: method(request, context), context, method_name)

    def on_stream_stream(
        self,
        method: StreamStreamContinuation[Any, Any],
        request_iterator: Iterator[Any],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        return self._stream(lambda: method(request_iterator, context), context, method_name)

    def _stream(
        self, start: Callable[[], Iterator[Any]], context: grpc.ServicerContext, method_name: str
    ) -> Iterator[Any]:
        slots = self._slots(method_name)
        try:
            slots.pop()
        except IndexError:
            self._refuse(context, method_name)
        release = _Release(slots)
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

    The grpc.aio twin of :class:`~grpc_interceptor.ConcurrencyLimitInterceptor`, with the same arguments.
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

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # As ConcurrencyLimitInterceptor's, for the methods with a unary response.
        cls = AsyncConcurrencyLimitInterceptor
        own = cls.on_stream_unary if handler.request_streaming else cls.on_unary_unary
        if handler.response_streaming or not runs_own_hook(self, AsyncServerInterceptor, handler, method_name, own):
            return super()._grpc_interceptor_wrap(handler, method_name)
        slots, admit = self._slots(method_name), self._admit
        step = _aio.unary_step(behavior_of(handler), handler.request_streaming)
        take, give_back = slots.pop, slots.append

        async def behavior(request_or_iterator: Any, context: Any) -> Any:
            try:
                take()
            except IndexError:
                await admit(context, method_name)  # refuses, unless a slot came free meanwhile
            try:
                return await step(request_or_iterator, context)
            finally:
                give_back(None)

        return rebuild_handler(handler, behavior)

    async def _admit(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> list[None]:
        slots = self._all if not self.per_method else self._in_flight.slots(method_name)
        try:
            slots.pop()
        except IndexError:
            key = method_name if self.per_method else ""
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, _busy_details(self._in_flight, key))
        return slots

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = self._all if not self.per_method else self._in_flight.slots(method_name)
        try:
            slots.pop()
        except IndexError:
            await self._admit(context, method_name)  # refuses
        try:
            return await method(request, context)
        finally:
            slots.append(None)

    async def on_stream_unary(
        self,
        method: AsyncStreamUnaryContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = await self._admit(context, method_name)
        try:
            return await method(request_iterator, context)
        finally:
            slots.append(None)

    async def on_unary_stream(
        self,
        method: AsyncUnaryStreamContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = await self._admit(context, method_name)
        try:
            async for response in method(request, context):
                yield response
        finally:
            slots.append(None)

    async def on_stream_stream(
        self,
        method: AsyncStreamStreamContinuation[Any, Any],
        request_iterator: AsyncIterator[Any],
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> AsyncIterator[Any]:
        """Run the RPC if a slot is free; refuse it otherwise."""
        slots = await self._admit(context, method_name)
        try:
            async for response in method(request_iterator, context):
                yield response
        finally:
            slots.append(None)


class _RateConfig:
    rate: float
    burst: int
    per_method: bool

    def _grpc_interceptor_configure(
        self, rate: float, burst: int | None, per_method: bool, clock: Callable[[], float]
    ) -> None:
        rate = _check_rate(rate)
        burst = min(MAX_COUNT, max(1, math.ceil(rate))) if burst is None else _check_count("burst", burst)
        if not callable(clock):
            raise TypeError(f"clock must be a function returning seconds, like time.monotonic; got {clock!r}")
        self.rate, self.burst = rate, burst
        self.per_method = _check_per_method(per_method)
        self._buckets = _Buckets(rate, burst, clock)
        self._all = self._buckets.bucket("")

    def _bucket(self, method_name: str) -> _Bucket:
        return self._buckets.bucket(method_name) if self.per_method else self._all

    def _refusal(self, method_name: str, wait: float) -> str:
        return _rate_details(self._buckets, method_name if self.per_method else "", wait)


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
        wait = (self._all if not self.per_method else self._buckets.bucket(method_name)).take()
        if wait:
            self._refuse(context, method_name, wait)
        return method(request_or_iterator, context)

    def _refuse(self, context: grpc.ServicerContext, method_name: str, wait: float) -> NoReturn:
        context.set_trailing_metadata(_pushback(wait))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, self._refusal(method_name, wait))

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # The bucket is the method's (decided once), and taking a token is built into
        # the handler: a clock read, a comparison and a list pop per RPC.
        if not runs_own_hook(self, ServerInterceptor, handler, method_name, RateLimitInterceptor.intercept):
            return super()._grpc_interceptor_wrap(handler, method_name)
        bucket, step, refuse = self._bucket(method_name), behavior_of(handler), self._refuse
        clock, tokens = bucket.clock, bucket.tokens

        def behavior(request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
            now = clock()
            if now >= bucket.due:
                bucket.refill(now)
            try:
                tokens.pop()
            except IndexError:
                refuse(context, method_name, bucket.wait(now))
            return step(request_or_iterator, context)

        return rebuild_handler(handler, behavior)


class AsyncRateLimitInterceptor(_RateConfig, AsyncServerInterceptor):
    """Refuse RPCs that start faster than ``rate`` per second, with RESOURCE_EXHAUSTED (grpc.aio).

    The grpc.aio twin of :class:`~grpc_interceptor.RateLimitInterceptor`, with the same arguments.

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

    def _grpc_interceptor_wrap(self, handler: Any, method_name: str) -> Any:
        # As RateLimitInterceptor's, for the methods with a unary response.
        cls = AsyncRateLimitInterceptor
        own = cls.on_stream_unary if handler.request_streaming else cls.on_unary_unary
        if handler.response_streaming or not runs_own_hook(self, AsyncServerInterceptor, handler, method_name, own):
            return super()._grpc_interceptor_wrap(handler, method_name)
        bucket, admit = self._bucket(method_name), self._admit
        step = _aio.unary_step(behavior_of(handler), handler.request_streaming)
        clock, tokens = bucket.clock, bucket.tokens

        async def behavior(request_or_iterator: Any, context: Any) -> Any:
            now = clock()
            if now >= bucket.due:
                bucket.refill(now)
            try:
                tokens.pop()
            except IndexError:
                await admit(context, method_name)  # refuses, unless a token came meanwhile
            return await step(request_or_iterator, context)

        return rebuild_handler(handler, behavior)

    async def _admit(self, context: grpc.aio.ServicerContext[Any, Any], method_name: str) -> None:
        wait = self._bucket(method_name).take()
        if wait:
            context.set_trailing_metadata(_pushback(wait))
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, self._refusal(method_name, wait))

    async def on_unary_unary(
        self,
        method: AsyncUnaryUnaryContinuation[Any, Any],
        request: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
        /,
    ) -> Any:
        """Run the RPC if a token is left; refuse it otherwise."""
        if (self._all if not self.per_method else self._buckets.bucket(method_name)).take():
            await self._admit(context, method_name)  # refuses, unless a token came meanwhile
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
