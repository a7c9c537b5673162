"""Many RPCs at once through a chain of five interceptors: nothing lost, nothing leaked.

Each test runs :data:`LOAD_RPCS` RPCs of the four kinds (a streaming-light mix, see
``kind_for``) through the chain::

    Counting (outer) -> Trailer -> ExceptionToStatus(INTERNAL) -> Tag -> Counting (inner)

with 10% of the requests raising a mapped exception (``NotFound``), 10% an unknown one
(``RuntimeError``) and 10% aborting. The client checks every response, status code,
details string and the trailing metadata; the counting interceptors' counts must be
exact; once the server and channel are closed, no thread, task or channel may remain
beyond what a warm-up run left; and the memory traced by ``tracemalloc`` must not grow
from one batch of :data:`MEMORY_BATCH` RPCs to the next.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import tracemalloc
import weakref
from collections import Counter
from concurrent import futures
from typing import TYPE_CHECKING, Any

import grpc
from helpers_reliability import (
    AsyncCountingInterceptor,
    AsyncScriptedService,
    AsyncTagInterceptor,
    AsyncTrailerInterceptor,
    CountingInterceptor,
    Outcome,
    ScriptedService,
    TagInterceptor,
    TrailerInterceptor,
    call_async,
    call_sync,
    expected_outcome,
    is_collected,
    kind_for,
    leftover_threads,
    mode_for,
    other_tasks,
    register,
    sync_server,
)

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.testing import serve
from grpc_interceptor.testing.dummy_pb2_grpc import DummyServiceStub

if TYPE_CHECKING:
    from typing_extensions import Self

#: RPCs per server flavour, all checked. The last 2 * MEMORY_BATCH of them run under
#: tracemalloc.
LOAD_RPCS = 20_000
WARMUP_RPCS = 400  # every kind in every mode, several times
MEMORY_BATCH = 2_000
CLIENT_THREADS = 8
CLIENT_TASKS = 64
SERVER_WORKERS = 16

# Why these bounds: what is traced right after a batch also holds what is still in
# flight at that moment (client calls, server contexts, frames, event-loop handles,
# messages), which does not depend on the batch size. Measured from one batch to the
# next: a few hundred bytes to 10 KiB on the sync server, whose in-flight work has
# ended when the last client thread returns; up to about 250 KiB either way on the aio
# server, where callbacks of finished RPCs may still be queued on either event loop.
# Anything kept per RPC is at least one small object (a message, a context, a closure,
# a cache entry: 50 bytes or more), that is 100 KiB or more over MEMORY_BATCH = 2,000
# RPCs: the sync bound catches it outright; the aio bound catches 200 bytes per RPC
# above the noise. Checked by planting a leak: an interceptor that keeps every RPC's
# request grows the traced memory by 1.1 MiB (sync) and 1.4 MiB (aio) per batch.
MEMORY_BOUND = {"sync": 64 * 1024, "aio": 384 * 1024}

_ABORT_ERROR = {"sync": "Exception", "aio": "AbortError"}  # what context.abort() raises
_RAISED_BY_MODE = {"mapped": "NotFound", "unknown": "RuntimeError"}


def expected_counts(indices: range, flavour: str, inner: bool) -> Counter[tuple[str, ...]]:
    """What a counting interceptor must have counted for the RPCs ``indices``.

    The inner one sees the handler's own exceptions; the outer one sees them all
    turned into an abort by ExceptionToStatus.
    """
    counts: Counter[tuple[str, ...]] = Counter()
    for i in indices:
        kind, mode = kind_for(i), mode_for(i)
        outcome = expected_outcome(kind, mode, i)
        counts[kind, "calls"] += 1
        if outcome.responses:
            counts[kind, "responses"] += len(outcome.responses)
        if mode == "ok":
            counts[kind, "completed"] += 1
        else:
            raised = _RAISED_BY_MODE.get(mode, _ABORT_ERROR[flavour]) if inner else _ABORT_ERROR[flavour]
            counts[kind, "error", raised] += 1
    return counts


Mismatch = tuple[int, Outcome, Outcome]


def run_sync_batch(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """Make the RPCs ``indices`` from CLIENT_THREADS threads; return (checked, mismatches)."""

    def work(offset: int) -> tuple[int, list[Mismatch]]:
        checked, wrong = 0, []
        for i in indices[offset::CLIENT_THREADS]:
            kind, mode = kind_for(i), mode_for(i)
            got, want = call_sync(stub, kind, mode, i), expected_outcome(kind, mode, i)
            checked += 1
            if got != want:
                wrong.append((i, got, want))
        return checked, wrong

    with futures.ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="load-client") as pool:
        results = list(pool.map(work, range(CLIENT_THREADS)))
    return sum(checked for checked, _ in results), [m for _, wrong in results for m in wrong]


async def run_async_batch(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """Make the RPCs ``indices`` from CLIENT_TASKS tasks; return (checked, mismatches)."""

    async def work(offset: int) -> tuple[int, list[Mismatch]]:
        checked, wrong = 0, []
        for i in indices[offset::CLIENT_TASKS]:
            kind, mode = kind_for(i), mode_for(i)
            got, want = await call_async(stub, kind, mode, i), expected_outcome(kind, mode, i)
            checked += 1
            if got != want:
                wrong.append((i, got, want))
        return checked, wrong

    results = await asyncio.gather(*(work(offset) for offset in range(CLIENT_TASKS)))
    return sum(checked for checked, _ in results), [m for _, wrong in results for m in wrong]


class MemoryProbe:
    """Traced memory after each batch, traced from the first batch on."""

    def __init__(self) -> None:
        self.after: list[int] = []

    def __enter__(self) -> Self:
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        return self

    def measure(self) -> None:
        gc.collect()
        self.after.append(tracemalloc.get_traced_memory()[0])

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            tracemalloc.stop()

    @property
    def growth(self) -> int:
        first, second = self.after
        return second - first


def sync_chain() -> list[Any]:
    return [
        CountingInterceptor(),
        TrailerInterceptor(),
        ExceptionToStatusInterceptor(grpc.StatusCode.INTERNAL),
        TagInterceptor(),
        CountingInterceptor(),
    ]


def async_chain() -> list[Any]:
    return [
        AsyncCountingInterceptor(),
        AsyncTrailerInterceptor(),
        AsyncExceptionToStatusInterceptor(grpc.StatusCode.INTERNAL),
        AsyncTagInterceptor(),
        AsyncCountingInterceptor(),
    ]


def test_mix_has_every_kind_and_mode_in_fixed_fractions() -> None:
    pairs = Counter((kind_for(i), mode_for(i)) for i in range(LOAD_RPCS))
    assert sum(pairs.values()) == LOAD_RPCS
    for kind, share in (("unary_unary", 0.7), ("unary_stream", 0.1), ("stream_unary", 0.1), ("stream_stream", 0.1)):
        for mode, fraction in (("ok", 0.7), ("mapped", 0.1), ("unknown", 0.1), ("abort", 0.1)):
            assert pairs[kind, mode] == LOAD_RPCS * share * fraction


def test_sync_server_under_load(record_property: Any) -> None:
    # Warm-up run: a server, a channel and client threads of its own, all closed, so
    # that grpc's global threads exist before the baseline is taken.
    with (
        sync_server(ScriptedService(), sync_chain(), SERVER_WORKERS) as address,
        grpc.insecure_channel(address) as warm,
    ):
        checked, wrong = run_sync_batch(DummyServiceStub(warm), range(WARMUP_RPCS))
        assert (checked, wrong) == (WARMUP_RPCS, [])
    del warm
    threads = set(threading.enumerate())

    chain = sync_chain()
    started = time.perf_counter()
    traced_rpcs = range(LOAD_RPCS - 2 * MEMORY_BATCH, LOAD_RPCS)
    with sync_server(ScriptedService(), chain, SERVER_WORKERS) as address, grpc.insecure_channel(address) as channel:
        stub = DummyServiceStub(channel)
        checked, wrong = run_sync_batch(stub, range(traced_rpcs.start))
        with MemoryProbe() as memory:
            batch_a = run_sync_batch(stub, traced_rpcs[:MEMORY_BATCH])
            memory.measure()
            batch_b = run_sync_batch(stub, traced_rpcs[MEMORY_BATCH:])
            memory.measure()
        channel_ref = weakref.ref(channel)
        del stub
    del channel
    elapsed = time.perf_counter() - started
    record_property("sync_load_seconds", round(elapsed, 2))
    record_property("sync_memory_growth_bytes", memory.growth)

    checked += batch_a[0] + batch_b[0]
    wrong += batch_a[1] + batch_b[1]
    assert wrong == []
    assert checked == LOAD_RPCS
    assert chain[0].counts.snapshot() == expected_counts(range(LOAD_RPCS), "sync", inner=False)
    assert chain[4].counts.snapshot() == expected_counts(range(LOAD_RPCS), "sync", inner=True)
    assert memory.growth < MEMORY_BOUND["sync"], f"traced memory grew by {memory.growth} bytes in {MEMORY_BATCH} RPCs"
    assert leftover_threads(threads) == []
    assert is_collected(channel_ref)


async def test_aio_server_under_load(record_property: Any) -> None:
    async with serve(register(AsyncScriptedService()), async_chain(), aio_server=True, aio_client=True) as warm:
        checked, wrong = await run_async_batch(DummyServiceStub(warm), range(WARMUP_RPCS))
        assert (checked, wrong) == (WARMUP_RPCS, [])
    del warm
    threads = set(threading.enumerate())
    tasks = other_tasks()

    chain = async_chain()
    started = time.perf_counter()
    traced_rpcs = range(LOAD_RPCS - 2 * MEMORY_BATCH, LOAD_RPCS)
    async with serve(register(AsyncScriptedService()), chain, aio_server=True, aio_client=True) as channel:
        stub = DummyServiceStub(channel)
        checked, wrong = await run_async_batch(stub, range(traced_rpcs.start))
        with MemoryProbe() as memory:
            batch_a = await run_async_batch(stub, traced_rpcs[:MEMORY_BATCH])
            memory.measure()
            batch_b = await run_async_batch(stub, traced_rpcs[MEMORY_BATCH:])
            memory.measure()
        channel_ref = weakref.ref(channel)
        del stub
    del channel
    elapsed = time.perf_counter() - started
    record_property("aio_load_seconds", round(elapsed, 2))
    record_property("aio_memory_growth_bytes", memory.growth)

    checked += batch_a[0] + batch_b[0]
    wrong += batch_a[1] + batch_b[1]
    assert wrong == []
    assert checked == LOAD_RPCS
    assert chain[0].counts.snapshot() == expected_counts(range(LOAD_RPCS), "aio", inner=False)
    assert chain[4].counts.snapshot() == expected_counts(range(LOAD_RPCS), "aio", inner=True)
    assert memory.growth < MEMORY_BOUND["aio"], f"traced memory grew by {memory.growth} bytes in {MEMORY_BATCH} RPCs"
    assert other_tasks() == tasks
    assert leftover_threads(threads) == []
    assert is_collected(channel_ref)
