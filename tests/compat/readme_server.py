# ruff: noqa
# fmt: off
# The README's first server interceptor (grpc-interceptor 0.15.4), pasted as users
# wrote it, with the imports they needed. "my_pb2_grpc.MyServiceServicer" is the
# testing kit's service here, and the README's "..." a line of our own.
from concurrent import futures
from typing import Any, Callable, Dict, Optional

import grpc

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound
from grpc_interceptor.testing import DummyRequest, DummyResponse, DummyService


class ExceptionToStatusInterceptor(ServerInterceptor):

    def intercept(
        self,
        method: Callable,
        request: Any,
        context: grpc.ServicerContext,
        method_name: str,
    ) -> Any:
        """Override this method to implement a custom interceptor.

         You should call method(request, context) to invoke the
         next handler (either the RPC method implementation, or the
         next interceptor in the list).

         Args:
             method: The next interceptor, or method implementation.
             request: The RPC request, as a protobuf message.
             context: The ServicerContext pass by gRPC to the service.
             method_name: A string of the form
                 "/protobuf.package.Service/Method"

         Returns:
             This should generally return the result of
             method(request, context), which is typically the RPC
             method response, as a protobuf message. The interceptor
             is free to modify this in some way, however.
         """
        try:
            return method(request, context)
        except GrpcException as e:
            context.set_code(e.status_code)
            context.set_details(e.details)
            raise


interceptors = [ExceptionToStatusInterceptor()]
server = grpc.server(
    futures.ThreadPoolExecutor(max_workers=10),
    interceptors=interceptors
)


def lookup_thing() -> Optional[str]:
    return THINGS.get("thing")


THINGS: Dict[str, str] = {}


class MyService(DummyService):
    def Execute(
        self, request: DummyRequest, context: grpc.ServicerContext
    ) -> DummyResponse:
        thing = lookup_thing()
        if not thing:
            raise NotFound("Sorry, your thing is missing")
        return DummyResponse(output=thing)
