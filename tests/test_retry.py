"""Retries against real servers, with the waits recorded instead of slept."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo

from grpc_interceptor import AsyncExceptionToStatusInterceptor, ExceptionToStatusInterceptor
from grpc_interceptor.exceptions import GrpcException, NotFound, Unavailable
from grpc_interceptor.retry import AsyncRetryInterceptor, RetryInterceptor
from grpc_interceptor.testing import DummyRequest, DummyResponse, dummy_client, serve
from grpc_interceptor.testing.protos.dummy_pb2_grpc import (
    DummyServiceServicer,
    DummyServiceStub,
    add_DummyServiceServicer_to_server,
)


class Script:
    """What the server does per attempt: fail with the next scripted exception, else echo.

    It records each attempt's ``x-retry-attempt`` and the time it had left.
    """

    def __init__(self, *failures: GrpcException) -> None:
        self.failures = list(failures)
        self.attempts: list[str | None] = []
        self.time_left: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, text: str, context: Any) -> str:
        metadata = dict(context.invocation_metadata())
        with self.lock:
            self.attempts.append(metadata.get("x-retry-attempt"))
            self.time_left.append(context.time_remaining())
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        return text


class Recorder:
    """A fake clock that the recorded sleeps move forward."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def retry(recorder: Recorder, **options: Any) -> RetryInterceptor:
    options.setdefault("random", lambda: 0.5)
    return RetryInterceptor(sleep=recorder.sleep, clock=recorder.clock, **options)


def client(script: Script, interceptor: Any) -> Any:
    return dummy_client(
        special_cases={"go": script},
        interceptors=[ExceptionToStatusInterceptor()],
        client_interceptors=[interceptor],
    )


def unavailable(**options: Any) -> Unavailable:
    return Unavailable("try again", **options)


def code_of(function: Callable[[], object]) -> grpc.StatusCode:
    try:
        function()
    except grpc.RpcError as error:
        failed: Any = error
        return failed.code()
    return grpc.StatusCode.OK


def test_unary_retries_with_full_jitter_exponential_backoff_and_numbers_its_attempts() -> None:
    script, recorder = Script(unavailable(), unavailable(), unavailable()), Recorder()
    interceptor = retry(recorder, max_attempts=5, initial_backoff=0.1, multiplier=3.0, random=lambda: 0.5)
    with client(script, interceptor) as stub:
        assert stub.Execute(DummyRequest(input="go"), metadata=[("k", "v")]).output == "go"
    assert script.attempts == [None, "2", "3", "4"]
    assert recorder.waits == pytest.approx([0.05, 0.15, 0.45])


def test_the_jitter_is_full_between_zero_and_the_ceiling() -> None:
    script, recorder = Script(unavailable(), unavailable()), Recorder()
    fractions = iter([0.0, 0.999])
    interceptor = retry(recorder, initial_backoff=1.0, max_backoff=1.5, random=lambda: next(fractions))
    with client(script, interceptor) as stub:
        assert stub.Execute(DummyRequest(input="go")).output == "go"
    assert recorder.waits == pytest.approx([0.0, 1.4985])  # the second ceiling is max_backoff


def test_gives_up_after_max_attempts_with_the_last_error() -> None:
    script, recorder = Script(*[unavailable() for _ in range(5)]), Recorder()
    with client(script, retry(recorder, max_attempts=3)) as stub:
        assert code_of(lambda: stub.Execute(DummyRequest(input="go"))) == grpc.StatusCode.UNAVAILABLE
    assert script.attempts == [None, "2", "3"]
    assert len(recorder.waits) == 2


def test_other_codes_are_not_retried() -> None:
    script, recorder = Script(NotFound("gone")), Recorder()
    with client(script, retry(recorder)) as stub:
        assert code_of(lambda: stub.Execute(DummyRequest(input="go"))) == grpc.StatusCode.NOT_FOUND
    assert script.attempts == [None]
    assert recorder.waits == []


