"""Server side, grpc.aio: one shape for every handler style, and the read/write bridge.

A grpc.aio handler can stream its responses by yielding them (``async def`` +
``yield``) or by calling ``await context.write(...)`` and returning ``None``; it can
receive a request stream by iterating it or by calling ``await context.read()``.
Interceptors here always see the same thing: an async iterator of responses, and the
request iterator they pass on. To get there:

* the handler gets an :class:`InterceptedContext` whose ``read()`` takes the next
  message from the request iterator the interceptor passed to its continuation, and
  whose ``write()`` (for a write-style handler) hands the message over to the
  interceptor instead of sending it;
* a write-style handler runs as a task of its own while its messages come out of
  :func:`stream_from_writes` as an async iterator; its ``write()`` returns once the
  message has gone through the interceptors and grpc has sent it, as grpc's own
  ``write()`` returns once the message is sent.

grpc decides how to run a handler from the *function* (``iscoroutinefunction``,
``isasyncgenfunction``), not from what it returns, so the decisions below use the same
tests, once per method.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import importlib
import inspect
import types
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterator
from concurrent.futures import Executor
from typing import Any, Final, TypeVar, cast

import grpc
import grpc.aio

from grpc_interceptor._hooks import hook_call

__all__ = [
    "SERVER_PIPELINE",
    "InterceptedContext",
    "ResponseStream",
    "as_response_stream",
    "build_behavior",
    "catch_all_stream_behavior",
    "responses_of",
    "stream_from_writes",
    "stream_response_behavior",
    "stream_step",
    "unary_response_behavior",
    "unary_step",
]

#: The coroutine function of which grpc.aio's server makes each interceptor's
#: continuation (a ``functools.partial``), or ``None`` where this grpc has none by that
#: name. A private name of grpc's: if it goes, only a shortcut goes with it.
SERVER_PIPELINE: Final[object] = getattr(importlib.import_module("grpc._cython.cygrpc"), "_run_interceptor", None)

_Behavior = Callable[[Any, Any], Any]
_T = TypeVar("_T")
_Hook = Callable[[Any, Any, Any, str], Any]


class _Closed:
    """What a write channel hands out after the handler has returned or raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _WriteChannel:
    """Hands a write-style handler's messages to the interceptor chain, one at a time.

    ``put`` returns only when the reader comes back for the next message. By then the
    previous one has gone through every interceptor and grpc has sent it (each layer
    asks for the next message only after passing the last one on), so ``write()``
    keeps grpc's own meaning: a message written before an abort, an exception or the
    end of the handler reaches the client first, and nothing piles up in between.
    """

    __slots__ = ("_closed", "_has_message", "_message", "_reader", "_writer")

    def __init__(self) -> None:
        self._message: Any = None
        self._has_message = False
        self._closed: _Closed | None = None
        self._reader: asyncio.Future[None] | None = None
        self._writer: asyncio.Future[None] | None = None

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def put(self, message: Any) -> None:
        self._message, self._has_message = message, True
        self._wake(self._reader)
        self._writer = asyncio.get_running_loop().create_future()
        await self._writer

    def close(self, error: BaseException | None) -> None:
        self._closed = _Closed(error)
        self._wake(self._reader)

    async def get(self) -> Any:
        """Return the next message, or the :class:`_Closed` marker after the last one."""
        self._wake(self._writer)  # the message handed out before has gone through
        while not self._has_message:
            if self._closed is not None:
                return self._closed
            self._reader = asyncio.get_running_loop().create_future()
            await self._reader
        message, self._message, self._has_message = self._message, None, False
        return message


