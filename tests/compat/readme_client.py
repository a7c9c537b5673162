# ruff: noqa
# fmt: off
# The README's client interceptor (grpc-interceptor 0.15.4), as users wrote it.
from typing import Any, Callable

import grpc

from grpc_interceptor import ClientCallDetails, ClientInterceptor
from grpc_interceptor.testing import DummyRequest
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub


class MetadataClientInterceptor(ClientInterceptor):

    def intercept(
        self,
        method: Callable,
        request_or_iterator: Any,
        call_details: grpc.ClientCallDetails,
    ):
        """Override this method to implement a custom interceptor.

        This method is called for all unary and streaming RPCs. The interceptor
        implementation should call `method` using a `grpc.ClientCallDetails` and the
        `request_or_iterator` object as parameters. The `request_or_iterator`
        parameter may be type checked to determine if this is a singluar request
        for unary RPCs or an iterator for client-streaming or client-server streaming
        RPCs.

        Args:
            method: A function that proceeds with the invocation by executing the next
                interceptor in the chain or invoking the actual RPC on the underlying
                channel.
            request_or_iterator: RPC request message or iterator of request messages
                for streaming requests.
            call_details: Describes an RPC to be invoked.

        Returns:
            The type of the return should match the type of the return value received
            by calling `method`. This is an object that is both a
            `Call <https://grpc.github.io/grpc/python/grpc.html#grpc.Call>`_ for the
            RPC and a `Future <https://grpc.github.io/grpc/python/grpc.html#grpc.Future>`_.

            The actual result from the RPC can be got by calling `.result()` on the
            value returned from `method`.
        """
        new_details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            [("authorization", "Bearer mysecrettoken")],
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )

        return method(request_or_iterator, new_details)


def call_with_metadata(address: str) -> str:
    interceptors = [MetadataClientInterceptor()]
    with grpc.insecure_channel(address) as channel:
        channel = grpc.intercept_channel(channel, *interceptors)
        return DummyServiceStub(channel).Execute(DummyRequest(input="hello")).output
