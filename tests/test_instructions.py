"""``benchmarks/instructions.py`` counts instructions per RPC under valgrind.

Short counts run for real: two runs of a grpc.aio server under callgrind (about half a
minute), and two pipeline counts, which must agree; nothing is asserted
about our cost, only that the count is a count. Where valgrind is missing (macOS, say)
those tests skip with a hint; on CI (``CI`` set) they fail instead, since CI installs
valgrind.
"""

from __future__ import annotations

import importlib.util
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


def load_instructions() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_instructions", ROOT / "benchmarks" / "instructions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_count_gives_instructions_per_rpc(valgrind: str) -> None:
    instructions = load_instructions()
    chain = instructions.bench.CHAINS.index(("grpc-interceptor", 1))
    row = instructions.count("aio", chain, 4)
    assert (row["server"], row["chain"], row["interceptors"], row["calls"]) == ("aio", "grpc-interceptor", 1, [4, 20])
    # A unary RPC through a grpc.aio server takes some hundreds of thousands.
    assert 50_000 < row["instructions_per_rpc"] < 5_000_000


@pytest.mark.parametrize("kind", ["sync", "aio"])
def test_the_pipeline_worker_runs_rpcs_through_grpcs_own_pipeline(kind: str) -> None:
    instructions = load_instructions()
    chain = instructions.bench.CHAINS.index(("chain()", 5))
    assert instructions.main([instructions.PIPELINE_WORKER, kind, str(chain), "5"]) == 0


@pytest.mark.slow
def test_the_pipeline_count_comes_out_the_same_twice(valgrind: str) -> None:
    """What the pipeline count claims: no other thread, no network, so no noise to speak of."""
    instructions = load_instructions()
    chain = instructions.bench.CHAINS.index(("grpc-interceptor", 1))
    first, second = (instructions.count_pipeline("sync", chain, 100) for _ in range(2))
    assert first["calls"] == [100, 500]
    assert 1_000 < first["instructions_per_rpc"] < 1_000_000
    assert abs(first["instructions_per_rpc"] - second["instructions_per_rpc"]) < 0.005 * first["instructions_per_rpc"]


def test_without_valgrind_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    instructions = load_instructions()
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    assert instructions.main(["--json", str(tmp_path / "out.json")]) == 2
    assert "apt-get install valgrind" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()
