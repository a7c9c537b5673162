"""Draw the benchmark's results: what interceptors add to each RPC, as an SVG and a table.

Run it from the repository root after ``python benchmarks/bench.py`` (add
``--baseline-python`` there to compare with grpc-interceptor 0.15.4)::

    python benchmarks/chart.py [--json benchmarks/results/latest.json]
                               [--svg docs/_static/overhead.svg]
                               [--table docs/guide/_overhead_table.md]
                               [--instructions benchmarks/results/instructions.json]
                               [--instructions-table docs/guide/_instructions_table.md]

The chart shows the nanoseconds that 0, 1 and 5 catch-all interceptors, and 5 in one
``chain()``, add to a unary RPC, measured in-process on the library's own path (the
benchmark's harness (a)), for a sync and a grpc.aio server; with 0.15.4's bars beside
ours when the results have them. The table (Markdown) gives those numbers, the typed
hooks, and the loopback measurements. It is drawn with matplotlib (the ``dev``
dependency group has it). With ``--instructions``, the results of
``benchmarks/instructions.py`` become a second table, of instructions per RPC.
"""

# matplotlib annotates its functions but leaves their **kwargs untyped, which strict mode
# reports on every call that could take them.
# pyright: reportUnknownMemberType=false

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
DEFAULT_SVG = ROOT / "docs" / "_static" / "overhead.svg"
DEFAULT_TABLE = ROOT / "docs" / "guide" / "_overhead_table.md"
DEFAULT_INSTRUCTIONS_TABLE = ROOT / "docs" / "guide" / "_instructions_table.md"

#: The columns of the instructions table: (chain of bench.CHAINS, interceptors, heading).
INSTRUCTION_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("grpc-interceptor", 1, "ours, 1"),
    ("grpc-interceptor", 5, "ours, list of 5"),
    ("chain()", 5, "ours, `chain()` of 5"),
    ("raw grpc", 1, "grpc's own pass-through, 1"),
    ("raw grpc", 5, "grpc's own pass-through, 5"),
    ("raw grpc, wrapping", 1, "grpc's own wrapping the behaviour, 1"),
    ("raw grpc, fused hooks", 5, "grpc's own, 5 hooks fused by hand"),
)

#: The interceptor counts on the chart's horizontal axis.
COUNTS = (0, 1, 5)
#: The servers of the chart's panels, with their titles.
SIDES = (("sync", "sync server (grpc.server)"), ("aio", "grpc.aio server"))
OURS_COLOUR = "#2a6fb0"
OTHER_COLOUR = "#a8a8a8"


class ResultsError(ValueError):
    """The results file is not what ``benchmarks/bench.py`` writes."""


