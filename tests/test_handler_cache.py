"""The wrapped handler is built once per method, not per RPC; the cache stays sound and bounded.

Constructions are counted by replacing ``rebuild_handler`` in ``grpc_interceptor.server``
(the one place a wrapped handler is made), and seen from the outside by a raw grpc
interceptor placed in front of ours, which records the handler object ours returned for
every RPC. No timing is asserted here; ``benchmarks/bench.py`` measures, and the last test
runs it as a smoke test.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from conftest import KINDS, call, echo

from grpc_interceptor import (
    AsyncExceptionToStatusInterceptor,
    AsyncServerInterceptor,
    ServerInterceptor,
    _handlers,
    _server_aio,
)
from grpc_interceptor import server as server_module
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import dummy_client
from grpc_interceptor.testing.dummy_client import dummy_channel
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

RPCS = 60  # per kind, through a real server
DIRECT_RPCS = 500
METHOD = "/bench.Service/Method"
ROOT = Path(__file__).resolve().parents[1]


class PassThrough(ServerInterceptor):
    def __init__(self) -> None:
        self.calls = 0

    def intercept(self, method, request_or_iterator, context, method_name):
        self.calls += 1
        return method(request_or_iterator, context)


class AsyncPassThrough(AsyncServerInterceptor):
    def __init__(self) -> None:
        self.calls = 0

    async def on_unary_unary(self, method, request, context, method_name, /):
        self.calls += 1
        return await method(request, context)

    async def on_unary_stream(self, method, request, context, method_name, /):
        self.calls += 1
        async for response in method(request, context):
            yield response

    async def on_stream_unary(self, method, request_iterator, context, method_name, /):
        self.calls += 1
        return await method(request_iterator, context)

    async def on_stream_stream(self, method, request_iterator, context, method_name, /):
        self.calls += 1
        async for response in method(request_iterator, context):
            yield response


class Recorder(grpc.ServerInterceptor):
    """Sits in front of ours on a sync server and keeps every handler ours returned."""

    def __init__(self) -> None:
        self.seen: dict[str, list[object]] = defaultdict(list)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        self.seen[handler_call_details.method].append(handler)  # kept alive: no id reuse
        return handler


class AsyncRecorder(grpc.aio.ServerInterceptor):
    def __init__(self) -> None:
        self.seen: dict[str, list[object]] = defaultdict(list)

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        self.seen[handler_call_details.method].append(handler)
        return handler


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every wrapped handler built from now on, as the kind of handler it was built from."""
    built: list[str] = []
    real = server_module.rebuild_handler

    def counting(handler: Any, behavior: Callable[..., Any]) -> Any:
        built.append(f"{handler.request_streaming}/{handler.response_streaming}")
        return real(handler, behavior)

    monkeypatch.setattr(server_module, "rebuild_handler", counting)
    return built


class Details(grpc.HandlerCallDetails):
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()


def _answer(request: str, context: object) -> str:
    return f"answer to {request}"


def _other_answer(request: str, context: object) -> str:
    return f"other answer to {request}"


# --------------------------------------------------------------------------------------
# Through a real server
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chain", [1, 5])
def test_sync_server_builds_one_wrapped_handler_per_method(builds: list[str], chain: int) -> None:
    recorder = Recorder()
    ours = [PassThrough() for _ in range(chain)]
    with dummy_client(special_cases={}, interceptors=[recorder, *ours]) as client:
        for kind in KINDS:
            for i in range(RPCS):
                inputs = (f"m{i}",) if kind.startswith("unary_") else (f"m{i}", "n")
                assert call(client, kind, *inputs).outputs == echo(kind, *inputs)
    assert len(builds) == chain * len(KINDS)
    assert sorted(set(builds)) == ["False/False", "False/True", "True/False", "True/True"]
    assert len(recorder.seen) == len(KINDS)
    for method, handlers in recorder.seen.items():
        assert len(handlers) == RPCS, method
        assert all(handler is handlers[0] for handler in handlers), method
    assert [interceptor.calls for interceptor in ours] == [RPCS * len(KINDS)] * chain