class InterceptedContext:
    """The servicer context a handler sees when interceptors sit in front of it.

    Everything is the wrapped context's (the one the interceptor passed on, so a
    context of the interceptor's own keeps seeing what the handler does), except
    ``read()``, which takes from the request iterator the interceptors passed on, and
    ``write()``, which, while an interceptor iterates the handler's responses, hands
    the message to it instead of sending it. It passes
    ``isinstance(context, grpc.aio.ServicerContext)``.
    """

    __slots__ = ("_context", "_request_iterator", "_requests")

    def __init__(self, context: grpc.aio.ServicerContext[Any, Any], requests: AsyncIterable[Any] | None = None) -> None:
        self._context = context
        self._requests = requests
        self._request_iterator: AsyncIterator[Any] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    async def read(self) -> Any:
        """Return the next request message, or ``grpc.aio.EOF`` after the last one.

        It comes from the request iterator the interceptor passed on; but a context of
        the interceptor's own whose class defines ``read()`` (0.15.4's documented way
        to see what a handler reads) is asked instead, as in 0.15.4.
        """
        if self._requests is None or _defines_own(self._context, "read"):
            return await self._context.read()
        if self._request_iterator is None:
            self._request_iterator = aiter(self._requests)
        try:
            return await anext(self._request_iterator)
        except StopAsyncIteration:
            return grpc.aio.EOF

    async def write(self, message: Any) -> None:
        """Send a response message: to the interceptor that iterates the responses, if any."""
        channel = _WRITES.get()
        if channel is None:
            await self._context.write(message)
        else:
            await channel.put(message)

    def __repr__(self) -> str:
        return f"InterceptedContext({self._context!r})"


grpc.aio.ServicerContext.register(InterceptedContext)


def _defines_own(context: object, name: str) -> bool:
    """Whether ``context`` is an interceptor's own object whose class defines ``name``."""
    kind = type(context)
    return kind is not _GRPC_CONTEXT_TYPE and kind is not InterceptedContext and hasattr(kind, name)


#: The channel that ``write()`` hands messages to, in the task that runs a handler (or
#: an interceptor that awaits it) while an interceptor iterates its responses.
_WRITES: Final[contextvars.ContextVar[_WriteChannel | None]] = contextvars.ContextVar(
    "grpc_interceptor_writes", default=None
)


async def stream_from_writes(run: Callable[[], Awaitable[Any]]) -> AsyncIterator[Any]:
    """Run ``run()`` in a task of its own and yield what is written in it.

    ``run()`` is a write-style handler, or a 0.15.4-style interceptor that awaits one:
    it writes its responses and returns ``None``, or returns an async iterator of more
    responses, which is iterated after what was written. The task copies the current
    contextvars, so values an interceptor set are visible to the handler. Its exception
    is raised here after the messages written before; if the consumer stops early or
    is cancelled, the task is cancelled.
    """
    channel = _WriteChannel()
    rest: list[Any] = []

    async def produce() -> None:
        _WRITES.set(channel)
        try:
            rest.append(await run())
        except BaseException as exc:  # handed over to the consumer, who raises it
            channel.close(exc)
        else:
            channel.close(None)

    task = asyncio.get_running_loop().create_task(produce())
    try:
        while True:
            item = await channel.get()
            if type(item) is _Closed:
                if item.error is not None:
                    raise item.error
                break
            yield item
    finally:
        if not task.done():
            task.cancel()
    if rest and rest[0] is not None:
        async for item in rest[0]:
            yield item


class ResponseStream:
    """What a continuation returns for a streaming response: awaitable and async-iterable.

    Iterate it (``async for``) to see every response, whether the handler yields them
    or writes them with ``context.write()``. Or await it, as 0.15.4 code does: that gives
    the async iterator of the responses, or ``None`` once a write-style handler has
    written them all (straight to the client, or to an interceptor further out that
    iterates). Nothing runs until it is iterated or awaited, and it is used once.
    """

    __slots__ = ("_call", "_context", "_iterator", "_request", "_used")

    def __init__(self, call: Callable[[Any, Any], Any], request: Any, context: Any) -> None:
        self._call = call
        self._request = request
        self._context = context
        self._iterator: AsyncIterator[Any] | None = None
        self._used = False

    def _start(self) -> Any:
        if self._used:
            raise RuntimeError(
                "a continuation's response stream can be iterated or awaited once; "
                "call the continuation again for another run of the handler"
            )
        self._used = True
        return self._call(self._request, self._context)

    def __await__(self) -> Generator[Any, None, Any]:
        result: Any = self._start()
        if hasattr(result, "__await__"):
            pending: Awaitable[Any] = result
            awaited: Any = yield from pending.__await__()
            return awaited
        return result

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._iterator is None:
            result = self._start()
            if hasattr(result, "__aiter__"):
                self._iterator = aiter(result)
            else:
                self._iterator = stream_from_writes(lambda: result)
        return self._iterator

    def __anext__(self) -> Awaitable[Any]:
        return anext(self.__aiter__())


