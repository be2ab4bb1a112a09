"""Stopping a waitress server without writing into descriptors it no longer owns.

waitress wakes its main loop by writing the byte "x" to a pipe (its trigger), by descriptor number. A
request thread does so at the end of every request, after the answer has gone out; `server.close()`
closes the pipe and does not wait for those threads. One that pulls after the close writes its "x" into
whatever file has been given that number since: in a process that goes on (the tests, a program serving
several apps) another server's new connection, whose client then read "xHTTP/1.1 200 OK" (a fresh-clone
CI failure of tests/test_hostile.py, on a loaded machine); at `normgraph serve`'s end, a file the store
writes as it closes.

`stop_server` stops taking connections, lets the requests in progress finish (at most `wait` seconds),
and closes the pipe only once no request thread is left; when one still runs, the pipe stays open (two
descriptors) rather than be reused under it.
"""

from __future__ import annotations

from waitress import wasyncore
from waitress.server import BaseWSGIServer, MultiSocketServer

#: how long a stop waits for the requests in progress
STOP_WAIT = 5.0


def stop_server(server: BaseWSGIServer | MultiSocketServer, *, wait: float = STOP_WAIT) -> bool:
    """Stop `server` (what waitress.server.create_server made); True when no request thread was left."""
    # with several listening sockets, each is a server in the shared map, with a trigger of its own
    listeners = ([server] if isinstance(server, BaseWSGIServer)
                 else [s for s in list(server.map.values()) if isinstance(s, BaseWSGIServer)])
    for listener in listeners:
        wasyncore.dispatcher.close(listener)  # the listening socket only: BaseWSGIServer.close closes the trigger too
    dispatcher = server.task_dispatcher
    dispatcher.shutdown(timeout=wait)  # each thread ends after its request; what is still queued is cancelled
    if dispatcher.threads:
        return False
    for listener in listeners:
        listener.trigger.close()
    return True


__all__ = ["STOP_WAIT", "stop_server"]
