"""``import grpc_interceptor`` stays light: nothing import-heavy comes with it.

In a fresh interpreter, after ``import grpc``, ``import grpc_interceptor`` must not
load any module of :data:`NOT_AT_IMPORT`: standard-library modules grpc does not load
either (each a millisecond or more, or a chain of further imports), the extras'
third-party packages, and the package's own modules that need an extra. The modules
are imported where they are needed, the first time. ``benchmarks/import_time.py``
measures the time itself, and runs here once.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Modules that ``import grpc_interceptor`` must not bring, unless grpc brings them.
NOT_AT_IMPORT = (
    # The standard library.
    "argparse",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email",
    "fractions",
    "hashlib",
    "http",
    "importlib.metadata",
    "json",
    "pathlib",
    "pprint",
    "random",
    "secrets",
    "shutil",
    "statistics",
    "tempfile",
    "tracemalloc",
    "urllib",
    "uuid",
    # The extras and the tools.
    "google.protobuf",
    "google.rpc",
    "grpc_status",
    "opentelemetry",
    "prometheus_client",
    "pytest",
    # The package's modules that a program imports on first use of one of their names.
    "grpc_interceptor.access_log",
    "grpc_interceptor.auth",
    "grpc_interceptor.chaining",
    "grpc_interceptor.client_errors",
    "grpc_interceptor.deadline",
    "grpc_interceptor.limits",
    "grpc_interceptor.retry",
    "grpc_interceptor.selection",
    # The package's modules that need an extra.
    "grpc_interceptor.metrics",
    "grpc_interceptor.pytest_plugin",
    "grpc_interceptor.rich_status",
    "grpc_interceptor.testing",
)

PROBE = """
import json, sys
import grpc
before = set(sys.modules)
import grpc_interceptor
print(json.dumps({"before": sorted(before), "added": sorted(set(sys.modules) - before)}))
"""


def modules_of_the_import() -> tuple[set[str], set[str]]:
    """What ``import grpc`` loads, and what ``import grpc_interceptor`` adds, in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    loaded = json.loads(result.stdout)
    return set(loaded["before"]), set(loaded["added"])


def test_import_grpc_interceptor_brings_nothing_heavy() -> None:
    before, added = modules_of_the_import()
    assert "grpc" in before and "grpc_interceptor" in added  # the probe sees both imports
    # Every public name comes on first use: the package alone is imported.
    assert added == {"grpc_interceptor"}, sorted(added)
    crept_in = sorted(
        name for name in added if any(name == heavy or name.startswith(heavy + ".") for heavy in NOT_AT_IMPORT)
    )
    assert not crept_in, f"import grpc_interceptor now loads {crept_in}: import them where they are needed"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmarks_import_time", ROOT / "benchmarks" / "import_time.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_import_time_script_measures_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    script = load_script()
    # A budget no machine misses, and one every machine misses: the verdict follows it.
    assert script.main(["--runs", "1", "--budget-ms", "100000"]) == 0
    out = capsys.readouterr().out
    assert "import grpc_interceptor after import grpc: " in out
    assert "1 of the package" in out  # the names come on first use
    assert "with 0.15.4's names (from grpc_interceptor import ClientInterceptor" in out
    assert "within the budget of 100000 ms" in out
    assert script.main(["--runs", "1", "--budget-ms", "0"]) == 1
    assert "over the budget of 0 ms" in capsys.readouterr().out


def test_names_imported_on_first_use_are_the_modules_own() -> None:
    import grpc_interceptor
    from grpc_interceptor import access_log, chaining, retry, selection

    assert grpc_interceptor.chain is chaining.chain
    assert grpc_interceptor.select is selection.select
    assert grpc_interceptor.RetryInterceptor is retry.RetryInterceptor
    assert grpc_interceptor.AccessLogInterceptor is access_log.AccessLogInterceptor
    assert set(grpc_interceptor.__all__) <= set(dir(grpc_interceptor))
    # 0.15.4's `import grpc_interceptor` made its modules attributes of the package.
    assert grpc_interceptor.exceptions.NotFound.__name__ == "NotFound"
    assert grpc_interceptor.server.ServerInterceptor is grpc_interceptor.ServerInterceptor
    for name in grpc_interceptor.__all__:
        assert getattr(grpc_interceptor, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'chian'"):
        _ = grpc_interceptor.chian  # type: ignore[attr-defined]
