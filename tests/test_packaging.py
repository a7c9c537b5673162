"""What a user of the package index and a new contributor meet: metadata, commands, links.

* The published metadata says where the project lives (Project-URLs, authors), and the
  version is written once.
* The README's two commands are the whole set-up, and CI runs the test command verbatim.
* The contributors' tools are dependency groups, not extras of the published package.
* The README's links work where the package index shows it: none is relative.
* The README's ``pip install`` lines with extras are quoted (zsh expands ``[...]``).
* Read the Docs builds the documentation with the configuration in the repository.
* The ``slow`` marker is registered, and the sdist ships no tests.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest

import grpc_interceptor

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data


def console_blocks(text: str) -> list[str]:
    return re.findall(r"^```console\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def test_the_index_can_find_the_project(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    urls = project["urls"]
    assert {"Homepage", "Repository", "Documentation", "Changelog"} <= set(urls)
    assert urls["Repository"] == "https://github.com/d5h-foss/grpc-interceptor"
    assert urls["Documentation"] == "https://grpc-interceptor.readthedocs.io"
    assert all(url.startswith("https://") for url in urls.values())
    assert project["authors"] and all(author["name"] for author in project["authors"])
    # The installed metadata says the same.
    metadata = importlib.metadata.metadata("grpc-interceptor")
    assert "Repository, https://github.com/d5h-foss/grpc-interceptor" in (metadata.get_all("Project-URL") or [])


def test_the_version_is_written_once(pyproject: dict[str, Any]) -> None:
    assert "version" not in pyproject["project"]
    assert pyproject["project"]["dynamic"] == ["version"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "src/grpc_interceptor/__init__.py"
    assert importlib.metadata.version("grpc-interceptor") == grpc_interceptor.__version__


def test_hatchling_floor_is_one_that_builds_the_project(pyproject: dict[str, Any]) -> None:
    # hatchling 1.25 rejects `license-files` as a list; 1.26 omits License-Expression.
    assert pyproject["project"]["license-files"] == ["LICENSE"]
    (requirement,) = pyproject["build-system"]["requires"]
    match = re.fullmatch(r"hatchling>=(\d+)\.(\d+)", requirement)
    assert match is not None, requirement
    assert (int(match[1]), int(match[2])) >= (1, 27)


def test_contributor_tools_are_dependency_groups_not_extras(pyproject: dict[str, Any]) -> None:
    extras = pyproject["project"]["optional-dependencies"]
    assert not {"dev", "docs"} & set(extras)
    groups = pyproject["dependency-groups"]
    assert {"dev", "docs"} <= set(groups)
    assert {"include-group": "docs"} in groups["dev"]
    # The pytest plugin's aio fixtures need pytest-asyncio: the testing extra brings it.
    assert any(req.startswith("pytest-asyncio") for req in extras["testing"])


def test_the_readme_commands_are_the_whole_setup_and_ci_runs_the_test_command() -> None:
    blocks = [block.rstrip("\n") for block in console_blocks(README)]
    quick_start = next(block for block in blocks if block.endswith("examples/quickstart.py"))
    test = next(block for block in blocks if block.endswith("-m pytest"))
    for command in (quick_start, test):
        assert command.startswith("python3 -m venv .venv && ")
        assert " -q " not in command  # a silent minute looks like a hang
    # pip reads dependency groups from 25.1 on; a fresh venv's pip may be older.
    assert '.venv/bin/python -m pip install "pip>=25.1"' in test
    assert "--group dev" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.count(test + "\n") == 1, "CI must run the README's test command verbatim"


def test_readme_links_work_on_the_package_index() -> None:
    targets = re.findall(r"\]\(([^)\s]+)\)", README) + re.findall(r"<(https?://[^>]+)>", README)
    assert targets
    relative = [target for target in targets if not target.startswith(("https://", "http://"))]
    assert not relative, f"relative links break on the package index: {relative}"
    assert "https://github.com/d5h-foss/grpc-interceptor" in README


def test_readme_installs_with_extras_are_quoted() -> None:
    installs = re.findall(r"pip install [^\n`]*", README)
    unquoted = [line for line in installs if re.search(r"(?<![\"'\w])grpc-interceptor\[", line)]
    assert not unquoted, unquoted
    assert 'pip install "grpc-interceptor[testing]"' in README


def test_read_the_docs_builds_with_the_repository_configuration(pyproject: dict[str, Any]) -> None:
    config = (ROOT / ".readthedocs.yaml").read_text()
    assert re.search(r"^version: 2$", config, re.MULTILINE)
    (conf,) = re.findall(r"^  configuration: (\S+)$", config, re.MULTILINE)
    assert (ROOT / conf).is_file()
    groups = re.findall(r"--group (\w+)", config)
    assert groups and set(groups) <= set(pyproject["dependency-groups"])
    assert "fail_on_warning: true" in config


def test_the_slow_marker_is_registered_and_the_sdist_ships_no_tests(pyproject: dict[str, Any]) -> None:
    markers = pyproject["tool"]["pytest"]["ini_options"]["markers"]
    assert any(marker.startswith("slow:") for marker in markers)
    include = pyproject["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    # Anchored patterns: "README.md" alone would also ship benchmarks/README.md.
    assert all(pattern.startswith("/") for pattern in include)
    assert not {"/tests", "/docs", "/benchmarks"} & set(include)
