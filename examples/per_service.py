"""A typed interceptor is per service: it skips the RPCs of services with other messages.

Run it with ``python examples/per_service.py``. gRPC hands a server interceptor every
RPC of the server, whatever its service. Here one server has two services:

* the testing kit's ``DummyService`` (``DummyRequest`` in, ``DummyResponse`` out), and
* ``demo.Greeter``, registered by hand with a generic handler, whose ``Greet`` method
  takes and returns ``google.protobuf.StringValue``.

``DummyAudit`` is declared ``ServerInterceptor[DummyRequest, DummyResponse]``; its hooks
read ``request.input``, which a ``StringValue`` does not have. The library sees that
``Greet``'s messages are not those classes and passes its RPCs through without calling
the interceptor, so ``DummyAudit`` never gets a message it was not written for.
``EveryRpc``, declared with the protobuf base class ``Message``, fits both services and
sees every RPC. (So an interceptor meant to guard a whole server, such as auth, must
be declared with types that fit every service, or left unparametrised.)

The example calls both services and exits 0 when each interceptor saw exactly the RPCs
it should have.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import grpc
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import StringValue

from grpc_interceptor import ServerInterceptor
from grpc_interceptor.protocols import ServerContinuation, UnaryStreamContinuation, UnaryUnaryContinuation
from grpc_interceptor.testing import DummyRequest, DummyResponse, DummyService, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server


class DummyAudit(ServerInterceptor[DummyRequest, DummyResponse]):
    """Record the input of every DummyService call (only the unary-request kinds)."""

    def __init__(self) -> None:
        self.inputs: list[str] = []

    def on_unary_unary(
        self,
        method: UnaryUnaryContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> DummyResponse:
        self.inputs.append(request.input)  # an AttributeError if handed a StringValue
        return method(request, context)

    def on_unary_stream(
        self,
        method: UnaryStreamContinuation[DummyRequest, DummyResponse],
        request: DummyRequest,
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Iterator[DummyResponse]:
        self.inputs.append(request.input)
        return method(request, context)


class EveryRpc(ServerInterceptor[Message, Message]):
    """Record the method of every RPC: any protobuf message fits ``Message``."""

    def __init__(self) -> None:
        self.methods: list[str] = []

    def intercept(
        self,
        method: ServerContinuation[Message, Message],
        request_or_iterator: Message | Iterator[Message],
        context: grpc.ServicerContext,
        method_name: str,
        /,
    ) -> Message | Iterator[Message]:
        self.methods.append(method_name)
        return method(request_or_iterator, context)


def greet(request: StringValue, context: grpc.ServicerContext) -> StringValue:
    """The one method of demo.Greeter."""
    return StringValue(value=f"Hello, {request.value}!")


def register(server: grpc.Server) -> None:
    """Put both services on the server."""
    add_DummyServiceServicer_to_server(DummyService(), server)
    greeter = grpc.method_handlers_generic_handler(
        "demo.Greeter",
        {
            "Greet": grpc.unary_unary_rpc_method_handler(
                greet,
                request_deserializer=StringValue.FromString,
                response_serializer=StringValue.SerializeToString,
            )
        },
    )
    server.add_generic_rpc_handlers((greeter,))


def main() -> int:
    """Call both services; 0 if DummyAudit saw only DummyService and EveryRpc saw all."""
    audit, every = DummyAudit(), EveryRpc()
    with serve(register, interceptors=[every, audit]) as channel:
        dummy = DummyServiceStub(channel)
        greet_rpc = channel.unary_unary(
            "/demo.Greeter/Greet",
            request_serializer=StringValue.SerializeToString,
            response_deserializer=StringValue.FromString,
        )
        got = [
            dummy.Execute(DummyRequest(input="one"), timeout=5).output,
            greet_rpc(StringValue(value="Ada"), timeout=5).value,
            "".join(r.output for r in dummy.ExecuteServerStream(DummyRequest(input="two"), timeout=5)),
            greet_rpc(StringValue(value="Grace"), timeout=5).value,
        ]
    print(f"The client got:                  {got}")
    print(f"DummyAudit saw these inputs:     {audit.inputs}")
    print("EveryRpc saw these methods:")
    for name in every.methods:
        print(f"  {name}")
    greeted = sum(name == "/demo.Greeter/Greet" for name in every.methods)
    print(f"DummyAudit skipped the {greeted} demo.Greeter calls; EveryRpc saw all {len(every.methods)} calls.")
    ok = (
        got == ["one", "Hello, Ada!", "two", "Hello, Grace!"]
        and audit.inputs == ["one", "two"]
        and len(every.methods) == 4
        and greeted == 2
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
