"""Prometheus metrics for gRPC servers and clients, sync and grpc.aio.

Needs the ``metrics`` extra (``pip install "grpc-interceptor[metrics]"``), for
prometheus-client. The metric and label names are those of go-grpc-prometheus (and
py-grpc-prometheus), so that existing dashboards and alerts work unchanged:

======================================  =========  ==================================
metric                                  type       what
======================================  =========  ==================================
``grpc_server_started_total``           counter    RPCs started on the server
``grpc_server_handled_total``           counter    RPCs finished, by ``grpc_code``
``grpc_server_msg_received_total``      counter    request messages received
``grpc_server_msg_sent_total``          counter    response messages sent
``grpc_server_handling_seconds``        histogram  time from start to end of the RPC
======================================  =========  ==================================

The client side has the same five with ``grpc_client_`` (``msg_sent`` counts the
requests, ``msg_received`` the responses). Every metric has the labels ``grpc_type``
(``unary``, ``client_stream``, ``server_stream``, ``bidi_stream``), ``grpc_service``
(``package.Service``) and ``grpc_method`` (``Method``); ``handled_total`` has
``grpc_code`` too (``OK``, ``NOT_FOUND``, ...), the status the other side gets, however
the RPC ended (see the guide's "Observability" page).

Interceptors built on the same registry share its metrics: a sync and a grpc.aio
server in one process, or a server and a client, count into the same series.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Sequence
from typing import Any, Final

import grpc

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "grpc_interceptor.metrics needs prometheus-client; install it with pip install 'grpc-interceptor[metrics]'"
    ) from _missing

from grpc_interceptor._observe import (
    ObservingAsyncClientInterceptor,
    ObservingAsyncServerInterceptor,
    ObservingClientInterceptor,
    ObservingServerInterceptor,
    Rpc,
    split_method,
)

__all__ = [
    "DEFAULT_BUCKETS",
    "AsyncMetricsClientInterceptor",
    "AsyncMetricsInterceptor",
    "MetricsClientInterceptor",
    "MetricsInterceptor",
]

#: The histogram buckets of prometheus-client (and of go-grpc-prometheus), in seconds.
DEFAULT_BUCKETS: Final[tuple[float, ...]] = tuple(Histogram.DEFAULT_BUCKETS)

_LABELS: Final = ("grpc_type", "grpc_service", "grpc_method")


class _Metrics:
    """The five collectors of one side (server or client) in one registry."""

    def __init__(self, side: str, registry: CollectorRegistry, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        who = "server" if side == "server" else "client"
        self.started = Counter(
            f"grpc_{side}_started", f"Total number of RPCs started on the {who}.", _LABELS, registry=registry
        )
        self.handled = Counter(
            f"grpc_{side}_handled",
            f"Total number of RPCs completed on the {who}, regardless of success or failure.",
            (*_LABELS, "grpc_code"),
            registry=registry,
        )
        received, sent = ("request", "response") if side == "server" else ("response", "request")
        self.received = Counter(
            f"grpc_{side}_msg_received",
            f"Total number of RPC stream messages ({received}s) received on the {who}.",
            _LABELS,
            registry=registry,
        )
        self.sent = Counter(
            f"grpc_{side}_msg_sent",
            f"Total number of gRPC stream messages ({sent}s) sent by the {who}.",
            _LABELS,
            registry=registry,
        )
        self.seconds = Histogram(
            f"grpc_{side}_handling_seconds",
            f"Histogram of the time (seconds) RPCs took until the {who} had finished them.",
            _LABELS,
            registry=registry,
            buckets=buckets,
        )


# One set of collectors per registry and side: prometheus-client refuses a second
# collector of the same name in a registry, and sharing them is what users want.
_SHARED: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, _Metrics]] = weakref.WeakKeyDictionary()
_SHARED_LOCK: Final = threading.Lock()


def _metrics_for(side: str, registry: CollectorRegistry, buckets: tuple[float, ...]) -> _Metrics:
    with _SHARED_LOCK:
        sides = _SHARED.setdefault(registry, {})
        metrics = sides.get(side)
        if metrics is None:
            metrics = sides[side] = _Metrics(side, registry, buckets)
        elif metrics.buckets != buckets:
            raise ValueError(
                f"buckets: this registry already has grpc_{side}_handling_seconds with buckets "
                f"{metrics.buckets}, not {buckets}; pass the same buckets to every interceptor "
                "of one registry, or give this one a registry of its own"
            )
        return metrics


def _checked_buckets(buckets: Sequence[float] | None) -> tuple[float, ...]:
    if buckets is None:
        return DEFAULT_BUCKETS
    if isinstance(buckets, str | bytes) or not isinstance(buckets, Sequence):
        raise TypeError(f"buckets: expected a sequence of upper bounds in seconds, got {type(buckets).__name__}")
    values: list[float] = []
    for bound in buckets:
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise TypeError(f"buckets: expected numbers (seconds), got {bound!r}")
        values.append(float(bound))
    if not values or any(later <= earlier for earlier, later in itertools.pairwise(values)):
        raise ValueError(f"buckets: expected at least one bound, in increasing order, got {list(buckets)!r}")
    if values[-1] != float("inf"):
        values.append(float("inf"))
    return tuple(values)


class _Series:
    """The children of one method's series, looked up once instead of on every RPC."""

    __slots__ = ("_handled", "_labels", "_metrics", "received", "seconds", "sent", "started")

    def __init__(self, metrics: _Metrics, labels: tuple[str, str, str]) -> None:
        self._metrics = metrics
        self._labels = labels
        self.started = metrics.started.labels(*labels)
        self.received = metrics.received.labels(*labels)
        self.sent = metrics.sent.labels(*labels)
        self.seconds = metrics.seconds.labels(*labels)
        self._handled: dict[grpc.StatusCode, Any] = {}

    def handled(self, code: grpc.StatusCode) -> Any:
        child = self._handled.get(code)
        if child is None:
            child = self._handled[code] = self._metrics.handled.labels(*self._labels, code.name)
        return child


