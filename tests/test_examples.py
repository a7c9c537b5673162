"""Every example in ``examples/`` runs as users run it and reports success.

Each ``examples/*.py`` found when the tests are collected (so a new example is tested
without touching this file) runs as ``python examples/X.py`` in a subprocess, with a
time limit; it must exit 0, which each example does only when what it checked came
out as expected. For several examples the output is checked too: the lines that show
what the example is about.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The single-file examples, and the demo of each example that is a folder of its own.
EXAMPLES = sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "examples").glob("*/*_demo.py"))

#: Seconds an example may take; each needs about one.
TIME_LIMIT = 60


def run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )


def check_logging_timing(out: str) -> None:
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(records) == 7
    assert {r["kind"] for r in records} == {"unary_unary", "unary_stream", "stream_unary", "stream_stream"}
    assert [r["code"] for r in records] == [
        "OK",
        "OK",
        "PERMISSION_DENIED",  # context.abort() in the handler
        "OK",
        "NOT_FOUND",  # a GrpcException, through ExceptionToStatusInterceptor
        "OK",
        "UNKNOWN",  # a RuntimeError after the first response
    ]
    assert all(r["method"].startswith("/DummyService/") for r in records)
    assert records[1]["duration_ms"] >= 50  # the slow call
    assert "every RPC logged once with its status" in out


def check_auth(out: str) -> None:
    for method in ("Execute", "ExecuteServerStream", "ExecuteClientStream", "ExecuteClientServerStream"):
        for caller in ("no token", "basic auth", "wrong token"):
            assert re.search(rf"^{method} +{caller} +-> UNAUTHENTICATED +handler ran: no$", out, re.MULTILINE)
        assert re.search(rf"^{method} +good token +-> OK +handler ran: yes$", out, re.MULTILINE)
    assert "The handler never ran for a bad token, for unary and streaming requests alike." in out


def check_validation(out: str) -> None:
    assert re.search(r"^Execute +\('',\) +-> INVALID_ARGUMENT \[\] input must not be empty$", out, re.MULTILINE)
    # The responses before the bad request reached the client.
    assert "-> INVALID_ARGUMENT ['a', 'b'] input must have at most 8 characters, got 13" in out
    assert "Invalid inputs the handler saw: []" in out
    assert "every invalid request was refused with INVALID_ARGUMENT" in out


def check_per_service(out: str) -> None:
    assert "['one', 'Hello, Ada!', 'two', 'Hello, Grace!']" in out
    assert re.search(r"^DummyAudit saw these inputs: +\['one', 'two'\]$", out, re.MULTILINE)
    assert out.count("  /demo.Greeter/Greet\n") == 2
    assert "DummyAudit skipped the 2 demo.Greeter calls; EveryRpc saw all 4 calls." in out


def check_client_retry(out: str) -> None:
    flaky, down, missing, deadline = out.split("Execute(")[1:]
    assert flaky.startswith("'flaky', timeout=5.0) -> finally")
    assert "attempt 2: UNAVAILABLE, retrying in" in flaky
    assert "attempt 3: OK, done" in flaky
    assert down.startswith("'down', timeout=5.0) -> UNAVAILABLE")
    assert "attempt 4: UNAVAILABLE, giving up: no attempts left" in down
    assert missing.startswith("'missing', timeout=5.0) -> NOT_FOUND")
    assert "attempt 1: NOT_FOUND, done" in missing
    assert "attempt 2:" not in missing
    assert deadline.startswith("'down', timeout=0.25) -> UNAVAILABLE")
    assert "would pass the deadline" in deadline
    assert "retried transient failures, within the deadline" in out


def check_aio_client_metadata(out: str) -> None:
    pairs = re.findall(r"^(\w+) +sent x-request-id: (\w+), the server received: (\w+)$", out, re.MULTILINE)
    assert [kind for kind, _, _ in pairs] == ["unary_unary", "unary_stream", "stream_unary", "stream_stream"]
    assert all(sent == received for _, sent, received in pairs)
    assert len({sent for _, sent, _ in pairs}) == 4  # a fresh id per call
    assert re.search(r"the server received tenant='acme', x-request-id=\w+$", out, re.MULTILINE)
    assert "every call carried its request id" in out


def check_aio_server(out: str) -> None:
    assert re.search(r"^  Execute +requests=\['hi'\] responses=\['hi'\]$", out, re.MULTILINE)
    assert re.search(r"^  ExecuteServerStream +requests=\['abc'\] responses=\['a', 'b', 'c'\]$", out, re.MULTILINE)
    assert re.search(r"^  ExecuteClientStream +requests=\['x', 'y', 'z'\] responses=\['xyz'\]$", out, re.MULTILINE)
    assert re.search(
        r"^  ExecuteClientServerStream +requests=\['1', '2', '3'\] responses=\['1', '2', '3'\]$", out, re.MULTILINE
    )
    assert "every request read and every response written went through the interceptor" in out


def check_bookstore_demo(out: str) -> None:
    logged = re.findall(r"^  server\| bookstore\.access: server /(\S+) ([A-Z_]+) (\d+\.\d+) ms$", out, re.MULTILINE)
    assert [code for _, code, _ in logged] == [
        "OK",  # the health check, without a token
        "UNAUTHENTICATED",
        "UNAVAILABLE",  # warming up: the client retries
        "UNAVAILABLE",
        "OK",
        "OK",
        "NOT_FOUND",
        "INVALID_ARGUMENT",
        "OK",
        "RESOURCE_EXHAUSTED",  # the shelf is bounded
    ]
    assert logged[0][0] == "grpc.health.v1.Health/Check"
    assert "  add_book while the server warms up: retried, then added" in out
    assert re.search(r"^  get_book of a missing ISBN: NotFound \(no book with ISBN '111'\)$", out, re.MULTILINE)
    assert "shutting down: NOT_SERVING" in out and "  server| bookstore: stopped" in out
    assert "server exit status 0" in out
    assert "every call got its typed error or answer, and the server shut down gracefully" in out


def check_battery_observability(out: str) -> None:
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(records) == 12
    server = [r for r in records if r["grpc_side"] == "server"]
    client = [r for r in records if r["grpc_side"] == "client"]
    codes = ["OK", "NOT_FOUND", "PERMISSION_DENIED", "OK", "OK", "UNKNOWN"]
    assert [r["grpc_code"] for r in server] == codes
    assert [r["grpc_code"] for r in client] == codes
    assert {r["grpc_type"] for r in server} == {"unary", "server_stream", "client_stream", "bidi_stream"}
    assert [(r["grpc_msg_received"], r["grpc_msg_sent"]) for r in server] == [
        (1, 1),
        (1, 0),
        (1, 0),
        (1, 3),
        (2, 1),
        (2, 1),
    ]
    assert [r["level"] for r in server] == ["INFO", "INFO", "WARNING", "INFO", "INFO", "ERROR"]
    assert "grpc_server_handled_total{Execute, NOT_FOUND} = 1.0" in out
    assert "grpc_server_msg_sent_total{ExecuteServerStream} = 3.0" in out
    assert "every RPC logged on both sides and counted" in out


def check_battery_validation(out: str) -> None:
    assert re.search(r"^Register +-> OK +answers \['welcome, Ada'\] +refused fields \[\]$", out, re.MULTILINE)
    assert "refused fields ['email', 'name', 'age', 'tags[1]']" in out
    assert re.search(
        r"^Chat +-> INVALID_ARGUMENT +answers \['hello, Di'\] +refused fields \['tags'\]$", out, re.MULTILINE
    )
    assert "The handlers saw: ['Ada', 'Bo', 'Di']" in out
    assert "every invalid account was refused before its handler saw it" in out


def check_battery_auth(out: str) -> None:
    assert re.search(r"^ada, unary +-> OK 'hello, ada'$", out, re.MULTILINE)
    assert re.search(r"^no token +-> UNAUTHENTICATED: missing credentials: /DummyService/Execute", out, re.MULTILINE)
    assert re.search(r"^wrong token +-> UNAUTHENTICATED: credentials not accepted$", out, re.MULTILINE)
    assert re.search(r"^bob, stream +-> PERMISSION_DENIED: bob may not call", out, re.MULTILINE)
    assert re.search(r"^health +-> SERVING \(no token needed\)$", out, re.MULTILINE)
    assert "the handler ran for: ['ada', 'ada']" in out
    assert "the handler ran only for admitted callers" in out


def check_battery_resilience(out: str) -> None:
    assert "flaky: 'flaky' after 3 attempts, x-retry-attempt [None, '2', '3']" in out
    assert "5 calls in a row through a burst of 3: 5 OK" in out
    assert "every attempt had a deadline of at most 2 s: True" in out
    assert "each within the default deadline" in out


#: What the output of an example must show, for the examples that have a check.
OUTPUT_CHECKS: dict[str, Callable[[str], None]] = {
    "logging_timing": check_logging_timing,
    "auth": check_auth,
    "validation": check_validation,
    "per_service": check_per_service,
    "client_retry": check_client_retry,
    "aio_client_metadata": check_aio_client_metadata,
    "aio_server": check_aio_server,
    "bookstore_demo": check_bookstore_demo,
    "battery_observability": check_battery_observability,
    "battery_validation": check_battery_validation,
    "battery_auth": check_battery_auth,
    "battery_resilience": check_battery_resilience,
}


def test_the_examples_are_found() -> None:
    assert set(OUTPUT_CHECKS) <= {path.stem for path in EXAMPLES}


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_and_succeeds(path: Path) -> None:
    result = run(path)
    # On grpcio < 1.83 the library refuses async client interceptors (the example says why).
    from grpc_interceptor.client import _aio_client_unsupported  # pyright: ignore[reportPrivateUsage]

    unsupported = _aio_client_unsupported()
    if unsupported is not None and result.returncode != 0 and unsupported in result.stderr:
        pytest.skip(unsupported)
    assert result.returncode == 0, f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    check = OUTPUT_CHECKS.get(path.stem)
    if check is not None:
        # Nothing went wrong unseen, e.g. in a server thread.
        assert "Traceback" not in result.stderr, result.stderr
        check(result.stdout)
