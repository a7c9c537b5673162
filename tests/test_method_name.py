"""MethodName and parse_method_name."""

from __future__ import annotations

import re

import pytest
from conftest import INPUTS, METHOD, call
from hypothesis import given
from hypothesis import strategies as st

from grpc_interceptor import MethodName, ServerInterceptor, parse_method_name
from grpc_interceptor.testing import dummy_client


def test_the_reference_examples() -> None:
    parsed = parse_method_name("/foo.bar.SearchService/Search")
    assert parsed == MethodName(package="foo.bar", service="SearchService", method="Search")
    assert repr(parsed) == "MethodName(package='foo.bar', service='SearchService', method='Search')"
    assert parsed.fully_qualified_service == "foo.bar.SearchService"
    assert MethodName("foo.bar", "SearchService", "Search").fully_qualified_service == "foo.bar.SearchService"


def test_name_without_a_package() -> None:
    parsed = parse_method_name("/DummyService/Execute")
    assert (parsed.package, parsed.service, parsed.method) == ("", "DummyService", "Execute")
    assert parsed.fully_qualified_service == "DummyService"


@pytest.mark.parametrize(
    "name", ["", "Svc/M", "/Svc", "/pkg.Svc/M/x", "/.Svc/M", "//M", "/Svc/", "/pkg./M", "pkg.Svc/M"]
)
def test_malformed_names_are_refused_quoting_the_input(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(name))):
        parse_method_name(name)


def test_a_name_must_be_a_str() -> None:
    with pytest.raises(TypeError):
        parse_method_name(b"/pkg.Svc/M")  # type: ignore[arg-type]


def test_equal_and_hashed_by_value() -> None:
    first, second = parse_method_name("/a.b.Svc/M"), MethodName("a.b", "Svc", "M")
    assert first == second and hash(first) == hash(second)
    assert first is not second
    assert len({first, second, MethodName("a.b", "Svc", "N")}) == 2
    assert {first: 1}[second] == 1
    assert first != MethodName("a", "b.Svc", "M")  # same full name, other split


def test_is_immutable() -> None:
    name = MethodName("a", "Svc", "M")
    with pytest.raises(AttributeError, match="immutable"):
        name.method = "N"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        name.other = "N"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="immutable"):
        del name.package  # type: ignore[misc]
    assert name == MethodName("a", "Svc", "M")


def test_survives_pickle_and_copy_and_matches_as_a_record() -> None:
    import copy
    import pickle

    name = MethodName("a.b", "Svc", "M")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(name, protocol)) == name
    assert copy.copy(name) == copy.deepcopy(name) == name
    match name:
        case MethodName(package, service, method):
            assert (package, service, method) == ("a.b", "Svc", "M")
    assert repr(name) == "MethodName(package='a.b', service='Svc', method='M')"
    assert name != ("a.b", "Svc", "M")


_IDENTIFIER = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)


@pytest.mark.slow  # hypothesis: a hundred examples
@given(package=st.lists(_IDENTIFIER, max_size=3).map(".".join), service=_IDENTIFIER, method=_IDENTIFIER)
def test_round_trip(package: str, service: str, method: str) -> None:
    name = MethodName(package, service, method)
    assert parse_method_name(f"/{name.fully_qualified_service}/{method}") == name


def test_names_a_real_server_hands_to_interceptors(kind: str) -> None:
    parsed: list[MethodName] = []

    class Parse(ServerInterceptor):
        def intercept(self, method, request_or_iterator, context, method_name):
            parsed.append(parse_method_name(method_name))
            return method(request_or_iterator, context)

    with dummy_client(interceptors=[Parse()]) as client:
        call(client, kind, *INPUTS[kind])
    service, method = METHOD[kind].rsplit("/", 1)
    assert parsed == [MethodName("", "DummyService", method)]
    assert parsed[0].fully_qualified_service == service.lstrip("/")
