"""Public pages while one organisation writes, or while clients defeat the result cache: what it costs everyone else.

`python -m bench.bench_epochs [--seconds 20] [--rounds 2] [--interval 1.0] [--reference REV]`: starts two
`normgraph serve --examples` (waitress, 8 threads, 2 query workers) on loopback ports: this checkout's code,
and the code of git revision REV (default: the merge-base with `main`; extracted with `git archive`) as the
reference, each with its own principal database (hospital's editor, fintech's viewer). Each is measured in
turns (`--rounds` slices of --seconds per phase, both servers alike), in three phases:

* quiet: one reader loops over the anonymous public pages (/, search, a catalog, the matrix) and fintech's
  viewer's SoA page, all warm;
* writing: the same, while hospital's editor POSTs one triple to hospital's graph every --interval seconds
  (attack A11; a bulk import by one organisation looks the same to everyone else);
* dates: the same, while --clients anonymous clients loop on /api/queries/applicability-conditions?on=<a date
  not asked for before> (attack A4: a free parameter defeats the result cache).

Reports each page's median and p90 per server and phase, the ratio busy / quiet per server and the ratio
reference / this code per phase, and how the date clients were answered. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from normgraph.access import Registry
from normgraph.iri import NGG

HERE = Path(__file__).resolve().parent.parent
HOSPITAL = f"{NGG}org/hospital"
#: what runs beside the reader: nothing, hospital's writes, the date clients
PHASES = ("quiet", "writing", "dates")
#: (name, path, who): what the reader asks for, in turn
PAGES = (("home /", "/", None), ("search", "/explore/search?q=supplier", None),
         ("catalog", "/explore/catalog/iso27001-2022", None), ("matrix", "/explore/matrix", None),
         ("fintech SoA", "/org/fintech/soa?today=2026-12-01", "finview"))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reference_tree(rev: str, into: Path) -> Path:
    """The code and knowledge of git revision `rev`, extracted under `into`."""
    archive = subprocess.run(["git", "-C", str(HERE), "archive", rev, "normgraph", "ontology", "data", "shapes", "queries"],
                             check=True, capture_output=True).stdout
    tree = into / "reference"
    tree.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="tar")
    return tree


def principals(db: Path) -> dict[str, str]:
    """hospital's editor and fintech's viewer in a new principal database; their bearer tokens."""
    registry = Registry(db)
    tokens = {}
    for name, org, role in (("hosped", "hospital", "editor"), ("finview", "fintech", "viewer")):
        registry.add(name)
        registry.grant(name, org, role)
        tokens[name] = registry.new_token(name)
    return tokens


@contextmanager
def server(code: Path, work: Path, label: str) -> Iterator[tuple[str, dict[str, str]]]:
    """(base URL, tokens) of `normgraph serve --examples` running `code`'s normgraph."""
    db = work / f"{label}.sqlite"
    tokens = principals(db)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "NORMGRAPH_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "normgraph", "serve", "--examples", "--port", str(port),
                             "--threads", "8", "--access", str(db), "--timeout", "30"],
                            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{label}: the server exited early")
            try:
                requests.get(base + "/", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{label}: the server did not come up") from None
                time.sleep(0.5)
        yield base, tokens
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


#: answers other than 200 seen by the reader: (server, page, status, start of the body)
ERRORS: list[tuple[str, str, int, str]] = []


def get(base: str, path: str, token: str | None, label: str = "") -> float:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    r = requests.get(base + path, headers=headers, timeout=120)
    if r.status_code != 200:
        ERRORS.append((label, path, r.status_code, r.text[:200]))
    return time.perf_counter() - started


Load = Callable[[str, dict[str, str], str, threading.Event], None]


def hospital_writes(interval: float, counter: list[int]) -> Load:
    """hospital's editor POSTs one triple to its graph every `interval` seconds (attack A11)."""
    def run(base: str, tokens: dict[str, str], label: str, stop: threading.Event) -> None:
        auth = {"Authorization": f"Bearer {tokens['hosped']}", "Content-Type": "application/n-triples"}
        while not stop.is_set():
            counter[0] += 1
            n = counter[0]
            body = (f"<https://w3id.org/normgraph/id/org/hospital/evidence/BENCH-{n}> "
                    f"<http://www.w3.org/2000/01/rdf-schema#label> \"bench write {n}\" .\n")
            r = requests.post(f"{base}/store", params={"graph": HOSPITAL}, data=body.encode(), headers=auth, timeout=120)
            if r.status_code >= 300:
                ERRORS.append((label, "POST /store", r.status_code, r.text[:200]))
            stop.wait(interval)
    return run


#: the date clients, in a process of their own (their requests must not share the measuring reader's GIL)
DATE_CLIENTS = """
import collections, datetime as dt, itertools, json, sys, threading, time
import requests
base, clients, seconds, first = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
days, statuses, end = itertools.count(first), collections.Counter(), time.monotonic() + seconds
def one():
    with requests.Session() as session:
        while time.monotonic() < end:
            on = dt.date(2026, 1, 1) + dt.timedelta(days=next(days) % 2_000_000)
            try:
                r = session.get(base + "/api/queries/applicability-conditions", params={"on": on.isoformat()}, timeout=120)
                statuses[r.status_code] += 1  # (an attacker does not wait for Retry-After)
            except requests.RequestException:
                statuses[0] += 1
threads = [threading.Thread(target=one) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(statuses))
"""


def date_clients(clients: int, seconds: float, statuses: dict[str, Counter[int]]) -> Load:
    """`clients` anonymous clients each looping for `seconds` on a named query with a date nobody asked for before
    (attack A4), in a process of their own."""
    first = itertools.count(0, 100_000)

    def run(base: str, tokens: dict[str, str], label: str, stop: threading.Event) -> None:
        out = subprocess.run([sys.executable, "-c", DATE_CLIENTS, base, str(clients), str(seconds), str(next(first))],
                             capture_output=True, text=True, timeout=seconds + 300)
        for status, n in json.loads(out.stdout or "{}").items():
            statuses[label][int(status)] += n
    return run


def measure(base: str, tokens: dict[str, str], seconds: float, load: Load | None, label: str) -> dict[str, list[float]]:
    """Each page's latencies over `seconds`, while `load` runs (None: quiet)."""
    stop = threading.Event()
    background = threading.Thread(target=load, args=(base, tokens, label, stop), daemon=True) if load else None
    if background is not None:
        background.start()
    times: dict[str, list[float]] = defaultdict(list)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, path, who in PAGES:
            times[name].append(get(base, path, tokens[who] if who else None, label))
    stop.set()
    if background is not None:
        background.join(180)
    return times


def p90(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, int(0.9 * len(xs)))]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=20.0, help="per server and phase, in all rounds")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between hospital's writes")
    ap.add_argument("--clients", type=int, default=16, help="anonymous clients looping on new dates (phase 'dates')")
    ap.add_argument("--reference", default=None, help="git revision of the reference (default: merge-base with main)")
    args = ap.parse_args(argv)
    rev = args.reference or subprocess.run(["git", "-C", str(HERE), "merge-base", "HEAD", "main"], check=True,
                                           capture_output=True, text=True).stdout.strip()
    print(f"load before: {os.getloadavg()[0]:.2f}; reference {rev[:10]}")
    results: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="bench-epochs-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        codes = {"reference": reference_tree(rev, work), "this code": HERE}
        servers = {label: stack.enter_context(server(code, work, label.replace(" ", "-"))) for label, code in codes.items()}
        counters = {label: [0] for label in servers}
        statuses: dict[str, Counter[int]] = defaultdict(Counter)
        phases: dict[str, dict[str, Load | None]] = {
            label: {"quiet": None, "writing": hospital_writes(args.interval, counters[label]),
                    "dates": date_clients(args.clients, args.seconds / args.rounds, statuses)} for label in servers}
        for base, tokens in servers.values():  # warm: every page once, twice
            for _ in range(2):
                for _name, path, who in PAGES:
                    get(base, path, tokens[who] if who else None)
        for _ in range(args.rounds):
            for phase in PHASES:
                for label, (base, tokens) in servers.items():
                    for page, xs in measure(base, tokens, args.seconds / args.rounds, phases[label][phase], label).items():
                        results[(label, phase)][page].extend(xs)
    print(f"load after: {os.getloadavg()[0]:.2f}; writes to hospital's graph: "
          + ", ".join(f"{label} {c[0]}" for label, c in counters.items()))
    print(f"named queries of the {args.clients} date clients, by status: "
          + "; ".join(f"{label} {dict(c)}" for label, c in statuses.items()))
    for error in ERRORS[:20]:
        print("not 200:", *error)
    print()
    for phase in PHASES[1:]:
        print()
        print(f"| page | server | quiet p50 | {phase} p50 | {phase} p90 | {phase} / quiet (p50) |")
        print("|---|---|---|---|---|---|")
        for page, _path, _who in PAGES:
            for label in ("reference", "this code"):
                quiet, busy = results[(label, "quiet")][page], results[(label, phase)][page]
                q50, b50 = statistics.median(quiet), statistics.median(busy)
                print(f"| {page} | {label} | {q50 * 1000:.1f} ms | {b50 * 1000:.1f} ms | {p90(busy) * 1000:.1f} ms "
                      f"| {b50 / q50:.1f} |")
        print()
        print(f"| page | reference / this code, {phase} (p50) | (p90) |")
        print("|---|---|---|")
        for page, _path, _who in PAGES:
            ref, new = results[("reference", phase)][page], results[("this code", phase)][page]
            print(f"| {page} | {statistics.median(ref) / statistics.median(new):.1f} | {p90(ref) / p90(new):.1f} |")


if __name__ == "__main__":
    main()
