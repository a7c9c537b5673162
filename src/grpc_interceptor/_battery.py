"""What the ready-made interceptors share to build their handler once per method.

A battery that can decide per method what it does for an RPC (nothing, or one check)
builds that into the handler itself, in ``_grpc_interceptor_wrap``, instead of going
through its hooks on every RPC. It may do so only where its own hook is the one that
would run: a subclass that overrides the hook (or the catch-all ``intercept``) must see
its RPCs as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grpc_interceptor._hooks import HOOK_FOR_KIND, pick_hook
from grpc_interceptor._matching import match

__all__ = ["runs_own_hook"]


def runs_own_hook(interceptor: object, base: type, handler: Any, method_name: str, own: Callable[..., Any]) -> bool:
    """Tell whether ``own`` is the hook that runs for this method's kind, and the interceptor applies.

    Args:
        interceptor: The battery.
        base: ``ServerInterceptor`` or ``AsyncServerInterceptor``.
        handler: The method's handler.
        method_name: The method, ``/package.Service/Method``.
        own: The battery's hook function for the method's kind (``Cls.on_unary_unary``,
            or ``Cls.intercept`` for a catch-all).
    """
    hook, _ = pick_hook(interceptor, base, HOOK_FOR_KIND[handler.request_streaming, handler.response_streaming])
    if getattr(hook, "__func__", None) is not own:
        return False
    # A mistyped subclass: the base's wrap decides what it gets.
    return match(interceptor, base, handler, method_name).applies
