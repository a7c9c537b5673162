"""The bookstore's client: a grpc.aio channel with retries, deadlines and typed errors.

Use it as ``async with BookstoreClient("127.0.0.1:50051", token="...") as client:``,
or from the command line: ``python examples/bookstore/bookstore_client.py
127.0.0.1:50051 --token secret get 978-0`` (or ``add 978-0 "A title"``).

The channel's chain, outermost first:

1. ``AsyncStatusToExceptionInterceptor``: a failed call raises the
   ``grpc_interceptor.exceptions`` class of its status, so callers write ``except
   NotFound:`` rather than compare status codes;
2. ``Retry``: a unary call that failed with UNAVAILABLE is made again, with exponential
   backoff, within the call's deadline: each attempt gets what is left of it;
3. ``AsyncDeadlineInterceptor``: a call without a timeout gets ``default_timeout``, so
   that no call waits forever for a server that does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import bookstore_pb2
import bookstore_pb2_grpc
import grpc
import grpc.aio
from typing_extensions import Self

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncStatusToExceptionInterceptor,
    ClientCallDetails,
    aio_channel_interceptors,
)
from grpc_interceptor.deadline import AsyncDeadlineInterceptor
from grpc_interceptor.exceptions import GrpcException

#: Statuses worth another attempt: the server may answer next time.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})


class Retry(AsyncClientInterceptor):
    """Make a unary call again after UNAVAILABLE, waiting longer each time, never past its deadline.

    Untyped, so that it applies to every method of the channel. Streaming calls pass
    through: their messages cannot be sent again.
    """

    def __init__(self, attempts: int = 4, first_backoff: float = 0.05, max_backoff: float = 1.0) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self.attempts = attempts
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        #: How many calls needed more than one attempt: the demo shows it.
        self.retried_calls = 0

    async def on_unary_unary(
        self,
        method: Callable[[Any, ClientCallDetails], Awaitable[Any]],
        request: Any,
        call_details: ClientCallDetails,
        /,
    ) -> Any:
        deadline = None if call_details.timeout is None else time.monotonic() + call_details.timeout
        backoff = self.first_backoff
        for attempt in range(1, self.attempts + 1):
            details = call_details
            if deadline is not None:
                details = call_details._replace(timeout=max(deadline - time.monotonic(), 0.0))
            call = await method(request, details)
            code = await call.code()
            late = deadline is not None and time.monotonic() + backoff >= deadline
            if code not in RETRYABLE or attempt == self.attempts or late:
                return call
            if attempt == 1:
                self.retried_calls += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff)
        raise AssertionError("unreachable: the last attempt returns")


class BookstoreClient:
    """A client of ``bookstore.v1.Bookstore``; failed calls raise ``GrpcException`` subclasses."""

    def __init__(self, target: str, *, token: str | None = None, default_timeout: float = 5.0) -> None:
        self.retry = Retry()
        self._metadata = () if token is None else (("authorization", f"Bearer {token}"),)
        self._channel = grpc.aio.insecure_channel(
            target,
            interceptors=aio_channel_interceptors(
                AsyncStatusToExceptionInterceptor(), self.retry, AsyncDeadlineInterceptor(default_timeout)
            ),
        )
        self._stub = bookstore_pb2_grpc.BookstoreStub(self._channel)  # a BookstoreAsyncStub: the channel is aio

    async def get_book(self, isbn: str, *, timeout: float | None = None) -> bookstore_pb2.Book:
        """The book with this ISBN; raises ``NotFound`` if the shelf has none."""
        request = bookstore_pb2.GetBookRequest(isbn=isbn)
        return await self._stub.GetBook(request, timeout=timeout, metadata=self._metadata)

    async def add_book(self, isbn: str, title: str, *, timeout: float | None = None) -> bookstore_pb2.Book:
        """Put a book on the shelf; raises ``InvalidArgument``, ``AlreadyExists`` or ``ResourceExhausted``."""
        request = bookstore_pb2.AddBookRequest(book=bookstore_pb2.Book(isbn=isbn, title=title))
        return await self._stub.AddBook(request, timeout=timeout, metadata=self._metadata)

    async def close(self) -> None:
        """Close the channel."""
        await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.close()


async def _run(args: argparse.Namespace) -> int:
    async with BookstoreClient(args.target, token=args.token) as client:
        try:
            if args.command == "get":
                book = await client.get_book(args.isbn)
            else:
                book = await client.add_book(args.isbn, args.title)
        except GrpcException as error:
            print(f"{error.status_code.name}: {error.details}", file=sys.stderr)
            return 1
    print(f"{book.isbn}: {book.title}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Get or add one book; 0 on success, 1 with the status on stderr otherwise."""
    parser = argparse.ArgumentParser(description="Call the bookstore service.")
    parser.add_argument("target", help="host:port of the server")
    parser.add_argument("--token", help="bearer token to send")
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("get", help="get a book by ISBN")
    get.add_argument("isbn")
    add = commands.add_parser("add", help="put a book on the shelf")
    add.add_argument("isbn")
    add.add_argument("title")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
