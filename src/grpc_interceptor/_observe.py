"""Watch RPCs from start to end: the shared core of the logging and metrics interceptors.

An observing interceptor sees each RPC start, each message go by and the RPC end, with
the status code the other side gets. That code is worked out here once for every way
an RPC can end, so that the log line and the ``grpc_code`` label always agree:

* the handler returns: ``OK``, or the code it gave ``context.set_code()``;
* the handler raises: the code of a ``GrpcException`` (which an
  ``ExceptionToStatusInterceptor`` turns into that status), else the code
  ``context.abort()`` or ``set_code()`` set, else ``UNKNOWN``, as grpc sends it;
* the client goes away or its deadline passes: ``CANCELLED`` or ``DEADLINE_EXCEEDED``
  (a sync unary handler keeps running then; its end is seen when it returns).

Subclasses override ``_rpc_started``, ``_message_received``, ``_message_sent`` and
``_rpc_finished``; the hooks of all four RPC kinds are written once here.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from typing import Any, Final

import grpc

from grpc_interceptor.client import AsyncClientInterceptor, ClientInterceptor
from grpc_interceptor.exceptions import GrpcException
from grpc_interceptor.server import AsyncServerInterceptor, ServerInterceptor

__all__ = [
    "BIDI_STREAM",
    "CLIENT_STREAM",
    "SERVER_STREAM",
    "UNARY",
    "ObservingAsyncClientInterceptor",
    "ObservingAsyncServerInterceptor",
    "ObservingClientInterceptor",
    "ObservingServerInterceptor",
    "Rpc",
    "split_method",
]

#: The ``grpc_type`` names of go-grpc-prometheus, which grpc users know.
UNARY: Final = "unary"
CLIENT_STREAM: Final = "client_stream"
SERVER_STREAM: Final = "server_stream"
BIDI_STREAM: Final = "bidi_stream"

_CODE_BY_NUMBER: Final = {code.value[0]: code for code in grpc.StatusCode}

#: Seconds of deadline left below which a call the client abandoned counts as one
#: whose deadline passed (see ``_gone``).
_DEADLINE_GRACE: Final = 0.05


@lru_cache(maxsize=4096)
def split_method(method: str) -> tuple[str, str]:
    """Return (``package.Service``, ``Method``) of ``/package.Service/Method``.

    A name of another shape (grpc lets a generic handler see any) gives
    (``""``, the name as it is), so that nothing is dropped.
    """
    service, sep, name = method[1:].rpartition("/")
    if not sep or not method.startswith("/"):
        return "", method
    return service, name


class Rpc:
    """One RPC as an observer sees it; ``received`` and ``sent`` count messages."""

    __slots__ = ("context", "grpc_type", "method", "received", "request", "response", "sent", "start", "state")

    def __init__(self, method: str, grpc_type: str, context: Any) -> None:
        self.method = method
        self.grpc_type = grpc_type
        self.context = context
        self.received = 0
        self.sent = 0
        self.request: Any = None
        self.response: Any = None
        self.state: Any = None  # what the observer keeps for this RPC
        self.start = time.perf_counter()

    @property
    def duration(self) -> float:
        """Seconds since the RPC started."""
        return time.perf_counter() - self.start


def _as_code(code: object) -> grpc.StatusCode | None:
    """Turn what ``context.code()`` gives (a StatusCode, grpc.aio's int, or None) into a StatusCode."""
    if code is None or isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):
        return _CODE_BY_NUMBER.get(code)
    return None


def _set_code(context: Any) -> grpc.StatusCode | None:
    code_of = getattr(context, "code", None)
    return None if code_of is None else _as_code(code_of())


def _gone(context: Any) -> grpc.StatusCode:
    """The code of an RPC whose client is no longer there: its deadline passed, or it cancelled."""
    try:
        remaining = context.time_remaining()
    except Exception:  # a context that cannot tell: the client went away all the same
        remaining = None
    # The client's own timer fires first and cancels the call; the server's copy of the
    # deadline (taken from the request's header when it arrived) may be a few
    # milliseconds behind, hence the grace.
    if remaining is not None and remaining <= _DEADLINE_GRACE:
        return grpc.StatusCode.DEADLINE_EXCEEDED
    return grpc.StatusCode.CANCELLED


