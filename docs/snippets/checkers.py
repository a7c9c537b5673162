"""Run mypy and basedpyright on the snippets the documentation shows with their messages.

``python docs/snippets/checkers.py`` rewrites ``<snippet>.mypy.txt`` and
``<snippet>.basedpyright.txt`` beside each snippet with what the checkers print now,
in the project's strict settings (``mypy.ini``, ``pyproject.toml``), with paths
relative to the repository. ``tests/test_docs.py`` checks that the files still match.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: The snippets whose checker output the documentation shows.
SNIPPETS = [HERE / "typing_mistakes.py"]


def _commands(snippet: Path, cache_dir: str) -> dict[str, list[str]]:
    relative = str(snippet.relative_to(ROOT))
    return {
        "mypy": [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--no-pretty",
            "--no-error-summary",
            "--no-color-output",
            "--show-error-codes",
            "--cache-dir",
            cache_dir,
            relative,
        ],
        "basedpyright": [
            str(Path(sys.executable).with_name("basedpyright")),
            "--pythonpath",
            sys.executable,
            "--project",
            "pyproject.toml",
            relative,
        ],
    }


def _normalise(checker: str, output: str) -> str:
    """Paths relative to the repository; basedpyright's per-file heading left out."""
    lines = [line.replace(f"{ROOT}/", "") for line in output.splitlines()]
    if checker == "basedpyright":
        lines = [line[2:] if line.startswith("  ") else line for line in lines if not line.endswith(".py")]
    return "\n".join(lines) + "\n"


def outputs(snippet: Path) -> dict[str, str]:
    """What each checker prints for ``snippet``, both run at once."""
    with tempfile.TemporaryDirectory() as cache_dir:
        running = {
            checker: subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for checker, command in _commands(snippet, cache_dir).items()
        }
        found: dict[str, str] = {}
        for checker, process in running.items():
            stdout, stderr = process.communicate(timeout=300)
            if process.returncode != 1:  # both exit 1 when they found errors, as they must here
                raise RuntimeError(f"{checker} exited {process.returncode}:\n{stdout}{stderr}")
            found[checker] = _normalise(checker, stdout)
    return found


def expected_path(snippet: Path, checker: str) -> Path:
    """Where the documentation keeps what ``checker`` prints for ``snippet``."""
    return snippet.with_name(f"{snippet.stem}.{checker}.txt")


def main() -> int:
    """Rewrite the expected outputs."""
    for snippet in SNIPPETS:
        for checker, output in outputs(snippet).items():
            path = expected_path(snippet, checker)
            path.write_text(output)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
