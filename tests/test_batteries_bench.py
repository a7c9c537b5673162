"""``benchmarks/batteries.py`` counts the batteries' pass-through paths under valgrind.

One short count runs for real (one process under callgrind, some seconds); it checks
that every row is counted and compared with the plain pass-through of its side, not
what the numbers are, which the benchmark itself reports. Where valgrind is missing that
test skips with a hint; on CI (``CI`` set) it fails instead, since CI installs valgrind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

VALGRIND_HINT = "install valgrind to count instructions: apt-get install valgrind (Debian), or skip with -m 'not slow'"


@pytest.fixture
def valgrind() -> str:
    found = shutil.which("valgrind")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"valgrind is missing on CI: {VALGRIND_HINT}")
        pytest.skip(VALGRIND_HINT)
    return found


def load_batteries() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_batteries", ROOT / "benchmarks" / "batteries.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_case_runs_without_valgrind() -> None:
    batteries = load_batteries()
    batteries.worker(3)  # every case, outside valgrind: the marks are plain getppid() calls


@pytest.mark.slow
def test_count_gives_a_ratio_to_the_plain_interceptor_per_row(valgrind: str, tmp_path: Path) -> None:
    batteries = load_batteries()
    out = tmp_path / "out.json"
    assert batteries.main(["--calls", "10", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(row["label"], row["side"]) for row in rows] == [(case.label, case.side) for case in batteries.all_cases()]
    for row in rows:
        # A unary RPC in-process takes some thousands of instructions, not none, not millions.
        assert 300 < row["instructions_per_rpc"] < 1_000_000, row
        if row["kind"] == "plain":
            assert row["ratio_to_plain"] == 1.0
        if row["kind"] == "none":
            assert row["ratio_to_plain"] < 1.0  # an interceptor costs something


def test_without_valgrind_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    batteries = load_batteries()
    monkeypatch.setattr(batteries.shutil, "which", lambda name: None)
    assert batteries.main(["--json", str(tmp_path / "out.json")]) == 2
    assert "apt-get install valgrind" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()
