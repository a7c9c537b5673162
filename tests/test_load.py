"""Many RPCs at once through a chain of five interceptors: nothing lost, nothing leaked.

Each test runs :data:`LOAD_RPCS` RPCs of the four kinds (a streaming-light mix, see
``kind_for``) through the chain::

    Counting (outer) -> Trailer -> ExceptionToStatus(INTERNAL) -> Tag -> Counting (inner)

with 10% of the requests raising a mapped exception (``NotFound``), 10% an unknown one
(``RuntimeError``) and 10% aborting. The sync server has a pool of 16 threads and
serves 8 client threads; the grpc.aio server runs on the test's event loop and serves
64 client tasks. The client checks every response, status code,
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
import pytest
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
    aio_server,
    call_async,
    call_sync,
    expected_outcome,
    finalized,
    kind_for,
    leftover_threads,
    mode_for,
    other_tasks,
    released,
    sync_server,
)

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.testing.protos.dummy_pb2_grpc import DummyServiceStub

pytestmark = pytest.mark.slow  # thousands of RPCs per test

if TYPE_CHECKING:
    from typing_extensions import Self

#: RPCs per server flavour, all checked. The last 2 * MEMORY_BATCH of them run under
#: tracemalloc.
LOAD_RPCS = 20_000
WARMUP_RPCS = 400  # every kind in every mode, several times
MEMORY_BATCH = 2_000
#: A memory batch ends with READINGS rounds of SETTLE_RPCS RPCs made one at a time,
#: each followed by a reading of the memory: an RPC goes through the server's queues
#: behind what earlier RPCs left there, so the server gets close to idle, and the
#: lowest reading is the one kept (work still in flight only ever adds to a reading).
SETTLE_RPCS = 10
READINGS = 3
CLIENT_THREADS = 8
CLIENT_TASKS = 64
SERVER_WORKERS = 16

# Why this bound: a reading also holds whatever is still in flight (contexts, frames,
# event-loop handles, messages of RPCs that are finishing), which does not depend on
# the batch size; the settling rounds above bring that close to nothing. Measured from
# one batch to the next: -1 to 40 KiB, sync and aio, on grpcio 1.76 and 1.85, Python
# 3.10 and 3.11. Anything kept per RPC is at least one small object (a message, a
# context, a closure, a cache entry: 80 bytes or more), that is 160 KiB or more over
# MEMORY_BATCH = 2,000 RPCs. Checked by planting a leak: an interceptor that keeps
# every RPC's request grows the traced memory by 1.1 MiB (sync) and 1.4 MiB (aio).
MEMORY_BOUND = 160 * 1024

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


#: Where memory kept by logging is allocated. Log records are not part of the RPC path,
#: but pytest keeps every record logged during a test for its report, so an error that
#: grpc logs now and then (grpcio 1.76 on Python 3.10 logs BlockingIOError from its
#: completion-queue poller when two event loops share a process) would look like growth.
_LOGGING_FILES = ("*/logging/__init__.py", "*/_pytest/logging.py", "*/traceback.py", "*/linecache.py")


class MemoryProbe:
    """Memory traced after each batch, traced from the first batch on, logging aside."""

    def __init__(self) -> None:
        self.after: list[int] = []

    def __enter__(self) -> Self:
        self._started = not tracemalloc.is_tracing()
        if self._started:
            tracemalloc.start()
        return self

    def traced(self) -> int:
        """Memory traced now, garbage collected first."""
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
            + [tracemalloc.Filter(False, pattern) for pattern in _LOGGING_FILES]
        )
        return sum(stat.size for stat in snapshot.statistics("filename"))

    def __exit__(self, *exc_info: object) -> None:
        if self._started:
            tracemalloc.stop()

    @property
    def growth(self) -> int:
        first, second = self.after
        return second - first


def check_sync(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """Make the RPCs ``indices`` one after the other; return (checked, mismatches)."""
    checked, wrong = 0, []
    for i in indices:
        kind, mode = kind_for(i), mode_for(i)
        got, want = call_sync(stub, kind, mode, i), expected_outcome(kind, mode, i)
        checked += 1
        if got != want:
            wrong.append((i, got, want))
    return checked, wrong


async def check_async(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """:func:`check_sync` with a grpc.aio stub."""
    checked, wrong = 0, []
    for i in indices:
        kind, mode = kind_for(i), mode_for(i)
        got, want = await call_async(stub, kind, mode, i), expected_outcome(kind, mode, i)
        checked += 1
        if got != want:
            wrong.append((i, got, want))
    return checked, wrong


def run_sync_batch(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """Make the RPCs ``indices`` from CLIENT_THREADS threads at once."""
    with futures.ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="load-client") as pool:
        results = list(
            pool.map(check_sync, [stub] * CLIENT_THREADS, [indices[k::CLIENT_THREADS] for k in range(CLIENT_THREADS)])
        )
    return sum(checked for checked, _ in results), [m for _, wrong in results for m in wrong]


async def run_async_batch(stub: Any, indices: range) -> tuple[int, list[Mismatch]]:
    """Make the RPCs ``indices`` from CLIENT_TASKS tasks at once."""
    results = await asyncio.gather(*(check_async(stub, indices[k::CLIENT_TASKS]) for k in range(CLIENT_TASKS)))
    return sum(checked for checked, _ in results), [m for _, wrong in results for m in wrong]


def run_sync_memory_batch(stub: Any, indices: range, memory: MemoryProbe) -> tuple[int, list[Mismatch]]:
    """A batch like :func:`run_sync_batch` whose last RPCs settle the server before
    each of READINGS readings of the memory; the lowest reading is kept."""
    concurrent = indices[: len(indices) - READINGS * SETTLE_RPCS]
    checked, wrong = run_sync_batch(stub, concurrent)
    readings = []
    for start in range(concurrent.stop, indices.stop, SETTLE_RPCS):
        more, more_wrong = check_sync(stub, range(start, start + SETTLE_RPCS))
        checked, wrong = checked + more, wrong + more_wrong
        readings.append(memory.traced())
    memory.after.append(min(readings))
    return checked, wrong


async def run_async_memory_batch(stub: Any, indices: range, memory: MemoryProbe) -> tuple[int, list[Mismatch]]:
    """:func:`run_sync_memory_batch` with a grpc.aio stub."""
    concurrent = indices[: len(indices) - READINGS * SETTLE_RPCS]
    checked, wrong = await run_async_batch(stub, concurrent)
    readings = []
    for start in range(concurrent.stop, indices.stop, SETTLE_RPCS):
        more, more_wrong = await check_async(stub, range(start, start + SETTLE_RPCS))
        checked, wrong = checked + more, wrong + more_wrong
        readings.append(memory.traced())
    memory.after.append(min(readings))
    return checked, wrong


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


@dataclass
class LoadRun:
    """What a load run saw, once its server and channel are closed."""

    checked: int
    wrong: list[Mismatch]
    seconds: float
    memory_growth: int
    channel_gone: threading.Event


# Each run makes and closes its server and channel in a function of its own: a
# channel must not outlive that function's frame (with grpcio 1.76, a channel made in
# the test function itself stays referenced from that frame's locals).


def sync_run(chain: list[Any], count: int) -> LoadRun:
    """Make ``count`` RPCs through ``chain`` on a sync server; the last 2 * MEMORY_BATCH
    (if ``count`` has room for them) under tracemalloc."""
    gone, memory = threading.Event(), MemoryProbe()
    traced = range(count - 2 * MEMORY_BATCH if count >= 2 * MEMORY_BATCH else count, count)
    started = time.perf_counter()
    with sync_server(ScriptedService(), chain, SERVER_WORKERS) as address, grpc.insecure_channel(address) as channel:
        weakref.finalize(channel, gone.set)
        stub = DummyServiceStub(channel)
        checked, wrong = run_sync_batch(stub, range(traced.start))
        if traced:
            with memory:
                for batch in (traced[:MEMORY_BATCH], traced[MEMORY_BATCH:]):
                    more, more_wrong = run_sync_memory_batch(stub, batch, memory)
                    checked, wrong = checked + more, wrong + more_wrong
    growth = memory.growth if traced else 0
    return LoadRun(checked, wrong, time.perf_counter() - started, growth, gone)


async def aio_run(chain: list[Any], count: int) -> LoadRun:
    """:func:`sync_run` on a grpc.aio server, from CLIENT_TASKS tasks."""
    gone, memory = threading.Event(), MemoryProbe()
    traced = range(count - 2 * MEMORY_BATCH if count >= 2 * MEMORY_BATCH else count, count)
    started = time.perf_counter()
    async with aio_server(AsyncScriptedService(), chain) as address, grpc.aio.insecure_channel(address) as channel:
        weakref.finalize(channel, gone.set)
        stub = DummyServiceStub(channel)
        checked, wrong = await run_async_batch(stub, range(traced.start))
        if traced:
            with memory:
                for batch in (traced[:MEMORY_BATCH], traced[MEMORY_BATCH:]):
                    more, more_wrong = await run_async_memory_batch(stub, batch, memory)
                    checked, wrong = checked + more, wrong + more_wrong
    growth = memory.growth if traced else 0
    return LoadRun(checked, wrong, time.perf_counter() - started, growth, gone)


def test_sync_server_under_load(record_property: Any) -> None:
    # Warm-up run: a server, a channel and client threads of its own, all closed, so
    # that grpc's global threads exist before the baseline is taken.
    warm = sync_run(sync_chain(), WARMUP_RPCS)
    assert (warm.checked, warm.wrong) == (WARMUP_RPCS, [])
    threads = set(threading.enumerate())

    chain = sync_chain()
    run = sync_run(chain, LOAD_RPCS)
    record_property("sync_load_seconds", round(run.seconds, 2))
    record_property("sync_memory_growth_bytes", run.memory_growth)

    assert run.wrong == []
    assert run.checked == LOAD_RPCS
    assert chain[0].counts.snapshot() == expected_counts(range(LOAD_RPCS), "sync", inner=False)
    assert chain[4].counts.snapshot() == expected_counts(range(LOAD_RPCS), "sync", inner=True)
    assert run.memory_growth < MEMORY_BOUND, f"traced memory grew by {run.memory_growth} bytes"
    assert leftover_threads(threads) == []
    assert released(run.channel_gone)


async def test_aio_server_under_load(record_property: Any) -> None:
    warm = await aio_run(async_chain(), WARMUP_RPCS)
    assert (warm.checked, warm.wrong) == (WARMUP_RPCS, [])
    threads = set(threading.enumerate())
    tasks = other_tasks()

    chain = async_chain()
    run = await aio_run(chain, LOAD_RPCS)
    record_property("aio_load_seconds", round(run.seconds, 2))
    record_property("aio_memory_growth_bytes", run.memory_growth)

    assert run.wrong == []
    assert run.checked == LOAD_RPCS
    assert chain[0].counts.snapshot() == expected_counts(range(LOAD_RPCS), "aio", inner=False)
    assert chain[4].counts.snapshot() == expected_counts(range(LOAD_RPCS), "aio", inner=True)
    assert run.memory_growth < MEMORY_BOUND, f"traced memory grew by {run.memory_growth} bytes"
    assert other_tasks() == tasks
    assert leftover_threads(threads) == []
    assert await finalized(run.channel_gone)