#: How many methods' series an interceptor keeps at hand; past that (a server whose
#: generic handler makes up method names), the series are looked up on every RPC.
_SERIES_LIMIT: Final = 4096


class _Settings:
    """What every metrics interceptor is built with, checked when it is built."""

    _side = "server"
    _metrics: _Metrics | None = None
    _series: dict[tuple[str, str], _Series] | None = None

    def __init__(self, registry: CollectorRegistry | None = None, *, buckets: Sequence[float] | None = None) -> None:
        """Register the metrics, or find those already in the registry.

        Args:
            registry: Where the metrics go: by default prometheus-client's global
                ``REGISTRY``. Tests pass a ``CollectorRegistry()`` of their own.
            buckets: Upper bounds of the ``handling_seconds`` histogram, in
                seconds, increasing (``+Inf`` is added). By default
                prometheus-client's, ``0.005`` to ``10``.

        Raises:
            TypeError: If ``registry`` is not a ``CollectorRegistry`` or ``buckets``
                not a sequence of numbers.
            ValueError: If ``buckets`` is empty or not increasing, or the registry
                already has these metrics with other buckets.
        """
        if registry is None:
            registry = REGISTRY
        elif not isinstance(registry, CollectorRegistry):
            raise TypeError(f"registry: expected a prometheus_client.CollectorRegistry, got {type(registry).__name__}")
        self._metrics = _metrics_for(self._side, registry, _checked_buckets(buckets))

    def _series_of(self, rpc: Rpc) -> _Series:
        series = self._series
        if series is None:
            series = self._series = {}
        key = (rpc.method, rpc.grpc_type)
        found = series.get(key)
        if found is None:
            metrics = self._metrics
            if metrics is None:  # a subclass that skipped __init__: the default registry
                metrics = self._metrics = _metrics_for(self._side, REGISTRY, DEFAULT_BUCKETS)
            service, name = split_method(rpc.method)
            found = _Series(metrics, (rpc.grpc_type, service, name))
            if len(series) < _SERIES_LIMIT:
                series[key] = found
        return found

    def _rpc_started(self, rpc: Rpc) -> None:
        series = rpc.state = self._series_of(rpc)
        series.started.inc()

    def _message_received(self, rpc: Rpc) -> None:
        rpc.received += 1
        rpc.state.received.inc()

    def _message_sent(self, rpc: Rpc) -> None:
        rpc.sent += 1
        rpc.state.sent.inc()

    def _rpc_finished(self, rpc: Rpc, code: grpc.StatusCode) -> None:
        series: _Series = rpc.state
        series.handled(code).inc()
        series.seconds.observe(rpc.duration)


class MetricsInterceptor(_Settings, ObservingServerInterceptor):
    """Count the RPCs of a sync ``grpc.server`` in Prometheus metrics.

    Put it first in the list, so that ``grpc_code`` is the status the client gets
    from the interceptors after it. The metrics are described in
    :mod:`grpc_interceptor.metrics`.

    Example:
        >>> from prometheus_client import CollectorRegistry
        >>> from grpc_interceptor.testing import DummyRequest, dummy_client
        >>> registry = CollectorRegistry()
        >>> with dummy_client({}, [MetricsInterceptor(registry)]) as client:
        ...     _ = client.Execute(DummyRequest(input="hi"))
        >>> labels = {"grpc_type": "unary", "grpc_service": "DummyService",
        ...           "grpc_method": "Execute"}
        >>> registry.get_sample_value("grpc_server_handled_total", {**labels, "grpc_code": "OK"})
        1.0
    """

    _side = "server"


class AsyncMetricsInterceptor(_Settings, ObservingAsyncServerInterceptor):
    """Count the RPCs of a ``grpc.aio.server`` in Prometheus metrics.

    The grpc.aio twin of :class:`MetricsInterceptor`, built with the same arguments.
    """

    _side = "server"


class MetricsClientInterceptor(_Settings, ObservingClientInterceptor):
    """Count the calls of a sync channel (``grpc.intercept_channel``) in Prometheus metrics.

    The ``grpc_client_*`` metrics. A call with a streaming response is handled when
    its last response has been read, or when it fails or is cancelled.
    """

    _side = "client"


class AsyncMetricsClientInterceptor(_Settings, ObservingAsyncClientInterceptor):
    """Count the calls of a grpc.aio channel in Prometheus metrics.

    Install it with :func:`grpc_interceptor.aio_channel_interceptors`.
    """

    _side = "client"
