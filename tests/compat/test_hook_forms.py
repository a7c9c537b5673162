"""0.15.4 interceptors whose ``intercept`` is written in the forms real code uses.

The library hands grpc a plain method's hook bound to its arguments, with the method's
name as the default of the hook's last parameter, made once per method. These check
what that must keep: each RPC sees its own method's name, ``super()`` works, the hook's
own defaults stay, and a hook behind a decorator (which takes ``*args``) still runs.
"""

import functools

import pytest

from grpc_interceptor import AsyncServerInterceptor, ServerInterceptor
from grpc_interceptor.testing import DummyRequest, dummy_client

METHODS = {
    "unary_unary": "/DummyService/Execute",
    "unary_stream": "/DummyService/ExecuteServerStream",
    "stream_unary": "/DummyService/ExecuteClientStream",
    "stream_stream": "/DummyService/ExecuteClientServerStream",
}


def call(client, kind, text):
    if kind == "unary_unary":
        return client.Execute(DummyRequest(input=text)).output
    if kind == "unary_stream":
        return "".join(r.output for r in client.ExecuteServerStream(DummyRequest(input=text)))
    requests = iter([DummyRequest(input=text)])
    if kind == "stream_unary":
        return client.ExecuteClientStream(requests).output
    return "".join(r.output for r in client.ExecuteClientServerStream(requests))


def logged(hook):
    @functools.wraps(hook)
    def logging_hook(*args, **kwargs):
        return hook(*args, **kwargs)

    return logging_hook


class Names(ServerInterceptor):
    def __init__(self):
        self.seen = []

    def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append(method_name)
        return method(request_or_iterator, context)


class NamesWithSuper(Names):
    def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append("sub " + method_name)
        return super().intercept(method, request_or_iterator, context, method_name)


class NamesWithDefaults(ServerInterceptor):
    def __init__(self):
        self.seen = []

    def intercept(self, method, request_or_iterator, context=None, method_name="no name"):
        self.seen.append(method_name)
        return method(request_or_iterator, context)


class NamesDecorated(ServerInterceptor):
    def __init__(self):
        self.seen = []

    @logged
    def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append(method_name)
        return method(request_or_iterator, context)


class AsyncNames(AsyncServerInterceptor):
    def __init__(self):
        self.seen = []

    async def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append(method_name)
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


class AsyncNamesWithSuper(AsyncNames):
    async def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append("sub " + method_name)
        return await super().intercept(method, request_or_iterator, context, method_name)


class AsyncNamesDecorated(AsyncNames):
    @logged
    async def intercept(self, method, request_or_iterator, context, method_name):
        self.seen.append("decorated " + method_name)
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


def expected(interceptor, kind):
    name = METHODS[kind]
    if isinstance(interceptor, (NamesWithSuper, AsyncNamesWithSuper)):
        return ["sub " + name, name]
    if isinstance(interceptor, AsyncNamesDecorated):
        return ["decorated " + name]
    return [name]


SYNC = [Names, NamesWithSuper, NamesWithDefaults, NamesDecorated]
AIO = [AsyncNames, AsyncNamesWithSuper, AsyncNamesDecorated]


@pytest.mark.parametrize("interceptor_class", [*SYNC, *AIO])
def test_each_rpc_sees_its_own_method_name(interceptor_class):
    aio = interceptor_class in AIO
    outer, inner = interceptor_class(), interceptor_class()
    with dummy_client(special_cases={}, interceptors=[outer, inner], aio_server=aio) as client:
        for kind in METHODS:
            for _ in range(2):  # the second RPC runs the handler built for the first
                outer.seen.clear()
                inner.seen.clear()
                assert call(client, kind, kind) == kind
                assert outer.seen == expected(outer, kind)
                assert inner.seen == expected(inner, kind)


def test_the_hook_keeps_its_own_defaults():
    interceptor = NamesWithDefaults()
    with dummy_client(special_cases={}, interceptors=[interceptor]) as client:
        assert call(client, "unary_unary", "a") == "a"
    assert interceptor.seen == ["/DummyService/Execute"]
    assert NamesWithDefaults.intercept.__defaults__ == (None, "no name")
