"""Proof that both checkers run this corpus in strict mode.

A parameter without annotation is an error only in strict mode: were a checker run
without it, the ignore comment below would be unused, which is an error too. The
line is not a case of the corpus and does not count towards its size.
"""


def unannotated(value) -> None:  # type: ignore[no-untyped-def]  # pyright: ignore[reportMissingParameterType, reportUnknownParameterType]
    pass
