"""Run the reading of an uploaded file in a forked process with caps, so a huge or hostile file costs that
process and never the server (issue 11: no input crashes the server or grows it without bound).

`run_capped(job, caps)` forks. The child
- closes every descriptor it inherited (the server's sockets, the store's files) except stdio and its pipe,
  and may open only a few files of its own (RLIMIT_NOFILE): enough to read the upload, never to pile up;
- refuses sockets and subprocesses (a `sys.addaudithook` hook), so a parser cannot be made to fetch anything;
- may allocate at most `caps.memory` bytes more than it inherited (RLIMIT_DATA: the private writable memory
  it maps; what it shares with the server copy-on-write is not counted) and use `caps.cpu` seconds of CPU;
- runs `job()` and sends back its result, or the exception it raised (an OrgDataError keeps file, row and
  column), pickled, at most `caps.result` bytes.
The parent waits at most `caps.wall` seconds for it, then SIGKILLs it. What the server keeps is the result;
everything the parse allocated goes away with the child.

Inputs reach the child through the fork (copy-on-write memory), so a job is any callable: nothing but the
result is copied. Fork under `quiet` (the store's lock, when it has one) so no other thread of the server is
inside the store at that moment; the child only reads in-memory data it inherited. Another lock some thread
held at the fork stays held in the child: the ones a job can meet are a few short memo-table sections, and a
child stuck on one is stopped at the wall limit like a slow one (503, try again), the server unaffected.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import select
import signal
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: descriptors a child may open beside stdio and its pipe (the upload, a workbook's archive, a module file)
CHILD_FILES = 8
_PIPE_FD = 3
#: audit events a child refuses: anything that could reach the network or start a program
_REFUSED = ("socket.", "subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "os.fork", "urllib.")


@dataclass(frozen=True)
class Caps:
    """What one child may use."""

    memory: int = 2 * 1024**3  # bytes of private memory beyond what it inherited
    cpu: int = 120  # seconds of CPU
    wall: float = 180.0  # seconds the parent waits
    result: int = 128 * 1024**2  # bytes of the pickled result


class WorkerLimit(Exception):
    """The child went over a cap or stopped without an answer. `kind`: memory, time, result or crash."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def run_capped(job: Callable[[], T], caps: Caps, quiet: AbstractContextManager[Any] | None = None) -> T:
    """`job()` in a forked child within `caps`: its result, or the exception it raised, or WorkerLimit."""
    read_fd, write_fd = os.pipe()
    try:
        with quiet if quiet is not None else contextlib.nullcontext():
            pid = os.fork()
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child: never return into the caller's code
        code = 0
        try:
            os.close(read_fd)
            _child(job, write_fd, caps)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        payload = _receive(read_fd, pid, caps)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if payload is None:
        raise _why(status, caps)
    kind, value = pickle.loads(payload)
    if kind == "ok":
        return value
    if kind == "memory":
        raise WorkerLimit("memory", f"reading it needs more than the {caps.memory // 1024**2} MiB an upload may use")
    raise value


def _receive(fd: int, pid: int, caps: Caps) -> bytes | None:
    """The child's whole message (None when it ended or was killed without one)."""
    deadline = time.monotonic() + caps.wall
    chunks: list[bytes] = []
    size = 0
    poll = select.poll()  # not select(): a busy server's descriptors may be numbered past FD_SETSIZE
    poll.register(fd, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            raise WorkerLimit("time", f"reading it took longer than {caps.wall:g} s")
        if not poll.poll(remaining * 1000):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks) or None
        size += len(chunk)
        if size > caps.result:
            os.kill(pid, signal.SIGKILL)
            raise WorkerLimit("result", f"what it makes is over {caps.result // 1024**2} MiB")
        chunks.append(chunk)


def _why(status: int, caps: Caps) -> WorkerLimit:
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return WorkerLimit("time", f"reading it took more than {caps.cpu} s of CPU")
    if os.WIFSIGNALED(status):
        return WorkerLimit("crash", f"the process reading it stopped (signal {os.WTERMSIG(status)}); "
                                    "it may need more memory than an upload may use")
    return WorkerLimit("crash", f"the process reading it stopped (exit status {os.waitstatus_to_exitcode(status)})")


def _child(job: Callable[[], object], fd: int, caps: Caps) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    inherited = _private_memory()
    if fd != _PIPE_FD:
        os.dup2(fd, _PIPE_FD)
    os.closerange(_PIPE_FD + 1, _max_fd())
    _limit(resource.RLIMIT_NOFILE, _PIPE_FD + 1 + CHILD_FILES)
    if inherited:  # else /proc could not tell what it holds: a cap from zero would refuse everything
        _limit(resource.RLIMIT_DATA, inherited + caps.memory)
    _limit(resource.RLIMIT_CPU, caps.cpu)
    sys.addaudithook(_refuse_outside)
    out_of_memory = pickle.dumps(("memory", None))  # made now: when it is needed, nothing more may be allocated
    try:
        message = pickle.dumps(("ok", job()), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        message = out_of_memory
    except BaseException as e:  # every failure goes back to the parent, which re-raises it
        message = _failure(e, out_of_memory)
    view = memoryview(message)
    while view:
        view = view[os.write(_PIPE_FD, view):]


def _failure(e: BaseException, out_of_memory: bytes) -> bytes:
    try:
        try:
            return pickle.dumps(("err", e), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that does not pickle: its text
            return pickle.dumps(("err", RuntimeError(f"{type(e).__name__}: {e}")))
    except MemoryError:
        return out_of_memory


def _refuse_outside(event: str, _args: tuple[object, ...]) -> None:
    if event.startswith(_REFUSED):
        raise PermissionError(f"an upload's parser may not use {event}")


def _limit(which: int, soft: int) -> None:
    _old, hard = resource.getrlimit(which)
    resource.setrlimit(which, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _private_memory() -> int:
    """VmData of this process in bytes (what RLIMIT_DATA counts), 0 when /proc cannot tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 65536)
    except (ValueError, OSError):
        return 4096


__all__ = ["Caps", "WorkerLimit", "run_capped"]
