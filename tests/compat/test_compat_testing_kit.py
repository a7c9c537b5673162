# ruff: noqa
# fmt: off
"""The testing kit as 0.15.4 code uses it: a bool from parametrize, positional arguments.

Type-checked under the checkers' default modes (tests/test_typing.py) and run by pytest.
"""
from typing import Dict, List, Union

import grpc
import pytest

from grpc_interceptor import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.testing import DummyRequest, dummy_client, raises
from grpc_interceptor.testing.dummy_client import SpecialCaseFunction, dummy_channel
from grpc_interceptor.testing.protos import dummy_pb2_grpc


class Counting(ServerInterceptor):
    def __init__(self):
        self.calls = {}

    def intercept(self, method, request, context, method_name):
        self.calls[method_name] = self.calls.get(method_name, 0) + 1
        return method(request, context)


class AsyncCounting(AsyncServerInterceptor):
    def __init__(self):
        self.calls = {}

    async def intercept(self, method, request, context, method_name):
        self.calls[method_name] = self.calls.get(method_name, 0) + 1
        return await method(request, context)


def _interceptors(aio: bool) -> List[Union[Counting, AsyncCounting]]:
    return [AsyncCounting()] if aio else [Counting()]


@pytest.mark.parametrize("aio", [False, True])
def test_positional_arguments_with_a_bool(aio: bool) -> None:
    special_cases: Dict[str, SpecialCaseFunction] = {"error": raises(ValueError("oops"))}
    interceptors = _interceptors(aio)
    with dummy_client(special_cases, interceptors, None, aio) as client:
        assert client.Execute(DummyRequest(input="foo")).output == "foo"
        with pytest.raises(grpc.RpcError):
            client.Execute(DummyRequest(input="error"))
    assert interceptors[0].calls == {"/DummyService/Execute": 2}


@pytest.mark.parametrize("aio", [False, True])
@pytest.mark.parametrize("aio_rw", [False, True])
def test_keywords_with_bools(aio: bool, aio_rw: bool) -> None:
    intr = AsyncCounting() if aio else Counting()
    with dummy_client(special_cases={}, interceptors=[intr], aio_server=aio, aio_read_write=aio_rw) as client:
        inputs = (DummyRequest(input=text) for text in ["a", "b"])
        assert client.ExecuteClientStream(inputs).output == "ab"
    assert intr.calls == {"/DummyService/ExecuteClientStream": 1}


def test_cases_added_in_the_block_apply() -> None:
    special_cases: Dict[str, SpecialCaseFunction] = {}
    with dummy_channel(special_cases, [Counting()]) as channel:
        client = dummy_pb2_grpc.DummyServiceStub(channel)
        special_cases["boom"] = raises(ValueError("boom"))
        with pytest.raises(grpc.RpcError) as e:
            client.Execute(DummyRequest(input="boom"))
        assert e.value.code() == grpc.StatusCode.UNKNOWN
