"""A bookstore service as it would be deployed: grpc.aio, an interceptor chain, health, graceful shutdown.

Run it with ``python examples/bookstore/bookstore_server.py --port 50051`` and stop it
with Ctrl-C or SIGTERM. With ``--token``, clients must send ``authorization: Bearer
<token>``. It serves

* ``bookstore.v1.Bookstore`` (``bookstore.proto``): ``GetBook`` and ``AddBook`` on a
  shelf kept in memory, which holds at most ``--shelf-size`` books;
* the standard health service (``grpc.health.v1.Health``, from grpcio-health-checking),
  SERVING while the server runs and NOT_SERVING once it is shutting down;

through this chain, outermost first:

1. ``AsyncAccessLogInterceptor``: one log record per RPC with method, the status code
   the client gets and the duration;
2. ``AsyncExceptionToStatusInterceptor``: ``NotFound`` and the other exceptions of
   ``grpc_interceptor.exceptions`` become the status, and anything unexpected becomes
   INTERNAL with a fixed message, never ``repr(e)``;
3. ``BearerAuth``, applied to every service but the health service (a load balancer
   probes it without credentials): UNAUTHENTICATED before the handler runs.

On SIGTERM or SIGINT the server reports NOT_SERVING, stops taking new RPCs, lets the
running ones finish for up to ``--grace`` seconds, and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent import futures
from typing import Any

import bookstore_pb2
import bookstore_pb2_grpc
import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from grpc_interceptor import AsyncExceptionToStatusInterceptor, AsyncServerInterceptor, select, services
from grpc_interceptor.access_log import AsyncAccessLogInterceptor
from grpc_interceptor.exceptions import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("bookstore")

HEALTH_SERVICE = "grpc.health.v1.Health"
BOOKSTORE_SERVICE = "bookstore.v1.Bookstore"


class Shelf:
    """The books, in memory, never more than ``size`` of them: demo state that cannot grow without bound."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"the shelf must hold at least one book, not {size}")
        self.size = size
        self._books: OrderedDict[str, bookstore_pb2.Book] = OrderedDict()

    def get(self, isbn: str) -> bookstore_pb2.Book | None:
        return self._books.get(isbn)

    def add(self, book: bookstore_pb2.Book) -> None:
        if book.isbn in self._books:
            raise AlreadyExists(f"a book with ISBN {book.isbn} is on the shelf already")
        if len(self._books) >= self.size:
            raise ResourceExhausted(f"the shelf is full ({self.size} books)")
        self._books[book.isbn] = book


class Bookstore(bookstore_pb2_grpc.BookstoreServicer):
    """The service: errors are raised as exceptions, which the chain turns into statuses.

    ``warm_up`` calls are answered UNAVAILABLE first, as a server still loading its data
    would (the demo uses it to show the client's retries).
    """

    def __init__(self, shelf: Shelf, warm_up: int = 0) -> None:
        self.shelf = shelf
        self.warm_up = warm_up

    def _check_warm(self) -> None:
        if self.warm_up > 0:
            self.warm_up -= 1
            raise Unavailable("warming up: try again shortly")

    async def GetBook(
        self, request: bookstore_pb2.GetBookRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> bookstore_pb2.Book:
        self._check_warm()
        book = self.shelf.get(request.isbn)
        if book is None:
            raise NotFound(f"no book with ISBN {request.isbn!r}")
        return book

    async def AddBook(
        self, request: bookstore_pb2.AddBookRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> bookstore_pb2.Book:
        self._check_warm()
        if not request.book.isbn or not request.book.title:
            raise InvalidArgument("a book needs an ISBN and a title")
        self.shelf.add(request.book)
        return request.book


# Untyped on purpose: BearerAuth applies to every method of every service.
# An interceptor parametrised with one service's messages (AsyncServerInterceptor[
# GetBookRequest, Book]) runs only for the methods with those messages: copied onto
# another service, a typed auth interceptor would guard nothing there.


class BearerAuth(AsyncServerInterceptor):
    """Refuse RPCs without ``authorization: Bearer <token>`` for one of ``tokens``, before the handler runs."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if not tokens:
            raise ValueError("BearerAuth needs at least one token; without any, every RPC would be refused")
        self.tokens = frozenset(tokens)

    async def intercept(
        self,
        method: Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Any],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext[Any, Any],
        method_name: str,
    ) -> Any:
        metadata = dict(context.invocation_metadata() or ())
        scheme, _, token = str(metadata.get("authorization", "")).partition(" ")
        if scheme != "Bearer" or token not in self.tokens:
            raise Unauthenticated("send authorization: Bearer <token> with a valid token")
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


def interceptors(tokens: Sequence[str]) -> list[grpc.aio.ServerInterceptor]:
    """The server's chain, outermost first; without tokens, no authentication."""
    chain: list[grpc.aio.ServerInterceptor] = [
        AsyncAccessLogInterceptor("bookstore.access"),
        AsyncExceptionToStatusInterceptor(
            status_on_unknown_exception=grpc.StatusCode.INTERNAL, unknown_exception_details="Internal error"
        ),
    ]
    if tokens:
        # The health service answers probes that carry no credentials.
        chain.append(select(BearerAuth(tokens), ~services(HEALTH_SERVICE)))
    return chain


async def serve(
    port: int,
    *,
    tokens: Sequence[str] = (),
    shelf_size: int = 1000,
    grace: float = 5.0,
    warm_up: int = 0,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve on 127.0.0.1:``port`` (0 picks a free port) until ``stop`` is set, then shut down gracefully."""
    # typeshed's stubs for grpcio-health-checking cover its sync servicer only; grpc.aio
    # serves its plain `def` handlers in the migration thread pool.
    server = grpc.aio.server(
        interceptors=interceptors(tokens), migration_thread_pool=futures.ThreadPoolExecutor(max_workers=2)
    )
    bookstore_pb2_grpc.add_BookstoreServicer_to_server(Bookstore(Shelf(shelf_size), warm_up), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    bound = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    for service in ("", BOOKSTORE_SERVICE):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    log.info("listening on 127.0.0.1:%d", bound)
    stop = stop or asyncio.Event()
    await stop.wait()
    log.info("shutting down: NOT_SERVING, then up to %.1f s for the running RPCs", grace)
    health_servicer.enter_graceful_shutdown()
    await server.stop(grace)
    log.info("stopped")


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(
        args.port, tokens=args.token, shelf_size=args.shelf_size, grace=args.grace, warm_up=args.warm_up, stop=stop
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until SIGTERM or SIGINT; 0 after a graceful shutdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=50051, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--token", action="append", default=[], help="a bearer token clients may send (repeatable)")
    parser.add_argument("--shelf-size", type=int, default=1000, help="the most books the shelf holds")
    parser.add_argument("--warm-up", type=int, default=0, help="answer this many first calls UNAVAILABLE")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds running RPCs get at shutdown")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout, force=True)
    asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
