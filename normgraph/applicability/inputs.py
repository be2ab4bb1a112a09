"""What the engine reads: the organisation graph, the catalog facts it mentions, the obligations and conditions.

The organisation's facts are judged in a small in-memory Oxigraph store (the organisation graph plus the catalog
facts it refers to, as validation prepares them), so the rules never see another organisation's data.
"""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
from rdflib import Literal

from normgraph.applicability.model import ApplicabilityError, Condition, Obligation, Subject
from normgraph.iri import org_graph
from normgraph.queries import get_query
from normgraph.store.base import SelectResult, Store


class UnknownOrganisation(ApplicabilityError):
    """No graph ngg:org/<slug> in the store."""


def org_ntriples(store: Store, org_slug: str) -> bytes:
    """The organisation graph as N-Triples, or UnknownOrganisation naming the known ones."""
    graph = str(org_graph(org_slug))
    graphs = store.graphs()
    if graph not in graphs:
        base = graph.rsplit("/", 1)[0] + "/"
        known = ", ".join(sorted(g.rsplit("/", 1)[-1] for g in graphs if g.startswith(base)))
        raise UnknownOrganisation(f"no organisation {org_slug!r} in {store.location} (graph <{graph}>); known: {known or 'none'}")
    return store.export("ntriples", graph)


def catalog_ntriples(store: Store, graph: str) -> bytes:
    """The catalog and vocabulary facts about every IRI a graph mentions (queries/validation-catalog-facts.rq)."""
    query = get_query("validation-catalog-facts").bind({"graph": graph})
    body, _media, _form = store.query_serialized(query, "ntriples")
    return body


def org_store(store: Store, org_slug: str) -> ox.Store:
    """An in-memory store with the organisation graph and its catalog facts in the default graph."""
    st = ox.Store()
    st.load(org_ntriples(store, org_slug), ox.RdfFormat.N_TRIPLES)
    st.load(catalog_ntriples(store, str(org_graph(org_slug))), ox.RdfFormat.N_TRIPLES)
    return st


def _select(store: Store, name: str, params: dict[str, str] | None = None) -> SelectResult:
    res = store.query(get_query(name).bind(params or {}))
    assert isinstance(res, SelectResult)
    return res


def _date(term: object) -> date | None:
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, date) else date.fromisoformat(str(term))
    return None


def obligations(store: Store) -> tuple[Obligation, ...]:
    """Every AI Act obligation with its dates and conditions, in catalog order."""
    out = []
    for r in _select(store, "applicability-obligations"):
        start = _date(r["from"])
        assert start is not None
        out.append(Obligation(
            iri=str(r["obligation"]), notation=str(r["notation"]), title=str(r["title"] or ""), role=str(r["role"]),
            category=str(r["category"]), applicable_from=start, applicable_from_annex_i=_date(r["fromAnnexI"]),
            conditions=tuple(sorted(str(r["conditions"] or "").split())), eased_by=tuple(sorted(str(r["eased"] or "").split())),
            provision=str(r["provision"]), order=int(str(r["order"])),
        ))
    if not out:
        raise ApplicabilityError(f"no AI Act obligations in {store.location}: load the knowledge (graph ngg:eu-ai-act-obligations)")
    return tuple(out)


def conditions(store: Store) -> dict[str, Condition]:
    """Every applicability condition and system category by IRI."""
    return {
        str(r["condition"]): Condition(
            iri=str(r["condition"]), label=str(r["label"]), definition=str(r["definition"] or ""),
            decided_by=tuple(c.strip() for c in str(r["decidedBy"] or "").split(",") if c.strip()),
            easement=str(r["easement"] or ""),
        )
        for r in _select(store, "applicability-condition-info")
    }


def subjects(store: Store, org_slug: str) -> list[Subject]:
    """The organisation's AI systems and models that it holds an AI Act role for, with the provider role Art. 25(1)
    assigns to a distributor, importer or deployer (queries/applicability-subjects.rq)."""
    out = []
    for r in _select(store, "applicability-subjects", {"graph": str(org_graph(org_slug))}):
        iri = str(r["subject"])
        kind = "AI model" if str(r["type"]).endswith("#AIModel") else "AI system"
        held = set(str(r["roles"]).split())
        assigned = {str(r["assignedRole"]): str(r["assignedBecause"])} if r["assignedRole"] else {}
        notes = tuple((role, why) for role, why in assigned.items() if role not in held)
        out.append(Subject(iri=iri, label=str(r["label"] or iri.rsplit("/", 1)[-1]), kind=kind,
                           roles=tuple(sorted(held | assigned.keys())), role_notes=notes))
    return out