def test_the_server_pushback_sets_the_wait_and_the_backoff_starts_over() -> None:
    pushback = unavailable(trailing_metadata=[("grpc-retry-pushback-ms", "1250")])
    script, recorder = Script(unavailable(), pushback, unavailable()), Recorder()
    with client(script, retry(recorder, max_attempts=4, initial_backoff=0.1)) as stub:
        assert stub.Execute(DummyRequest(input="go")).output == "go"
    assert recorder.waits == pytest.approx([0.05, 1.25, 0.05])


@pytest.mark.parametrize("value", ["-1", "soon", "", "1.5"])
def test_a_negative_or_malformed_pushback_means_do_not_retry(value: str) -> None:
    script, recorder = Script(unavailable(trailing_metadata=[("grpc-retry-pushback-ms", value)])), Recorder()
    with client(script, retry(recorder)) as stub:
        assert code_of(lambda: stub.Execute(DummyRequest(input="go"))) == grpc.StatusCode.UNAVAILABLE
    assert script.attempts == [None]


def test_a_retry_info_delay_is_honoured() -> None:
    info = RetryInfo(retry_delay=Duration(seconds=2, nanos=500_000_000))
    script, recorder = Script(unavailable(error_details=[info])), Recorder()
    with client(script, retry(recorder)) as stub:
        assert stub.Execute(DummyRequest(input="go")).output == "go"
    assert recorder.waits == [2.5]


def test_the_deadline_covers_all_attempts() -> None:
    script, recorder = Script(*[unavailable() for _ in range(5)]), Recorder()
    interceptor = retry(recorder, max_attempts=5, initial_backoff=0.8, max_backoff=5.0, random=lambda: 0.99)
    with client(script, interceptor) as stub:
        assert code_of(lambda: stub.Execute(DummyRequest(input="go"), timeout=2.0)) == grpc.StatusCode.UNAVAILABLE
    # Waits of 0.792 and then 1.584 would pass the deadline: one retry only, with what
    # was left of the two seconds as its timeout.
    assert recorder.waits == pytest.approx([0.792])
    assert script.attempts == [None, "2"]
    assert 1.0 < script.time_left[1] <= 2.0 - 0.792 + 0.1


def test_a_sequence_of_requests_is_replayed_an_iterator_is_not() -> None:
    script, recorder = Script(unavailable(), unavailable()), Recorder()
    with client(script, retry(recorder)) as stub:
        assert stub.ExecuteClientStream([DummyRequest(input="go"), DummyRequest(input="!")]).output == "go!"
        # ("!" is no special case: only "go" counts attempts.)
        assert script.attempts == [None, "2", "3"]
        script.failures = [unavailable()]
        requests = iter([DummyRequest(input="go")])
        assert code_of(lambda: stub.ExecuteClientStream(requests)) == grpc.StatusCode.UNAVAILABLE
    assert script.attempts == [None, "2", "3", None]


class HalfStream(DummyServiceServicer):
    """Fails its stream after one message, the first ``fail_after`` times; before it, as scripted."""

    def __init__(self, script: Script, fail_after: int) -> None:
        self.script, self.fail_after = script, fail_after

    def ExecuteServerStream(self, request: DummyRequest, context: grpc.ServicerContext) -> Iterator[DummyResponse]:
        try:
            self.script(request.input, context)
        except GrpcException as error:
            context.abort(error.status_code, error.details)
        yield DummyResponse(output="first")
        if self.fail_after:
            self.fail_after -= 1
            context.abort(grpc.StatusCode.UNAVAILABLE, "lost it")
        yield DummyResponse(output="second")


