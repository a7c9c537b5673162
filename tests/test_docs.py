"""The documentation builds cleanly, its examples run, and its pages work for a reader.

* The HTML build passes with warnings as errors: broken references, public names left
  out of the API reference and documented objects without a docstring fail it.
* The doctest builder runs every example of the guide.
* The type checkers still print the messages the type-checking page shows.
* In headless Chromium, the index and the API page render with their headings, the
  API page shows every public name, and every internal link of every page leads to
  an existing page and anchor.
* ``benchmarks/chart.py`` draws what the benchmark's results say.
* The guide's examples import what they use: the doctest builder has no hidden set-up,
  so a page's blocks, copied in order, run as they are.
* Every Python block of the README runs on its own, as pasted into a file, or says in
  its first line that it is a fragment; no line of a block a reader copies scrolls
  at 1280 pixels.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: Seconds a Sphinx build, a checker or the browser may take.
TIME_LIMIT = 300

#: The modules whose ``__all__`` the API page must show.
PUBLIC_MODULES = [
    "grpc_interceptor",
    "grpc_interceptor.server",
    "grpc_interceptor.client",
    "grpc_interceptor.exception_to_status",
    "grpc_interceptor.exceptions",
    "grpc_interceptor.protocols",
    "grpc_interceptor.selection",
    "grpc_interceptor.client_errors",
    "grpc_interceptor.rich_status",
    "grpc_interceptor.testing",
    "grpc_interceptor.retry",
    "grpc_interceptor.deadline",
    "grpc_interceptor.auth",
    "grpc_interceptor.limits",
    "grpc_interceptor.access_log",
    "grpc_interceptor.metrics",
    "grpc_interceptor.validation",
]

CHROMIUM_HINT = "install Chromium to run the browser checks: apt-get update && apt-get install -y chromium"


def sphinx(builder: str, source: Path, out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-E",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            builder,
            *options,
            str(source),
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    result = sphinx("html", DOCS, out)
    assert result.returncode == 0, f"the HTML build failed:\n{result.stdout}{result.stderr}"
    return out


# --- The build ------------------------------------------------------------------------


@pytest.mark.slow
def test_html_builds_with_warnings_as_errors(html: Path) -> None:
    pages = {path.relative_to(html).as_posix() for path in html.rglob("*.html")}
    assert {"index.html", "api.html", "guide/typing.html", "guide/performance.html"} <= pages
    assert (html / "_images" / "overhead.svg").read_text() == (DOCS / "_static" / "overhead.svg").read_text()


@pytest.mark.slow
def test_every_guide_example_runs(tmp_path: Path) -> None:
    result = sphinx("doctest", DOCS, tmp_path)
    report = (tmp_path / "output.txt").read_text() if (tmp_path / "output.txt").exists() else ""
    assert result.returncode == 0, f"{report}\n{result.stdout}{result.stderr}"
    blocks = sum(
        len(re.findall(r"^```\{(?:doctest|testcode)\}", path.read_text(), re.MULTILINE)) for path in DOCS.rglob("*.md")
    )
    ran = sum(int(n) for n in re.findall(r"^ +(\d+) tests?$", report, re.MULTILINE))
    assert blocks >= 20
    assert ran >= blocks, report
    assert re.search(r"^ +0 failures in tests$", report, re.MULTILINE), report


#: What a fenced block of the guide may be: examples that run (doctests, included files
#: of the repository, which the test suite runs), shell commands and program output.
ALLOWED_BLOCKS = {
    "{doctest}",
    "{testcode}",
    "{testoutput}",
    "{testsetup}",
    "{testcleanup}",
    "{literalinclude}",
    "{include}",
    "{toctree}",
    "console",
    "text",
}


def test_no_example_exists_only_as_text() -> None:
    opened: list[str] = []
    for path in DOCS.rglob("*.md"):
        inside = False
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.startswith("```"):
                continue
            if inside:
                inside = line.strip() != "```"
                continue
            inside = True
            info = line[3:].split(maxsplit=1)[0] if line[3:].strip() else ""
            opened.append(info)
            assert info in ALLOWED_BLOCKS, f"{path.relative_to(DOCS)}:{number}: a ```{info} block does not run"
    assert opened.count("{literalinclude}") >= 10


@pytest.fixture
def sandbox_docs(tmp_path: Path) -> Path:
    """A documentation source with the real configuration and a page of the test's own."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(DOCS / 'conf.py')!r}))\n"
        "html_static_path = []\n"
        "exclude_patterns = []\n"
    )
    return source


