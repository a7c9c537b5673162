"""Typed errors on the client, with rich error details: ``except NotFound as e``.

Run it with ``python examples/client_errors.py`` (the rich details need the ``status``
extra: ``pip install grpc-interceptor[status]``). The server raises
``grpc_interceptor.exceptions`` classes and :class:`ExceptionToStatusInterceptor` turns
them into statuses; an ``InvalidArgument`` carries a ``google.rpc.BadRequest`` that
says which field is wrong, an ``Unavailable`` a ``RetryInfo`` that says when to retry.

On the client, :class:`StatusToExceptionInterceptor` (sync) and
:class:`AsyncStatusToExceptionInterceptor` (grpc.aio) turn the failed calls back into
the same exception classes, with the details string, the trailing metadata and the
decoded error details, for unary and streaming calls alike. The example exits 0 when
the client caught each error by its class and read back what the server sent.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import BadRequest, RetryInfo
from typing_extensions import assert_type

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    AsyncStatusToExceptionInterceptor,
    ExceptionToStatusInterceptor,
    StatusToExceptionInterceptor,
)
from grpc_interceptor.exceptions import GrpcException, InvalidArgument, NotFound, Unavailable
from grpc_interceptor.testing import DummyRequest, dummy_client

BOOKS = {"dune": "Frank Herbert", "emma": "Jane Austen"}


def find_author(title: str, context: Any) -> str:
    """The service's logic: raise the exception of the status the client should get."""
    if not title.isalpha():
        violation = BadRequest.FieldViolation(field="input", description="a title has letters only")
        raise InvalidArgument("invalid title", error_details=[BadRequest(field_violations=[violation])])
    if title == "busy":
        raise Unavailable(
            "the catalogue is reindexing",
            error_details=[RetryInfo(retry_delay=Duration(seconds=3))],
            trailing_metadata=[("served-by", "catalogue-2")],
        )
    if title not in BOOKS:
        raise NotFound(f"no book called {title!r}")
    return BOOKS[title]


SPECIAL_CASES = {title: find_author for title in ("dune", "emma", "moby", "dune!", "busy")}


def lookup(client: Any, title: str) -> str:
    """What a client program does: one call, each error handled by its class."""
    try:
        return str(client.Execute(DummyRequest(input=title), timeout=5).output)
    except NotFound as e:
        assert_type(e.details, str)  # a str attribute, as on the server
        return f"not found: {e.details}"
    except InvalidArgument as e:
        bad_request = e.error_detail(BadRequest)
        field = bad_request.field_violations[0] if bad_request is not None else None
        return f"invalid: {field.field} ({field.description})" if field is not None else "invalid"
    except Unavailable as e:
        retry = e.error_detail(RetryInfo)
        delay = retry.retry_delay.seconds if retry is not None else "?"
        served_by = next((v for k, v in e.trailing_metadata if k == "served-by" and isinstance(v, str)), "?")
        return f"unavailable: retry in {delay}s (from {served_by})"


def run_sync() -> list[str]:
    with dummy_client(SPECIAL_CASES, [ExceptionToStatusInterceptor()], [StatusToExceptionInterceptor()]) as client:
        answers = [lookup(client, title) for title in ("dune", "moby", "dune!", "busy")]
        # A streaming response raises while it is iterated, after the messages before the error.
        received: list[str] = []
        try:
            for response in client.ExecuteClientServerStream(
                iter([DummyRequest(input="emma"), DummyRequest(input="moby")]), timeout=5
            ):
                received.append(response.output)
        except GrpcException as e:
            answers.append(f"stream: {received} then {e.status_code.name}")
    return answers


async def run_aio() -> str:
    async with dummy_client(
        SPECIAL_CASES,
        [AsyncExceptionToStatusInterceptor()],
        [AsyncStatusToExceptionInterceptor()],
        aio_server=True,
        aio_client=True,
    ) as client:
        try:
            await client.Execute(DummyRequest(input="moby"), timeout=5)
        except NotFound as e:
            # The grpc error is still there, as the cause.
            cause = e.__cause__
            return f"aio: {type(e).__name__}, caused by {type(cause).__name__}"
    return "aio: no error"


def main() -> int:
    """Look books up through sync and grpc.aio clients; 0 if every error came back typed."""
    answers = [*run_sync(), asyncio.run(run_aio())]
    for answer in answers:
        print(answer)
    expected = [
        "Frank Herbert",
        "not found: no book called 'moby'",
        "invalid: input (a title has letters only)",
        "unavailable: retry in 3s (from catalogue-2)",
        "stream: ['Jane Austen'] then NOT_FOUND",
        "aio: NotFound, caused by AioRpcError",
    ]
    ok = answers == expected
    print("Every error came back as its exception class, details included." if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