@pytest.mark.parametrize("chain", [1, 5])
def test_aio_server_builds_one_wrapped_handler_per_method(builds: list[str], chain: int) -> None:
    recorder = AsyncRecorder()
    ours = [AsyncPassThrough() for _ in range(chain)]
    with dummy_client(special_cases={}, interceptors=[recorder, *ours], aio_server=True) as client:
        for kind in KINDS:
            for i in range(RPCS):
                inputs = (f"m{i}",) if kind.startswith("unary_") else (f"m{i}", "n")
                assert call(client, kind, *inputs).outputs == echo(kind, *inputs)
    assert len(builds) == chain * len(KINDS)
    assert len(recorder.seen) == len(KINDS)
    for method, handlers in recorder.seen.items():
        assert len(handlers) == RPCS, method
        assert all(handler is handlers[0] for handler in handlers), method
    assert [interceptor.calls for interceptor in ours] == [RPCS * len(KINDS)] * chain


def test_unimplemented_method_is_never_cached(builds: list[str]) -> None:
    ours = PassThrough()
    with dummy_channel(special_cases={}, interceptors=[ours]) as channel:
        client = DummyServiceStub(channel)
        missing = channel.unary_unary("/DummyService/Missing")
        for _ in range(5):
            with pytest.raises(grpc.RpcError) as raised:
                missing(b"", timeout=10)
            assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED  # type: ignore[attr-defined]
        assert call(client, "unary_unary", "x").outputs == ["x"]
    assert builds == ["False/False"]
    cache = ours._grpc_interceptor_handlers
    assert cache is not None
    assert list(cache) == ["/DummyService/Execute"]


# --------------------------------------------------------------------------------------
# Direct intercept_service calls, as grpc's server makes them
# --------------------------------------------------------------------------------------


def test_direct_calls_build_once_and_reuse(builds: list[str]) -> None:
    ours = PassThrough()
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    details = Details(METHOD)
    returned = [ours.intercept_service(lambda _: handler, details) for _ in range(DIRECT_RPCS)]
    assert builds == ["False/False"]
    first = returned[0]
    assert first is not None and first is not handler
    assert all(wrapped is first for wrapped in returned)
    assert first.unary_unary is not None
    assert first.unary_unary("q", None) == "answer to q"
    assert ours.calls == 1


async def test_aio_direct_calls_build_once_and_reuse(builds: list[str]) -> None:
    ours = AsyncPassThrough()

    async def _unary(request: str, context: object) -> str:
        return f"answer to {request}"

    handler = grpc.unary_unary_rpc_method_handler(_unary)

    async def continuation(details: grpc.HandlerCallDetails) -> Any:
        return handler

    details = Details(METHOD)
    returned = [await ours.intercept_service(continuation, details) for _ in range(DIRECT_RPCS)]
    assert builds == ["False/False"]
    first = returned[0]
    assert first is not None and first is not handler
    assert all(wrapped is first for wrapped in returned)
    assert first.unary_unary is not None
    assert await first.unary_unary("q", None) == "answer to q"
    assert ours.calls == 1


def test_none_from_the_continuation_is_passed_on_and_not_cached(builds: list[str]) -> None:
    ours = PassThrough()
    details = Details(METHOD)
    for _ in range(3):
        assert ours.intercept_service(lambda _: None, details) is None
    assert builds == []
    assert not ours._grpc_interceptor_handlers  # never created, or empty
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    wrapped = ours.intercept_service(lambda _: handler, details)
    assert wrapped is not None and wrapped is not handler
    assert builds == ["False/False"]
    # None again for the same method (the service went away): None, and the entry stays valid.
    assert ours.intercept_service(lambda _: None, details) is None
    assert ours.intercept_service(lambda _: handler, details) is wrapped
    assert builds == ["False/False"]


async def test_aio_none_from_the_continuation_is_passed_on_and_not_cached(builds: list[str]) -> None:
    ours = AsyncPassThrough()
    details = Details(METHOD)

    async def nothing(_: grpc.HandlerCallDetails) -> Any:
        return None

    for _ in range(3):
        assert await ours.intercept_service(nothing, details) is None
    assert builds == []
    assert not ours._grpc_interceptor_handlers


