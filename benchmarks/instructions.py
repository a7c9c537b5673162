"""Count the CPU instructions a server spends per unary RPC, with and without interceptors.

Run it from the repository root, in the project's virtual environment, with valgrind
installed (Debian: ``apt-get install valgrind``)::

    python benchmarks/instructions.py [--calls N] [--repeat K] [--only {loopback,pipeline}] [--json OUT]

It makes two counts, each run under valgrind's callgrind tool twice (once for ``N``
RPCs, once for five times as many); the difference between the two totals, divided by
the difference in RPCs, is the instructions per RPC, with start-up and shut-down taken
out.

* **loopback**: each loopback server of ``bench.py`` (``--serve``), answering one
  sequential client on 127.0.0.1. The whole server: grpc's core, its threads, the
  interceptors. Instruction counts move far less than times with what else the machine
  is doing, but grpc's own threads poll, so two runs can still differ by a percent or
  two (``--repeat K`` counts each server K times and keeps the median).
* **pipeline**: the same interceptors in one thread, through grpc's own server pipeline
  code (harness (b) of ``bench.py``: the call details, grpc's interceptor pipeline, the
  handler lookup and the handler's behaviour, with no network and no other thread).
  What it adds above no interceptor is what the interceptors add to a server's RPC;
  between runs most rows move by a few instructions (none has moved by 2%), where the
  loopback rows move by thousands. The table gives it also as a share of the loopback
  server without interceptors.

They are not time, but they move with the work done. Each run under valgrind takes tens
of seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import grpc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (this directory, put on the path just above)

DEFAULT_JSON = HERE / "results" / "instructions.json"


#: One hash seed for every counted process: start-up, which the difference of two runs
#: takes out only as far as it is the same in both, then runs the same way each time.
_ENV = {**os.environ, "PYTHONHASHSEED": "0"}


def _under_callgrind(out: Path, *arguments: str) -> list[str]:
    """The command that runs this Python with ``arguments`` under callgrind, writing to ``out``."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, *arguments]


def _total(out: Path, what: str) -> int:
    """The total instructions callgrind wrote to ``out``."""
    for text in out.read_text().splitlines():
        if text.startswith(("summary:", "totals:")):
            return int(text.split()[1])
    raise RuntimeError(f"callgrind wrote no total for the {what}")


def _instructions(kind: str, chain: int, calls: int) -> int:
    """Total instructions of one server process that answered ``calls`` unary RPCs."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = _under_callgrind(out, str(HERE / "bench.py"), "--serve", kind, str(chain))
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_ENV
        )
        try:
            assert process.stdout is not None and process.stdin is not None
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the {kind} server under valgrind exited (status {process.wait()})")
            port = json.loads(line)["port"]
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                unary: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(f"/{bench.SERVICE}/Unary")
                for _ in range(calls):
                    unary(bench.REQUEST, timeout=60)
            process.stdin.close()
            process.wait(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        return _total(out, f"{kind} server")


def _pipeline_instructions(kind: str, chain: int, calls: int) -> int:
    """Total instructions of one process that ran ``calls`` RPCs through grpc's server pipeline code."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = _under_callgrind(out, str(Path(__file__).resolve()), PIPELINE_WORKER, kind, str(chain), str(calls))
        done = subprocess.run(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_ENV, check=False
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"the {kind} pipeline under valgrind exited with status {done.returncode}: {last}")
        return _total(out, f"{kind} pipeline")


#: The hidden first argument that makes this script the process counted by ``count_pipeline``.
PIPELINE_WORKER = "--pipeline-worker"

#: RPCs a pipeline process runs before those it is counted for (the handler is built, caches fill).
_WARM_UP = 50


def pipeline_worker(kind: str, chain: int, calls: int) -> int:
    """Run ``calls`` unary RPCs of ``bench.CHAINS[chain]`` through grpc's own ``kind`` server pipeline."""
    interceptors = bench.loopback_interceptors(kind, chain)
    loop = asyncio.new_event_loop()
    try:
        run = (
            bench._grpc_sync_pipeline(interceptors, "unary")
            if kind == "sync"
            else bench._grpc_aio_pipeline(interceptors, loop)
        )
        if run is None:
            print(
                f"this grpc ({grpc.__version__}) has no {kind} server pipeline by the names bench.py knows",
                file=sys.stderr,
            )
            return 2
        run(_WARM_UP)
        run(calls)
    finally:
        loop.close()
    return 0