# --------------------------------------------------------------------------------------
# Reading the results
# --------------------------------------------------------------------------------------


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ResultsError(f"{where}: expected an object, got {type(value).__name__}")
    items = cast("dict[object, object]", value)
    return {str(key): item for key, item in items.items()}


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ResultsError(f"{where}: expected a list, got {type(value).__name__}")
    return list(cast("list[object]", value))


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultsError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _optional_number(value: object, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ResultsError(f"{where}: expected a string, got {value!r}")
    return value


@dataclass(frozen=True)
class Measurement:
    """One library's numbers for one in-process case."""

    ns_per_rpc: float
    overhead_ns_per_interceptor: float | None

    @classmethod
    def parse(cls, value: object, where: str) -> Measurement:
        """Read the ``ours`` or ``other`` object of a row."""
        fields = _mapping(value, where)
        return cls(
            _number(fields.get("ns_per_rpc"), f"{where}.ns_per_rpc"),
            _optional_number(fields.get("overhead_ns_per_interceptor"), f"{where}.overhead_ns_per_interceptor"),
        )


@dataclass(frozen=True)
class Case:
    """An in-process row: a chain of ``interceptors`` of one hook style, on one side."""

    harness: str
    side: str
    kind: str
    hooks: str
    interceptors: int
    ours: Measurement
    other: Measurement | None

    @classmethod
    def parse(cls, value: object, where: str) -> Case:
        """Read a row of ``in_process``."""
        fields = _mapping(value, where)
        other = fields.get("other")
        return cls(
            _text(fields.get("harness"), f"{where}.harness"),
            _text(fields.get("side"), f"{where}.side"),
            _text(fields.get("kind"), f"{where}.kind"),
            _text(fields.get("hooks"), f"{where}.hooks"),
            int(_number(fields.get("interceptors"), f"{where}.interceptors")),
            Measurement.parse(fields.get("ours"), f"{where}.ours"),
            None if other is None else Measurement.parse(other, f"{where}.other"),
        )


@dataclass(frozen=True)
class Loopback:
    """A loopback row: unary round trips over 127.0.0.1 with ``interceptors`` interceptors."""

    server: str
    chain: str
    interceptors: int
    unary_rps: float
    unary_rps_ratio_to_none: float
    unary_p50_us: float
    unary_p99_us: float

    @classmethod
    def parse(cls, value: object, where: str) -> Loopback:
        """Read a row of ``loopback``."""
        fields = _mapping(value, where)
        return cls(
            _text(fields.get("server"), f"{where}.server"),
            _text(fields.get("chain", "grpc-interceptor"), f"{where}.chain"),
            int(_number(fields.get("interceptors"), f"{where}.interceptors")),
            _number(fields.get("unary_rps"), f"{where}.unary_rps"),
            _number(fields.get("unary_rps_ratio_to_none"), f"{where}.unary_rps_ratio_to_none"),
            _number(fields.get("unary_p50_us"), f"{where}.unary_p50_us"),
            _number(fields.get("unary_p99_us"), f"{where}.unary_p99_us"),
        )


@dataclass(frozen=True)
class Results:
    """What the chart and the table need from the benchmark's JSON."""

    ours_version: str
    other_version: str | None
    python: str
    grpcio: str
    cpus: int | None
    quick: bool
    cases: tuple[Case, ...]
    loopback: tuple[Loopback, ...]

    @classmethod
    def parse(cls, value: object) -> Results:
        """Read the whole file's content."""
        top = _mapping(value, "results")
        meta = _mapping(top.get("meta"), "meta")
        ours = _mapping(meta.get("ours"), "meta.ours")
        other = meta.get("other")
        cpus = meta.get("cpus")
        return cls(
            _text(ours.get("version"), "meta.ours.version"),
            None if other is None else _text(_mapping(other, "meta.other").get("version"), "meta.other.version"),
            _text(meta.get("python"), "meta.python"),
            _text(meta.get("grpcio"), "meta.grpcio"),
            None if cpus is None else int(_number(cpus, "meta.cpus")),
            bool(meta.get("quick", False)),
            tuple(
                Case.parse(row, f"in_process[{i}]") for i, row in enumerate(_list(top.get("in_process"), "in_process"))
            ),
            tuple(
                Loopback.parse(row, f"loopback[{i}]")
                for i, row in enumerate(_list(top.get("loopback", []), "loopback"))
            ),
        )

    @classmethod
    def load(cls, path: Path) -> Results:
        """Read a results file."""
        try:
            content: object = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ResultsError(f"{path}: not JSON: {error}") from None
        return cls.parse(content)

    def case(self, side: str, hooks: str, interceptors: int, harness: str = "a", kind: str = "unary") -> Case | None:
        """The in-process row for a chain, if the results have it."""
        if interceptors == 0:
            hooks = "none"
        return next(
            (
                c
                for c in self.cases
                if (c.harness, c.side, c.kind, c.hooks, c.interceptors) == (harness, side, kind, hooks, interceptors)
            ),
            None,
        )


def added_ns(measurement: Measurement | None, interceptors: int) -> float | None:
    """Nanoseconds the whole chain adds to one RPC (0 for no interceptor)."""
    if measurement is None:
        return None
    if interceptors == 0:
        return 0.0
    per = measurement.overhead_ns_per_interceptor
    return None if per is None else per * interceptors


# --------------------------------------------------------------------------------------
# The chart
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: what a chain of ``interceptors`` adds per RPC, for one library."""

    side: str
    interceptors: int
    library: str  # "ours" or "other"
    added_ns: float
    hooks: str = "catch-all"  # or "chain": the members of one chain()


def bars(results: Results) -> list[Bar]:
    """The bars to draw: catch-all lists of 0, 1 and 5, and one chain() of 5, on each side, per library."""
    found: list[Bar] = []
    for side, _ in SIDES:
        for count, hooks in [(count, "catch-all") for count in COUNTS] + [(5, "chain")]:
            case = results.case(side, hooks, count)
            if case is None:
                continue
            for library, measurement in (("ours", case.ours), ("other", case.other)):
                value = added_ns(measurement, count)
                if value is not None:
                    found.append(Bar(side, count, library, value, hooks))
    return found


def _fmt_ns(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f} µs"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f} µs"
    return f"{value:.0f} ns"


def bar_title(side_title: str, interceptors: int, library: str, added: float, hooks: str = "catch-all") -> str:
    """What a bar stands for: the label of its group, and its value."""
    chain = "no interceptor" if interceptors == 0 else f"{interceptors} interceptor" + ("s" if interceptors > 1 else "")
    if hooks == "chain":
        chain += " in one chain()"
    return f"{side_title}, {chain}, {library}: {_fmt_ns(added)} added per RPC"


def figure(results: Results) -> tuple[Figure, dict[str, Rectangle]]:
    """The chart, and its bars by what each stands for (see :func:`bar_title`)."""
    drawn = bars(results)
    if not drawn:
        raise ResultsError("the results have no in-process unary catch-all case for a sync or aio server")
    has_other = any(bar.library == "other" for bar in drawn)
    libraries = ["ours", "other"] if has_other else ["ours"]
    names = {"ours": f"grpc-interceptor {results.ours_version}", "other": f"grpc-interceptor {results.other_version}"}
    colours = {"ours": OURS_COLOUR, "other": OTHER_COLOUR}
    groups = [(count, "catch-all") for count in COUNTS] + [(5, "chain")]
    labels = ["none", "1", "5", "5 in\nchain()"]

    fig = Figure(figsize=(7.6, 4.4), layout="constrained")
    axes = fig.subplots(1, len(SIDES), sharey=True)
    fig.suptitle("What interceptors add to each unary RPC (in-process, the library's own path)")
    by_title: dict[str, Rectangle] = {}
    width = 0.8 / len(libraries)
    for ax, (side, side_title) in zip(axes, SIDES, strict=True):
        ax.set_title(side_title)
        ax.set_xticks(range(len(groups)), labels)
        ax.set_xlabel("interceptors")
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        for position, (count, hooks) in enumerate(groups):
            for index, library in enumerate(libraries):
                bar = next(
                    (b for b in drawn if (b.side, b.interceptors, b.hooks, b.library) == (side, count, hooks, library)),
                    None,
                )
                if bar is None:
                    continue
                x = position + (index - (len(libraries) - 1) / 2) * width
                (rect,) = ax.bar(x, bar.added_ns, width * 0.95, color=colours[library])
                title = bar_title(side_title, count, names[library], bar.added_ns, hooks)
                rect.set_gid(title)
                by_title[title] = rect
                if bar.added_ns > 0:
                    ax.annotate(_fmt_ns(bar.added_ns), (x, bar.added_ns), ha="center", va="bottom", fontsize=7)
    axes[0].set_ylabel("nanoseconds added per RPC")
    handles = [Rectangle((0, 0), 1, 1, color=colours[library]) for library in libraries]
    fig.legend(handles, [names[library] for library in libraries], loc="outside lower center", ncols=len(libraries))
    return fig, by_title


def render_svg(results: Results) -> str:
    """The chart as an SVG document, with its text as text and no date: the same results give the same file."""
    fig, _ = figure(results)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "grpc-interceptor"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------


def _cell(value: float | None, unit: str = "ns") -> str:
    if value is None:
        return "-"
    if unit == "ns":
        return f"{value:,.0f}"
    if unit == "x":
        return f"{value:.2f}"
    return f"{value:.1f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(header))) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _case_rows(results: Results, wanted: Callable[[Case], bool]) -> list[list[str]]:
    other = results.other_version
    rows: list[list[str]] = []
    for case in results.cases:
        if not wanted(case):
            continue
        chain = "no interceptor" if case.interceptors == 0 else f"{case.hooks} x{case.interceptors}"
        row = [
            f"{'' if case.harness == 'a' else '(b) '}{case.side}, {case.kind}, {chain}",
            _cell(case.ours.ns_per_rpc),
            _cell(added_ns(case.ours, case.interceptors)),
            _cell(case.ours.overhead_ns_per_interceptor),
        ]
        if other:
            theirs = case.other
            ratio = None
            if theirs is not None and case.ours.overhead_ns_per_interceptor is not None:
                per = theirs.overhead_ns_per_interceptor
                ratio = None if not per else case.ours.overhead_ns_per_interceptor / per
            row += [
                _cell(None if theirs is None else theirs.ns_per_rpc),
                _cell(None if theirs is None else theirs.overhead_ns_per_interceptor),
                _cell(ratio, "x"),
            ]
        rows.append(row)
    return rows


def render_table(results: Results) -> str:
    """The numbers behind the chart, and more, as Markdown tables."""
    other = results.other_version
    lines = [
        "<!-- Written by benchmarks/chart.py from the benchmark's results; do not edit. -->",
        "",
        f"grpc-interceptor {results.ours_version}, Python {results.python}, grpcio {results.grpcio}"
        + (f", {results.cpus} CPUs" if results.cpus else "")
        + (". A quick run: the numbers are noisy." if results.quick else "."),
        "",
        "In-process, the library's own path (harness (a)) and, marked (b), through grpc's own server "
        "pipeline: nanoseconds per RPC, the median of pyperf's values, and what the interceptors add above "
        "no interceptor.",
        "",
    ]
    header = ["server, RPC kind, chain", "ns per RPC", "added per RPC", "added per interceptor"]
    if other:
        header += [f"{other}: ns per RPC", f"{other}: added per interceptor", f"ours / {other}"]
    lines += _table(header, _case_rows(results, lambda case: case.side in ("sync", "aio")))
    clients = _case_rows(results, lambda case: case.side in ("client", "aio-client"))
    if clients:
        lines += [
            "",
            "Clients, in-process: `client` calls the interceptors over a fake channel, (b) through grpc's own "
            "client pipeline (`grpc.intercept_channel`), `aio-client` through what `aio_channel_interceptors` "
            "installs (0.15.4 has no async client interceptor). Where the ratio to 0.15.4 is above 1, ours "
            "costs more.",
            "",
        ]
        lines += _table(["client, RPC kind, chain", *header[1:]], clients)
    if results.loopback:
        lines += [
            "",
            "Over loopback (127.0.0.1), one sequential client, unary calls, each server in a process of its own;",
            '"0 (control)" is a second server without interceptors: how far two identical servers measure apart.',
            "",
        ]
        lines += _table(
            ["server", "interceptors", "RPC/s", "RPC/s vs none", "p50 µs", "p99 µs"],
            (
                [
                    row.server,
                    f"{row.interceptors}" + (f" ({row.chain})" if row.chain != "grpc-interceptor" else ""),
                    _cell(row.unary_rps),
                    _cell(row.unary_rps_ratio_to_none, "x"),
                    _cell(row.unary_p50_us, "us"),
                    _cell(row.unary_p99_us, "us"),
                ]
                for row in results.loopback
            ),
        )
    return "\n".join(lines) + "\n"


def render_instructions_table(data: Mapping[str, object]) -> str:
    """The Markdown table of ``instructions.py``'s results: each row against no interceptor."""
    rows = cast("list[dict[str, object]]", data["rows"])
    meta = cast("dict[str, object]", data.get("meta", {}))

    def count(rows: list[dict[str, object]], server: str, chain: str, interceptors: int) -> float | None:
        for row in rows:
            if (row["server"], row["chain"], row["interceptors"]) == (server, chain, interceptors):
                return float(cast("float", row["instructions_per_rpc"]))
        return None

    calls = cast("list[int]", meta.get("calls", []))
    repeat = meta.get("repeat", 1)
    lines = [
        "<!-- Written by benchmarks/chart.py from benchmarks/instructions.py's results; do not edit. -->",
        "",
        f"Python {meta.get('python', '?')}, grpcio {meta.get('grpcio', '?')}; "
        f"{' and '.join(map(str, calls))} unary RPCs per server, "
        + (f"the median of {repeat} counts." if repeat != 1 else "one count."),
        "",
        "| server | none | " + " | ".join(heading for _, _, heading in INSTRUCTION_COLUMNS) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in INSTRUCTION_COLUMNS) + " |",
    ]
    for server, label in (("sync", "sync"), ("aio", "grpc.aio")):
        none = count(rows, server, "grpc-interceptor", 0)
        if none is None:
            continue
        cells = [f"{none / 1000:,.0f}k"]
        for chain, interceptors, _ in INSTRUCTION_COLUMNS:
            found = count(rows, server, chain, interceptors)
            cells.append("-" if found is None else f"{(found / none - 1) * 100:+.1f}%")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    pipeline = cast("list[dict[str, object]]", data.get("pipeline", []))
    if pipeline:
        pipeline_calls = cast("list[int]", meta.get("pipeline_calls", []))
        lines += [
            "",
            "In one thread, through grpc's own server pipeline code (the pipeline count, "
            f"{' and '.join(map(str, pipeline_calls))} RPCs; no network and no other thread, so most rows "
            "move by a few instructions between runs): the "
            "instructions each chain adds to a unary RPC, over grpc's own pass-through's, and as a share of "
            "the loopback server above with no interceptor.",
            "",
            "| server | " + " | ".join(heading for _, _, heading in INSTRUCTION_COLUMNS) + " |",
            "| --- | " + " | ".join("---:" for _ in INSTRUCTION_COLUMNS) + " |",
        ]
        for server, label in (("sync", "sync"), ("aio", "grpc.aio")):
            none = count(pipeline, server, "grpc-interceptor", 0)
            if none is None:
                continue
            passing = count(pipeline, server, "raw grpc", 1)
            whole = count(rows, server, "grpc-interceptor", 0)
            cells = []
            for chain, interceptors, _ in INSTRUCTION_COLUMNS:
                found = count(pipeline, server, chain, interceptors)
                if found is None:
                    cells.append("-")
                    continue
                added = found - none
                cell = f"+{added / 1000:,.1f}k"
                if passing is not None and passing > none:
                    cell += f", {added / (passing - none):.2f}x"
                if whole:
                    cell += f", {added / whole * 100:+.1f}%"
                cells.append(cell)
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the chart and the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="the benchmark's results")
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="where to write the chart")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="where to write the Markdown table")
    parser.add_argument("--instructions", type=Path, help="instructions.py's results, for a table of their own")
    parser.add_argument(
        "--instructions-table",
        type=Path,
        default=DEFAULT_INSTRUCTIONS_TABLE,
        help="where to write that table",
    )
    args = parser.parse_args(argv)
    json_path: Path = args.json
    svg_path: Path = args.svg
    table_path: Path = args.table
    try:
        results = Results.load(json_path)
        svg, table = render_svg(results), render_table(results)
    except (OSError, ResultsError) as error:
        print(f"chart: {error}", file=sys.stderr)
        return 1
    written = [(svg_path, svg), (table_path, table)]
    if args.instructions is not None:
        try:
            counts = json.loads(Path(args.instructions).read_text())
            written.append((args.instructions_table, render_instructions_table(counts)))
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"chart: {args.instructions}: {error!r}", file=sys.stderr)
            return 1
    for path, content in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