def _active(context: Any) -> bool:
    """Tell whether the client is still there (grpc.aio's context has no ``is_active()``)."""
    is_active = getattr(context, "is_active", None)
    if is_active is not None:
        return bool(is_active())
    cancelled = getattr(context, "cancelled", None)
    return cancelled is None or not cancelled()


def code_after_return(context: Any) -> grpc.StatusCode:
    """The status of an RPC whose handler returned (or whose response stream ended)."""
    if not _active(context):
        return _gone(context)
    code = _set_code(context)
    return grpc.StatusCode.OK if code is None else code


def code_after_error(error: BaseException, context: Any) -> grpc.StatusCode:
    """The status of an RPC whose handler (or response stream) raised ``error``."""
    if isinstance(error, GrpcException):
        return error.status_code
    code = _set_code(context)
    if code is not None and code is not grpc.StatusCode.OK:
        return code  # context.abort(), or set_code() before raising
    if isinstance(error, GeneratorExit | asyncio.CancelledError) or not _active(context):
        return _gone(context)
    return grpc.StatusCode.UNKNOWN


class _Observer:
    """What an observing interceptor does at each step; the defaults only count."""

    def _rpc_started(self, rpc: Rpc) -> None:
        pass

    def _message_received(self, rpc: Rpc) -> None:
        rpc.received += 1

    def _message_sent(self, rpc: Rpc) -> None:
        rpc.sent += 1

    def _rpc_finished(self, rpc: Rpc, code: grpc.StatusCode) -> None:
        pass

    def _watching(self) -> bool:
        """Tell whether anything is to be done for the RPCs that start now (else: pass through)."""
        return True

    def _begin(self, method: str, grpc_type: str, context: Any) -> Rpc:
        rpc = Rpc(method, grpc_type, context)
        self._rpc_started(rpc)
        return rpc