def test_a_response_stream_is_retried_only_before_its_first_message() -> None:
    script, recorder = Script(unavailable(), unavailable()), Recorder()
    servicer = HalfStream(script, fail_after=1)
    with serve(lambda server: add_DummyServiceServicer_to_server(servicer, server), [], [retry(recorder)]) as channel:
        stub = DummyServiceStub(channel)
        call = stub.ExecuteServerStream(DummyRequest(input="go"), timeout=10)
        responses = [next(call).output]
        assert script.attempts == [None, "2", "3"]  # two failures before the first message
        with pytest.raises(grpc.RpcError) as caught:
            responses += [r.output for r in call]
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE  # after it: the caller's
        assert call.code() == grpc.StatusCode.UNAVAILABLE
        assert responses == ["first"]
        assert [r.output for r in stub.ExecuteServerStream(DummyRequest(input="go"), timeout=10)] == [
            "first",
            "second",
        ]
    assert len(recorder.waits) == 2


def test_stream_stream_passes_through() -> None:
    script, recorder = Script(unavailable()), Recorder()
    with client(script, retry(recorder)) as stub:
        call = stub.ExecuteClientServerStream(iter([DummyRequest(input="go")]))
        assert code_of(lambda: list(call)) == grpc.StatusCode.UNAVAILABLE
    assert script.attempts == [None]


def test_an_error_that_is_no_status_goes_to_the_caller_unretried() -> None:
    from grpc_interceptor import ClientInterceptor

    class Broken(ClientInterceptor):
        calls = 0

        def intercept(self, method: Any, request_or_iterator: Any, call_details: Any) -> Any:
            Broken.calls += 1
            raise RuntimeError("bug in an interceptor")

    script, recorder = Script(), Recorder()
    with dummy_client(special_cases={"go": script}, client_interceptors=[retry(recorder), Broken()]) as stub:
        with pytest.raises(RuntimeError, match="bug in an interceptor"):
            stub.Execute(DummyRequest(input="go"))
    assert Broken.calls == 1
    assert recorder.waits == []


# --- grpc.aio ---------------------------------------------------------------------------


def aio_client(script: Script, interceptor: Any) -> Any:
    return dummy_client(
        special_cases={"go": script},
        interceptors=[AsyncExceptionToStatusInterceptor()],
        client_interceptors=[interceptor],
        aio_server=True,
        aio_client=True,
    )


def aio_retry(recorder: Recorder, **options: Any) -> AsyncRetryInterceptor:
    options.setdefault("random", lambda: 0.5)
    return AsyncRetryInterceptor(sleep=recorder.asleep, clock=recorder.clock, **options)