@pytest.mark.slow
def test_the_build_fails_on_what_the_reference_must_not_have(sandbox_docs: Path, tmp_path: Path) -> None:
    (sandbox_docs / "index.rst").write_text(
        "Sandbox\n=======\n\n"
        ".. autofunction:: grpc_interceptor.parse_method_name\n\n"
        ".. autoclass:: grpc_interceptor.testing.DummyRequest\n\n"
        "See :class:`grpc_interceptor.NoSuchInterceptor`.\n"
    )
    result = sphinx("html", sandbox_docs, tmp_path / "out")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    # A documented object without a docstring.
    assert "class grpc_interceptor.testing.DummyRequest has no docstring" in output
    # A broken reference.
    assert "reference target not found: grpc_interceptor.NoSuchInterceptor" in output
    # Public names the page leaves out; the one it documents is not among them.
    assert "grpc_interceptor.ServerInterceptor is public (in __all__) but not in the API reference" in output
    assert "grpc_interceptor.testing.serve is public (in __all__) but not in the API reference" in output
    assert "parse_method_name is public" not in output


# --- The type checkers' messages ---------------------------------------------------------


def load_checkers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_checkers", DOCS / "snippets" / "checkers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_typing_page_shows_what_the_checkers_print() -> None:
    checkers = load_checkers()
    for snippet in checkers.SNIPPETS:
        for checker, output in checkers.outputs(snippet).items():
            shown = checkers.expected_path(snippet, checker).read_text()
            assert output == shown, (
                f"{checker} now prints something else for {snippet.name}; "
                "run `python docs/snippets/checkers.py` and review the page"
            )
            # Every mistake of the snippet is reported by both checkers.
            lines = {int(n) for n in re.findall(rf"{snippet.name}:(\d+)", shown)}
            marked = {
                number
                for number, line in enumerate(snippet.read_text().splitlines(), start=1)
                if re.search(r"\S  # ", line)  # a line of code that says what is wrong with it
            }
            assert marked, snippet
            assert marked <= lines, f"{checker} no longer reports lines {sorted(marked - lines)}"


def test_the_typing_page_includes_the_snippet_and_both_outputs() -> None:
    page = (DOCS / "guide" / "typing.md").read_text()
    for name in ("typing_mistakes.py", "typing_mistakes.mypy.txt", "typing_mistakes.basedpyright.txt"):
        assert f"../snippets/{name}" in page


# --- The pages in a browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing on CI: {CHROMIUM_HINT}")
        pytest.skip(CHROMIUM_HINT)
    return found


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "<html" in result.stdout, result.stderr
    return result.stdout


class Page(HTMLParser):
    """What a check needs from a page: its headings, ids and links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: dict[str, list[str]] = {}
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self._heading: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for key in ("id", "name"):
            value = attributes.get(key)
            if value and (key == "id" or tag == "a"):
                self.ids.add(value)
        href = attributes.get("href")
        if tag == "a" and href is not None:
            self.hrefs.append(href)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            text = " ".join("".join(self._text).split()).rstrip("#¶ ").strip()
            self.headings.setdefault(tag, []).append(text)
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text.append(data)


def internal_links(page: Path, hrefs: list[str]) -> Iterator[tuple[str, Path, str]]:
    """Each link to a file of the site: (href, target file, fragment)."""
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto", "javascript", "data"):
            continue
        if parts.scheme == "file":
            target = Path(unquote(parts.path))
        elif parts.path:
            target = (page.parent / unquote(parts.path)).resolve()
        else:
            target = page
        if target.is_dir():
            target = target / "index.html"
        yield href, target, unquote(parts.fragment)


def broken_links(page: Path, hrefs: list[str], ids_of: dict[Path, set[str]]) -> list[str]:
    broken: list[str] = []
    for href, target, fragment in internal_links(page, hrefs):
        if not target.is_file():
            broken.append(f"{href}: no file {target}")
            continue
        if not fragment or target.suffix != ".html":
            continue
        if target not in ids_of:
            ids_of[target] = Page(target.read_text()).ids
        if fragment not in ids_of[target]:
            broken.append(f"{href}: no anchor #{fragment} in {target.name}")
    return broken


def public_names() -> set[str]:
    names: set[str] = set()
    package = importlib.import_module("grpc_interceptor")
    for module_name in PUBLIC_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name in module.__all__:
            reexported = name in package.__all__ and getattr(package, name) is getattr(module, name)
            names.add(f"grpc_interceptor.{name}" if reexported else f"{module_name}.{name}")
    return names


@pytest.mark.slow
def test_index_renders_with_its_headings_and_working_links(chromium: str, html: Path, tmp_path: Path) -> None:
    index = html / "index.html"
    page = Page(dump_dom(chromium, index, tmp_path / "profile"))
    assert page.headings["h1"] == ["grpc-interceptor"]
    # The guide's table of contents is on the page, and leads to every guide page.
    targets = {target.relative_to(html).as_posix() for _, target, _ in internal_links(index, page.hrefs)}
    for name in ("quickstart", "server", "async", "client", "exceptions", "selection", "testing", "typing"):
        assert f"guide/{name}.html" in targets
    assert {"guide/migrating.html", "guide/performance.html", "api.html"} <= targets
    assert not broken_links(index, page.hrefs, {})


@pytest.mark.slow
def test_api_page_renders_every_public_name_and_working_links(chromium: str, html: Path, tmp_path: Path) -> None:
    api = html / "api.html"
    page = Page(dump_dom(chromium, api, tmp_path / "profile"))
    assert page.headings["h1"] == ["API reference"]
    for heading in (
        "Server interceptors",
        "Exceptions to statuses",
        "Client interceptors",
        "Method names",
        "Method selection",
        "grpc_interceptor.exceptions",
        "grpc_interceptor.protocols",
        "grpc_interceptor.testing",
    ):
        assert heading in page.headings["h2"]
    missing = public_names() - page.ids
    assert not missing, f"the API page does not show {sorted(missing)}"
    assert not broken_links(api, page.hrefs, {})


@pytest.mark.slow
def test_every_internal_link_of_every_page_resolves(html: Path) -> None:
    ids_of: dict[Path, set[str]] = {}
    broken: list[str] = []
    pages = sorted(html.rglob("*.html"))
    for path in pages:
        page = Page(path.read_text())
        ids_of[path.resolve()] = page.ids
        broken += [f"{path.relative_to(html)}: {link}" for link in broken_links(path.resolve(), page.hrefs, ids_of)]
    assert len(pages) >= 12
    assert not broken, "\n".join(broken)


# --- The overhead chart -------------------------------------------------------------------


def results(*, with_other: bool) -> dict[str, object]:
    """Results shaped as ``benchmarks/bench.py`` writes them, with round numbers."""
    rows: list[dict[str, object]] = []
    for side, base, per in (("sync", 1000.0, 100.0), ("aio", 2000.0, 400.0), ("client", 200.0, 300.0)):
        for hooks, count in (("none", 0), ("catch-all", 1), ("catch-all", 5), ("typed", 1)):
            mine = {
                "ns_per_rpc": base + per * count,
                "ratio_to_baseline": (base + per * count) / base,
                "overhead_ns_per_interceptor": per if count else None,
                "overhead_ns_per_message": None,
            }
            theirs = None
            if with_other and hooks != "typed":
                theirs = dict(
                    mine, ns_per_rpc=base + 3 * per * count, overhead_ns_per_interceptor=3 * per if count else None
                )
            rows.append(
                {
                    "key": f"a/{side}/unary/{hooks}/{count}",
                    "harness": "a",
                    "side": side,
                    "kind": "unary",
                    "hooks": hooks,
                    "interceptors": count,
                    "ours": mine,
                    "other": theirs,
                    "overhead_ours_over_other": (1 / 3) if theirs and count else None,
                }
            )
    meta = {
        "python": "3.11.7",
        "grpcio": "1.76.0",
        "cpus": 2,
        "quick": False,
        "ours": {"version": "0.16.0"},
        "other": {"version": "0.15.4"} if with_other else None,
    }
    loopback = [
        {
            "server": "sync",
            "interceptors": 5,
            "unary_rps": 5000.0,
            "unary_rps_ratio_to_none": 0.99,
            "unary_p50_us": 190.0,
            "unary_p99_us": 400.0,
        }
    ]
    return {"meta": meta, "in_process": rows, "loopback": loopback, "targets": []}


def load_chart() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_chart", ROOT / "benchmarks" / "chart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("with_other", [True, False], ids=["with 0.15.4", "ours only"])
def test_chart_draws_what_the_results_say(tmp_path: Path, with_other: bool) -> None:
    chart = load_chart()
    source = tmp_path / "latest.json"
    source.write_text(json.dumps(results(with_other=with_other)))
    svg_path, table_path = tmp_path / "chart.svg", tmp_path / "table.md"
    assert chart.main(["--json", str(source), "--svg", str(svg_path), "--table", str(table_path)]) == 0
    svg = svg_path.read_text()
    ET.fromstring(svg)  # well-formed
    _, drawn = chart.figure(chart.Results.load(source))
    heights = {title: rect.get_height() for title, rect in drawn.items()}
    # sync: 100 ns per interceptor, aio: 400; 0.15.4 three times as much.
    per = {"sync": 100, "aio": 400}
    titles = {"sync": "sync server (grpc.server)", "aio": "grpc.aio server"}
    libraries = {"grpc-interceptor 0.16.0": 1} | ({"grpc-interceptor 0.15.4": 3} if with_other else {})
    expected: dict[str, float] = {}
    for side, title in titles.items():
        for count, chain in ((0, "no interceptor"), (1, "1 interceptor"), (5, "5 interceptors")):
            for library, factor in libraries.items():
                added = per[side] * count * factor
                shown = f"{added / 1000:.1f} µs" if added >= 1000 else f"{added} ns"
                expected[f"{title}, {chain}, {library}: {shown} added per RPC"] = added
    assert heights == pytest.approx(expected)
    # Each bar is in the SVG under what it stands for, and its value is written on it.
    for title in expected:
        assert f'id="{title}"' in svg
    assert ("grpc-interceptor 0.15.4" in svg) is with_other
    assert "grpc-interceptor 0.16.0" in svg
    table = table_path.read_text()
    assert "| sync, unary, catch-all x5 | 1,500 | 500 | 100 |" in table
    # The clients' rows, in a table of their own, with 0.15.4's beside them where the run has it.
    clients = table[table.index("| client, RPC kind, chain |") :]
    assert "| client, unary, catch-all x5 | 1,700 | 1,500 | 300 |" in clients
    assert ("| 4,700 | 900 | 0.33 |" in clients) is with_other
    assert ("0.15.4: ns per RPC" in table) is with_other
    assert "| sync | 5 | 5,000 | 0.99 | 190.0 | 400.0 |" in table


def test_chart_refuses_results_of_another_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = load_chart()
    source = tmp_path / "latest.json"
    broken = results(with_other=False)
    broken["in_process"] = [{"harness": "a"}]
    source.write_text(json.dumps(broken))
    assert chart.main(["--json", str(source), "--svg", str(tmp_path / "c.svg"), "--table", str(tmp_path / "t.md")]) == 1
    assert "in_process[0].side: expected a string" in capsys.readouterr().err
    assert not (tmp_path / "c.svg").exists()


def test_chart_writes_the_instruction_counts_as_shares_of_no_interceptor(tmp_path: Path) -> None:
    chart = load_chart()
    source, counts = tmp_path / "latest.json", tmp_path / "instructions.json"
    source.write_text(json.dumps(results(with_other=False)))
    rows = [
        {"server": "sync", "chain": "grpc-interceptor", "interceptors": 0, "instructions_per_rpc": 400_000.0},
        {"server": "sync", "chain": "chain()", "interceptors": 5, "instructions_per_rpc": 410_000.0},
        {"server": "aio", "chain": "grpc-interceptor", "interceptors": 0, "instructions_per_rpc": 500_000.0},
        {"server": "aio", "chain": "raw grpc", "interceptors": 5, "instructions_per_rpc": 530_000.0},
    ]
    pipeline = [
        {"server": "sync", "chain": "grpc-interceptor", "interceptors": 0, "instructions_per_rpc": 6_000.0},
        {"server": "sync", "chain": "chain()", "interceptors": 5, "instructions_per_rpc": 18_000.0},
        {"server": "sync", "chain": "raw grpc", "interceptors": 1, "instructions_per_rpc": 11_000.0},
    ]
    meta = {"python": "3.11", "grpcio": "1.85", "calls": [200, 1000], "repeat": 3, "pipeline_calls": [2000, 10000]}
    counts.write_text(json.dumps({"meta": meta, "rows": rows, "pipeline": pipeline}))
    table_path = tmp_path / "instructions.md"
    arguments = ["--json", str(source), "--svg", str(tmp_path / "c.svg"), "--table", str(tmp_path / "t.md")]
    assert chart.main([*arguments, "--instructions", str(counts), "--instructions-table", str(table_path)]) == 0
    table = table_path.read_text()
    assert "| sync | 400k | - | - | +2.5% | - | - | - | - |" in table
    assert "| grpc.aio | 500k | - | - | - | - | +6.0% | - | - |" in table
    assert "the median of 3 counts" in table
    # the pipeline's added instructions, over grpc's own pass-through's, and as a share of the whole server
    assert "| sync | - | - | +12.0k, 2.40x, +3.0% | +5.0k, 1.00x, +1.2% | - | - | - |" in table
    assert "2000 and 10000 RPCs" in table
    assert table.count("| grpc.aio |") == 1  # no pipeline count of grpc.aio was given


def test_the_committed_chart_and_table_come_from_the_chart_script() -> None:
    svg = (DOCS / "_static" / "overhead.svg").read_text()
    ET.fromstring(svg)
    assert "What interceptors add to each unary RPC" in svg
    table = (DOCS / "guide" / "_overhead_table.md").read_text()
    assert table.startswith("<!-- Written by benchmarks/chart.py")
    page = (DOCS / "guide" / "performance.md").read_text()
    assert "../_static/overhead.svg" in page and "_overhead_table.md" in page
    assert (DOCS / "guide" / "_instructions_table.md").read_text().startswith("<!-- Written by benchmarks/chart.py")
    assert "_instructions_table.md" in page
    assert "python benchmarks/bench.py" in page and "python benchmarks/chart.py" in page


# --- The README's blocks, as a reader copies them ----------------------------------------

README = ROOT / "README.md"

#: The longest line of a copied block that shows without scrolling at 1280 pixels, on
#: the package index, on GitHub and in the documentation's theme.
MAX_LINE = 88

#: The first line of a block that is not meant to run on its own says so, and what the
#: reader supplies.
FRAGMENT = "# Fragment: "


def readme_blocks(language: str) -> list[tuple[int, str]]:
    """The README's ``language`` blocks after its opening teaser, with their line numbers."""
    text = README.read_text()
    body = text.index("\n## ")  # the teaser above the first section shows types, not a program
    found = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        if match.start() > body:
            found.append((text.count("\n", 0, match.start()) + 2, match.group(1)))
    return found


def copied_lines(language: str, block: str) -> list[str]:
    """The lines a copy button copies: a shell session's prompt lines, else every line."""
    lines = block.splitlines()
    if language == "console" and any(line.startswith("$ ") for line in lines):
        return [line for line in lines if line.startswith("$ ")]
    return lines


@pytest.mark.slow
def test_every_readme_python_block_runs_or_says_it_is_a_fragment(tmp_path: Path) -> None:
    blocks = readme_blocks("python")
    runnable = [(line, block) for line, block in blocks if not block.startswith(FRAGMENT)]
    assert len(runnable) >= len(blocks) // 2
    for line, block in runnable:
        script = tmp_path / f"readme_line_{line}.py"
        script.write_text(block)
        result = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, f"README.md:{line}: the block fails on its own:\n{result.stderr}"


def test_readme_blocks_fit_the_page() -> None:
    long = [
        f"README.md:{line}: {len(text)} characters"
        for language in ("python", "console")
        for line, block in readme_blocks(language)
        for text in copied_lines(language, block)
        if len(text) > MAX_LINE
    ]
    assert not long, "\n".join(long)


def test_the_guide_examples_need_no_hidden_setup() -> None:
    conf = (DOCS / "conf.py").read_text()
    assert "doctest_global_setup" not in conf, "the examples must show their imports"
    assert '"sphinx_copybutton"' in conf and "copybutton_only_copy_prompt_lines = True" in conf


def test_guide_blocks_fit_the_page() -> None:
    long = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text()
        for match in re.finditer(r"^```(\{doctest\}|\{testcode\}|console)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            kind, block = match.groups()
            lines = block.splitlines()
            if kind == "{doctest}":  # the copy button copies the prompt lines only
                lines = [line for line in lines if line.startswith((">>> ", "... "))]
            else:
                lines = copied_lines(kind, block)
            first = text.count("\n", 0, match.start()) + 2
            long += [
                f"{path.relative_to(DOCS)}:{first + number}: {len(line)} characters"
                for number, line in enumerate(block.splitlines())
                if line in lines and len(line) > MAX_LINE and not line.startswith(":")
            ]
    assert not long, "\n".join(long)