def test_a_different_handler_for_the_same_method_is_wrapped_anew(builds: list[str]) -> None:
    ours = PassThrough()
    details = Details(METHOD)
    first = grpc.unary_unary_rpc_method_handler(_answer)
    second = grpc.unary_unary_rpc_method_handler(_other_answer)
    order = [first, first, second, second, first, second]
    returned = [ours.intercept_service(lambda _, h=h: h, details) for h in order]
    # A build each time the continuation's handler changed; the same handler in a row is reused.
    assert len(builds) == 4
    assert returned[0] is returned[1]
    assert returned[2] is returned[3]
    assert returned[1] is not returned[2]
    answers = [wrapped.unary_unary("q", None) for wrapped in returned if wrapped is not None and wrapped.unary_unary]
    assert answers == [
        "answer to q",
        "answer to q",
        "other answer to q",
        "other answer to q",
        "answer to q",
        "other answer to q",
    ]


async def test_aio_a_different_handler_for_the_same_method_is_wrapped_anew(builds: list[str]) -> None:
    ours = AsyncPassThrough()
    details = Details(METHOD)

    async def one(request: str, context: object) -> str:
        return "one"

    async def two(request: str, context: object) -> str:
        return "two"

    handlers = [grpc.unary_unary_rpc_method_handler(one), grpc.unary_unary_rpc_method_handler(two)]
    seen = []
    for index in (0, 0, 1, 1, 0):

        async def continuation(_: grpc.HandlerCallDetails, index: int = index) -> Any:
            return handlers[index]

        wrapped = await ours.intercept_service(continuation, details)
        assert wrapped is not None and wrapped.unary_unary is not None
        seen.append(await wrapped.unary_unary("q", None))
    assert seen == ["one", "one", "two", "two", "one"]
    assert len(builds) == 3


def test_the_cache_is_bounded_and_drops_the_oldest(builds: list[str]) -> None:
    ours = PassThrough()
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    limit = _handlers.CACHE_LIMIT
    names = [f"/bench.Service/Method{i}" for i in range(limit + 25)]
    for name in names:
        assert ours.intercept_service(lambda _: handler, Details(name)) is not None
    cache = ours._grpc_interceptor_handlers
    assert cache is not None
    assert len(cache) == limit
    assert names[0] not in cache and names[24] not in cache
    assert names[25] in cache and names[-1] in cache
    assert len(builds) == len(names)
    # A dropped method still works: it is built again, and stays within the bound.
    assert ours.intercept_service(lambda _: handler, Details(names[0])) is not None
    assert len(builds) == len(names) + 1
    assert len(cache) == limit
    # A method still in the cache is not rebuilt.
    ours.intercept_service(lambda _: handler, Details(names[-1]))
    assert len(builds) == len(names) + 1


def test_selection_decisions_follow_the_same_bound_and_rule() -> None:
    from grpc_interceptor import select, where

    asked: list[str] = []

    def selector(method: Any) -> bool:
        asked.append(method.method)
        return True

    limit = _handlers.CACHE_LIMIT
    selected = select(PassThrough(), where(selector))
    names = [f"/bench.Service/Method{i}" for i in range(limit + 25)]
    for name in names:
        assert selected._selected(name) is True
    known = selected._selected._known
    assert len(known) == limit
    assert names[0] not in known and names[25] in known and names[-1] in known
    selected._selected(names[-1])  # still known: not asked again
    selected._selected(names[0])  # dropped: asked again
    assert len(asked) == len(names) + 1


def test_interceptors_without_init_get_their_cache_lazily(builds: list[str]) -> None:
    class NoInit(ServerInterceptor):
        def __init__(self) -> None:  # no super().__init__(), as 0.15.4 users write
            pass

        def intercept(self, method, request_or_iterator, context, method_name):
            return method(request_or_iterator, context)

    a, b = NoInit(), NoInit()
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    for _ in range(10):
        a.intercept_service(lambda _: handler, Details(METHOD))
        b.intercept_service(lambda _: handler, Details(METHOD))
    assert len(builds) == 2  # one per interceptor object: caches are not shared
    assert a._grpc_interceptor_handlers is not b._grpc_interceptor_handlers