def as_response_stream(result: _T) -> _T:
    """Return ``result``, or, for an async iterator that cannot be awaited, a :class:`ResponseStream`.

    (The stream is an async iterator of the same responses, so the type stays.)
    """
    if hasattr(result, "__await__") or not hasattr(result, "__aiter__"):
        return result
    return cast("_T", ResponseStream(_given, result, None))


def _given(result: Any, _: Any) -> Any:
    return result


#: The type of a coroutine object (typed Any, as :data:`_YIELDABLE`).
_COROUTINE: Final[Any] = types.CoroutineType

#: What a types.coroutine generator may `yield from` as it is: a coroutine, or another
#: such generator (typed Any: the checkers would narrow to these, and know no such
#: `yield from`).
_YIELDABLE: Final[Any] = (types.CoroutineType, types.GeneratorType)


def _lazy(call: Callable[[Any, Any], Awaitable[Any]]) -> Callable[[Any, Any], Awaitable[Any]]:
    """Return ``call`` made lazy: nothing runs until what it returns is awaited.

    An interceptor that calls its continuation and then fails before awaiting the
    result leaves no coroutine behind that was never awaited: what it drops is a
    generator-based coroutine, which Python does not warn about, and ``call`` itself
    never ran. Awaiting it costs one generator frame; a lazy object with an
    ``__await__`` method would cost several times that, since its result comes back
    as a ``StopIteration``.
    """

    @types.coroutine
    def lazily(request_or_iterator: Any, context: Any) -> Generator[Any, None, Any]:
        awaitable: Any = call(request_or_iterator, context)
        if type(awaitable) not in _YIELDABLE:  # a hook's own awaitable, say
            awaitable = awaitable.__await__()
        steps: Generator[Any, None, Any] = awaitable
        return (yield from steps)

    return lazily


#: The type of the servicer context grpc.aio's server hands a handler.
_GRPC_CONTEXT_TYPE: Final[Any] = getattr(importlib.import_module("grpc._cython.cygrpc"), "_ServicerContext", None)
_GRPC_RPC_STATE_TYPE: Final[Any] = getattr(importlib.import_module("grpc._cython.cygrpc"), "RPCState", None)
_GRPC_SERVER_TYPE: Final[Any] = getattr(importlib.import_module("grpc._cython.cygrpc"), "AioServer", None)

#: grpc's own context of the RPC being served, for a sync handler at the bottom of a
#: chain whose interceptors passed on a context of their own: set by the outermost
#: behaviour, the one grpc calls, only for methods whose handler is sync.
_RPC_CONTEXT: Final[contextvars.ContextVar[Any]] = contextvars.ContextVar("grpc_interceptor_rpc_context")


def _referent(obj: object, kind: Any) -> Any:
    for found in gc.get_referents(obj):
        if type(found) is kind:
            return found
    return None


