# pyperf ships no annotations; the benchmarks use only this much of it.
import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

class Benchmark:
    def get_name(self) -> str: ...
    def get_values(self) -> tuple[float, ...]: ...
    def get_metadata(self) -> Mapping[str, Any]: ...

class BenchmarkSuite:
    @classmethod
    def load(cls, file: str) -> BenchmarkSuite: ...
    def get_benchmarks(self) -> list[Benchmark]: ...

class Runner:
    argparser: argparse.ArgumentParser
    metadata: dict[str, str]
    def __init__(
        self,
        values: int | None = ...,
        processes: int | None = ...,
        loops: int = ...,
        min_time: float = ...,
        metadata: Mapping[str, str] | None = ...,
        show_name: bool = ...,
        program_args: Sequence[str] | None = ...,
        add_cmdline_args: Callable[[list[str], argparse.Namespace], None] | None = ...,
        _argparser: argparse.ArgumentParser | None = ...,
        warmups: int = ...,
        hooks: Sequence[str] | None = ...,
    ) -> None: ...
    def parse_args(self, args: Sequence[str] | None = ...) -> argparse.Namespace: ...
    def bench_time_func(
        self, name: str, time_func: Callable[..., float], *args: Any, inner_loops: int | None = ..., **kwargs: Any
    ) -> Benchmark | None: ...