def test_stream_kinds_build_once_too(builds: list[str]) -> None:
    ours = PassThrough()

    def stream(request: str, context: object) -> Iterator[str]:
        yield from request

    handler = grpc.unary_stream_rpc_method_handler(stream)
    returned = [ours.intercept_service(lambda _: handler, Details(METHOD)) for _ in range(50)]
    assert builds == ["False/True"]
    wrapped = returned[0]
    assert wrapped is not None and wrapped.unary_stream is not None
    assert all(w is wrapped for w in returned)
    assert list(wrapped.unary_stream("abc", None)) == ["a", "b", "c"]


# --------------------------------------------------------------------------------------
# The per-RPC path on grpc.aio: one wrapper in all, however long the chain
# --------------------------------------------------------------------------------------


class AsyncCatchAllPassThrough(AsyncServerInterceptor):
    """0.15.4's documented grpc.aio pass-through."""

    async def intercept(self, method, request_or_iterator, context, method_name):
        response_or_iterator = method(request_or_iterator, context)
        if hasattr(response_or_iterator, "__aiter__"):
            return response_or_iterator
        return await response_or_iterator


def _aio_frames() -> list[str]:
    """The names of this call stack's frames that run grpc_interceptor's ``_aio`` module."""
    names = []
    frame = sys._getframe(1)
    while frame is not None:
        if Path(frame.f_code.co_filename).name == "_server_aio.py":
            names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


async def _requests(*items: str) -> Any:
    for item in items:
        yield item


def _passed_on(hook: Any) -> Any:
    """A decorator as users write them: the hook it returns takes ``*args``."""

    @functools.wraps(hook)
    def passing(*args: Any, **kwargs: Any) -> Any:
        return hook(*args, **kwargs)

    return passing


class AsyncDecoratedPassThrough(AsyncServerInterceptor):
    """Typed hooks behind a decorator: they cannot be bound to their arguments ahead."""

    @_passed_on
    async def on_unary_unary(self, method, request, context, method_name, /):
        return await method(request, context)

    @_passed_on
    async def on_unary_stream(self, method, request, context, method_name, /):
        async for response in method(request, context):
            yield response

    @_passed_on
    async def on_stream_unary(self, method, request_iterator, context, method_name, /):
        return await method(request_iterator, context)

    @_passed_on
    async def on_stream_stream(self, method, request_iterator, context, method_name, /):
        async for response in method(request_iterator, context):
            yield response


@pytest.mark.parametrize("chain", [1, 3])
@pytest.mark.parametrize("interceptor_class", [AsyncPassThrough, AsyncCatchAllPassThrough, AsyncDecoratedPassThrough])
async def test_aio_chain_runs_one_wrapper_however_long(chain: int, interceptor_class: type[Any], kind: str) -> None:
    """grpc needs the handler it runs to be a coroutine (or async generator) function.
    A hook that is one, and a plain method, is bound to its arguments and handed to grpc
    as it is: no coroutine of the library's runs around it. Any other hook is wrapped in
    one coroutine function by the outermost interceptor (for a stream, where Python lets
    grpc take a plain call for an async generator function, not even that); those further
    in are called straight through, so a chain adds no coroutine, and for a stream no
    generator hop per message, beyond its own hooks and at most that one wrapper."""
    stacks: list[list[str]] = []

    async def unary(request: Any, context: object) -> str:
        stacks.append(_aio_frames())
        if kind.startswith("stream_"):
            return "".join([item async for item in request])
        return str(request)

    async def stream(request: Any, context: object) -> Any:
        items = [item async for item in request] if kind.startswith("stream_") else list(request)
        for item in items:
            stacks.append(_aio_frames())
            yield item

    build = {
        "unary_unary": grpc.unary_unary_rpc_method_handler,
        "unary_stream": grpc.unary_stream_rpc_method_handler,
        "stream_unary": grpc.stream_unary_rpc_method_handler,
        "stream_stream": grpc.stream_stream_rpc_method_handler,
    }[kind]
    handler = build(stream if kind.endswith("_stream") else unary)

    async def innermost(details: grpc.HandlerCallDetails) -> Any:
        return handler

    entry: Any = innermost
    ours = [interceptor_class() for _ in range(chain)]
    for interceptor in reversed(ours):
        entry = functools.partial(interceptor.intercept_service, entry)
    wrapped = await entry(Details(METHOD))
    behavior = getattr(wrapped, kind)
    request: Any = _requests("a", "b") if kind.startswith("stream_") else "ab"
    if kind.endswith("_stream"):
        outputs = [item async for item in behavior(request, None)]
    else:
        outputs = [await behavior(request, None)]

    assert outputs == (["a", "b"] if kind.endswith("_stream") else ["ab"])
    assert stacks
    bound = interceptor_class is not AsyncDecoratedPassThrough  # grpc gets the hook itself
    typed = interceptor_class is not AsyncCatchAllPassThrough
    if kind.endswith("_stream") and (_server_aio._STREAMING_BEHAVIOR_WORKS or (bound and typed)):
        # grpc iterates the outermost hook's own responses, and a catch-all's coroutine
        # that returns its stream at once has run already: no frame of ours per message.
        assert all(stack == [] for stack in stacks), stacks
    else:
        for stack in stacks:
            assert stack.count("behavior") == (0 if bound and not kind.endswith("_stream") else 1), stack


