# ruff: noqa
# fmt: off
# The README's server streaming interceptor (grpc-interceptor 0.15.4), as users
# wrote it: it works for server streaming RPCs only, as the README says.
from typing import Any, Callable

import grpc

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.exceptions import GrpcException


class ExceptionToStatusInterceptor(ServerInterceptor):

    def intercept(
        self,
        method: Callable,
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> Any:
        try:
            for response in method(request, context):
                yield response
        except GrpcException as e:
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise
