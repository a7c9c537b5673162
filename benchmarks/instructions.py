"""Count the CPU instructions a server spends per unary RPC, with and without interceptors.

Run it from the repository root, in the project's virtual environment, with valgrind
installed (Debian: ``apt-get install valgrind``)::

    python benchmarks/instructions.py [--calls N] [--repeat K] [--json OUT]

The loopback rows of ``bench.py`` measure what a client notices, and on a shared machine
a few percent of that is noise. This counts what the server process executes instead:
each loopback server of ``bench.py`` (``--serve``) runs under valgrind's callgrind tool
twice, once answering ``--calls`` unary RPCs and once answering five times as many, from
one sequential client on 127.0.0.1; the difference between the two totals, divided by
the difference in RPCs, is the instructions per RPC, with start-up and shut-down taken
out. Instruction counts move far less than times with what else the machine is doing
(grpc's own threads poll, so two runs can still differ by a percent or two; ``--repeat
K`` counts each server K times and keeps the median); they are not time, but they move
with the work done. Each run under valgrind takes tens of seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (this directory, put on the path just above)

DEFAULT_JSON = HERE / "results" / "instructions.json"


def _instructions(kind: str, chain: int, calls: int) -> int:
    """Total instructions of one server process that answered ``calls`` unary RPCs."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(HERE / "bench.py"),
            "--serve",
            kind,
            str(chain),
        ]
        # One hash seed for every server: start-up, which the two runs' difference takes
        # out only as far as it is the same in both, then runs the same way each time.
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
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
        for text in out.read_text().splitlines():
            if text.startswith(("summary:", "totals:")):
                return int(text.split()[1])
    raise RuntimeError(f"callgrind wrote no total for the {kind} server")


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


def main(argv: list[str] | None = None) -> int:
    """Count every loopback server of ``bench.py`` but the control; print a table, write JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="RPCs of the shorter run (default 200)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"where to write the results ({DEFAULT_JSON})")
    parser.add_argument(
        "--chain",
        action="append",
        dest="chains",
        metavar="NAME",
        help="count only this chain of bench.CHAINS (repeatable)",
    )
    parser.add_argument("--server", choices=("sync", "aio"), help="count only this server")
    parser.add_argument(
        "--repeat", type=int, default=1, help="count each server this many times and keep the median (default 1)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    # One server per chain of bench.py but the control, on each kind; two at a time.
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

    def run(job: tuple[str, int]) -> dict[str, Any]:
        return count(job[0], job[1], args.calls, args.repeat)

    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        rows = list(pool.map(run, jobs))
    each = f", median of {args.repeat} counts" if args.repeat > 1 else ""
    print(f"server instructions per unary RPC (callgrind, {args.calls} and {5 * args.calls} RPCs per server{each})\n")
    print(f"{'server':<8}{'chain':<18}{'icpt':>5}{'instr/RPC':>12}{'x none':>8}{'+ per icpt':>12}{'spread':>9}")
    print("-" * 72)
    for row in rows:
        none = next(r for r in rows if r["server"] == row["server"] and r["interceptors"] == 0)
        row["ratio_to_none"] = row["instructions_per_rpc"] / none["instructions_per_rpc"]
        added = row["instructions_per_rpc"] - none["instructions_per_rpc"]
        row["added_per_interceptor"] = added / row["interceptors"] if row["interceptors"] else None
        per = "-" if row["added_per_interceptor"] is None else f"{row['added_per_interceptor']:,.0f}"
        # how far this server's counts lie apart, as a share of its median
        spread = (max(row["counts"]) - min(row["counts"])) / row["instructions_per_rpc"]
        print(
            f"{row['server']:<8}{row['chain']:<18}{row['interceptors']:>5}"
            f"{row['instructions_per_rpc']:>12,.0f}{row['ratio_to_none']:>8.3f}{per:>12}{spread:>9.1%}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "python": sys.version.split()[0],
        "grpcio": grpc.__version__,
        "calls": [args.calls, 5 * args.calls],
        "repeat": args.repeat,
    }
    args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
