"""Helpers for never leaving half-written state on disk.

The embedded store itself is transactional (Oxigraph on RocksDB: `Store.load` and `Store.update`
commit as one write batch, so a crash leaves the old or the new state). Oxigraph 0.5's bulk loader,
which EmbeddedStore uses for a file loaded into a new graph of an on-disk store, commits once at the end
too: a file with a syntax error on its last line (2.5 million triples before it) left the store empty. Files normgraph writes next
to it (dumps) go through `atomic_write_bytes`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the complete new one.

    Temp file in the same directory, fsync, rename over the target, fsync the directory.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
