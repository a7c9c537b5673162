"""The four RPC kinds, named once: everything that differs by kind is read from this table.

A kind is the pair (request streaming, response streaming). For each, grpc has a
handler attribute and a handler builder on the server, an interceptor class and method
on the sync client and an interceptor class on the grpc.aio client; this library has a
typed hook, and a finished-call class for answers a grpc.aio client hook gives without
a call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple, TypeAlias

import grpc
import grpc.aio

from grpc_interceptor._client_aio import (
    AnsweredStreamStreamCall,
    AnsweredStreamUnaryCall,
    AnsweredUnaryStreamCall,
    AnsweredUnaryUnaryCall,
)

__all__ = ["BY_HOOK", "BY_STREAMING", "KINDS", "Kind", "SyncClientInterceptor"]


#: grpc's sync client interceptor classes; an object may implement several kinds.
SyncClientInterceptor: TypeAlias = (
    grpc.UnaryUnaryClientInterceptor
    | grpc.UnaryStreamClientInterceptor
    | grpc.StreamUnaryClientInterceptor
    | grpc.StreamStreamClientInterceptor
)

_ClientInterceptorClass: TypeAlias = (
    type[grpc.UnaryUnaryClientInterceptor]
    | type[grpc.UnaryStreamClientInterceptor]
    | type[grpc.StreamUnaryClientInterceptor]
    | type[grpc.StreamStreamClientInterceptor]
)


class Kind(NamedTuple):
    """What one RPC kind is called and built with, on each side."""

    name: str  # "unary_unary": grpc's handler attribute for it, too
    request_streaming: bool
    response_streaming: bool
    hook: str  # the typed hook of all four bases: "on_unary_unary"
    builder: Callable[..., Any]  # grpc.unary_unary_rpc_method_handler
    client_method: str  # "intercept_unary_unary", of grpc's client interceptor classes
    client_interceptor: _ClientInterceptorClass  # grpc.UnaryUnaryClientInterceptor
    aio_client_interceptor: type  # grpc.aio.UnaryUnaryClientInterceptor
    answered_call: type  # what a grpc.aio client hook's answer without a call becomes


KINDS: Final = (
    Kind(
        "unary_unary",
        False,
        False,
        "on_unary_unary",
        grpc.unary_unary_rpc_method_handler,
        "intercept_unary_unary",
        grpc.UnaryUnaryClientInterceptor,
        grpc.aio.UnaryUnaryClientInterceptor,
        AnsweredUnaryUnaryCall,
    ),
    Kind(
        "unary_stream",
        False,
        True,
        "on_unary_stream",
        grpc.unary_stream_rpc_method_handler,
        "intercept_unary_stream",
        grpc.UnaryStreamClientInterceptor,
        grpc.aio.UnaryStreamClientInterceptor,
        AnsweredUnaryStreamCall,
    ),
    Kind(
        "stream_unary",
        True,
        False,
        "on_stream_unary",
        grpc.stream_unary_rpc_method_handler,
        "intercept_stream_unary",
        grpc.StreamUnaryClientInterceptor,
        grpc.aio.StreamUnaryClientInterceptor,
        AnsweredStreamUnaryCall,
    ),
    Kind(
        "stream_stream",
        True,
        True,
        "on_stream_stream",
        grpc.stream_stream_rpc_method_handler,
        "intercept_stream_stream",
        grpc.StreamStreamClientInterceptor,
        grpc.aio.StreamStreamClientInterceptor,
        AnsweredStreamStreamCall,
    ),
)

#: The kind of (request streaming, response streaming), as a handler's flags say.
BY_STREAMING: Final = {(kind.request_streaming, kind.response_streaming): kind for kind in KINDS}
#: The kind of each typed hook.
BY_HOOK: Final = {kind.hook: kind for kind in KINDS}