class ObservingServerInterceptor(_Observer, ServerInterceptor):
    """A sync server interceptor that observes every RPC, of every kind."""

    def _requests(self, request_iterator: Iterator[Any], rpc: Rpc) -> Iterator[Any]:
        for request in request_iterator:
            self._message_received(rpc)
            yield request

    def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request, context)
        rpc = self._begin(method_name, UNARY, context)
        rpc.request = request
        self._message_received(rpc)
        try:
            response = method(request, context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        rpc.response = response
        self._message_sent(rpc)
        self._rpc_finished(rpc, code_after_return(context))
        return response

    def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request_iterator, context)
        rpc = self._begin(method_name, CLIENT_STREAM, context)
        try:
            response = method(self._requests(request_iterator, rpc), context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        rpc.response = response
        self._message_sent(rpc)
        self._rpc_finished(rpc, code_after_return(context))
        return response

    def _responses(self, responses: Any, rpc: Rpc, context: Any) -> Iterator[Any]:
        try:
            for response in responses:
                yield response
                self._message_sent(rpc)  # grpc asked for the next one: this one went out
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        self._rpc_finished(rpc, code_after_return(context))

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request, context)
        rpc = self._begin(method_name, SERVER_STREAM, context)
        rpc.request = request
        self._message_received(rpc)
        try:
            responses = method(request, context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        return self._responses(responses, rpc, context)

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request_iterator, context)
        rpc = self._begin(method_name, BIDI_STREAM, context)
        try:
            responses = method(self._requests(request_iterator, rpc), context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        return self._responses(responses, rpc, context)


class ObservingAsyncServerInterceptor(_Observer, AsyncServerInterceptor):
    """A grpc.aio server interceptor that observes every RPC, of every kind."""

    async def _requests(self, request_iterator: AsyncIterator[Any], rpc: Rpc) -> AsyncIterator[Any]:
        async for request in request_iterator:
            self._message_received(rpc)
            yield request

    async def on_unary_unary(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return await method(request, context)
        rpc = self._begin(method_name, UNARY, context)
        rpc.request = request
        self._message_received(rpc)
        try:
            response = await method(request, context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        rpc.response = response
        self._message_sent(rpc)
        self._rpc_finished(rpc, code_after_return(context))
        return response

    async def on_stream_unary(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return await method(request_iterator, context)
        rpc = self._begin(method_name, CLIENT_STREAM, context)
        try:
            response = await method(self._requests(request_iterator, rpc), context)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        rpc.response = response
        self._message_sent(rpc)
        self._rpc_finished(rpc, code_after_return(context))
        return response

    async def _responses(self, responses: Any, rpc: Rpc, context: Any) -> AsyncIterator[Any]:
        try:
            async for response in responses:
                yield response
                self._message_sent(rpc)
        except BaseException as error:
            self._rpc_finished(rpc, code_after_error(error, context))
            raise
        self._rpc_finished(rpc, code_after_return(context))

    def on_unary_stream(self, method: Any, request: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request, context)
        rpc = self._begin(method_name, SERVER_STREAM, context)
        rpc.request = request
        self._message_received(rpc)
        return self._responses(_lazy(method, request, context), rpc, context)

    def on_stream_stream(self, method: Any, request_iterator: Any, context: Any, method_name: str, /) -> Any:
        if not self._watching():
            return method(request_iterator, context)
        rpc = self._begin(method_name, BIDI_STREAM, context)
        return self._responses(_lazy(method, self._requests(request_iterator, rpc), context), rpc, context)


async def _lazy(method: Any, request_or_iterator: Any, context: Any) -> AsyncIterator[Any]:
    """Call the continuation inside the response stream, so that what it raises is observed."""
    async for response in method(request_or_iterator, context):
        yield response


# Client side. Messages count from the client's point of view: ``sent`` requests,
# ``received`` responses. The peer is not known to a client interceptor.


class _Once:
    """Finish a client RPC exactly once, whichever of its ends comes first."""

    __slots__ = ("_done", "_lock", "_observer", "rpc")

    def __init__(self, observer: _Observer, rpc: Rpc) -> None:
        self._observer = observer
        self.rpc = rpc
        self._done = False
        self._lock = threading.Lock()

    def finish(self, code: grpc.StatusCode) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        self._observer._rpc_finished(self.rpc, code)  # pyright: ignore[reportPrivateUsage]


class _ObservedCallIterator:
    """A sync streaming call whose responses are counted; it ends the record when they end."""

    def __init__(self, call: Any, once: _Once, observer: _Observer) -> None:
        self._call = call
        self._once = once
        self._observer = observer

    def __iter__(self) -> _ObservedCallIterator:
        return self

    def __next__(self) -> Any:
        try:
            response = next(self._call)
        except StopIteration:
            # What an interceptor further in returned may be a plain iterator of
            # responses (opentelemetry's is) rather than grpc's call: it ended well.
            code_of = getattr(self._call, "code", None)
            code = _as_code(code_of()) if callable(code_of) else None
            self._once.finish(grpc.StatusCode.OK if code is None else code)
            raise
        except grpc.RpcError as error:
            self._once.finish(_rpc_error_code(error))
            raise
        self._observer._message_received(self._once.rpc)  # pyright: ignore[reportPrivateUsage]
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._call, name)


class _Answered:
    """What ``done`` sees for an answer that is not a call: a success."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.OK


def _rpc_error_code(error: BaseException) -> grpc.StatusCode:
    code_of = getattr(error, "code", None)
    code = _as_code(code_of()) if callable(code_of) else None
    return grpc.StatusCode.UNKNOWN if code is None else code


class ObservingClientInterceptor(_Observer, ClientInterceptor):
    """A sync client interceptor that observes every call, of every kind."""

    def _requests(self, request_iterator: Iterator[Any], rpc: Rpc) -> Iterator[Any]:
        for request in request_iterator:
            yield request
            self._message_sent(rpc)

    def _start(self, method: Any, request_or_iterator: Any, call_details: Any, once: _Once) -> Any:
        try:
            return method(request_or_iterator, call_details)
        except BaseException as error:
            once.finish(_rpc_error_code(error))
            raise

    def _unary_response(self, method: Any, request_or_iterator: Any, call_details: Any, rpc: Rpc) -> Any:
        once = _Once(self, rpc)
        call = self._start(method, request_or_iterator, call_details, once)

        def done(future: Any) -> None:
            code = future.code()
            if code is grpc.StatusCode.OK:
                self._message_received(rpc)
            once.finish(code)

        add_done_callback = getattr(call, "add_done_callback", None)
        if add_done_callback is None:  # a bare answer from an interceptor further in: it succeeded
            done(_Answered())
        else:
            add_done_callback(done)
        return call

    def on_unary_unary(self, method: Any, request: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return method(request, call_details)
        rpc = self._begin(call_details.method, UNARY, None)
        rpc.request = request
        self._message_sent(rpc)
        return self._unary_response(method, request, call_details, rpc)

    def on_stream_unary(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return method(request_iterator, call_details)
        rpc = self._begin(call_details.method, CLIENT_STREAM, None)
        return self._unary_response(method, self._requests(request_iterator, rpc), call_details, rpc)

    def _stream_response(self, method: Any, request_or_iterator: Any, call_details: Any, rpc: Rpc) -> Any:
        once = _Once(self, rpc)
        call = self._start(method, request_or_iterator, call_details, once)

        def done(future: Any) -> None:
            # An OK stream ends when its reader has had every response (counted);
            # a failed or cancelled one may end without the reader looking.
            code = future.code()
            if code is not grpc.StatusCode.OK:
                once.finish(code)

        add_done_callback = getattr(call, "add_done_callback", None)
        if add_done_callback is not None:  # not on a plain iterator of responses
            add_done_callback(done)
        return _ObservedCallIterator(call, once, self)

    def on_unary_stream(self, method: Any, request: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return method(request, call_details)
        rpc = self._begin(call_details.method, SERVER_STREAM, None)
        rpc.request = request
        self._message_sent(rpc)
        return self._stream_response(method, request, call_details, rpc)

    def on_stream_stream(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return method(request_iterator, call_details)
        rpc = self._begin(call_details.method, BIDI_STREAM, None)
        return self._stream_response(method, self._requests(request_iterator, rpc), call_details, rpc)


class ObservingAsyncClientInterceptor(_Observer, AsyncClientInterceptor):
    """A grpc.aio client interceptor that observes every call, of every kind."""

    async def _requests(self, request_iterator: Any, rpc: Rpc) -> AsyncIterator[Any]:
        if hasattr(request_iterator, "__aiter__"):
            async for request in request_iterator:
                yield request
                self._message_sent(rpc)
        else:
            for request in request_iterator:
                yield request
                self._message_sent(rpc)

    async def _unary_response(self, method: Any, request_or_iterator: Any, call_details: Any, rpc: Rpc) -> Any:
        try:
            call = await method(request_or_iterator, call_details)
            response = await call
        except BaseException as error:
            self._rpc_finished(rpc, _aio_error_code(error))
            raise
        rpc.response = response
        self._message_received(rpc)
        self._rpc_finished(rpc, await call.code())
        return call

    async def on_unary_unary(self, method: Any, request: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return await method(request, call_details)
        rpc = self._begin(call_details.method, UNARY, None)
        rpc.request = request
        self._message_sent(rpc)
        return await self._unary_response(method, request, call_details, rpc)

    async def on_stream_unary(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return await method(request_iterator, call_details)
        rpc = self._begin(call_details.method, CLIENT_STREAM, None)
        return await self._unary_response(method, self._requests(request_iterator, rpc), call_details, rpc)

    async def _responses(self, call: Any, rpc: Rpc) -> AsyncIterator[Any]:
        try:
            async for response in call:
                self._message_received(rpc)
                yield response
            code = await call.code()
        except BaseException as error:
            self._rpc_finished(rpc, _aio_error_code(error))
            raise
        self._rpc_finished(rpc, code)

    async def _stream_response(self, method: Any, request_or_iterator: Any, call_details: Any, rpc: Rpc) -> Any:
        try:
            call = await method(request_or_iterator, call_details)
        except BaseException as error:
            self._rpc_finished(rpc, _aio_error_code(error))
            raise
        return self._responses(call, rpc)

    async def on_unary_stream(self, method: Any, request: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return await method(request, call_details)
        rpc = self._begin(call_details.method, SERVER_STREAM, None)
        rpc.request = request
        self._message_sent(rpc)
        return await self._stream_response(method, request, call_details, rpc)

    async def on_stream_stream(self, method: Any, request_iterator: Any, call_details: Any, /) -> Any:
        if not self._watching():
            return await method(request_iterator, call_details)
        rpc = self._begin(call_details.method, BIDI_STREAM, None)
        return await self._stream_response(method, self._requests(request_iterator, rpc), call_details, rpc)


def _aio_error_code(error: BaseException) -> grpc.StatusCode:
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return grpc.StatusCode.CANCELLED
    return _rpc_error_code(error)
