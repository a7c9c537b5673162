"""What users of the retry, deadline, auth and limits batteries get from the type checkers."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import grpc
import grpc.aio
from typing_extensions import assert_type

from grpc_interceptor.auth import AsyncAuthInterceptor, AuthInterceptor
from grpc_interceptor.deadline import AsyncDeadlineInterceptor, DeadlineInterceptor
from grpc_interceptor.limits import ConcurrencyLimitInterceptor, RateLimitInterceptor
from grpc_interceptor.retry import AsyncRetryInterceptor, RetryInterceptor

# --- Correct programs ----------------------------------------------------------------


@dataclass(frozen=True)
class User:
    name: str
    admin: bool


def verify(token: str, method_name: str) -> User | None:
    return User("ada", admin=False) if token == "t" else None


async def averify(token: str, method_name: str) -> User | None:
    return verify(token, method_name)


auth = AuthInterceptor(verify)
assert_type(auth, AuthInterceptor[User])
aio_auth = AsyncAuthInterceptor(averify)
assert_type(aio_auth, AsyncAuthInterceptor[User])
assert_type(AsyncAuthInterceptor(verify), AsyncAuthInterceptor[User])  # a plain def on grpc.aio too


def handler() -> None:  # identity() works only in an RPC's handler
    # The handler gets the identity with the type the function returns, not None.
    assert_type(auth.identity(), User)
    assert_type(aio_auth.identity(), User)


# Each is a server or client interceptor of the kind its server or channel takes.
server_interceptors: list[grpc.ServerInterceptor] = [auth, ConcurrencyLimitInterceptor(8), RateLimitInterceptor(5)]
aio_server_interceptors: list[grpc.aio.ServerInterceptor] = [aio_auth]
channel = grpc.intercept_channel(grpc.insecure_channel("localhost:1"), DeadlineInterceptor(5.0))
assert_type(AsyncDeadlineInterceptor(per_method={"a.B": 1.0}).timeout_for("/a.B/C"), float | None)

retry = RetryInterceptor(codes=[grpc.StatusCode.UNAVAILABLE], sleep=time.sleep)
aio_retry = AsyncRetryInterceptor(sleep=asyncio.sleep, random=lambda: 0.5)
assert_type(retry.codes, frozenset[grpc.StatusCode])

# --- Wrong programs ------------------------------------------------------------------


def wrong_arity(token: str) -> User:
    return User(token, admin=False)


def wrong_programs() -> None:  # checked, never run
    AuthInterceptor(wrong_arity)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    name: int = auth.identity().name  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    wrong: list[grpc.aio.ServerInterceptor] = [auth]  # type: ignore[list-item]  # pyright: ignore[reportAssignmentType]
    DeadlineInterceptor(timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    RetryInterceptor(codes=["UNAVAILABLE"])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    AsyncRetryInterceptor(sleep=time.sleep)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ConcurrencyLimitInterceptor(max_in_flight="8")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    print(name, wrong)
