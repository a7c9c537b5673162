"""Draw the benchmark's results: what interceptors add to each RPC, as an SVG and a table.

Run it from the repository root after ``python benchmarks/bench.py`` (add
``--baseline-python`` there to compare with grpc-interceptor 0.15.4)::

    python benchmarks/chart.py [--json benchmarks/results/latest.json]
                               [--svg docs/_static/overhead.svg]
                               [--table docs/guide/_overhead_table.md]

The chart shows the nanoseconds that a chain of 0, 1 and 5 catch-all interceptors
adds to a unary RPC, measured in-process on the library's own path (the benchmark's
harness (a)), for a sync and a grpc.aio server; with 0.15.4's bars beside ours when
the results have them. The table (Markdown) gives those numbers, the typed hooks, and
the loopback measurements. The SVG is written by hand: no plotting library.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_JSON = HERE / "results" / "latest.json"
DEFAULT_SVG = ROOT / "docs" / "_static" / "overhead.svg"
DEFAULT_TABLE = ROOT / "docs" / "guide" / "_overhead_table.md"

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


def bars(results: Results) -> list[Bar]:
    """The bars to draw: catch-all chains of 0, 1 and 5 on each side, per library."""
    found: list[Bar] = []
    for side, _ in SIDES:
        for count in COUNTS:
            case = results.case(side, "catch-all", count)
            if case is None:
                continue
            for library, measurement in (("ours", case.ours), ("other", case.other)):
                value = added_ns(measurement, count)
                if value is not None:
                    found.append(Bar(side, count, library, value))
    return found


def nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks up to ``top``."""
    if top <= 0:
        return 1.0
    rough = top / ticks
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _fmt_ns(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f} µs"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f} µs"
    return f"{value:.0f} ns"


def _element(name: str, attributes: Mapping[str, object], text: str | None = None, *, title: str | None = None) -> str:
    """An SVG element; ``title`` adds the tooltip a browser shows on hover."""
    attrs = " ".join(
        f'{key.replace("_", "-")}="{escape(str(value), {chr(34): "&quot;"})}"' for key, value in attributes.items()
    )
    if title is not None:
        return f"<{name} {attrs}><title>{escape(title)}</title></{name}>"
    if text is None:
        return f"<{name} {attrs}/>"
    return f"<{name} {attrs}>{escape(text)}</{name}>"


def bar_title(side_title: str, interceptors: int, library: str, added: float) -> str:
    """What a bar says on hover, and in the chart's description."""
    chain = "no interceptor" if interceptors == 0 else f"{interceptors} interceptor" + ("s" if interceptors > 1 else "")
    return f"{side_title}, {chain}, {library}: {_fmt_ns(added)} added per RPC"


