"""What the engine reads: the facts of the organisation's AI systems, the obligations and conditions.

The organisation's facts are judged in a small in-memory Oxigraph store holding only what the rules read
(queries/applicability-facts.rq: the AI systems and models, their operators, what evidence about them serves, and
the catalog facts these name), so the rules never see another organisation's data and an assessment does not copy
the organisation's risks, controls and evidence register.
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


def org_graph_of(store: Store, org_slug: str) -> str:
    """The organisation's graph IRI, or UnknownOrganisation naming the known ones."""
    graph = str(org_graph(org_slug))
    graphs = store.graphs()
    if graph not in graphs:
        base = graph.rsplit("/", 1)[0] + "/"
        known = ", ".join(sorted(g.rsplit("/", 1)[-1] for g in graphs if g.startswith(base)))
        raise UnknownOrganisation(f"no organisation {org_slug!r} in {store.location} (graph <{graph}>); known: {known or 'none'}")
    return graph


def org_ntriples(store: Store, org_slug: str) -> bytes:
    """The organisation graph as N-Triples, or UnknownOrganisation naming the known ones."""
    return store.export("ntriples", org_graph_of(store, org_slug))


def catalog_ntriples(store: Store, graph: str) -> bytes:
    """The catalog and vocabulary facts about every IRI a graph mentions (queries/validation-catalog-facts.rq)."""
    query = get_query("validation-catalog-facts").bind({"graph": graph})
    body, _media, _form = store.query_serialized(query, "ntriples")
    return body


def facts_store(store: Store, org_slug: str) -> ox.Store:
    """An in-memory store with, in its default graph, the facts the rules read about the organisation (one query)."""
    query = get_query("applicability-facts").bind({"graph": org_graph_of(store, org_slug)})
    body, _media, _form = store.query_serialized(query, "ntriples")
    st = ox.Store()
    st.load(body, ox.RdfFormat.N_TRIPLES)
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