class RaisesWhenCalled(AsyncServerInterceptor):
    """A catch-all written as a plain ``def`` that raises before returning anything."""

    def intercept(self, method, request_or_iterator, context, method_name):
        raise NotFound(f"nothing at {method_name}")


def test_an_inner_interceptor_raising_when_called_reaches_the_outer_one(kind: str) -> None:
    """Called straight through, an inner hook raises inside the outer hook's own code
    (where it calls the continuation), as it did from inside the wrapper it no longer has."""
    outer = AsyncExceptionToStatusInterceptor()
    inputs = ("a",) if kind.startswith("unary_") else ("a", "b")
    with dummy_client(special_cases={}, interceptors=[outer, RaisesWhenCalled()], aio_server=True) as client:
        outcome = call(client, kind, *inputs)
    assert outcome.code == grpc.StatusCode.NOT_FOUND
    assert outcome.details.startswith("nothing at /")
    assert outcome.outputs == []


@pytest.fixture
def loop_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The class of every interceptor that asks for the running loop from now on."""
    checks: list[str] = []
    real = AsyncServerInterceptor._grpc_interceptor_refuse_sync_server

    def counting(self: AsyncServerInterceptor[Any, Any]) -> None:
        checks.append(type(self).__name__)
        real(self)

    monkeypatch.setattr(AsyncServerInterceptor, "_grpc_interceptor_refuse_sync_server", counting)
    return checks


def test_aio_server_pipeline_skips_the_event_loop_check(loop_checks: list[str]) -> None:
    """Asking for the running loop is skipped for grpc.aio's own continuations only.

    If grpc renames the function its continuations are made of, this fails: the check
    would then run on every RPC again (still correct, only slower).
    """
    ours = [AsyncPassThrough() for _ in range(3)]
    with dummy_client(special_cases={}, interceptors=ours, aio_server=True) as client:
        for i in range(RPCS):
            assert call(client, "unary_unary", f"m{i}").outputs == [f"m{i}"]
    assert loop_checks == []
    assert [interceptor.calls for interceptor in ours] == [RPCS] * 3


async def test_other_continuations_get_the_event_loop_check(loop_checks: list[str]) -> None:
    handler = grpc.unary_unary_rpc_method_handler(_answer)

    async def continuation(details: grpc.HandlerCallDetails) -> Any:
        return handler

    ours = AsyncPassThrough()
    for _ in range(3):
        assert await ours.intercept_service(continuation, Details(METHOD)) is not None
    assert await ours.intercept_service(functools.partial(continuation), Details(METHOD)) is not None
    assert loop_checks == ["AsyncPassThrough"] * 4


# --------------------------------------------------------------------------------------
# The benchmark runs (smoke test: no timing asserted)
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_benchmark_quick_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "targets" in done.stdout
    result = json.loads(out.read_text())
    assert set(result) == {"meta", "in_process", "loopback", "targets"}
    assert result["meta"]["quick"] is True
    keys = {row["key"] for row in result["in_process"]}
    for key in (
        "a/sync/unary/none/0",
        "a/sync/unary/catch-all/5",
        "a/aio/stream/catch-all/1",
        "a/client/unary/typed/1",
        "a/sync/unary/chain/5",
        "a/aio/unary/chain/5",
        "b/client/unary/catch-all/5",
        "b/client/unary/chain/5",
    ):
        assert key in keys
    for row in result["in_process"]:
        assert row["ours"]["ns_per_rpc"] > 0
        assert row["other"] is None  # no baseline library given
    assert {(row["server"], row["interceptors"]) for row in result["loopback"]} == {
        (server, count) for server in ("sync", "aio") for count in (0, 1, 5)
    }
    assert sorted((row["server"], row["chain"], row["interceptors"]) for row in result["loopback"]) == sorted(
        (server, chain, count)
        for server in ("sync", "aio")
        for chain, count in (
            ("grpc-interceptor", 0),
            ("grpc-interceptor", 1),
            ("grpc-interceptor", 5),
            ("chain()", 5),
            ("raw grpc", 1),
            ("raw grpc", 5),
            ("raw grpc, wrapping", 1),
            ("raw grpc, fused hooks", 5),
            ("control", 0),
        )
    )
    for row in result["loopback"]:
        assert row["unary_rps"] > 0 and row["unary_p99_us"] >= row["unary_p50_us"] > 0
    names = [target["name"] for target in result["targets"]]
    assert len(names) == 10
    for target in result["targets"]:
        expect_none = "0.15.4" in target["name"]
        assert (target["met"] is None) == expect_none, target


# --------------------------------------------------------------------------------------
# Per-object state: off the object's __setattr__, never shared with a copy
# --------------------------------------------------------------------------------------


def test_a_copy_gets_a_cache_of_its_own(builds: list[str]) -> None:
    import copy

    original = PassThrough()
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    first = original.intercept_service(lambda _: handler, Details(METHOD))
    copied = copy.copy(original)
    assert copied._grpc_interceptor_handlers is original._grpc_interceptor_handlers  # copy.copy shares values
    again = copied.intercept_service(lambda _: handler, Details(METHOD))
    assert again is not first  # built anew, around the copy's own hook
    assert copied._grpc_interceptor_handlers is not original._grpc_interceptor_handlers
    assert original.intercept_service(lambda _: handler, Details(METHOD)) is first  # the original's still holds
    assert len(builds) == 2


def test_the_cache_is_stored_past_a_guarding_setattr(builds: list[str]) -> None:
    class Guarded(PassThrough):
        def __setattr__(self, name: str, value: Any) -> None:
            if name.startswith("_grpc_interceptor"):
                raise AssertionError(f"the library set {name} through __setattr__")
            super().__setattr__(name, value)

    guarded = Guarded()
    handler = grpc.unary_unary_rpc_method_handler(_answer)
    wrapped = [guarded.intercept_service(lambda _: handler, Details(METHOD)) for _ in range(3)]
    assert wrapped[0] is wrapped[1] is wrapped[2]
    assert len(builds) == 1


def test_client_hooks_are_picked_for_the_copy_itself() -> None:
    import copy

    from grpc_interceptor import ClientCallDetails, ClientInterceptor
    from grpc_interceptor.client import AsyncClientInterceptor

    class Client(ClientInterceptor):
        def intercept(self, method: Any, request_or_iterator: Any, call_details: Any, /) -> Any:
            return self

    class AsyncClient(AsyncClientInterceptor):
        async def intercept(self, method: Any, request_or_iterator: Any, call_details: Any, /) -> Any:
            return self

    for original in (Client(), AsyncClient()):
        hooks = original._grpc_interceptor_kind_hooks()
        copied = copy.copy(original)
        assert copied._grpc_interceptor_kind_hooks() is not hooks
        assert copied._grpc_interceptor_kind_hooks().unary_unary.__self__ is copied
        assert original._grpc_interceptor_kind_hooks() is hooks
    details = ClientCallDetails("/a.B/C", None, None, None, None, None)
    sync = Client()
    assert sync.intercept_unary_unary(lambda details, request: None, details, None) is sync
    clone = copy.copy(sync)
    assert clone.intercept_unary_unary(lambda details, request: None, details, None) is clone
