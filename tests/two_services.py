"""A server with two services, for tests of which methods an interceptor applies to.

DummyService (from the testing kit, in the descriptor pool) sits next to
``other.Other``, a generic handler registered by hand whose messages are the protobuf
well-known type ``StringValue`` and whose service is in no descriptor pool, and
``raw.Raw``, whose handlers hide their message classes: ``Plain`` deserializes with
plain functions, ``Bytes`` not at all (its handler sees raw bytes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import grpc.aio
from conftest import TIMEOUT, Outcome, call
from google.protobuf.wrappers_pb2 import StringValue

from grpc_interceptor.testing import AsyncDummyService, DummyRequest, DummyService
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub, add_DummyServiceServicer_to_server

OTHER = "other.Other"
#: The method of ``other.Other`` for each kind.
OTHER_METHOD = {
    "unary_unary": f"/{OTHER}/Echo",
    "unary_stream": f"/{OTHER}/Split",
    "stream_unary": f"/{OTHER}/Join",
    "stream_stream": f"/{OTHER}/Chat",
}
RAW_PLAIN = "/raw.Raw/Plain"
RAW_BYTES = "/raw.Raw/Bytes"


def _echo(request: StringValue, context: Any) -> StringValue:
    return StringValue(value=request.value)


def _split(request: StringValue, context: Any) -> Iterator[StringValue]:
    for char in request.value:
        yield StringValue(value=char)


def _join(requests: Iterator[StringValue], context: Any) -> StringValue:
    return StringValue(value="".join(request.value for request in requests))


def _chat(requests: Iterator[StringValue], context: Any) -> Iterator[StringValue]:
    for request in requests:
        yield StringValue(value=request.value)


async def _aecho(request: StringValue, context: Any) -> StringValue:
    return StringValue(value=request.value)


async def _asplit(request: StringValue, context: Any) -> AsyncIterator[StringValue]:
    for char in request.value:
        yield StringValue(value=char)


async def _ajoin(requests: AsyncIterator[StringValue], context: Any) -> StringValue:
    return StringValue(value="".join([request.value async for request in requests]))


async def _achat(requests: AsyncIterator[StringValue], context: Any) -> AsyncIterator[StringValue]:
    async for request in requests:
        yield StringValue(value=request.value)


async def _abytes(request: bytes, context: Any) -> bytes:
    return request


def _bytes(request: bytes, context: Any) -> bytes:
    return request


def _handlers(aio: bool) -> tuple[grpc.GenericRpcHandler, grpc.GenericRpcHandler]:
    wire = {"request_deserializer": StringValue.FromString, "response_serializer": StringValue.SerializeToString}
    echo, split, join, chat = (_aecho, _asplit, _ajoin, _achat) if aio else (_echo, _split, _join, _chat)
    other = grpc.method_handlers_generic_handler(
        OTHER,
        {
            "Echo": grpc.unary_unary_rpc_method_handler(echo, **wire),
            "Split": grpc.unary_stream_rpc_method_handler(split, **wire),
            "Join": grpc.stream_unary_rpc_method_handler(join, **wire),
            "Chat": grpc.stream_stream_rpc_method_handler(chat, **wire),
        },
    )
    raw = grpc.method_handlers_generic_handler(
        "raw.Raw",
        {
            # Functions, not a message class's own FromString: the class cannot be known.
            "Plain": grpc.unary_unary_rpc_method_handler(
                echo,
                request_deserializer=lambda data: StringValue.FromString(data),
                response_serializer=lambda message: message.SerializeToString(),
            ),
            "Bytes": grpc.unary_unary_rpc_method_handler(_abytes if aio else _bytes),
        },
    )
    return other, raw


def register(aio: bool) -> Callable[[Any], None]:
    """Return what adds DummyService, ``other.Other`` and ``raw.Raw`` to a server."""

    def register_(server: Any) -> None:
        add_DummyServiceServicer_to_server(AsyncDummyService() if aio else DummyService(), server)
        server.add_generic_rpc_handlers(_handlers(aio))

    return register_


def call_dummy(channel: grpc.Channel, kind: str, *inputs: str) -> Outcome:
    """One ``kind`` RPC of DummyService on a sync channel."""
    return call(DummyServiceStub(channel), kind, *inputs)


def _other_callable(channel: Any, kind: str) -> Any:
    factory = getattr(channel, kind)
    return factory(
        OTHER_METHOD[kind],
        request_serializer=StringValue.SerializeToString,
        response_deserializer=StringValue.FromString,
    )


def call_other(channel: grpc.Channel, kind: str, *inputs: str) -> Outcome:
    """One ``kind`` RPC of ``other.Other`` on a sync channel; unary kinds take one input."""
    method = _other_callable(channel, kind)
    requests = [StringValue(value=text) for text in inputs]
    outcome = Outcome()
    try:
        if kind.startswith("unary"):
            (request,) = requests
            result = method(request, timeout=TIMEOUT)
        else:
            result = method(iter(requests), timeout=TIMEOUT)
        if kind.endswith("stream"):
            outcome.outputs.extend(response.value for response in result)
        else:
            outcome.outputs.append(result.value)
    except grpc.RpcError as error:
        failed: Any = error
        outcome.code, outcome.details = failed.code(), failed.details()
    return outcome


async def acall_dummy(channel: grpc.aio.Channel, kind: str, *inputs: str) -> Outcome:
    """One ``kind`` RPC of DummyService on a grpc.aio channel."""
    stub: Any = DummyServiceStub(channel)
    requests = [DummyRequest(input=text) for text in inputs]
    method = {
        "unary_unary": stub.Execute,
        "unary_stream": stub.ExecuteServerStream,
        "stream_unary": stub.ExecuteClientStream,
        "stream_stream": stub.ExecuteClientServerStream,
    }[kind]
    return await _acall(method, kind, requests, lambda response: response.output)


async def acall_other(channel: grpc.aio.Channel, kind: str, *inputs: str) -> Outcome:
    """One ``kind`` RPC of ``other.Other`` on a grpc.aio channel."""
    requests = [StringValue(value=text) for text in inputs]
    return await _acall(_other_callable(channel, kind), kind, requests, lambda response: response.value)


async def _acall(method: Any, kind: str, requests: list[Any], output: Callable[[Any], str]) -> Outcome:
    outcome = Outcome()
    try:
        if kind.startswith("unary"):
            (request,) = requests
            result = method(request, timeout=TIMEOUT)
        else:
            result = method(iter(requests), timeout=TIMEOUT)
        if kind.endswith("stream"):
            outcome.outputs.extend([output(response) async for response in result])
        else:
            outcome.outputs.append(output(await result))
    except grpc.aio.AioRpcError as error:
        outcome.code, outcome.details = error.code(), error.details()
    return outcome
