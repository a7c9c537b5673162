"""Bad input, property-based: method names, status exceptions, binary metadata, wrong wiring.

Every property runs a bounded number of generated examples (``max_examples``), with no
per-example deadline (servers are involved) and no example database on disk.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Iterator
from typing import Any

import grpc
import grpc.aio
import pytest
from helpers_reliability import KINDS, stub_method, sync_server
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from grpc_interceptor import (
    AsyncClientInterceptor,
    AsyncServerInterceptor,
    ClientCallDetails,
    ClientInterceptor,
    MethodName,
    ServerInterceptor,
    parse_method_name,
)
from grpc_interceptor import exceptions as grpc_exceptions
from grpc_interceptor.client import aio_channel_interceptors
from grpc_interceptor.exceptions import GrpcException, exception_class_for
from grpc_interceptor.testing import DummyRequest, DummyResponse, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceServicer, DummyServiceStub

pytestmark = pytest.mark.slow  # hypothesis: hundreds of examples per test

TIMEOUT = 10.0


def bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# --- parse_method_name and MethodName -------------------------------------------------

#: Characters that matter to the parser, mixed with anything at all.
_PARSER_CHARS = st.one_of(st.sampled_from("/./a_"), st.characters())
#: Text made of the pieces method names are made of: likely to be almost valid.
_NAME_LIKE = st.lists(
    st.one_of(st.sampled_from(["/", ".", "", "pkg", "Svc", "M", "//", "./", "/."]), st.text(_PARSER_CHARS, max_size=4)),
    max_size=7,
).map("".join)

_IDENTIFIER = st.text(st.sampled_from(string.ascii_letters + string.digits + "_"), min_size=1, max_size=12)
#: Parts that are valid as the parser defines it: no "/" anywhere, no "." in the
#: service, non-empty service and method.
_SERVICE = st.text(st.characters(exclude_characters="/."), min_size=1, max_size=12)
_METHOD = st.text(st.characters(exclude_characters="/"), min_size=1, max_size=12)
_PACKAGE = st.one_of(st.just(""), st.lists(_IDENTIFIER, min_size=1, max_size=4).map(".".join))

_VALID_NAME = st.builds(
    lambda package, service, method: f"/{package}{'.' if package else ''}{service}/{method}",
    _PACKAGE,
    _SERVICE,
    _METHOD,
)
#: A valid name with one character put in somewhere: valid or not, depending on where.
_MUTATED_NAME = st.builds(
    lambda name, index, char: name[: index % (len(name) + 1)] + char + name[index % (len(name) + 1) :],
    _VALID_NAME,
    st.integers(0, 40),
    st.sampled_from(["/", ".", "", " ", "\n", "\x00"]),
)


@bounded(1000)
@given(st.one_of(st.text(_PARSER_CHARS, max_size=30), _NAME_LIKE, _VALID_NAME, _MUTATED_NAME))
def test_parse_method_name_gives_a_consistent_name_or_a_value_error_quoting_the_input(text: str) -> None:
    try:
        parsed = parse_method_name(text)
    except ValueError as e:
        event("refused")
        assert repr(text) in str(e)
        return
    event("parsed")
    assert f"/{parsed.fully_qualified_service}/{parsed.method}" == text
    assert parsed.service and parsed.method
    assert "/" not in parsed.package + parsed.service + parsed.method
    assert "." not in parsed.service


@bounded(300)
@given(_PACKAGE, _SERVICE, _METHOD)
def test_every_valid_name_parses_back_to_its_parts(package: str, service: str, method: str) -> None:
    name = MethodName(package, service, method)
    text = f"/{name.fully_qualified_service}/{method}"
    assert parse_method_name(text) == name
    assert hash(parse_method_name(text)) == hash(name)
    assert eval(repr(name), {"MethodName": MethodName}) == name


@bounded(200)
@given(st.one_of(st.binary(), st.integers(), st.none(), st.lists(st.text(), max_size=2), st.builds(object)))
def test_parse_method_name_refuses_what_is_not_a_string(value: Any) -> None:
    with pytest.raises(TypeError, match="expected a str"):
        parse_method_name(value)


# --- status exceptions ----------------------------------------------------------------

EXCEPTION_CLASSES = [
    getattr(grpc_exceptions, name) for name in grpc_exceptions.__all__ if name not in ("exception_class_for",)
]
_ERROR_CODES = [code for code in grpc.StatusCode if code is not grpc.StatusCode.OK]
_NOT_A_CODE = st.one_of(
    st.integers(),
    st.text(),
    st.sampled_from([code.value for code in grpc.StatusCode] + [code.name for code in grpc.StatusCode]),
    st.floats(allow_nan=False),
    st.binary(),
    st.booleans(),
)
_NOT_A_STR = st.one_of(
    st.binary(), st.integers(), st.floats(allow_nan=False), st.lists(st.text(), max_size=2), st.booleans()
)


@bounded(300)
@given(st.sampled_from(EXCEPTION_CLASSES), _NOT_A_CODE)
def test_an_exception_refuses_a_code_that_is_not_a_status_code(cls: type[GrpcException], code: Any) -> None:
    with pytest.raises(TypeError, match="status_code"):
        cls(status_code=code)


@bounded(50)
@given(st.sampled_from(EXCEPTION_CLASSES), st.one_of(st.none(), st.text()))
def test_an_exception_refuses_ok(cls: type[GrpcException], details: str | None) -> None:
    with pytest.raises(ValueError, match="OK"):
        cls(details, grpc.StatusCode.OK)


@bounded(300)
@given(st.sampled_from(EXCEPTION_CLASSES), _NOT_A_STR)
def test_an_exception_keeps_details_that_are_not_a_string(cls: type[GrpcException], details: Any) -> None:
    # As 0.15.4 did: stored as given; sent (and shown) as their text.
    error = cls(details)
    assert error.details is details
    assert error.args == (details,)
    assert str(error) == (details.decode("utf-8", "replace") if isinstance(details, bytes) else str(details))


@bounded(300)
@given(st.sampled_from(EXCEPTION_CLASSES), st.one_of(st.none(), st.text()), st.sampled_from([None, *_ERROR_CODES]))
def test_an_exception_keeps_what_it_was_given(
    cls: type[GrpcException], details: str | None, code: grpc.StatusCode | None
) -> None:
    error = cls(details, code)
    assert error.details == (cls.details if details is None else details)
    assert error.status_code is (cls.status_code if code is None else code)
    assert str(error) == error.details
    assert repr(error) == f"{cls.__name__}(status_code={error.status_code.name}, details={error.details!r})"
    assert exception_class_for(error.status_code).status_code is error.status_code


# --- binary metadata through client interceptors --------------------------------------


class MetadataEcho(DummyServiceServicer):
    """Answers every kind with the "x-" metadata it received, as JSON (bytes as hex)."""

    @staticmethod
    def _dump(context: grpc.ServicerContext) -> DummyResponse:
        pairs = [
            [key, value.hex() if isinstance(value, bytes) else value]
            for key, value in context.invocation_metadata()
            if key.startswith("x-")
        ]
        return DummyResponse(output=json.dumps(pairs))

    def Execute(self, request: DummyRequest, context: grpc.ServicerContext) -> DummyResponse:
        return self._dump(context)

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        yield self._dump(context)

    def ExecuteClientStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> DummyResponse:
        for _ in request_iterator:
            pass
        return self._dump(context)

    def ExecuteClientServerStream(
        self, request_iterator: Iterator[DummyRequest], context: grpc.ServicerContext
    ) -> Iterator[DummyResponse]:
        for _ in request_iterator:
            pass
        yield self._dump(context)


class AddMetadata(ClientInterceptor):
    """Adds pairs to the call's metadata, building new details positionally (six fields)."""

    def __init__(self) -> None:
        self.pairs: tuple[tuple[Any, Any], ...] = ()

    def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        details = ClientCallDetails(
            call_details.method,
            call_details.timeout,
            tuple(call_details.metadata or ()) + self.pairs,
            call_details.credentials,
            call_details.wait_for_ready,
            call_details.compression,
        )
        return method(request_or_iterator, details)