def count_pipeline(kind: str, chain: int, calls: int) -> dict[str, Any]:
    """Instructions per unary RPC of ``bench.CHAINS[chain]`` through grpc's server pipeline, in one thread."""
    few, many = calls, 5 * calls
    per_rpc = (_pipeline_instructions(kind, chain, many) - _pipeline_instructions(kind, chain, few)) / (many - few)
    name, interceptors = bench.CHAINS[chain]
    return {
        "server": kind,
        "chain": name,
        "interceptors": interceptors,
        "instructions_per_rpc": per_rpc,
        "calls": [few, many],
    }


def count(kind: str, chain: int, calls: int, repeat: int = 1) -> dict[str, Any]:
    """Instructions per unary RPC of the loopback server ``bench.CHAINS[chain]``.

    With ``repeat`` above 1, the count is made that many times and the median is kept
    (grpc's polling threads make single counts differ by a percent or two).
    """
    few, many = calls, 5 * calls
    counts = []
    for _ in range(repeat):
        total_few = _instructions(kind, chain, few)
        total_many = _instructions(kind, chain, many)
        counts.append((total_many - total_few) / (many - few))
    name, interceptors = bench.CHAINS[chain]
    return {
        "server": kind,
        "chain": name,
        "interceptors": interceptors,
        "instructions_per_rpc": statistics.median(counts),
        "counts": counts,
        "calls": [few, many],
    }


def _added(rows: list[dict[str, Any]]) -> None:
    """Fill in each row's ratio to, and instructions above, the same server with no interceptor."""
    for row in rows:
        none = next(r for r in rows if r["server"] == row["server"] and r["interceptors"] == 0)
        row["ratio_to_none"] = row["instructions_per_rpc"] / none["instructions_per_rpc"]
        row["added"] = row["instructions_per_rpc"] - none["instructions_per_rpc"]
        row["added_per_interceptor"] = row["added"] / row["interceptors"] if row["interceptors"] else None


def _print_loopback(rows: list[dict[str, Any]], calls: int, repeat: int) -> None:
    each = f", median of {repeat} counts" if repeat > 1 else ""
    print(f"loopback: server instructions per unary RPC ({calls} and {5 * calls} RPCs per server{each})\n")
    print(f"{'server':<8}{'chain':<20}{'icpt':>5}{'instr/RPC':>12}{'x none':>8}{'+ per icpt':>12}{'spread':>9}")
    print("-" * 74)
    for row in rows:
        per = "-" if row["added_per_interceptor"] is None else f"{row['added_per_interceptor']:,.0f}"
        # how far this server's counts lie apart, as a share of its median
        spread = (max(row["counts"]) - min(row["counts"])) / row["instructions_per_rpc"]
        print(
            f"{row['server']:<8}{row['chain']:<20}{row['interceptors']:>5}"
            f"{row['instructions_per_rpc']:>12,.0f}{row['ratio_to_none']:>8.3f}{per:>12}{spread:>9.1%}"
        )


def _print_pipeline(rows: list[dict[str, Any]], loopback: list[dict[str, Any]], calls: int) -> None:
    print("\npipeline: instructions per unary RPC in one thread, through grpc's server pipeline code", end="")
    print(f" ({calls} and {5 * calls} RPCs)")
    print("  added: above no interceptor; x pass-through: the added instructions over grpc's own pass-through's")
    print("  % of server: the added instructions as a share of the loopback server with no interceptor\n")
    print(f"{'server':<8}{'chain':<20}{'icpt':>5}{'instr/RPC':>11}{'added':>9}{'per icpt':>10}", end="")
    print(f"{'x pass-through':>16}{'% of server':>13}")
    print("-" * 92)
    for row in rows:
        passing = next(
            (r for r in rows if (r["server"], r["chain"], r["interceptors"]) == (row["server"], "raw grpc", 1)), None
        )
        ratio = row["added"] / passing["added"] if passing and passing["added"] and row["interceptors"] else None
        row["ratio_to_pass_through"] = ratio
        server = next((r for r in loopback if r["server"] == row["server"] and r["interceptors"] == 0), None)
        share = row["added"] / server["instructions_per_rpc"] if server else None
        row["share_of_server"] = share
        per = "-" if row["added_per_interceptor"] is None else f"{row['added_per_interceptor']:,.0f}"
        print(
            f"{row['server']:<8}{row['chain']:<20}{row['interceptors']:>5}{row['instructions_per_rpc']:>11,.0f}"
            f"{row['added']:>9,.0f}{per:>10}{'-' if ratio is None else f'{ratio:.2f}':>16}"
            f"{'-' if share is None or not row['interceptors'] else f'{share:+.2%}':>13}"
        )