def render_svg(results: Results) -> str:
    """The chart as an SVG document."""
    drawn = bars(results)
    if not drawn:
        raise ResultsError("the results have no in-process unary catch-all case for a sync or aio server")
    has_other = any(bar.library == "other" for bar in drawn)
    libraries = ["ours", "other"] if has_other else ["ours"]
    names = {"ours": f"grpc-interceptor {results.ours_version}", "other": f"grpc-interceptor {results.other_version}"}
    colours = {"ours": OURS_COLOUR, "other": OTHER_COLOUR}

    width, height = 760, 440
    top, bottom, left, right, gap = 106, 62, 70, 20, 40
    panel_width = (width - left - right - gap * (len(SIDES) - 1)) / len(SIDES)
    plot_height = height - top - bottom
    highest = max(bar.added_ns for bar in drawn)
    step = nice_step(highest)
    y_max = step * max(1, math.ceil(highest / step))

    def y(value: float) -> float:
        return top + plot_height * (1 - max(value, 0.0) / y_max)

    title = "What interceptors add to each unary RPC"
    subtitle = (
        f"in-process, catch-all interceptors, best-of-rounds ns per RPC above no interceptor; "
        f"python {results.python}, grpcio {results.grpcio}" + (" (quick run: noisy)" if results.quick else "")
    )
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">',
        _element("title", {"id": "chart-title"}, title),
        _element(
            "desc",
            {"id": "chart-desc"},
            "; ".join(
                bar_title(side_title, bar.interceptors, names[bar.library], bar.added_ns)
                for side, side_title in SIDES
                for bar in drawn
                if bar.side == side
            ),
        ),
        _element("rect", {"x": 0, "y": 0, "width": width, "height": height, "fill": "#ffffff"}),
        _element("text", {"x": left, "y": 28, "font_size": 18, "font_weight": "bold", "fill": "#222"}, title),
        _element("text", {"x": left, "y": 48, "font_size": 12, "fill": "#555"}, subtitle),
    ]
    # Legend, under the subtitle.
    legend_x = float(left)
    for library in libraries:
        label = names[library]
        out.append(_element("rect", {"x": legend_x, "y": 60, "width": 12, "height": 12, "fill": colours[library]}))
        out.append(_element("text", {"x": legend_x + 17, "y": 71, "font_size": 12, "fill": "#222"}, label))
        legend_x += 40 + 7 * len(label)
    # Grid and axis labels, shared by the panels.
    tick = 0.0
    while tick <= y_max + step / 2:
        out.append(
            _element(
                "line",
                {"x1": left, "x2": width - right, "y1": f"{y(tick):.1f}", "y2": f"{y(tick):.1f}", "stroke": "#e4e4e4"},
            )
        )
        out.append(
            _element(
                "text",
                {"x": left - 8, "y": f"{y(tick) + 4:.1f}", "font_size": 11, "fill": "#555", "text_anchor": "end"},
                _fmt_ns(tick),
            )
        )
        tick += step
    out.append(
        _element(
            "text",
            {
                "x": 16,
                "y": f"{top + plot_height / 2:.1f}",
                "font_size": 12,
                "fill": "#555",
                "text_anchor": "middle",
                "transform": f"rotate(-90 16 {top + plot_height / 2:.1f})",
            },
            "added per RPC",
        )
    )
    for index, (side, side_title) in enumerate(SIDES):
        x0 = left + index * (panel_width + gap)
        group_width = panel_width / len(COUNTS)
        bar_width = min(44.0, group_width * 0.7 / len(libraries))
        out.append(
            _element(
                "text",
                {
                    "x": f"{x0 + panel_width / 2:.1f}",
                    "y": top - 8,
                    "font_size": 13,
                    "font_weight": "bold",
                    "fill": "#222",
                    "text_anchor": "middle",
                },
                side_title,
            )
        )
        out.append(
            _element(
                "line",
                {
                    "x1": f"{x0:.1f}",
                    "x2": f"{x0 + panel_width:.1f}",
                    "y1": f"{y(0):.1f}",
                    "y2": f"{y(0):.1f}",
                    "stroke": "#888",
                },
            )
        )
        for position, count in enumerate(COUNTS):
            centre = x0 + group_width * (position + 0.5)
            label = "no interceptor" if count == 0 else f"{count} interceptor" + ("s" if count > 1 else "")
            out.append(
                _element(
                    "text",
                    {
                        "x": f"{centre:.1f}",
                        "y": f"{y(0) + 18:.1f}",
                        "font_size": 12,
                        "fill": "#222",
                        "text_anchor": "middle",
                    },
                    label,
                )
            )
            baseline = results.case(side, "none", 0)
            if count == 0 and baseline is not None:
                out.append(
                    _element(
                        "text",
                        {
                            "x": f"{centre:.1f}",
                            "y": f"{y(0) + 33:.1f}",
                            "font_size": 10,
                            "fill": "#777",
                            "text_anchor": "middle",
                        },
                        f"(RPC alone: {_fmt_ns(baseline.ours.ns_per_rpc)})",
                    )
                )
            here = {bar.library: bar for bar in drawn if bar.side == side and bar.interceptors == count}
            first = centre - bar_width * len(libraries) / 2
            for slot, library in enumerate(libraries):
                bar = here.get(library)
                if bar is None:
                    continue
                bx = first + slot * bar_width
                out.append(
                    _element(
                        "rect",
                        {
                            "x": f"{bx + 1:.1f}",
                            "y": f"{y(bar.added_ns):.1f}",
                            "width": f"{bar_width - 2:.1f}",
                            "height": f"{y(0) - y(bar.added_ns):.1f}",
                            "fill": colours[library],
                        },
                        title=bar_title(side_title, count, names[library], bar.added_ns),
                    )
                )
                out.append(
                    _element(
                        "text",
                        {
                            "x": f"{bx + bar_width / 2:.1f}",
                            "y": f"{y(bar.added_ns) - 4:.1f}",
                            "font_size": 10,
                            "fill": "#222",
                            "text_anchor": "middle",
                        },
                        _fmt_ns(bar.added_ns),
                    )
                )
    out.append("</svg>")
    return "\n".join(out) + "\n"


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
        "In-process, the library's own path (harness (a)): nanoseconds per RPC, best of the interleaved rounds, "
        "and what the chain adds above no interceptor.",
        "",
    ]
    header = ["server, RPC kind, chain", "ns per RPC", "added per RPC", "added per interceptor"]
    if other:
        header += [f"{other}: ns per RPC", f"{other}: added per interceptor", f"ours / {other}"]
    rows: list[list[str]] = []
    for case in results.cases:
        if case.harness != "a" or case.side not in ("sync", "aio"):
            continue
        chain = "no interceptor" if case.interceptors == 0 else f"{case.hooks} x{case.interceptors}"
        row = [
            f"{case.side}, {case.kind}, {chain}",
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
    lines += _table(header, rows)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Write the chart and the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="the benchmark's results")
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="where to write the chart")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="where to write the Markdown table")
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
    for path, content in ((svg_path, svg), (table_path, table)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
