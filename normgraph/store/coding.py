"""The content coding a response may take, for a store that can apply it where the answer is made.

The server compresses big bodies for clients that accept gzip (normgraph/server/results.py). Uncached, a
GuardedStore's answer is made in a query worker process; compressing it there sends a few hundred KB through
the pipe instead of megabytes, and takes the compression off the server process (its threads share one GIL).
The server marks the call with `gzip_wanted(...)`; a store that applied it sets `applied`, and the body it
returns is then the gzip encoding. A store that does not know this (remote, sandboxed) leaves `applied`
False and returns the plain body, which the server compresses itself. Only the caller that set the mark
ever sees a compressed body.
"""

from __future__ import annotations

import contextlib
import contextvars
import gzip
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Gzip:
    """Compress a body of at least `min_bytes` at `level` (deterministic: mtime 0)."""

    min_bytes: int
    level: int
    applied: bool = False

    def encode(self, body: bytes) -> bytes | None:
        """The gzip encoding of a big body, or None for a small one."""
        if len(body) < self.min_bytes:
            return None
        return gzip.compress(body, compresslevel=self.level, mtime=0)


_WANTED: contextvars.ContextVar[Gzip | None] = contextvars.ContextVar("normgraph_gzip_wanted", default=None)


@contextlib.contextmanager
def gzip_wanted(min_bytes: int, level: int) -> Iterator[Gzip]:
    """Inside, a store may return the gzip encoding of a big body (and then sets `applied`)."""
    wanted = Gzip(min_bytes, level)
    token = _WANTED.set(wanted)
    try:
        yield wanted
    finally:
        _WANTED.reset(token)


def wanted_gzip() -> Gzip | None:
    """The mark of the current call, if its caller takes a compressed body."""
    return _WANTED.get()


__all__ = ["Gzip", "gzip_wanted", "wanted_gzip"]