def _each(
    pool: ThreadPoolExecutor,
    what: str,
    jobs: list[tuple[str, int]],
    make: Callable[[tuple[str, int]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Run ``make`` for every job in ``pool``, saying on stderr as each is done; the rows in job order."""
    futures = [pool.submit(make, job) for job in jobs]
    for done, future in enumerate(as_completed(futures), 1):
        row = future.result()
        print(
            f"  {what} {done}/{len(jobs)}: {row['server']} {row['chain']} x{row['interceptors']}, "
            f"{row['instructions_per_rpc']:,.0f} per RPC",
            file=sys.stderr,
            flush=True,
        )
    return [future.result() for future in futures]


def main(argv: list[str] | None = None) -> int:
    """Count every loopback server of ``bench.py`` but the control, and its pipeline; print tables, write JSON."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == [PIPELINE_WORKER]:
        kind, chain, calls = argv[1], int(argv[2]), int(argv[3])
        return pipeline_worker(kind, chain, calls)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="RPCs of the shorter loopback run (default 200)")
    parser.add_argument(
        "--pipeline-calls", type=int, default=2000, help="RPCs of the shorter pipeline run (default 2000)"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results ({DEFAULT_JSON})")
    parser.add_argument(
        "--chain",
        action="append",
        dest="chains",
        metavar="NAME",
        help="count only this chain of bench.CHAINS (repeatable)",
    )
    parser.add_argument("--server", choices=("sync", "aio"), help="count only this server")
    parser.add_argument("--only", choices=("loopback", "pipeline"), help="make only this count (default: both)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="count each loopback server this many times, keep the median (default 1)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.calls < 1 or args.pipeline_calls < 1:
        parser.error("--calls and --pipeline-calls must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    names = {name for name, _ in bench.CHAINS}
    for name in args.chains or ():
        if name not in names:
            parser.error(f"--chain {name!r}: not one of bench.CHAINS ({', '.join(sorted(names))})")
    asked = set(args.chains or names)

    def wanted(name: str, count: int) -> bool:
        # ours without interceptors is the row every other is compared with
        return name != "control" and (name in asked or (name == "grpc-interceptor" and count == 0))

    chains = [chain for chain, (name, count) in enumerate(bench.CHAINS) if wanted(name, count)]
    kinds = (args.server,) if args.server else ("sync", "aio")
    jobs = [(kind, chain) for kind in kinds for chain in chains]
    rows: list[dict[str, Any]] = []
    pipeline: list[dict[str, Any]] = []
    # Two at a time: this machine's cores.
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        if args.only != "loopback":
            pipeline = _each(pool, "pipeline", jobs, lambda job: count_pipeline(*job, args.pipeline_calls))
        if args.only != "pipeline":
            rows = _each(pool, "loopback", jobs, lambda job: count(*job, args.calls, args.repeat))
    if rows:
        _added(rows)
        _print_loopback(rows, args.calls, args.repeat)
    if pipeline:
        _added(pipeline)
        _print_pipeline(pipeline, rows, args.pipeline_calls)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": sys.version.split()[0],
        "grpcio": grpc.__version__,
        "calls": [args.calls, 5 * args.calls],
        "repeat": args.repeat,
        "pipeline_calls": [args.pipeline_calls, 5 * args.pipeline_calls],
    }
    args.json.write_text(json.dumps({"meta": meta, "rows": rows, "pipeline": pipeline}, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
