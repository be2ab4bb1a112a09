"""A real OpenLink Virtuoso 7 for tests: `virtuoso-t +foreground` from its own ini file in a temp folder.

Its data folder, its SQL port and its HTTP port (both bound to 127.0.0.1, chosen free) are the test's
own; nothing of the Debian package's default instance (/var/lib/virtuoso-opensource-7/db) is used.
A user with the SPARQL_UPDATE role is made through isql-vt, for the Digest-authenticated endpoints::

    from virtuoso_server import virtuoso  # noqa: F401  (session-scoped fixture)

    def test_something(virtuoso):
        store = virtuoso.store()            # RemoteStore, profile "virtuoso", Digest, writes via /sparql-auth
        ...

`make install-test` installs the server (`virtuoso-opensource`); tests using it are marked `remote`.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from normgraph.store.remote import RemoteStore

try:
    from oxigraph_server import free_port
except ImportError:  # pragma: no cover - tests/ imported as a package
    from tests.oxigraph_server import free_port  # type: ignore[no-redef]

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
#: the Debian package's web root (the SPARQL endpoints are built in; this only serves its start page)
VSP = Path("/var/lib/virtuoso-opensource-7/vsp")
USER = "normgraph"
PASSWORD = "normgraph-test-secret"
DBA_PASSWORD = "dba-test-secret"

INI = """\
[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
AllowOSCalls = 0
DirsAllowed = {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {vsp}
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
; the default (10000) silently truncates answers: the knowledge's bigger queries return more rows
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""

SETUP_SQL = f"""\
DB.DBA.USER_CREATE ('{USER}', '{PASSWORD}');
GRANT SPARQL_UPDATE TO "{USER}";
USER_SET_PASSWORD ('dba', '{DBA_PASSWORD}');
"""


@dataclass
class VirtuosoServer:
    process: subprocess.Popen[bytes]
    base_url: str
    sql_port: int
    folder: Path
    startup_seconds: float = 0.0

    @property
    def query_url(self) -> str:
        """Anonymous, read-only."""
        return f"{self.base_url}/sparql"

    @property
    def auth_url(self) -> str:
        """Queries and updates, HTTP Digest, a user with the SPARQL_UPDATE role."""
        return f"{self.base_url}/sparql-auth"

    @property
    def store_url(self) -> str:
        """The Graph Store Protocol endpoint (`?graph=IRI`), HTTP Digest."""
        return f"{self.base_url}/sparql-graph-crud-auth"

    def store(self, *, gsp: bool = False, **options: object) -> RemoteStore:
        """A RemoteStore on it: reads from /sparql, updates to /sparql-auth, graphs loaded through the GSP
        endpoint (given when `gsp`, else found by the profile; `profile=` may give another)."""
        options.setdefault("profile", "virtuoso")
        return RemoteStore(self.query_url, update_endpoint=self.auth_url,
                           graph_store=self.store_url if gsp else None, user=USER,
                           password=PASSWORD, **options)  # type: ignore[arg-type]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM makes Virtuoso checkpoint and exit; SIGKILL if it does not within 30 s."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGKILL)
                self.process.wait(10)


def _wait_until_up(server: VirtuosoServer, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        if not server.alive():
            log = (server.folder / "virtuoso.log")
            raise RuntimeError(f"virtuoso-t exited with {server.process.returncode}: "
                               f"{log.read_text(errors='replace')[-2000:] if log.exists() else ''}")
        try:
            with urllib.request.urlopen(f"{server.query_url}?query=ASK%7B%7D", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            last = str(e)
        time.sleep(0.2)
    raise RuntimeError(f"virtuoso-t did not answer at {server.base_url} in time ({last})")


@contextmanager
def virtuoso_server(folder: Path | None = None, *, startup: float = 120.0) -> Iterator[VirtuosoServer]:
    """Start Virtuoso from its own ini in `folder` (a temp dir when None), make the test user, always stop it."""
    if VIRTUOSO is None or ISQL is None:
        pytest.fail("Virtuoso is not installed (make install-test installs `virtuoso-opensource`)")
    tmp = None if folder else tempfile.mkdtemp(prefix="virtuoso-")
    where = Path(folder) if folder else Path(tmp)  # type: ignore[arg-type]
    where.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for attempt in range(3):  # a port could be taken between free_port() and bind
        sql, http = free_port(), free_port()
        ini = where / "virtuoso.ini"
        ini.write_text(INI.format(d=where, sql=sql, http=http, vsp=VSP))
        proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=where,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = VirtuosoServer(proc, f"http://127.0.0.1:{http}", sql, where)
        try:
            _wait_until_up(server, time.monotonic() + startup)
            break
        except RuntimeError:
            server.stop()
            for f in where.glob("virtuoso*"):
                f.unlink()
            if attempt == 2:
                raise
    try:
        script = where / "setup.sql"
        script.write_text(SETUP_SQL)
        done = subprocess.run([ISQL, f"127.0.0.1:{server.sql_port}", "dba", "dba", str(script)],
                              capture_output=True, timeout=60, check=False)
        if done.returncode != 0 or b"Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt setup failed: {(done.stdout + done.stderr).decode(errors='replace')}")
        server.startup_seconds = time.monotonic() - started
        yield server
    finally:
        server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def virtuoso() -> Iterator[VirtuosoServer]:
    """One Virtuoso for the whole test session (its start-up is the slow part); tests clean up their graphs."""
    with virtuoso_server() as server:
        yield server