class AsyncAddMetadata(AsyncClientInterceptor):
    """Adds pairs to the call's metadata with ``_replace``."""

    def __init__(self) -> None:
        self.pairs: tuple[tuple[Any, Any], ...] = ()

    async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        metadata = tuple(call_details.metadata or ()) + self.pairs
        return await method(request_or_iterator, call_details._replace(metadata=metadata))


_BIN_KEY = st.from_regex(r"x-[a-z0-9_.-]{0,10}-bin", fullmatch=True)
_TEXT_KEY = st.from_regex(r"x-[a-z0-9_.-]{0,10}", fullmatch=True).filter(lambda key: not key.endswith("-bin"))
#: Values a text key may carry: printable ASCII without surrounding spaces.
_TEXT_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)
_PAIR = st.one_of(
    st.tuples(_BIN_KEY, st.binary(max_size=40)),
    st.tuples(_TEXT_KEY, _TEXT_VALUE),
)
#: Pairs with distinct keys; each key is sent as str or as bytes.
_METADATA = st.lists(_PAIR, max_size=4, unique_by=lambda pair: pair[0]).flatmap(
    lambda pairs: st.tuples(
        *[st.sampled_from([key, key.encode()]).map(lambda k, v=value: (k, v)) for key, value in pairs]
    )
)


def expected_dump(pairs: tuple[tuple[Any, Any], ...]) -> list[list[str]]:
    return [
        [key.decode() if isinstance(key, bytes) else key, value.hex() if isinstance(value, bytes) else value]
        for key, value in pairs
    ]


@pytest.fixture(scope="module")
def echo_address() -> Iterator[str]:
    with sync_server(MetadataEcho(), [], workers=4) as address:
        yield address