def migration_pool(context: Any) -> Executor | None:
    """Return the ``migration_thread_pool`` of the grpc.aio server serving an RPC.

    grpc.aio runs a plain ``def`` handler in that pool, and so must a bridge that runs
    one behind an interceptor. grpc keeps the pool on its Cython server object, out of
    reach of Python code, and hands interceptors neither; it is found by following the
    references of the RPC's own context (context -> RPC state -> server -> pool), which
    costs three small look-ups and no scan of memory. ``None`` (the loop's default
    executor, which is also what grpc uses when no pool was given) where ``context`` is
    not grpc's, e.g. in a unit test that calls a handler with a context of its own.
    """
    if _GRPC_CONTEXT_TYPE is None or type(context) is not _GRPC_CONTEXT_TYPE:
        context = _RPC_CONTEXT.get(None)
        if context is None:
            return None
    state = _referent(context, _GRPC_RPC_STATE_TYPE)
    server = _referent(state, _GRPC_SERVER_TYPE) if state is not None else None
    if server is None:
        return None
    for found in gc.get_referents(server):
        if isinstance(found, Executor):
            return found
    return None


class SyncContext:
    """The sync view of a grpc.aio context that a plain ``def`` handler gets.

    It is what grpc.aio itself gives such a handler: ``abort()`` and
    ``send_initial_metadata()`` run the context's coroutine on the server's event loop
    and wait for it, so that ``abort()`` raises and ends the RPC with its code; the
    other methods are the context's own. Anything else the context carries (an
    attribute an interceptor's own context adds, say) is reached through it, a
    coroutine method as a call that waits for its result.
    """

    __slots__ = ("_callbacks", "_context", "_loop")

    def __init__(self, context: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._context = context
        self._loop = loop
        self._callbacks: list[Callable[[], object]] = []

    def _wait(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def abort(self, code: grpc.StatusCode, details: str = "", trailing_metadata: Any = ()) -> None:
        """End the RPC with ``code`` and ``details``: raises, as grpc's sync ``abort()`` does."""
        self._wait(self._context.abort(code, details, trailing_metadata))

    def abort_with_status(self, status: grpc.Status) -> None:
        """End the RPC with ``status``'s code, details and trailing metadata: raises."""
        self._wait(self._context.abort(status.code, status.details, status.trailing_metadata))

    def send_initial_metadata(self, metadata: Any) -> None:
        """Send the initial metadata now, and wait until it is sent."""
        self._wait(self._context.send_initial_metadata(metadata))

    def add_callback(self, callback: Callable[[], object]) -> bool:
        """Call ``callback`` once the handler has finished."""
        self._callbacks.append(callback)
        return True

    def run_callbacks(self) -> None:
        for callback in self._callbacks:
            callback()

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._context, name)
        if inspect.iscoroutinefunction(found):
            return functools.partial(self._call_and_wait, found)
        return found

    def _call_and_wait(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self._wait(method(*args, **kwargs))

    def __repr__(self) -> str:
        return f"SyncContext({self._context!r})"


def _in_thread(pool: Executor | None, function: Callable[..., Any], *args: Any) -> Awaitable[Any]:
    """Run a sync handler in ``pool`` with the caller's contextvars."""
    call = functools.partial(contextvars.copy_context().run, function, *args)
    future: asyncio.Future[Any] = asyncio.get_running_loop().run_in_executor(pool, call)
    return future


_DONE: Final = object()


async def _run_sync(behavior: _Behavior, request_or_iterator: Any, context: Any, request_streaming: bool) -> Any:
    """Run a sync unary-response handler as grpc.aio does: in its pool, with a sync context."""
    loop = asyncio.get_running_loop()
    if request_streaming:
        request_or_iterator = _SyncRequests(request_or_iterator, loop)
    sync_context = SyncContext(context, loop)
    try:
        return await _in_thread(migration_pool(context), behavior, request_or_iterator, sync_context)
    finally:
        sync_context.run_callbacks()


def _start(behavior: _Behavior, request_or_iterator: Any, context: Any) -> Iterator[Any]:
    return iter(behavior(request_or_iterator, context))


async def _iterate_sync(
    behavior: _Behavior, request_or_iterator: Any, context: Any, request_streaming: bool
) -> AsyncIterator[Any]:
    """Run a sync streaming-response handler as grpc.aio does, and yield its messages."""
    loop = asyncio.get_running_loop()
    if request_streaming:
        request_or_iterator = _SyncRequests(request_or_iterator, loop)
    sync_context = SyncContext(context, loop)
    pool = migration_pool(context)
    try:
        # Called in the pool too: a plain function (not a generator) that returns an
        # iterator may do its work, or read requests, before it returns.
        iterator = await _in_thread(pool, _start, behavior, request_or_iterator, sync_context)
        while True:
            item = await _in_thread(pool, next, iterator, _DONE)
            if item is _DONE:
                return
            yield item
    finally:
        sync_context.run_callbacks()


#: The attribute of a behaviour built here that holds its plain-function form.
_DIRECT: Final = "_grpc_interceptor_direct"


def _direct(behavior: _Behavior) -> _Behavior | None:
    """Return the plain-function form of a behaviour built here, or ``None`` for any other.

    grpc needs the behaviour of a grpc.aio handler to be a coroutine function or an
    async generator function. Where the hook is not one that can be bound to its
    arguments as such (see :func:`~grpc_interceptor._hooks.bind_hook`), the behaviour
    built here wraps it in one. An interceptor further out needs no such wrapper around
    the one inside it: it calls the plain form and gets the same awaitable or async
    iterator, one coroutine (or one generator hop per message) fewer for each
    interceptor but the outermost.
    """
    direct: _Behavior | None = getattr(behavior, _DIRECT, None)
    return direct


def _mark(behavior: _Behavior, direct: _Behavior) -> _Behavior:
    setattr(behavior, _DIRECT, direct)
    return behavior


#: The attribute that marks a continuation or behaviour with a sync handler below it.
_SYNC: Final = "_grpc_interceptor_sync"


def _mark_sync(function: _Behavior, sync: bool = True) -> _Behavior:
    if sync:
        setattr(function, _SYNC, True)
    return function


def _is_sync(function: _Behavior) -> bool:
    return bool(getattr(function, _SYNC, False))


#: The attribute that marks a streaming continuation or behaviour with a write-style
#: (``context.write()``) handler below it.
_WRITES_BELOW: Final = "_grpc_interceptor_writes"


def _writes_below(function: _Behavior) -> bool:
    return bool(getattr(function, _WRITES_BELOW, False))


def unary_step(behavior: _Behavior, request_streaming: bool, lazy: bool = True) -> _Behavior:
    """Return the continuation for a method with a unary response: it returns an awaitable.

    With ``lazy`` (for a catch-all ``intercept``, 0.15.4's hook), the continuation to
    another interceptor of a chain is lazy (see :func:`_lazy`): the next interceptor
    runs only once it is awaited, so 0.15.4 code that fails before awaiting leaves no
    "never awaited" warning behind. A typed hook's continuation returns the next
    interceptor's coroutine, as any ``async def`` does, and one to an ``async def``
    handler of a unary request is the handler itself, as in 0.15.4.
    """
    call = _direct(behavior)
    if call is None and not request_streaming and inspect.iscoroutinefunction(behavior):
        return behavior
    if call is not None or inspect.iscoroutinefunction(behavior):
        inner = call or behavior
        target = inner
        if request_streaming:

            def reading(request_iterator: Any, context: Any) -> Awaitable[Any]:
                result: Awaitable[Any] = inner(request_iterator, InterceptedContext(context, request_iterator))
                return result

            target = reading

        return _mark_sync(_lazy(target) if lazy else target, _is_sync(behavior))

    # A sync handler on a grpc.aio server (grpc runs those in its thread pool).
    def in_thread(request_or_iterator: Any, context: Any) -> Awaitable[Any]:
        return _run_sync(behavior, request_or_iterator, context, request_streaming)

    return _mark_sync(_lazy(in_thread) if lazy else in_thread)


def stream_step(behavior: _Behavior, request_streaming: bool) -> _Behavior:
    """Return the continuation for a method with a streaming response.

    It returns a :class:`ResponseStream`, whatever the handler's style: iterated, it
    gives every response (yielded or written); awaited, it runs the handler as 0.15.4
    did.
    """
    sync = False
    target: _Behavior
    if inspect.iscoroutinefunction(behavior):  # the read/write API: returns None

        def writing(request_or_iterator: Any, context: Any) -> Any:
            requests = request_or_iterator if request_streaming else None
            return behavior(request_or_iterator, InterceptedContext(context, requests))

        target = writing
    elif _direct(behavior) is not None or inspect.isasyncgenfunction(behavior):
        inner = _direct(behavior) or behavior
        sync = _is_sync(behavior)
        if request_streaming:

            def reading(request_iterator: Any, context: Any) -> Any:
                return inner(request_iterator, InterceptedContext(context, request_iterator))

            target = reading
        else:
            target = inner
    else:
        # A sync generator handler on a grpc.aio server.
        sync = True

        def in_thread(request_or_iterator: Any, context: Any) -> Any:
            return _iterate_sync(behavior, request_or_iterator, context, request_streaming)

        target = in_thread

    def step(request_or_iterator: Any, context: Any) -> ResponseStream:
        return ResponseStream(target, request_or_iterator, context)

    if inspect.iscoroutinefunction(behavior) or _writes_below(behavior):
        setattr(step, _WRITES_BELOW, True)
    return _mark_sync(step, sync)


class _SyncRequests:
    """A sync iterator over an async request stream, for a sync handler in a thread."""

    __slots__ = ("_iterator", "_loop")

    def __init__(self, requests: AsyncIterable[Any], loop: asyncio.AbstractEventLoop) -> None:
        self._iterator = aiter(requests)
        self._loop = loop

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        future = asyncio.run_coroutine_threadsafe(_next_or_done(self._iterator), self._loop)
        item = future.result()
        if item is _DONE:
            raise StopIteration
        return item


async def _next_or_done(iterator: AsyncIterator[Any]) -> Any:
    return await anext(iterator, _DONE)


def _marked(behavior: _Behavior, direct: _Behavior, step: _Behavior) -> _Behavior:
    """Mark ``behavior`` with its plain form, and both as sync below where ``step`` is."""
    sync = _is_sync(step)
    _mark_sync(direct, sync)
    if _writes_below(step):
        setattr(direct, _WRITES_BELOW, True)
        setattr(behavior, _WRITES_BELOW, True)
    return _mark_sync(_mark(behavior, direct), sync)


def unary_response_behavior(hook: _Hook, step: _Behavior, method_name: str) -> _Behavior:
    """The behaviour grpc runs for a unary-response method: a coroutine function."""
    direct = hook_call(hook, step, method_name)
    sync = _is_sync(step)
    if not sync and inspect.iscoroutinefunction(direct):
        # The hook bound to its arguments (inspect looks through the partial): grpc
        # awaits the hook's own coroutine, with none of the library's around it.
        return _marked(direct, direct, step)

    async def behavior(request_or_iterator: Any, context: Any) -> Any:
        if sync:
            _RPC_CONTEXT.set(context)
        return await hook(step, request_or_iterator, context, method_name)

    return _marked(behavior, direct, step)


def _async_generator_code() -> types.CodeType:
    async def responses(request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
        yield None

    return responses.__code__


class _StreamingBehavior:
    """A streaming-response behaviour that hands grpc the hook's own response iterator.

    grpc.aio picks how to run a streaming handler with ``inspect.isasyncgenfunction``,
    which (since Python 3.11) also accepts an object that looks like a function whose
    code is an async generator's. This object passes that test while being a plain
    call, so grpc iterates what the hook returns directly: no generator of the
    library's sits between the hook and grpc, one hop per message fewer. Where the test
    does not accept it (Python 3.10), :data:`_STREAMING_BEHAVIOR_WORKS` is false and the
    behaviour is an async generator function that re-yields instead.
    """

    __code__: Final = _async_generator_code()
    __defaults__: Final = None
    __kwdefaults__: Final = None

    def __init__(self, hook: _Hook, step: _Behavior, method_name: str) -> None:
        self.__name__ = self.__qualname__ = f"intercepted {method_name}"
        self.__annotations__: dict[str, Any] = {}
        self._hook = hook
        self._step = step
        self._method_name = method_name
        self._sync = _is_sync(step)

    def __call__(self, request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
        if self._sync:
            _RPC_CONTEXT.set(context)
        responses: AsyncIterator[Any] = self._hook(self._step, request_or_iterator, context, self._method_name)
        return responses


class _CatchAllStreamingBehavior(_StreamingBehavior):
    """:class:`_StreamingBehavior` for a catch-all ``intercept``, which may return a coroutine.

    0.15.4's documented pass-through is a coroutine that returns the stream without
    waiting for anything. Such a coroutine is run here at once, up to where it returns
    or first waits (as asyncio's eager tasks run theirs), in the task grpc serves the
    RPC in: when it returns, grpc iterates the stream it gave directly. One that waits
    goes on from there when grpc asks for the first message (see :func:`_resumed`).
    """

    def __call__(self, request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
        if self._sync:
            _RPC_CONTEXT.set(context)
        return _stream_of(self._hook(self._step, request_or_iterator, context, self._method_name))


def _stream_of(result: Any) -> AsyncIterator[Any]:
    """The responses of what a catch-all ``intercept`` returned for a streaming response.

    An async iterator as it is; a coroutine run at once up to where it returns (its
    stream is then iterated directly) or first waits (it goes on from there when the
    first message is asked for); any other awaitable awaited for the first message.
    Not for a coroutine that may await a write-style handler whose messages an
    interceptor further out iterates: those must be caught in a task of their own
    (:func:`responses_of`).
    """
    if hasattr(result, "__aiter__"):
        responses: AsyncIterator[Any] = result
        return responses
    if type(result) is not _COROUTINE:
        return _AwaitedStream(result)
    try:
        waits_for = result.send(None)
    except StopIteration as returned:
        stream = returned.value
        if stream is None:  # nothing left to send (it awaited a write-style handler)
            return _EXHAUSTED
        return stream if hasattr(stream, "__aiter__") else _AwaitedStream(stream)
    return _AwaitedStream(_resumed(result, waits_for))


@types.coroutine
def _resumed(coroutine: Any, waits_for: Any) -> Generator[Any, Any, Any]:
    """Go on with a coroutine that was run up to its first wait, which gave ``waits_for``.

    What the task sends or throws in is passed on to the coroutine, as ``await`` would.
    """
    while True:
        try:
            sent = yield waits_for
        except GeneratorExit:
            coroutine.close()
            raise
        except BaseException as error:  # the task threw it in: the coroutine's to handle
            try:
                waits_for = coroutine.throw(error)
            except StopIteration as returned:
                return returned.value
        else:
            try:
                waits_for = coroutine.send(sent)
            except StopIteration as returned:
                return returned.value


class _Exhausted:
    """The iterator of no responses."""

    __slots__ = ()

    def __aiter__(self) -> _Exhausted:
        return self

    async def __anext__(self) -> Any:
        # From the awaitable, not the call: grpc's own `async for` takes it only there.
        raise StopAsyncIteration


_EXHAUSTED: Final = _Exhausted()


class _AwaitedStream:
    """The responses of the stream an awaitable gives: awaited for the first message.

    After that, each message is the inner iterator's own ``__anext__``, with no
    generator in between. An awaitable that gives ``None`` (an interceptor that
    awaited a write-style handler: its messages are sent) gives no responses, as
    0.15.4 allowed.
    """

    __slots__ = ("_awaitable", "_iterator")

    def __init__(self, awaitable: Awaitable[Any]) -> None:
        self._awaitable = awaitable
        self._iterator: Any = None

    def __aiter__(self) -> _AwaitedStream:
        return self

    def __anext__(self) -> Awaitable[Any]:
        iterator = self._iterator
        if iterator is None:
            return self._first()
        following: Awaitable[Any] = iterator.__anext__()
        return following

    async def _first(self) -> Any:
        self._iterator = _EXHAUSTED  # also if awaiting fails: nothing more comes
        result = await self._awaitable
        if result is None:
            raise StopAsyncIteration
        iterator = self._iterator = aiter(result)
        return await anext(iterator)


#: Whether grpc will take a :class:`_StreamingBehavior` for an async generator function.
_STREAMING_BEHAVIOR_WORKS: Final = inspect.isasyncgenfunction(
    cast("Any", _StreamingBehavior(lambda method, request, context, method_name: None, _given, "probe"))
)


def stream_response_behavior(hook: _Hook, step: _Behavior, method_name: str) -> _Behavior:
    """The behaviour grpc runs for a streaming-response method: an async generator function."""
    direct = hook_call(hook, step, method_name)
    sync = _is_sync(step)
    if not sync and inspect.isasyncgenfunction(direct):
        # The hook bound to its arguments: grpc iterates the hook's own generator.
        return _marked(direct, direct, step)
    if _STREAMING_BEHAVIOR_WORKS:
        return _marked(_StreamingBehavior(hook, step, method_name), direct, step)

    async def behavior(request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
        if sync:
            _RPC_CONTEXT.set(context)
        async for response in hook(step, request_or_iterator, context, method_name):
            yield response

    return _marked(behavior, direct, step)


async def responses_of(result: Any) -> AsyncIterator[Any]:
    """Iterate what a 0.15.4-style catch-all ``intercept`` returned for a streaming response.

    That is either an async iterator (an ``async def`` + ``yield`` interceptor), or an
    awaitable that gives one (0.15.4's README checks ``__aiter__`` and returns a helper
    generator from a coroutine) or ``None`` (it awaited a write-style handler, whose
    written messages come out here); all are accepted. The awaitable runs in a task of
    its own, so that what a write-style handler writes while the interceptor awaits it
    comes out here too (where no handler below writes, :func:`_stream_of` needs no task).
    """
    if not hasattr(result, "__aiter__"):
        result = stream_from_writes(functools.partial(_awaited, result))
    async for response in result:
        yield response


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def catch_all_stream_behavior(intercept: _Hook, step: _Behavior, method_name: str) -> _Behavior:
    """Like :func:`stream_response_behavior`, for a catch-all ``intercept``.

    What ``intercept`` returns (see :func:`responses_of`) is known only per call; it is
    looked at here rather than through :func:`responses_of`, to keep no generator hop
    per message (a single one on Python 3.10), as with the typed hooks.
    """
    writes = _writes_below(step)

    def direct(request_or_iterator: Any, context: Any) -> Any:
        result = intercept(step, request_or_iterator, context, method_name)
        if not writes:
            return _stream_of(result)
        # What a write-style handler below writes must be caught in a task of its own.
        return result if hasattr(result, "__aiter__") else responses_of(result)

    if _STREAMING_BEHAVIOR_WORKS:
        return _marked(_CatchAllStreamingBehavior(intercept, step, method_name), direct, step)
    sync = _is_sync(step)

    async def behavior(request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
        if sync:
            _RPC_CONTEXT.set(context)
        result = intercept(step, request_or_iterator, context, method_name)
        if not hasattr(result, "__aiter__"):
            result = await result
            if result is None:  # nothing left to send, as 0.15.4 allowed
                return
        async for response in result:
            yield response

    return _marked(behavior, direct, step)


def build_behavior(
    hook: _Hook, catch_all: bool, original: _Behavior, handler: grpc.RpcMethodHandler[Any, Any], method_name: str
) -> _Behavior:
    """The behaviour of a grpc.aio handler around ``original``, the handler's own.

    What grpc.aio needs depends on the kind and the handler's style: a coroutine
    function for a unary response, an async generator function for a stream; the
    continuation the hook gets is made for the style of what it leads to.
    """
    request_streaming = handler.request_streaming
    if not handler.response_streaming:
        return unary_response_behavior(hook, unary_step(original, request_streaming, lazy=catch_all), method_name)
    step = stream_step(original, request_streaming)
    if catch_all:
        return catch_all_stream_behavior(hook, step, method_name)
    return stream_response_behavior(hook, step, method_name)
