"""A mapping-set graph → SSSOM TSV (SSSOM 1.0 table with a YAML header), readable by sssom-py.

The ng: relations are written as CURIEs with ``ng`` in the curie_map; records without a
confidence (NIST's, which state none) leave the column empty. Extra facts SSSOM has no slot for
(our editorial notes on source defects, the records an inferred record came from) go into
``comment`` so nothing is lost silently.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF

from normgraph.iri import NG, PREFIXES, curie
from normgraph.mappings.curated import COLUMNS as CURATED_COLUMNS
from normgraph.mappings.records import MappingRecord, records_from_graph

#: The curated tables' columns (DESIGN.md §6) plus where each record comes from.
COLUMNS = (*CURATED_COLUMNS, "mapping_source")


def _cell(value: object | None) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("\t", " ").split())


def _yaml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _used_prefixes(records: Iterable[MappingRecord]) -> dict[str, str]:
    used: dict[str, str] = {}
    for rec in records:
        for iri in (rec.subject, rec.predicate, rec.object, rec.justification):
            name = curie(str(iri))
            if name.startswith("<"):
                raise ValueError(f"{iri} has no normgraph prefix; SSSOM needs CURIEs")
            prefix = name.split(":", 1)[0]
            used[prefix] = PREFIXES[prefix]
    return dict(sorted(used.items()))


def to_sssom_tsv(g: Graph) -> str:
    """The SSSOM TSV text of the (single) mapping set in g."""
    sets = sorted(set(g.subjects(RDF.type, NG.MappingSet)), key=str)
    if len(sets) != 1:
        raise ValueError(f"expected one ng:MappingSet in the graph, found {len(sets)}")
    set_node = sets[0]
    records = records_from_graph(g)
    labels = {s: str(o) for s, o in g.subject_objects(URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    prefixes = _used_prefixes(records)
    out = io.StringIO()
    out.write("#curie_map:\n")
    for prefix, ns in prefixes.items():
        out.write(f"#  {prefix}: {ns}\n")
    out.write(f"#mapping_set_id: {set_node}\n")
    version = g.value(set_node, OWL.versionInfo)
    out.write(f"#mapping_set_version: {_yaml_str(str(version or ''))}\n")
    title = g.value(set_node, DCTERMS.title)
    if title is not None:
        out.write(f"#mapping_set_title: {_yaml_str(str(title))}\n")
    description = g.value(set_node, DCTERMS.description)
    if description is not None:
        out.write(f"#mapping_set_description: {_yaml_str(_cell(description))}\n")
    license_ = g.value(set_node, DCTERMS.license)
    out.write(f"#license: {license_ or 'https://creativecommons.org/licenses/by/4.0/'}\n")
    creator = g.value(set_node, DCTERMS.creator)
    if creator is not None:
        out.write(f"#creator_label:\n#  - {_yaml_str(str(creator))}\n")
    publisher = g.value(set_node, DCTERMS.publisher)
    if publisher is not None:  # the host is not the author: SSSOM's mapping_provider is where it came from
        source = g.value(set_node, DCTERMS.source)
        if source is not None:
            out.write(f"#mapping_provider: {source}\n")
        note = f"Written by {creator or '(not stated)'}; published by {publisher}."
        out.write(f"#comment: {_yaml_str(note)}\n")
    for key, prop in (("subject_source", NG.subjectScheme), ("object_source", NG.objectScheme)):
        value = g.value(set_node, prop)
        if value is not None:
            out.write(f"#{key}: {value}\n")
    out.write("\t".join(COLUMNS) + "\n")
    for rec in sorted(records, key=lambda r: (curie(str(r.subject)), curie(str(r.object)), str(r.predicate))):
        comment = rec.rationale or ""
        if rec.notes:
            comment += " Notes: " + " ".join(rec.notes)
        if rec.derived_from:
            comment += " Derived from: " + ", ".join(str(x) for x in rec.derived_from)
        row = (
            curie(str(rec.subject)),
            rec.subject_label or labels.get(rec.subject),
            curie(str(rec.predicate)),
            curie(str(rec.object)),
            rec.object_label or labels.get(rec.object),
            curie(str(rec.justification)),
            rec.confidence,
            comment.strip(),
            rec.creator,
            rec.date.isoformat() if rec.date else None,
            rec.source,
        )
        out.write("\t".join(_cell(v) for v in row) + "\n")
    return out.getvalue()
