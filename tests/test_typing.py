"""The type checkers' verdicts, as tests.

``tests/typing/check_*.py`` is a corpus of user code: ``assert_type`` for what must
hold, and wrong programs whose every line carries the error each checker must report
(``# type: ignore[code]`` for mypy, ``# pyright: ignore[rule]`` for basedpyright).
Both checkers run in strict mode and report unused ignores as errors, so an expected
error that disappears fails here as surely as an unexpected one appears.

A line marked ``# BUG:`` shows a known typing bug of the library: its errors are
printed but tolerated, and the line must keep failing until the bug is fixed (then
the marker goes).

``tests/compat/`` holds the README code of grpc-interceptor 0.15.4 as users wrote it;
it must check under the checkers' default modes with exactly the errors listed here.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two type checkers over the corpus: minutes

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "tests" / "typing"
CORPUS = sorted(CORPUS_DIR.glob("check_*.py"))
# Proves the strict modes are on; its one line is no case of the corpus.
STRICT_MODE_PROBE = CORPUS_DIR / "check_strict_mode.py"
COMPAT_DIR = ROOT / "tests" / "compat"
COMPAT = sorted(COMPAT_DIR.glob("*.py"))

BUG_MARKER = "# BUG:"
MYPY_IGNORE = re.compile(r"# type: ignore\[([^\]]+)\]")
PYRIGHT_IGNORE = re.compile(r"# pyright: ignore\[([^\]]+)\]")
MYPY_ERROR = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$")
MYPY_CHECKED = re.compile(r"(?:checked |found in )(\d+) source files?")

CHECKER_TIMEOUT = 300


@dataclass(frozen=True)
class Diagnostic:
    """One error of a checker."""

    path: Path
    line: int
    code: str
    message: str

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{where}:{self.line}: [{self.code}] {self.message}"


@dataclass(frozen=True)
class Verdict:
    """What a checker said about some files."""

    errors: tuple[Diagnostic, ...]
    files_checked: int
    output: str


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=CHECKER_TIMEOUT, check=False
    )


def run_mypy(paths: Sequence[Path], *options: str) -> Verdict:
    process = _run(["mypy", "--no-pretty", "--no-color-output", "--show-error-codes", *options, *map(str, paths)])
    output = process.stdout + process.stderr
    if process.returncode not in (0, 1):
        pytest.fail(f"mypy did not run (exit code {process.returncode}):\n{output}")
    errors = []
    for line in process.stdout.splitlines():
        match = MYPY_ERROR.match(line)
        if match:
            path = (ROOT / match["path"]).resolve()
            errors.append(Diagnostic(path, int(match["line"]), match["code"] or "", match["message"]))
    checked = MYPY_CHECKED.search(output)
    if process.returncode == 1 and not errors:
        pytest.fail(f"mypy failed without an error we could read:\n{output}")
    return Verdict(tuple(errors), int(checked[1]) if checked else 0, output)


def run_basedpyright(paths: Sequence[Path], *options: str) -> Verdict:
    process = _run(["basedpyright", "--outputjson", "--pythonpath", sys.executable, *options, *map(str, paths)])
    try:
        report = json.loads(process.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"basedpyright did not run (exit code {process.returncode}):\n{process.stdout}{process.stderr}")
    errors = tuple(
        Diagnostic(
            Path(item["file"]).resolve(),
            item["range"]["start"]["line"] + 1,
            item.get("rule", ""),
            item["message"],
        )
        for item in report["generalDiagnostics"]
        if item["severity"] in ("error", "warning")
    )
    output = "\n".join(map(str, errors)) or json.dumps(report["summary"])
    return Verdict(errors, report["summary"]["filesAnalyzed"], output)


def run_checker(checker: str, paths: Sequence[Path], mode: str) -> Verdict:
    """Run a checker in one of three modes: the corpus's, the project's, or the default one."""
    if checker == "mypy":
        options = {
            "strict": ["--config-file", "mypy.ini", "--strict", "--warn-unused-ignores"],
            "project": ["--config-file", "mypy.ini"],
            "default": ["--config-file", str(COMPAT_DIR / "mypy.ini")],
        }[mode]
        return run_mypy(paths, *options)
    project = {
        "strict": CORPUS_DIR / "pyrightconfig.json",
        "project": ROOT / "pyproject.toml",
        "default": COMPAT_DIR / "pyrightconfig.json",
    }[mode]
    return run_basedpyright(paths, "--project", str(project))


def source_line(diagnostic: Diagnostic) -> str:
    lines = diagnostic.path.read_text().splitlines()
    return lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""


def explain(verdict: Verdict, errors: Sequence[Diagnostic]) -> str:
    listed = "\n".join(f"  {error}\n      {source_line(error).strip()}" for error in errors)
    return f"{listed}\n--- full output ---\n{verdict.output}"


# --- The corpus ----------------------------------------------------------------------

CHECKERS = ["mypy", "basedpyright"]


@pytest.fixture(scope="module")
def corpus_verdicts() -> dict[str, Verdict]:
    return {checker: run_checker(checker, CORPUS, "strict") for checker in CHECKERS}


@pytest.mark.parametrize("checker", CHECKERS)
def test_corpus_has_exactly_the_expected_errors(checker: str, corpus_verdicts: dict[str, Verdict]) -> None:
    verdict = corpus_verdicts[checker]
    assert verdict.files_checked == len(CORPUS), verdict.output
    unexpected = [error for error in verdict.errors if BUG_MARKER not in source_line(error)]
    assert not unexpected, f"{checker}: unexpected or missing errors in the corpus:\n{explain(verdict, unexpected)}"


def bug_lines() -> list[tuple[Path, int]]:
    return [
        (path, number)
        for path in CORPUS
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if BUG_MARKER in line
    ]


def test_known_bugs_still_fail(corpus_verdicts: dict[str, Verdict]) -> None:
    failing = {(error.path, error.line) for verdict in corpus_verdicts.values() for error in verdict.errors}
    for checker, verdict in corpus_verdicts.items():
        for error in verdict.errors:
            if (error.path, error.line) in bug_lines():
                print(f"known bug, {checker}: {error}")
    fixed = [f"{path.relative_to(ROOT)}:{line}" for path, line in bug_lines() if (path, line) not in failing]
    assert not fixed, f"no checker rejects these '# BUG:' lines any more; drop the marker: {fixed}"


def rejected_programs() -> dict[str, list[str]]:
    """The corpus lines both checkers must reject, keyed by the code on the line."""
    programs: dict[str, list[str]] = {}
    for path in CORPUS:
        if path == STRICT_MODE_PROBE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if MYPY_IGNORE.search(line) and PYRIGHT_IGNORE.search(line):
                code = " ".join(line.split("#", 1)[0].split())
                programs.setdefault(code, []).append(f"{path.name}:{number}")
    return programs


def test_corpus_has_forty_distinct_rejected_programs() -> None:
    programs = rejected_programs()
    assert len(programs) >= 40, sorted(programs)


# --- Messages that matter: `# expect: <text>` ------------------------------------------
#
# A rejected line whose message must name something (the wrong type, say) ends with
# `# expect: <text>`. The corpus run cannot show the message (the ignore comments hide
# it), so the lines that carry an expectation are checked once more in a copy of their
# file without their ignore comments: each checker must report there exactly the codes
# the line names, and at least one of its messages must contain the text.

EXPECT = re.compile(r"#\s*expect:\s*(?P<text>.+?)\s*$")
IGNORES = re.compile(r"\s*# (?:type|pyright): ignore\[[^\]]+\]")


@dataclass(frozen=True)
class Expectation:
    """A corpus line whose messages must contain ``text``."""

    path: Path
    line: int
    text: str
    codes: dict[str, frozenset[str]]

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} (expect: {self.text})"


def expectations() -> list[Expectation]:
    found = []
    for path in CORPUS:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(line)
            if match is None:
                continue
            codes = {
                checker: frozenset(
                    code.strip() for group in pattern.findall(line) for code in group.split(",") if code.strip()
                )
                for checker, pattern in (("mypy", MYPY_IGNORE), ("basedpyright", PYRIGHT_IGNORE))
            }
            found.append(Expectation(path, number, match["text"], codes))
    return found


@pytest.fixture(scope="module")
def unsuppressed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[tuple[str, int], list[Diagnostic]]]:
    """Each checker's errors on the expectation lines, with those lines' ignore comments taken out."""
    directory = tmp_path_factory.mktemp("expect")
    lines_of: dict[str, set[int]] = {}
    for expectation in expectations():
        lines_of.setdefault(expectation.path.name, set()).add(expectation.line)
    copies = []
    for name, numbers in lines_of.items():
        lines = (CORPUS_DIR / name).read_text().splitlines()
        for number in numbers:
            lines[number - 1] = IGNORES.sub("", lines[number - 1])
        copy = directory / name
        copy.write_text("\n".join(lines) + "\n")
        copies.append(copy)
    found: dict[str, dict[tuple[str, int], list[Diagnostic]]] = {}
    for checker in CHECKERS:
        verdict = run_checker(checker, copies, "strict")
        by_line: dict[tuple[str, int], list[Diagnostic]] = {}
        for error in verdict.errors:
            by_line.setdefault((error.path.name, error.line), []).append(error)
        found[checker] = by_line
    return found


def test_corpus_has_message_expectations() -> None:
    assert len(expectations()) >= 10, [str(expectation) for expectation in expectations()]


@pytest.mark.parametrize("expectation", expectations(), ids=str)
@pytest.mark.parametrize("checker", CHECKERS)
def test_expected_messages(
    checker: str, expectation: Expectation, unsuppressed: dict[str, dict[tuple[str, int], list[Diagnostic]]]
) -> None:
    errors = unsuppressed[checker].get((expectation.path.name, expectation.line), [])
    # A `# pyright: ignore[a, b]` may name rules that only follow from the first error.
    assert {error.code for error in errors} == expectation.codes[checker], [str(error) for error in errors]
    messages = [error.message for error in errors]
    assert any(expectation.text in message for message in messages), f"{expectation}: {checker} said {messages}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_corpus_runs(path: Path) -> None:
    # The correct programs are valid at run time too: subscripted bases, abstract=True,
    # hooks accepted by the check at class creation.
    namespace = runpy.run_path(str(path))
    assert namespace["__doc__"]


# --- The project's own strict runs ---------------------------------------------------


def project_sources() -> list[Path]:
    examples = ROOT / "examples"
    return [ROOT / "src"] + ([examples] if any(examples.rglob("*.py")) else [])


@pytest.mark.parametrize("checker", CHECKERS)
def test_sources_check_strictly(checker: str) -> None:
    verdict = run_checker(checker, project_sources(), "project")
    assert verdict.files_checked > 0, verdict.output
    assert not verdict.errors, f"{checker} rejects the sources:\n{explain(verdict, verdict.errors)}"


def test_public_api_is_fully_typed() -> None:
    # --verifytypes does not follow the .pth file of an editable install (it reports "No
    # py.typed file found" for any package found that way), so the interpreter it asks
    # for its search paths gets the sources on PYTHONPATH.
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "basedpyright",
            "--outputjson",
            "--pythonpath",
            sys.executable,
            "--verifytypes",
            "grpc_interceptor",
            "--ignoreexternal",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=CHECKER_TIMEOUT,
        check=False,
    )
    report = json.loads(process.stdout)["typeCompleteness"]
    assert report["packageRootDirectory"], process.stdout[-2000:]
    incomplete = [
        f"{symbol['name']}: " + "; ".join(d["message"] for d in symbol["diagnostics"] if d["severity"] == "error")
        for symbol in report["symbols"]
        if not symbol["isTypeKnown"] or symbol["isTypeAmbiguous"]
    ]
    assert report["completenessScore"] == 1.0, "\n".join(incomplete)
    assert not incomplete


# --- 0.15.4 code as users wrote it -----------------------------------------------------

# Every error the default modes find in the README code of 0.15.4, with why it is right.
# Each is (file, line, code or rule, part of the message).
EXPECTED_COMPAT_ERRORS = {
    "mypy": {
        # The README annotates the grpc.aio context as the sync grpc.ServicerContext.
        ("readme_async.py", 20, "override", 'Argument 3 of "intercept" is incompatible with supertype'),
        # ... and awaits set_code()/set_details(), which return None on grpc.aio too.
        ("readme_async.py", 29, "misc", 'Incompatible types in "await" (actual type "None"'),
        ("readme_async.py", 30, "misc", 'Incompatible types in "await" (actual type "None"'),
        # grpc's stubs type grpc.server(interceptors=) as an invariant list.
        ("readme_server.py", 55, "arg-type", 'Argument "interceptors" to "server" has incompatible type'),
    },
    "basedpyright": {
        ("readme_async.py", 16, "reportIncompatibleMethodOverride", 'Method "intercept" overrides class'),
        ("readme_async.py", 29, "reportGeneralTypeIssues", '"None" is not awaitable'),
        ("readme_async.py", 30, "reportGeneralTypeIssues", '"None" is not awaitable'),
        ("readme_server.py", 55, "reportArgumentType", 'cannot be assigned to parameter "interceptors"'),
        # The README's streaming helper uses a `context` it was never given.
        ("readme_unary_and_streaming.py", 38, "reportUndefinedVariable", '"context" is not defined'),
        ("readme_unary_and_streaming.py", 39, "reportUndefinedVariable", '"context" is not defined'),
    },
}


@pytest.mark.parametrize("checker", CHECKERS)
def test_compat_code_has_only_the_known_errors(checker: str) -> None:
    verdict = run_checker(checker, COMPAT, "default")
    assert verdict.files_checked == len(COMPAT), verdict.output
    expected = EXPECTED_COMPAT_ERRORS[checker]
    found = {(error.path.name, error.line, error.code): error for error in verdict.errors}
    assert set(found) == {entry[:3] for entry in expected}, explain(verdict, verdict.errors)
    for name, line, code, message in expected:
        assert message in found[name, line, code].message, str(found[name, line, code])


# --- Public aliases are objects at run time ------------------------------------------


def public_aliases() -> list[tuple[str, object]]:
    """Every public name of the package's public modules that is neither a class, a function nor a value."""
    import importlib
    import inspect
    import pkgutil
    import typing

    import grpc_interceptor

    found: list[tuple[str, object]] = []
    names = ["grpc_interceptor"] + [
        module.name
        for module in pkgutil.walk_packages(grpc_interceptor.__path__, "grpc_interceptor.")
        if not any(part.startswith("_") for part in module.name.split("."))
    ]
    for name in names:
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", ()):
            value = getattr(module, public)
            if isinstance(value, typing.TypeVar) or inspect.isclass(value) or inspect.isroutine(value):
                continue
            # Constants (STATUS_DETAILS_KEY) are values, not aliases.
            if public.isupper() or inspect.ismodule(value):
                continue
            found.append((f"{name}.{public}", value))
    return found


def test_public_aliases_are_runtime_objects() -> None:
    aliases = dict(public_aliases())
    # The ones users annotate with; a new alias joins the list by itself.
    assert {"grpc_interceptor.protocols.Metadata", "grpc_interceptor.testing.SpecialCase"} <= set(aliases)
    for name, alias in aliases.items():
        assert not isinstance(alias, str), f"{name} is the string {alias!r} at run time, not a type"
        # As in a user's annotation without `from __future__ import annotations`.
        optional = alias | None  # type: ignore[operator]
        namespace: dict[str, object] = {"alias": alias}
        exec("def annotated(value: alias | None = None) -> alias | None: return value", namespace)
        hints = typing.get_type_hints(namespace["annotated"])  # type: ignore[arg-type]
        assert hints["value"] == optional, name


# --- stubs/ ----------------------------------------------------------------------------


def test_both_checkers_read_the_stubs_folder() -> None:
    import configparser

    stubs = ROOT / "stubs"
    assert (stubs / "README.md").is_file()
    mypy = configparser.ConfigParser()
    mypy.read(ROOT / "mypy.ini")
    assert mypy["mypy"]["mypy_path"] == "stubs"
    project = re.search(r'^stubPath = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert project is not None and (ROOT / project[1]).resolve() == stubs
    corpus = json.loads((CORPUS_DIR / "pyrightconfig.json").read_text())
    assert (CORPUS_DIR / corpus["stubPath"]).resolve() == stubs
    # Every stub says why it exists, in its first line.
    for stub in stubs.rglob("*.pyi"):
        assert stub.read_text().startswith("# "), f"{stub.relative_to(ROOT)}: first line must say why it exists"


def test_mypy_reads_google_rpc_types() -> None:
    # Without follow_untyped_imports mypy skips googleapis-common-protos' .pyi files
    # (no py.typed): the import is an error and everything from it is Any.
    probe = CORPUS_DIR / "check_realistic.py"
    verdict = run_mypy([probe], "--config-file", "mypy.ini", "--strict")
    assert not [error for error in verdict.errors if "google.rpc" in error.message], verdict.output
    assert "follow_untyped_imports = True" in (ROOT / "mypy.ini").read_text()


# --- Snippets of the README and the guide that say they are checked ------------------
#
# A ```python block whose first line starts with `# Checked: ` claims that both checkers
# accept it in strict mode, as a file of its own: it is checked here. Its messages come
# from docs/snippets (search_pb2.pyi, generated from search.proto). A block of the guide
# that is not complete code says so in its first line, `# Fragment: ...`.

CHECKED = "# Checked: "
FRAGMENT = "# Fragment: "
SNIPPET_MODULES = ROOT / "docs" / "snippets"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PYTHON_BLOCK = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<body>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """The ```python blocks of a page, dedented, with the line of their first line."""
    import textwrap

    text = path.read_text()
    return [
        (text.count("\n", 0, match.start()) + 2, textwrap.dedent(match["body"]))
        for match in PYTHON_BLOCK.finditer(text)
    ]


def checked_snippets() -> list[tuple[str, str]]:
    return [
        (f"{path.relative_to(ROOT)}:{line}", block)
        for path in DOCUMENTS
        for line, block in python_blocks(path)
        if block.startswith(CHECKED)
    ]


def test_the_readme_opens_with_a_checked_example() -> None:
    (_, first), *_ = python_blocks(ROOT / "README.md")
    assert first.startswith(CHECKED), first.splitlines()[0]


def test_guide_python_blocks_are_checked_or_say_they_are_fragments() -> None:
    unmarked = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "docs" / "guide").glob("*.md"))
        for line, block in python_blocks(path)
        if not block.startswith((CHECKED, FRAGMENT))
    ]
    assert not unmarked, f"say '{CHECKED}...' (and pass both checkers) or '{FRAGMENT}...': {unmarked}"


@pytest.mark.parametrize("checker", CHECKERS)
def test_checked_snippets_pass_both_checkers(checker: str, tmp_path: Path) -> None:
    snippets = checked_snippets()
    assert snippets
    files = []
    for number, (where, block) in enumerate(snippets):
        path = tmp_path / f"snippet_{number}.py"
        path.write_text(f"# {where}\n{block}")
        files.append(path)
    if checker == "mypy":
        process = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--strict", "--no-pretty", *map(str, files)],
            cwd=ROOT,
            env={**os.environ, "MYPYPATH": str(SNIPPET_MODULES)},
            capture_output=True,
            text=True,
            timeout=CHECKER_TIMEOUT,
            check=False,
        )
        assert process.returncode == 0, f"{process.stdout}{process.stderr}"
        return
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.10",
        "extraPaths": [str(SNIPPET_MODULES)],
        # search_pb2 is a stub of a user's generated code, without its .py.
        "reportMissingModuleSource": False,
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config))
    verdict = run_basedpyright(files, "--project", str(tmp_path / "pyrightconfig.json"))
    assert verdict.files_checked == len(files), verdict.output
    assert not verdict.errors, verdict.output
