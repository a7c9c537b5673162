"""Real servers and clients for testing interceptors end to end.

:func:`dummy_client` serves :class:`DummyService` with your interceptors on localhost
and hands you a client stub; :func:`serve` does the same for your own servicers. The
server listens on an ephemeral port of 127.0.0.1 and is always shut down on exit.

A grpc.aio server runs on an event loop of its own, in a thread, so both sync and
async tests can use it; an aio client belongs to the test's own event loop (use it
from an ``async def`` test).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from concurrent import futures
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import grpc
import grpc.aio

from grpc_interceptor._matching import check_typed_interceptors_ran
from grpc_interceptor.client import AsyncClientInterceptor, ClientInterceptor, aio_channel_interceptors
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.testing.protos import dummy_pb2_grpc
from grpc_interceptor.testing.protos.dummy_pb2 import DummyRequest, DummyResponse
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceServicer, DummyServiceStub

if TYPE_CHECKING:
    from typing import TypeAlias

    from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceAsyncStub

__all__ = [
    "AsyncDummyService",
    "AsyncReadWriteDummyService",
    "DummyService",
    "SpecialCase",
    "dummy_channel",
    "dummy_client",
    "raises",
    "serve",
]

#: What a special case does with the input string: return the output, or raise. On a
#: grpc.aio server it may also be a coroutine function.
SpecialCase: TypeAlias = Callable[[str, Any], str | Awaitable[str]]
#: 0.15.4's name for :data:`SpecialCase`.
SpecialCaseFunction: TypeAlias = SpecialCase

# 0.15.4's module attributes, which code written for it imports from here:
# ``grpc_aio``, ``dummy_pb2_grpc`` (imported above) and ``SpecialCaseFunction``.
grpc_aio = grpc.aio

if TYPE_CHECKING:
    _SyncServerInterceptors: TypeAlias = Sequence[ServerInterceptor[Any, Any] | grpc.ServerInterceptor]
    _AsyncServerInterceptors: TypeAlias = Sequence[AsyncServerInterceptor[Any, Any] | grpc.aio.ServerInterceptor]
    # For aio_server known only at run time (0.15.4's tests parametrize it): either kind
    # of server interceptor; the kit checks the mix when it is called.
    _AnyServerInterceptor: TypeAlias = (
        ServerInterceptor[Any, Any]
        | AsyncServerInterceptor[Any, Any]
        | grpc.ServerInterceptor
        | grpc.aio.ServerInterceptor
    )
    _Refused: TypeAlias = "_SyncInterceptorsOnAnAioServer | _AsyncInterceptorsOnASyncServer"


# What the overloads of serve(), dummy_channel() and dummy_client() give for a mix of
# server and interceptors that the checker can see is wrong: no context manager, so the
# `with` is an error that names the mistake. (A plain bool for aio_server falls to the
# last, permissive overload.) At run time the call raises TypeError before anything
# starts.
class _SyncInterceptorsOnAnAioServer:
    """Not a context manager: sync server interceptors given with ``aio_server=True``."""


class _AsyncInterceptorsOnASyncServer:
    """Not a context manager: async server interceptors given without ``aio_server=True``."""


# Covariant: a context manager giving an async stub is one giving a stub.
_StubT = TypeVar("_StubT", covariant=True)
_ChannelT = TypeVar("_ChannelT", covariant=True)

# The echo service's sync server runs one RPC at a time, as 0.15.4's did. serve(), for
# your own servicers, gives them more workers.
_DUMMY_SERVER_WORKERS = 1
_SERVER_WORKERS = 8


def raises(e: Exception) -> Callable[..., Any]:
    """Return a function that raises ``e`` whatever it is called with.

    Args:
        e: The exception to raise.

    Returns:
        A function taking any arguments, for a special case of :class:`DummyService`.

    Example:
        >>> raises(ValueError("boom"))("input", None)
        Traceback (most recent call last):
        ...
        ValueError: boom
    """

    def raise_(*args: Any, **kwargs: Any) -> Any:
        raise e

    return raise_


class DummyService(DummyServiceServicer):
    """An echo service with one RPC of each kind, for a sync ``grpc.server``.

    Args:
        special_cases: Maps an input string to a function called instead of echoing:
            it gets the input and the context and returns the output, or raises. This
            is how a test makes the service raise a given exception.
    """

    def __init__(self, special_cases: Mapping[str, SpecialCase] | None = None) -> None:
        # The mapping itself, read when an RPC arrives: cases added later apply.
        self._special_cases: Mapping[str, SpecialCase] = {} if special_cases is None else special_cases

    def _output(self, text: str, context: grpc.ServicerContext) -> str:
        special = self._special_cases.get(text)
        if special is None:
            return text
        output = special(text, context)
        if inspect.isawaitable(output):
            raise TypeError(f"special case for {text!r} is async, but DummyService runs on a sync server")
        return output

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        """Echo the input, or run its special case."""
        return DummyResponse(output=self._output(request.input, context))

    def ExecuteClientStream(  # pyright: ignore[reportIncompatibleMethodOverride]  # request_iter, as in 0.15.4
        self, request_iter: Iterable[DummyRequest], context: grpc.ServicerContext
    ) -> DummyResponse:
        """Concatenate the inputs (each through its special case) into one output."""
        return DummyResponse(output="".join(self._output(request.input, context) for request in request_iter))

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        """Stream the input one character at a time (the special case runs first)."""
        for char in self._output(request.input, context):
            yield DummyResponse(output=char)

    def ExecuteClientServerStream(  # pyright: ignore[reportIncompatibleMethodOverride]  # request_iter, as in 0.15.4
        self, request_iter: Iterable[DummyRequest], context: grpc.ServicerContext
    ) -> Iterator[DummyResponse]:
        """Answer each input with its output as it arrives."""
        for request in request_iter:
            yield DummyResponse(output=self._output(request.input, context))


class AsyncDummyService(DummyServiceServicer):
    """:class:`DummyService` for a ``grpc.aio`` server, written with ``return`` and ``yield``.

    Special cases may be coroutine functions.
    """

    def __init__(self, special_cases: Mapping[str, SpecialCase] | None = None) -> None:
        # The mapping itself, read when an RPC arrives: cases added later apply.
        self._special_cases: Mapping[str, SpecialCase] = {} if special_cases is None else special_cases

    async def _output(self, text: str, context: grpc.aio.ServicerContext[Any, Any]) -> str:
        special = self._special_cases.get(text)
        if special is None:
            return text
        output = special(text, context)
        return await output if inspect.isawaitable(output) else output

    async def Execute(self, request: DummyRequest, context: grpc.aio.ServicerContext[Any, Any]) -> DummyResponse:
        """Echo the input, or run its special case."""
        return DummyResponse(output=await self._output(request.input, context))

    async def ExecuteClientStream(  # pyright: ignore[reportIncompatibleMethodOverride]  # as in 0.15.4
        self, request_iter: AsyncIterator[DummyRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> DummyResponse:
        """Concatenate the inputs into one output."""
        outputs = [await self._output(request.input, context) async for request in request_iter]
        return DummyResponse(output="".join(outputs))

    async def ExecuteServerStream(
        self, request: DummyRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[DummyResponse]:
        """Stream the input one character at a time."""
        for char in await self._output(request.input, context):
            yield DummyResponse(output=char)

    async def ExecuteClientServerStream(  # pyright: ignore[reportIncompatibleMethodOverride]  # as in 0.15.4
        self, request_iter: AsyncIterator[DummyRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[DummyResponse]:
        """Answer each input as it arrives."""
        async for request in request_iter:
            yield DummyResponse(output=await self._output(request.input, context))


class AsyncReadWriteDummyService(AsyncDummyService):
    """:class:`AsyncDummyService` written with the read/write API.

    Streaming requests are taken with ``await context.read()`` and streaming
    responses sent with ``await context.write()``; the handlers return ``None``.
    (The generated servicer stub knows only the iterator style, hence the ignores.)
    """

    async def _read_all(self, context: grpc.aio.ServicerContext[DummyRequest, DummyResponse]) -> AsyncIterator[str]:
        while True:
            # types-grpcio types read() as the request alone; it also returns EOF.
            request: object = await context.read()
            if request is grpc.aio.EOF:
                return
            assert isinstance(request, DummyRequest)
            yield await self._output(request.input, context)

    async def ExecuteClientStream(
        self, request_iter: object, context: grpc.aio.ServicerContext[DummyRequest, DummyResponse]
    ) -> DummyResponse:
        """Concatenate the inputs, read with ``context.read()``."""
        return DummyResponse(output="".join([output async for output in self._read_all(context)]))

    async def ExecuteServerStream(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        self, request: DummyRequest, context: grpc.aio.ServicerContext[DummyRequest, DummyResponse]
    ) -> None:
        """Write the input one character at a time."""
        for char in await self._output(request.input, context):
            await context.write(DummyResponse(output=char))

    async def ExecuteClientServerStream(  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        self, request_iter: object, context: grpc.aio.ServicerContext[DummyRequest, DummyResponse]
    ) -> None:
        """Read each input and write its output."""
        async for output in self._read_all(context):
            await context.write(DummyResponse(output=output))


class _AioServerThread:
    """A grpc.aio server on an event loop in a thread of its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="grpc-interceptor-aio-server", daemon=True)
        self._thread.start()
        self._server: grpc.aio.Server | None = None

    def run(self, coroutine: Awaitable[_T]) -> _T:
        return asyncio.run_coroutine_threadsafe(_awaited(coroutine), self.loop).result()

    def start(
        self, register: Callable[[grpc.aio.Server], None], interceptors: Sequence[grpc.aio.ServerInterceptor]
    ) -> int:
        async def start() -> int:
            server = grpc.aio.server(interceptors=list(interceptors))
            register(server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            self._server = server
            return port

        return self.run(start())

    def close(self) -> None:
        try:
            if self._server is not None:
                self.run(self._server.stop(None))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
            self.loop.close()


_T = TypeVar("_T")


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


_CLOSING: set[asyncio.Future[None]] = set()


class ChannelContext(Generic[_ChannelT]):
    """A server and a channel to it: a context manager, sync (``with``) or async (``async with``).

    Leaving the block closes the channel and stops the server. A grpc.aio channel is
    closed properly only by ``async with``; ``with`` schedules its closing.
    """

    def __init__(
        self,
        open_: Callable[[], tuple[_ChannelT, Callable[[], None]]],
        watch: Callable[[], Callable[[], None]] | None = None,
    ) -> None:
        self._open = open_
        self._close: Callable[[], None] | None = None
        self._channel: _ChannelT | None = None
        # Called on entry; what it returns is called after a block that raised nothing.
        self._watch = watch
        self._check: Callable[[], None] | None = None

    def __enter__(self) -> _ChannelT:
        self._check = self._watch() if self._watch is not None else None
        self._channel, self._close = self._open()
        return self._channel

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        channel, close = self._channel, self._close
        self._channel = self._close = None
        try:
            if isinstance(channel, grpc.aio.Channel):
                # No await in a sync exit: close it on the caller's loop (`async with`
                # closes it properly); the task is kept until done.
                closing = asyncio.ensure_future(channel.close())
                _CLOSING.add(closing)
                closing.add_done_callback(_CLOSING.discard)
            elif isinstance(channel, grpc.Channel):
                channel.close()
        finally:
            if close is not None:
                close()
        check, self._check = self._check, None
        if exc_type is None and check is not None:
            check()

    async def __aenter__(self) -> _ChannelT:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        channel = self._channel
        try:
            if isinstance(channel, grpc.aio.Channel):
                self._channel = None
                await channel.close()
        finally:
            self.__exit__(exc_type, exc, traceback)


class StubContext(Generic[_StubT]):
    """Like :class:`ChannelContext`, giving a client stub instead of the channel."""

    def __init__(self, channel: ChannelContext[Any], make_stub: Callable[[Any], _StubT]) -> None:
        self._channel = channel
        self._make_stub = make_stub

    def __enter__(self) -> _StubT:
        return self._make_stub(self._channel.__enter__())

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._channel.__exit__(exc_type, exc, traceback)

    async def __aenter__(self) -> _StubT:
        return self._make_stub(await self._channel.__aenter__())

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self._channel.__aexit__(exc_type, exc, traceback)


def _check_interceptors(
    interceptors: Sequence[object] | None,
    client_interceptors: Sequence[object] | None,
    aio_server: bool,
    aio_client: bool,
) -> None:
    """Refuse sync/async mixes up front, with the fix in the message."""
    if aio_client and not aio_server:
        raise ValueError("aio_server must be True if aio_client is True: pass aio_server=True with aio_client=True")
    for interceptor in interceptors or ():
        name = type(interceptor).__name__
        if aio_server and isinstance(interceptor, ServerInterceptor):
            raise TypeError(
                f"Set aio_server correctly: {name} is a sync ServerInterceptor, but aio_server=True; "
                "use an AsyncServerInterceptor, or aio_server=False"
            )
        if not aio_server and isinstance(interceptor, AsyncServerInterceptor):
            raise TypeError(
                f"Set aio_server correctly: {name} is an AsyncServerInterceptor, but the server is sync; "
                "pass aio_server=True, or use a ServerInterceptor"
            )
    for interceptor in client_interceptors or ():
        name = type(interceptor).__name__
        if aio_client and isinstance(interceptor, ClientInterceptor):
            raise TypeError(
                f"{name} is a sync ClientInterceptor, but aio_client=True: "
                "use an AsyncClientInterceptor, or aio_client=False"
            )
        if not aio_client and isinstance(interceptor, AsyncClientInterceptor):
            raise TypeError(
                f"{name} is an AsyncClientInterceptor, but the client is sync: "
                "pass aio_client=True (with aio_server=True), or use a ClientInterceptor"
            )


@overload
def serve(
    register: Callable[[Any], None],
    interceptors: _SyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
) -> ChannelContext[grpc.Channel]: ...
@overload
def serve(
    register: Callable[[Any], None],
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[False] = False,
) -> ChannelContext[grpc.Channel]: ...
@overload
def serve(
    register: Callable[[Any], None],
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[AsyncClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[True],
) -> ChannelContext[grpc.aio.Channel]: ...
@overload
def serve(  # type: ignore[overload-overlap]  # pyright: ignore[reportOverlappingOverload]
    register: Callable[[Any], None],
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def serve(  # type: ignore[overload-overlap]
    register: Callable[[Any], None],
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None,
    aio_server: Literal[True],
    aio_client: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def serve(  # type: ignore[overload-overlap]
    register: Callable[[Any], None],
    interceptors: _AsyncServerInterceptors,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
) -> _AsyncInterceptorsOnASyncServer: ...
@overload
def serve(
    register: Callable[[Any], None],
    interceptors: Sequence[_AnyServerInterceptor] | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: bool = False,
    aio_client: Literal[False] = False,
) -> ChannelContext[grpc.Channel]: ...
def serve(
    register: Callable[[Any], None],
    interceptors: Sequence[Any] | None = None,
    client_interceptors: Sequence[Any] | None = None,
    aio_server: bool = False,
    aio_client: bool = False,
) -> ChannelContext[Any] | _Refused:
    """Serve your own servicers with interceptors on localhost, and open a channel to them.

    Args:
        register: Adds the servicers to the server, e.g.
            ``lambda server: add_SearchServicer_to_server(MySearch(), server)``.
        interceptors: Server interceptors, outermost first.
        client_interceptors: Client interceptors for the channel, outermost first.
        aio_server: Run a ``grpc.aio`` server (on an event loop in a thread).
        aio_client: Open a ``grpc.aio`` channel (needs ``aio_server=True``; use it
            from an ``async def`` test, preferably with ``async with``).

    Returns:
        A context manager giving the channel.

    Raises:
        ValueError: If ``aio_client`` is set without ``aio_server``.
        TypeError: If a sync interceptor is given for an async server or client,
            or the reverse.
        AssertionError: On leaving a block that raised nothing, if a typed server
            interceptor ran for none of the methods the block called: its type
            arguments match none of them, so it tested nothing.
    """
    return _serve(register, interceptors, client_interceptors, aio_server, aio_client, _SERVER_WORKERS)


def _serve(
    register: Callable[[Any], None],
    interceptors: Sequence[Any] | None,
    client_interceptors: Sequence[Any] | None,
    aio_server: bool,
    aio_client: bool,
    workers: int,
) -> ChannelContext[Any]:
    _check_interceptors(interceptors, client_interceptors, aio_server, aio_client)

    def open_() -> tuple[Any, Callable[[], None]]:
        if aio_server:
            thread = _AioServerThread()
            try:
                port = thread.start(register, list(interceptors or ()))
            except BaseException:
                thread.close()
                raise
            stop = thread.close
        else:
            executor = futures.ThreadPoolExecutor(max_workers=workers)
            server = grpc.server(executor, interceptors=list(interceptors or ()))
            register(server)
            port = server.add_insecure_port("127.0.0.1:0")
            server.start()

            def stop() -> None:
                server.stop(None).wait()
                executor.shutdown(wait=True)

        address = f"127.0.0.1:{port}"
        try:
            channel: Any
            if aio_client:
                channel = grpc.aio.insecure_channel(
                    address, interceptors=aio_channel_interceptors(*(client_interceptors or ()))
                )
            else:
                channel = grpc.insecure_channel(address)
                if client_interceptors:
                    channel = grpc.intercept_channel(channel, *client_interceptors)
        except BaseException:
            stop()
            raise
        return channel, stop

    # A typed interceptor that ran for none of the methods called tested nothing: say so.
    return ChannelContext(open_, lambda: check_typed_interceptors_ran(interceptors or ()))


def _dummy_register(
    special_cases: Mapping[str, SpecialCase] | None, aio_server: bool, aio_read_write: bool
) -> Callable[[Any], None]:
    # As in 0.15.4, aio_read_write chooses between the two grpc.aio services: without
    # aio_server it has nothing to choose and is ignored.
    service: DummyServiceServicer
    if aio_server and aio_read_write:
        service = AsyncReadWriteDummyService(special_cases)
    elif aio_server:
        service = AsyncDummyService(special_cases)
    else:
        service = DummyService(special_cases)
    return lambda server: dummy_pb2_grpc.add_DummyServiceServicer_to_server(service, server)


@overload
def dummy_channel(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _SyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> ChannelContext[grpc.Channel]: ...
@overload
def dummy_channel(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> ChannelContext[grpc.Channel]: ...
@overload
def dummy_channel(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[AsyncClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[True],
    aio_read_write: bool = False,
) -> ChannelContext[grpc.aio.Channel]: ...
@overload
def dummy_channel(  # type: ignore[overload-overlap]  # pyright: ignore[reportOverlappingOverload]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_channel(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None = None,
    *,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None = None,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_channel(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_channel(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _AsyncServerInterceptors,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> _AsyncInterceptorsOnASyncServer: ...
@overload
def dummy_channel(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None = None,
    *,
    interceptors: _AsyncServerInterceptors,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> _AsyncInterceptorsOnASyncServer: ...
@overload
def dummy_channel(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: Sequence[_AnyServerInterceptor] | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: bool = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> ChannelContext[grpc.Channel]: ...
def dummy_channel(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: Sequence[Any] | None = None,
    client_interceptors: Sequence[Any] | None = None,
    aio_server: bool = False,
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> ChannelContext[Any] | _Refused:
    """Like :func:`dummy_client`, giving the channel instead of a stub."""
    register = _dummy_register(special_cases, aio_server, aio_read_write)
    return _serve(register, interceptors, client_interceptors, aio_server, aio_client, _DUMMY_SERVER_WORKERS)


@overload
def dummy_client(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _SyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> StubContext[DummyServiceStub]: ...
@overload
def dummy_client(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> StubContext[DummyServiceStub]: ...
@overload
def dummy_client(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: _AsyncServerInterceptors | None = None,
    client_interceptors: Sequence[AsyncClientInterceptor[Any, Any]] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: Literal[True],
    aio_read_write: bool = False,
) -> StubContext[DummyServiceAsyncStub]: ...
@overload
def dummy_client(  # type: ignore[overload-overlap]  # pyright: ignore[reportOverlappingOverload]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None = None,
    *,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_client(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None = None,
    *,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None = None,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_client(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _SyncServerInterceptors,
    client_interceptors: Sequence[Any] | None,
    aio_server: Literal[True],
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> _SyncInterceptorsOnAnAioServer: ...
@overload
def dummy_client(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None,
    interceptors: _AsyncServerInterceptors,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> _AsyncInterceptorsOnASyncServer: ...
@overload
def dummy_client(  # type: ignore[overload-overlap]
    special_cases: Mapping[str, SpecialCase] | None = None,
    *,
    interceptors: _AsyncServerInterceptors,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: Literal[False] = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> _AsyncInterceptorsOnASyncServer: ...
@overload
def dummy_client(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: Sequence[_AnyServerInterceptor] | None = None,
    client_interceptors: Sequence[ClientInterceptor[Any, Any]] | None = None,
    aio_server: bool = False,
    aio_client: Literal[False] = False,
    aio_read_write: bool = False,
) -> StubContext[DummyServiceStub]: ...
def dummy_client(
    special_cases: Mapping[str, SpecialCase] | None = None,
    interceptors: Sequence[Any] | None = None,
    client_interceptors: Sequence[Any] | None = None,
    aio_server: bool = False,
    aio_client: bool = False,
    aio_read_write: bool = False,
) -> StubContext[Any] | _Refused:
    """Serve :class:`DummyService` with interceptors and give a client stub to it.

    Use it as ``with dummy_client(...) as client:`` (or ``async with`` for an aio
    client). By default the service echoes ``input`` into ``output``.

    Args:
        special_cases: Inputs that make the service call a function instead of
            echoing (see :class:`DummyService`), e.g. ``{"error": raises(NotFound())}``.
        interceptors: Server interceptors, outermost first: sync ones for a sync
            server, async ones with ``aio_server=True``.
        client_interceptors: Client interceptors, outermost first: sync ones for a
            sync client, :class:`AsyncClientInterceptor` ones with ``aio_client=True``.
        aio_server: Serve with ``grpc.aio``.
        aio_client: Give a ``grpc.aio`` stub (needs ``aio_server=True``); its calls
            are awaited, so use it from an ``async def`` test.
        aio_read_write: With ``aio_server=True``, serve the read/write-API variant of
            the service (:class:`AsyncReadWriteDummyService`); ignored without it, as
            in 0.15.4.

    Returns:
        A context manager giving the stub.

    Raises:
        ValueError: For ``aio_client`` without ``aio_server``.
        TypeError: For a sync interceptor where an async one is needed, or the
            reverse.
        AssertionError: On leaving a block that raised nothing, if a typed server
            interceptor ran for none of the methods the block called (see
            :func:`serve`).
    """
    register = _dummy_register(special_cases, aio_server, aio_read_write)
    channel = _serve(register, interceptors, client_interceptors, aio_server, aio_client, _DUMMY_SERVER_WORKERS)
    return StubContext(channel, DummyServiceStub)
