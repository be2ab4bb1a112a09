"""Push the local graphs (catalogs, mapping sets, derived graphs, organisations) to a remote store.

Graph by graph, idempotently: a graph whose remote content is already identical (same canonical
N-Triples hash, i.e. isomorphic, blank nodes included) is skipped; any other graph is replaced in one
request (`RemoteStore.load(replace=True)`: GSP PUT or one `DROP SILENT GRAPH; INSERT DATA` update)
and read back to check it arrived intact. Graphs that exist only on the remote are left alone and
reported.

On the first failure the push stops and raises `PushError`, whose report says exactly which graphs
were pushed before, which one failed and which were not pushed. Each graph is replaced atomically, so
the remote never holds half a graph; it can hold a mix of new and old graphs, and the report says
which — run the push again to finish it (already pushed graphs are then skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from normgraph.backup import graph_digest
from normgraph.store.base import Store, StoreError


@dataclass
class GraphState:
    graph: str
    triples: int
    digest: str


@dataclass
class PushReport:
    target: str
    dry_run: bool = False
    pushed: list[GraphState] = field(default_factory=list)  # replaced (or, in a dry run, would be)
    unchanged: list[GraphState] = field(default_factory=list)
    not_pushed: list[str] = field(default_factory=list)  # after a failure: the failed graph and the rest
    failed: str | None = None
    error: str | None = None
    remote_only: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed is None

    def summary(self) -> str:
        if not self.ok:
            return (f"push to {self.target} FAILED at <{self.failed}>: {self.error}\n"
                    f"(each graph is replaced atomically: <{self.failed}> holds its old or its new content)\n"
                    f"pushed ({len(self.pushed)}): {', '.join(g.graph for g in self.pushed) or 'none'}\n"
                    f"not pushed ({len(self.not_pushed)}): {', '.join(self.not_pushed)}")
        verb = "would push" if self.dry_run else "pushed"
        if not self.pushed:
            return f"nothing to push: all {len(self.unchanged)} graphs on {self.target} are already identical"
        return (f"{verb} {len(self.pushed)} graph(s) ({sum(g.triples for g in self.pushed)} triples), "
                f"{len(self.unchanged)} unchanged, to {self.target}")


class PushError(StoreError):
    def __init__(self, report: PushReport) -> None:
        self.report = report
        super().__init__(report.summary())


def snapshot(store: Store, graph: str) -> tuple[bytes, GraphState]:
    """One graph as N-Triples plus its (count, canonical hash)."""
    data = store.export("ntriples", graph)
    triples, digest = graph_digest(data)
    return data, GraphState(graph, triples, digest)


def remote_state(target: Store, graph: str, present: bool) -> GraphState:
    if not present:
        return GraphState(graph, 0, graph_digest(b"")[1])
    return snapshot(target, graph)[1]


def push(
    source: Store,
    target: Store,
    *,
    graphs: Sequence[str] | None = None,
    dry_run: bool = False,
    progress: Callable[[str, str], None] | None = None,
) -> PushReport:
    """Make every source graph (or `graphs`) identical on `target`; raise PushError on the first failure."""
    report = PushReport(target.location, dry_run)
    todo = list(graphs) if graphs is not None else source.graphs()
    try:
        remote_graphs = set(target.graphs())
    except StoreError as e:
        report.failed, report.error, report.not_pushed = "(listing the remote graphs)", str(e), list(todo)
        raise PushError(report) from e
    report.remote_only = sorted(remote_graphs - set(todo))
    for i, graph in enumerate(todo):
        try:
            data, local = snapshot(source, graph)
            remote = remote_state(target, graph, graph in remote_graphs)
            if remote.digest == local.digest:
                report.unchanged.append(local)
                if progress:
                    progress(graph, "unchanged")
                continue
            if not dry_run:
                target.load(data, "ntriples", graph, replace=True)
                after = remote_state(target, graph, True)
                if after.digest != local.digest:
                    raise StoreError(f"<{graph}> read back differs after the push ({after.triples} triples "
                                     f"there, {local.triples} sent): the server changed the data")
            report.pushed.append(local)
            if progress:
                progress(graph, "would push" if dry_run else "pushed")
        except (StoreError, ValueError) as e:
            report.failed, report.error = graph, str(e)
            report.not_pushed = list(todo[i:])
            raise PushError(report) from e
    return report
