"""Refuse contradictory AI Act facts at import, naming file, row and column (OrgDataError).

The contradictions are stated once, in queries/applicability-fact-conflicts.rq, which the applicability engine also
runs before it judges; here they run over one file's triples plus the shape of Annex III (its points and their
skos:broader links, read once from the packaged AI Act catalog), judged on the import date.
"""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from normgraph.applicability import conflicts
from normgraph.iri import PREFIXES
from normgraph.knowledge import path as knowledge_path
from normgraph.orgdata.errors import OrgDataError

_BROADER = "http://www.w3.org/2004/02/skos/core#broader"


@lru_cache(maxsize=1)
def annex_iii_points() -> bytes:
    """The skos:broader links of every Annex III item of the AI Act catalog, as N-Triples."""
    prefix = f"{PREFIXES['aiact']}annex-III"
    keep = [q.triple for q in ox.parse(path=str(knowledge_path("data", "eu-ai-act.ttl")), format=ox.RdfFormat.TURTLE)
            if q.predicate.value == _BROADER and q.subject.value.startswith(prefix)]
    buf = io.BytesIO()
    ox.serialize(keep, buf, ox.RdfFormat.N_TRIPLES)
    return buf.getvalue()


def check_ai_act_facts(file: Path | str, graph: Graph | bytes, rows: dict[str, int] | None = None,
                       on: date | None = None) -> None:
    """Raise OrgDataError for the first contradictory fact in `graph` (an rdflib Graph or N-Triples; `rows`: subject
    IRI → spreadsheet row)."""
    if not len(graph):
        return
    st = ox.Store()
    try:  # rdflib lets through terms Oxigraph refuses (a language tag such as "@n"): say so, do not crash
        st.load(graph if isinstance(graph, bytes) else graph.serialize(format="nt", encoding="utf-8"),
                ox.RdfFormat.N_TRIPLES)
    except SyntaxError as e:
        raise OrgDataError(file, None, None, f"not valid RDF: {e.msg}") from None
    st.load(annex_iii_points(), ox.RdfFormat.N_TRIPLES)
    found = conflicts(st, on or date.today())
    if found:
        first = found[0]
        where = "" if rows else f"{first.subject}: "
        raise OrgDataError(file, (rows or {}).get(first.subject), first.column, where + first.problem)
