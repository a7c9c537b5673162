# ruff: noqa
# fmt: off
# grpc.aio interceptors as 0.15.4 users annotated them: the continuation as a Callable
# that returns an Awaitable, and `await super().intercept(...)` / `await method(...)`.
# No errors: these checked against 0.15.4 and must check against us.
from typing import Any, Awaitable, Callable

import grpc
import grpc.aio

from grpc_interceptor import AsyncServerInterceptor


class Timing(AsyncServerInterceptor):

    async def intercept(
        self,
        method: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext,
        method_name: str,
    ) -> Any:
        return await super().intercept(method, request_or_iterator, context, method_name)


class Passing(AsyncServerInterceptor):

    async def intercept(
        self,
        method: Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]],
        request_or_iterator: Any,
        context: grpc.aio.ServicerContext,
        method_name: str,
    ) -> Any:
        response = await method(request_or_iterator, context)
        return response


async def serve() -> None:
    server = grpc.aio.server(interceptors=[Timing(), Passing()])
    await server.start()