async def test_aio_unary_and_stream_unary_are_retried() -> None:
    script, recorder = Script(unavailable(), unavailable()), Recorder()
    async with aio_client(script, aio_retry(recorder)) as stub:
        assert (await stub.Execute(DummyRequest(input="go"), metadata=(("k", "v"),))).output == "go"
        assert script.attempts == [None, "2", "3"]
        script.failures = [unavailable()]
        assert (await stub.ExecuteClientStream([DummyRequest(input="go")])).output == "go"
        assert script.attempts[3:] == [None, "2"]
        script.failures = [NotFound("gone")]
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Execute(DummyRequest(input="go"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert recorder.waits == pytest.approx([0.05, 0.1, 0.05])


async def test_aio_gives_up_within_the_deadline_and_on_a_no_retry_pushback() -> None:
    script, recorder = Script(*[unavailable() for _ in range(4)]), Recorder()
    interceptor = aio_retry(recorder, max_attempts=4, initial_backoff=0.8, random=lambda: 0.99)
    async with aio_client(script, interceptor) as stub:
        call = stub.Execute(DummyRequest(input="go"), timeout=2.0)
        with pytest.raises(grpc.aio.AioRpcError):
            await call
        assert await call.code() == grpc.StatusCode.UNAVAILABLE
        assert script.attempts == [None, "2"]
        script.failures = [unavailable(trailing_metadata=[("grpc-retry-pushback-ms", "-5")])]
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Execute(DummyRequest(input="go"))
        assert script.attempts[2:] == [None]


async def test_aio_response_stream_is_retried_before_its_first_message() -> None:
    script, recorder = Script(unavailable(), unavailable()), Recorder()
    async with aio_client(script, aio_retry(recorder)) as stub:
        call = stub.ExecuteServerStream(DummyRequest(input="go"))
        assert [r.output async for r in call] == ["g", "o"]
        assert await call.code() == grpc.StatusCode.OK
        assert script.attempts == [None, "2", "3"]
        script.failures = [unavailable() for _ in range(5)]
        call = stub.ExecuteServerStream(DummyRequest(input="go"))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [r async for r in call]
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert await call.code() == grpc.StatusCode.UNAVAILABLE
    assert script.attempts[3:] == [None, "2", "3"]


# --- Configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: RetryInterceptor(codes=grpc.StatusCode.UNAVAILABLE), TypeError, "codes must be a collection"),
        (lambda: RetryInterceptor(codes=["UNAVAILABLE"]), TypeError, "codes must hold grpc.StatusCode members"),
        (lambda: RetryInterceptor(codes=[grpc.StatusCode.OK]), ValueError, "must not hold grpc.StatusCode.OK"),
        (lambda: RetryInterceptor(codes=[]), ValueError, "codes is empty"),
        (lambda: RetryInterceptor(max_attempts=1), ValueError, "max_attempts must be 2 or more"),
        (lambda: RetryInterceptor(max_attempts=2.0), TypeError, "max_attempts must be an int"),
        (lambda: RetryInterceptor(initial_backoff=0), ValueError, "initial_backoff must be a finite number more"),
        (lambda: RetryInterceptor(max_backoff=0.05), ValueError, "must not be less than initial_backoff"),
        (lambda: RetryInterceptor(multiplier=0.5), ValueError, "multiplier must be a finite number at least 1"),
        (lambda: RetryInterceptor(multiplier="2"), TypeError, "multiplier must be a number"),
        (lambda: RetryInterceptor(sleep=1), TypeError, "sleep must be a function of seconds"),
        (lambda: AsyncRetryInterceptor(random=0.5), TypeError, "random must be a function of no arguments"),
        (lambda: AsyncRetryInterceptor(sleep=None), TypeError, "sleep must be a coroutine function"),
    ],
)
def test_configuration_is_checked_when_built(build: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()


class _Succeeded:
    """What grpc's sync continuation returns for a unary call that succeeded."""

    def exception(self) -> None:
        return None


class _GrpcDetails(grpc.ClientCallDetails):
    """Call details as grpc's sync channel builds them: not ours, so hooks would get a copy."""

    def __init__(self, timeout: float | None) -> None:
        self.method, self.timeout, self.metadata = "/pkg.Svc/M", timeout, None
        self.credentials, self.wait_for_ready, self.compression = None, None, None


def test_a_sync_call_that_succeeds_at_once_gets_grpc_s_own_details_and_one_clock_read() -> None:
    reads: list[int] = []

    def clock() -> float:
        reads.append(1)
        return 100.0

    given: list[Any] = []
    retry = RetryInterceptor(clock=clock)
    outcome = _Succeeded()
    for timeout in (None, 2.0):
        details = _GrpcDetails(timeout)
        assert retry.intercept_unary_unary(lambda d, r: given.append(d) or outcome, details, "request") is outcome
        assert given[-1] is details  # nothing built for the hooks
    assert len(reads) == 1  # only the call with a timeout reads the clock (its deadline)


def test_a_subclass_that_overrides_on_unary_unary_still_runs_it() -> None:
    seen: list[str] = []

    class Spied(RetryInterceptor):
        def on_unary_unary(self, method: Any, request: Any, call_details: Any) -> Any:
            seen.append(call_details.method)
            return super().on_unary_unary(method, request, call_details)

    outcome = _Succeeded()
    assert Spied().intercept_unary_unary(lambda d, r: outcome, _GrpcDetails(None), "request") is outcome
    assert seen == ["/pkg.Svc/M"]
