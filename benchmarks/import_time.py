"""What ``import grpc_interceptor`` costs on top of ``import grpc``, measured with ``-X importtime``.

Run it from the repository root, in the project's virtual environment::

    python benchmarks/import_time.py [--runs N] [--budget-ms MS]

Each run is a fresh interpreter, ``python -X importtime -c "import grpc; import
grpc_interceptor"``: grpc is imported first, so the cumulative time Python reports for
``grpc_interceptor`` is what the package adds, its own modules and whatever they import
that grpc did not. The fastest of ``N`` runs is reported (slower runs measure the
machine's other work, as ``timeit`` reasons), with the modules the package added and
their own (self) times in that run. The script exits 1 when the fastest run is over
the budget (3 ms by default), 0 otherwise. A first run, not counted, writes the
bytecode that the measured runs read, as an installed package has it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass

#: ``import time: self [us] | cumulative | imported package``, as Python writes it.
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


@dataclass
class Run:
    """One interpreter's import of the package after grpc."""

    cumulative_us: int
    #: What ``import grpc`` itself took in the same interpreter, for scale.
    grpc_us: int
    #: Each module the package's import loaded, with its own (self) time in microseconds.
    modules: dict[str, int]


#: What a 0.15.4 program imports first: the names of 0.15.4's three modules.
NAMES_0154 = "from grpc_interceptor import ClientInterceptor, ExceptionToStatusInterceptor, ServerInterceptor"


def measure_once(python: str, statement: str = "import grpc_interceptor") -> Run:
    """Import grpc, then run ``statement``, in a fresh interpreter, and read ``-X importtime``.

    The package imports its names on first use, so what ``statement`` costs is every
    top-level import after grpc's.
    """
    # As users run it: from bytecode, which PYTHONDONTWRITEBYTECODE would keep from
    # being written (and every run would compile the sources again).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [python, "-X", "importtime", "-c", f"import grpc; {statement}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    modules: dict[str, int] = {}
    seen_grpc = False
    cumulative = None
    grpc_us = 0
    for line in result.stderr.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, indent, name = int(match[1]), int(match[2]), match[3], match[4]
        if not seen_grpc:
            # Everything up to grpc's own top-level line belongs to `import grpc`.
            seen_grpc = name == "grpc" and not indent
            grpc_us = cumulative_us if seen_grpc else 0
            continue
        modules[name] = self_us
        if not indent:
            cumulative = (cumulative or 0) + cumulative_us
    if cumulative is None:
        raise RuntimeError(f"no import time for grpc_interceptor in:\n{result.stderr[-2000:]}")
    return Run(cumulative, grpc_us, modules)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the fastest run, and say whether it is within the budget."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters to measure (default 15)")
    parser.add_argument("--budget-ms", type=float, default=3.0, help="what the package may add (default 3 ms)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure (default: this one)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    measure_once(args.python)  # writes the bytecode the runs then read
    runs = [measure_once(args.python) for _ in range(args.runs)]
    best = min(runs, key=lambda run: run.cumulative_us)
    ours = sorted(name for name in best.modules if name.partition(".")[0] == "grpc_interceptor")
    others = sorted(name for name in best.modules if name.partition(".")[0] != "grpc_interceptor")
    took = best.cumulative_us / 1000
    print(f"import grpc_interceptor after import grpc: {took:.2f} ms (fastest of {len(runs)} runs)")
    print(f"  import grpc itself took {best.grpc_us / 1000:.2f} ms in that run")
    print(f"  {len(best.modules)} modules beyond grpc's: {len(ours)} of the package, {len(others)} others")
    for name in others:
        print(f"    {name:<30} {best.modules[name]:>6} us (self)")
    for name in sorted(ours, key=lambda n: -best.modules[n]):
        print(f"    {name:<30} {best.modules[name]:>6} us (self)")
    named = min((measure_once(args.python, NAMES_0154) for _ in range(args.runs)), key=lambda run: run.cumulative_us)
    print(
        f"with 0.15.4's names ({NAMES_0154}): {named.cumulative_us / 1000:.2f} ms, "
        f"{len(named.modules)} modules (not held to the budget: the names a program uses cost what they cost)"
    )
    within = best.cumulative_us <= args.budget_ms * 1000
    print(f"{'within' if within else 'over'} the budget of {args.budget_ms:g} ms")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