def requests_for(kind: str) -> Any:
    return iter([DummyRequest(input="a"), DummyRequest(input="b")]) if kind.startswith("stream") else DummyRequest()


@bounded(60)
@given(kind=st.sampled_from(KINDS), metadata=_METADATA, cut=st.integers(0, 4))
def test_binary_metadata_through_a_sync_client_interceptor(
    echo_address: str, kind: str, metadata: tuple[tuple[Any, Any], ...], cut: int
) -> None:
    caller, added = metadata[:cut], metadata[cut:]
    interceptor = AddMetadata()
    interceptor.pairs = added
    with grpc.insecure_channel(echo_address) as channel:
        method = stub_method(DummyServiceStub(grpc.intercept_channel(channel, interceptor)), kind)
        result = method(requests_for(kind), metadata=caller or None, timeout=TIMEOUT)
        response = next(iter(result)) if kind.endswith("_stream") else result
    assert json.loads(response.output) == expected_dump(metadata)


@bounded(40)
@given(kind=st.sampled_from(KINDS), metadata=_METADATA, cut=st.integers(0, 4))
def test_binary_metadata_through_an_async_client_interceptor(
    echo_address: str, kind: str, metadata: tuple[tuple[Any, Any], ...], cut: int
) -> None:
    caller, added = metadata[:cut], metadata[cut:]
    interceptor = AsyncAddMetadata()
    interceptor.pairs = added

    async def call() -> DummyResponse:
        async with grpc.aio.insecure_channel(
            echo_address, interceptors=aio_channel_interceptors(interceptor)
        ) as channel:
            request: Any = requests_for(kind)
            if kind.startswith("stream"):
                request = list(request)
            result = stub_method(DummyServiceStub(channel), kind)(request, metadata=caller or None, timeout=TIMEOUT)
            if kind.endswith("_stream"):
                return await result.read()
            return await result

    # A loop per example: grpc.aio channels belong to the loop they were made on.
    response = asyncio.run(asyncio.wait_for(call(), TIMEOUT))
    assert json.loads(response.output) == expected_dump(metadata)


# --- wrong wiring: a clear error, never a hang ----------------------------------------


class SyncPass(ClientInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return method(request_or_iterator, call_details)


class AsyncPass(AsyncClientInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
        return await method(request_or_iterator, call_details)


def test_async_client_interceptor_on_a_sync_channel_is_refused() -> None:
    with grpc.insecure_channel("127.0.0.1:1") as channel, pytest.raises(TypeError, match="interceptor must be"):
        grpc.intercept_channel(channel, AsyncPass())  # type: ignore[arg-type]


def test_sync_client_interceptor_for_an_aio_channel_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"SyncPass.*grpc\.intercept_channel"):
        aio_channel_interceptors(SyncPass())  # type: ignore[arg-type]


@pytest.mark.parametrize("interceptor", [SyncPass(), AsyncPass()], ids=["sync", "async"])
async def test_client_interceptor_given_raw_to_an_aio_channel_is_refused(interceptor: Any) -> None:
    # grpc.aio checks the interceptor objects itself: a sync one, or an async one not
    # passed through aio_channel_interceptors, is refused when the channel is made.
    with pytest.raises(ValueError, match="must be"):
        grpc.aio.insecure_channel("127.0.0.1:1", interceptors=[interceptor])


class AsyncServerPass(AsyncServerInterceptor):
    async def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        return await method(request_or_iterator, context)


class SyncServerPass(ServerInterceptor):
    def intercept(self, method: Any, request_or_iterator: Any, context: Any, method_name: str) -> Any:
        return method(request_or_iterator, context)


class _Echo(DummyServiceServicer):
    def Execute(self, request: DummyRequest, context: Any) -> DummyResponse:
        return DummyResponse(output=request.input)


def test_async_server_interceptor_on_a_sync_server_fails_each_rpc_promptly() -> None:
    # The library sees the mistake on the first RPC only; grpc logs its TypeError and
    # the client gets UNKNOWN at once.
    with sync_server(_Echo(), [AsyncServerPass()], workers=2) as address, grpc.insecure_channel(address) as channel:
        for _ in range(2):
            with pytest.raises(grpc.RpcError) as raised:
                DummyServiceStub(channel).Execute(DummyRequest(input="a"), timeout=TIMEOUT)
            error: Any = raised.value
            assert error.code() is grpc.StatusCode.UNKNOWN


def test_the_testing_kit_refuses_a_mixed_server_up_front() -> None:
    with pytest.raises(TypeError, match="aio_server=True"):
        serve(lambda server: None, [AsyncServerPass()])
    with pytest.raises(TypeError, match="AsyncServerInterceptor"):
        serve(lambda server: None, [SyncServerPass()], aio_server=True)


async def test_sync_server_interceptor_on_an_aio_server_is_refused() -> None:
    with pytest.raises((TypeError, ValueError)):
        grpc.aio.server(interceptors=[SyncServerPass()])  # type: ignore[list-item]
