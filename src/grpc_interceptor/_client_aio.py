"""Client side, grpc.aio: call objects for answers an async client hook gives without a call of its own.

grpc.aio accepts a plain response from a unary-unary interceptor, but for the other
kinds it wants a call object: a stream-unary hook that answers from a cache, or a
streaming hook that returns an async iterator of responses without ever calling the
continuation, would leave the caller with an object that cannot be awaited or has no
status. These classes give such answers the shape of a finished call. When the hook
did call the continuation, the status, metadata and cancellation are that call's.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Generator, Iterable
from typing import Any

import grpc
import grpc.aio

__all__ = ["AnsweredStreamStreamCall", "AnsweredStreamUnaryCall", "AnsweredUnaryStreamCall", "AnsweredUnaryUnaryCall"]


class _Answered:
    """What every answered call shares: the status is OK unless a real call says otherwise."""

    def __init__(self, call: grpc.aio.Call | None) -> None:
        self._call = call

    def cancel(self) -> bool:
        return self._call.cancel() if self._call is not None else False

    def cancelled(self) -> bool:
        return self._call.cancelled() if self._call is not None else False

    def done(self) -> bool:
        return self._call.done() if self._call is not None else True

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        if self._call is not None:
            self._call.add_done_callback(callback)
        else:
            callback(self)

    def time_remaining(self) -> float | None:
        return self._call.time_remaining() if self._call is not None else None

    async def initial_metadata(self) -> grpc.aio.Metadata:
        if self._call is not None:
            return await self._call.initial_metadata()
        return grpc.aio.Metadata()

    async def trailing_metadata(self) -> grpc.aio.Metadata:
        if self._call is not None:
            return await self._call.trailing_metadata()
        return grpc.aio.Metadata()

    async def code(self) -> grpc.StatusCode:
        return await self._call.code() if self._call is not None else grpc.StatusCode.OK

    async def details(self) -> str:
        return await self._call.details() if self._call is not None else ""

    async def wait_for_connection(self) -> None:
        if self._call is not None:
            await self._call.wait_for_connection()

    @property
    def _done_writing_flag(self) -> bool:
        # grpc.aio's write() on the caller's call reads this private attribute of the
        # call the interceptor returned.
        return bool(getattr(self._call, "_done_writing_flag", False))

    async def write(self, request: Any) -> None:
        """Ignore a request written after the hook already answered."""

    async def done_writing(self) -> None:
        """Nothing to finish: the hook already answered."""


class _AnsweredUnary(_Answered):
    def __init__(self, response: Any, call: grpc.aio.Call | None) -> None:
        super().__init__(call)
        self._response = response

    def __await__(self) -> Generator[None, None, Any]:
        return self._response
        yield  # makes this a generator, as __await__ must be


class AnsweredUnaryUnaryCall(_AnsweredUnary, grpc.aio.UnaryUnaryCall[Any, Any]):
    """A finished unary-unary call whose response is the one the hook gave.

    grpc.aio makes such a call itself for the interceptor further out; a chain of
    interceptors run as one (:func:`grpc_interceptor.chain`) makes it with this class.
    """


class AnsweredStreamUnaryCall(_AnsweredUnary, grpc.aio.StreamUnaryCall[Any, Any]):
    """A finished stream-unary call whose response is the one the hook gave."""


class _AnsweredStream(_Answered):
    def __init__(self, responses: AsyncIterable[Any] | Iterable[Any], call: grpc.aio.Call | None) -> None:
        super().__init__(call)
        self._responses = responses
        self._iterator: AsyncIterator[Any] | None = None

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._iterator is None:
            self._iterator = _as_async_iterator(self._responses)
        return self._iterator

    async def read(self) -> Any:
        return await anext(self.__aiter__(), grpc.aio.EOF)


class AnsweredUnaryStreamCall(_AnsweredStream, grpc.aio.UnaryStreamCall[Any, Any]):
    """A unary-stream call whose responses are the ones the hook gave."""


class AnsweredStreamStreamCall(_AnsweredStream, grpc.aio.StreamStreamCall[Any, Any]):
    """A stream-stream call whose responses are the ones the hook gave."""


async def _as_async_iterator(responses: AsyncIterable[Any] | Iterable[Any]) -> AsyncIterator[Any]:
    if isinstance(responses, AsyncIterable):
        async for response in responses:
            yield response
    else:
        for response in responses:
            yield response
