"""What a user sees in the IDE: basedpyright's language server on a typed hook.

A small LSP client talks to ``basedpyright-langserver --stdio`` over a document that
has a typed server interceptor in it, and asks what an editor asks: completion after
``request.``, hover over the continuation and over what it returns, completion after
``self.on_``. The hook's parameters are left unannotated, as users write an override
first: the server takes their types from the base class.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0

SOURCE = """\
from grpc_interceptor import ServerInterceptor
from grpc_interceptor.testing import DummyRequest, DummyResponse


class Audit(ServerInterceptor[DummyRequest, DummyResponse]):
    def on_unary_unary(self, method, request, context, method_name, /):
        response = method(request, context)
        print(request.input, response.output)
        return response

    def helper(self) -> None:
        self.on_
"""


def position(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """The LSP position of ``needle`` (plus ``offset`` characters) in ``text``."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


class LanguageServer:
    """Just enough of an LSP client: requests by id, answers to the server's own requests."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.responses: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # the server asks: configuration, progress, ...
                result: Any = (
                    [{}] * len(message["params"]["items"]) if message["method"] == "workspace/configuration" else None
                )
                self._send({"id": message["id"], "result": result})
            elif "id" in message:
                self.responses.put(message)

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self.responses.get(timeout=max(0.0, deadline - time.monotonic()))
            if message["id"] == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=5)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    executable = shutil.which("basedpyright-langserver", path=str(Path(sys.executable).parent))
    assert executable, "basedpyright-langserver comes with basedpyright (the dev group)"
    workspace = tmp_path_factory.mktemp("ide")
    (workspace / "pyrightconfig.json").write_text(json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.10"}))
    document = workspace / "audit.py"
    document.write_text(SOURCE)
    # The server asks the `python` found on PATH for the search paths: this environment's.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    client = LanguageServer([executable, "--stdio"], workspace, env)
    try:
        client.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": workspace.as_uri(),
                "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ide"}],
                "capabilities": {
                    "textDocument": {
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "completion": {"completionItem": {"snippetSupport": False}},
                    },
                    "workspace": {"configuration": True},
                },
            },
        )
        client.notify("initialized", {})
        uri = document.as_uri()
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": SOURCE}},
        )
        yield client, uri
    finally:
        client.close()


def completion_labels(server: Any, at: dict[str, int]) -> set[str]:
    client, uri = server
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": at})
    items = result["items"] if isinstance(result, dict) else result
    return {item["label"] for item in items}


def hover_text(server: Any, at: dict[str, int]) -> str:
    client, uri = server
    result = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": at})
    contents = result["contents"]
    return contents["value"] if isinstance(contents, dict) else str(contents)


def test_completion_after_request_offers_its_fields(server: Any) -> None:
    labels = completion_labels(server, position(SOURCE, "request.input", len("request.")))
    assert "input" in labels
    assert "output" not in labels  # the response's field


def test_hover_on_the_continuation_shows_the_messages(server: Any) -> None:
    text = hover_text(server, position(SOURCE, "method(request"))
    assert "UnaryUnaryContinuation[DummyRequest, DummyResponse]" in text, text


def test_hover_on_the_continuations_result_shows_the_response(server: Any) -> None:
    text = hover_text(server, position(SOURCE, "response = "))
    assert "DummyResponse" in text, text
    assert "Any" not in text, text


def test_completion_after_self_on_offers_the_four_hooks(server: Any) -> None:
    labels = completion_labels(server, position(SOURCE, "self.on_", len("self.on_")))
    assert {"on_unary_unary", "on_unary_stream", "on_stream_unary", "on_stream_stream"} <= labels
