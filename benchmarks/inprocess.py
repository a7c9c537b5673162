"""The in-process cases of ``bench.py``, timed by pyperf, for one library.

``bench.py`` runs it once for this checkout and once for the baseline library (0.15.4)
in the same run; it can also be run alone::

    python benchmarks/inprocess.py --library grpc_interceptor -o out.json [pyperf options]

pyperf spawns the worker processes, calibrates the number of RPCs per value, warms up
(the first RPC builds what the library caches per method), and keeps every value; the
garbage collector is paused while a value is timed. ``--library`` names the import name
of the library to measure.
"""

from __future__ import annotations

import asyncio
import gc
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import grpc
import pyperf

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench


def _pass_library(command: list[str], args: object) -> None:
    """Give pyperf's worker processes the library to measure."""
    command.extend(("--library", str(getattr(args, "library"))))  # noqa: B009


def _seconds(run: Callable[[int], int]) -> Callable[[int], float]:
    def time_func(loops: int) -> float:
        gc.disable()
        try:
            return run(loops) / 1e9
        finally:
            gc.enable()

    return time_func


def main() -> None:
    """Time every case the library has, one pyperf benchmark per case."""
    runner = pyperf.Runner(add_cmdline_args=_pass_library)
    runner.argparser.add_argument("--library", default="grpc_interceptor", help="import name of the library")
    args = runner.parse_args()
    library = bench.Library.load(str(args.library))
    runner.metadata.update(
        {
            "grpc_interceptor_library": library.name,
            "grpc_interceptor_version": library.version,
            "grpc_interceptor_location": library.location,
            "grpcio_version": grpc.__version__,
            "python_version_short": platform.python_version(),
        }
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for case in bench.CASES:
        run = bench.runner_for(case, library, loop)
        if run is not None:
            runner.bench_time_func(case.key, _seconds(run))


if __name__ == "__main__":
    main()
