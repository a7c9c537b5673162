"""What several test files share: the four RPC kinds of DummyService, and calling them.

``call(client, kind, *inputs)`` makes one RPC of ``kind`` with the given inputs and
returns an :class:`Outcome`: every output the client received and the final status,
so that a test can check both the messages sent before an error and the error.
``echo(kind, *inputs)`` is what DummyService answers without interceptors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from grpc_interceptor.testing import DummyRequest

KINDS = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")
STREAMING_RESPONSE_KINDS = ("unary_stream", "stream_stream")

#: Inputs that give each kind several response messages or several requests.
INPUTS = {
    "unary_unary": ("abc",),
    "unary_stream": ("abc",),
    "stream_unary": ("a", "b", "c"),
    "stream_stream": ("a", "b", "c"),
}

#: The method name a server interceptor receives for each kind.
METHOD = {
    "unary_unary": "/DummyService/Execute",
    "unary_stream": "/DummyService/ExecuteServerStream",
    "stream_unary": "/DummyService/ExecuteClientStream",
    "stream_stream": "/DummyService/ExecuteClientServerStream",
}

#: How long a test waits for one RPC at most.
TIMEOUT = 10


@dataclass
class Outcome:
    """What the client saw: the outputs received, then the status code and details."""

    outputs: list[str] = field(default_factory=list)
    code: grpc.StatusCode = grpc.StatusCode.OK
    details: str | None = None


def call(client: Any, kind: str, *inputs: str) -> Outcome:
    """Make one ``kind`` RPC on a sync DummyService stub; unary kinds take one input."""
    requests = [DummyRequest(input=text) for text in inputs]
    outcome = Outcome()
    try:
        if kind == "unary_unary":
            (request,) = requests
            outcome.outputs.append(client.Execute(request, timeout=TIMEOUT).output)
        elif kind == "unary_stream":
            (request,) = requests
            for response in client.ExecuteServerStream(request, timeout=TIMEOUT):
                outcome.outputs.append(response.output)
        elif kind == "stream_unary":
            outcome.outputs.append(client.ExecuteClientStream(iter(requests), timeout=TIMEOUT).output)
        elif kind == "stream_stream":
            for response in client.ExecuteClientServerStream(iter(requests), timeout=TIMEOUT):
                outcome.outputs.append(response.output)
        else:
            raise ValueError(f"unknown RPC kind {kind!r}")
    except grpc.RpcError as error:
        call_error: Any = error  # a grpc.Call as well as an RpcError
        outcome.code = call_error.code()
        outcome.details = call_error.details()
    return outcome


def echo(kind: str, *inputs: str) -> list[str]:
    """The outputs DummyService sends for ``inputs`` when nothing intervenes."""
    if kind == "unary_unary":
        return [inputs[0]]
    if kind == "unary_stream":
        return list(inputs[0])
    if kind == "stream_unary":
        return ["".join(inputs)]
    return list(inputs)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each of the four RPC kinds in turn."""
    return str(request.param)


# --- grpcio too old for async client interceptors ----------------------------------
# aio_channel_interceptors() refuses them on grpcio < 1.83 (see grpc_interceptor.client);
# a test that installs one is skipped there with that reason instead of failing.


def _skip_if_aio_client_unsupported(error: BaseException) -> None:
    from grpc_interceptor.client import _aio_client_unsupported  # pyright: ignore[reportPrivateUsage]

    reason = _aio_client_unsupported()
    if reason is not None and isinstance(error, RuntimeError) and str(error) == reason:
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    try:
        return (yield)
    except RuntimeError as error:
        _skip_if_aio_client_unsupported(error)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    try:
        return (yield)
    except RuntimeError as error:
        _skip_if_aio_client_unsupported(error)
        raise
