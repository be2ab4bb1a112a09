"""Curated SSSOM TSV tables (data/mappings/*.sssom.tsv, DESIGN.md §6) → mapping-set graphs.

Errors in a table (unknown prefix or predicate, confidence outside 0–1, bad date, duplicate
triple, missing column) stop the build with a SourceError naming file and line. Things that are
suspect but not wrong (a subject or object that no loaded catalog declares, unsorted rows) are
returned as Issues (warnings).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from rdflib import Graph, URIRef

from normgraph.catalogs.common import LICENSES, SourceError
from normgraph.catalogs.registry import catalogs
from normgraph.iri import NGG, NGID, PREFIXES, SEMAPV
from normgraph.mappings.records import (
    NO_TERM_FOUND,
    RELATED,
    Issue,
    MappingRecord,
    MappingSetInfo,
    iri_local,
    pair_local,
    set_graph,
)
from normgraph.mappings.relations import relations

COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "confidence",
    "comment",
    "author_label",
    "mapping_date",
)
REQUIRED = ("subject_id", "predicate_id", "object_id", "mapping_justification", "confidence")

#: Prefixes SSSOM itself defines; a table may use them without declaring them.
SSSOM_BUILTIN = {
    "sssom": "https://w3id.org/sssom/",
    "semapv": "https://w3id.org/semapv/vocab/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def split_table(path: Path) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The YAML header (from the leading '#' lines) and the remaining (line number, text) lines."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SourceError(path, "file", "not found") from None
    header: list[str] = []
    body: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not body and line.startswith("#"):
            header.append(line[1:])
        elif line.strip():
            body.append((number, line))
    try:
        meta = yaml.safe_load("\n".join(header)) if header else {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "header"
        raise SourceError(path, where, f"YAML header does not parse: {e}") from None
    if not isinstance(meta, dict):
        raise SourceError(path, "header", "YAML header is not a mapping")
    return meta, body


def _date(path: Path, where: str, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SourceError(path, where, f"bad date {value!r} (want YYYY-MM-DD)") from None


class _Curies:
    """CURIE expansion by the table's curie_map, which must agree with DESIGN.md §1."""

    def __init__(self, path: Path, curie_map: dict[str, str]) -> None:
        self.path = path
        self.map = dict(SSSOM_BUILTIN)
        for prefix, ns in curie_map.items():
            known = PREFIXES.get(prefix) or SSSOM_BUILTIN.get(prefix)
            if known is not None and known != ns:
                raise SourceError(path, "header", f"prefix {prefix}: is {ns}, DESIGN.md §1 says {known}")
            self.map[prefix] = str(ns)

    def expand(self, where: str, value: str, column: str) -> URIRef:
        prefix, sep, rest = value.partition(":")
        if not sep or not rest:
            raise SourceError(self.path, where, f"{column} {value!r} is not a CURIE")
        if prefix not in self.map:
            raise SourceError(self.path, where, f"{column} {value!r}: unknown prefix {prefix!r} (not in curie_map)")
        return URIRef(self.map[prefix] + rest)


def read_table(path: Path, known: set[str] | None = None) -> tuple[MappingSetInfo, list[MappingRecord], list[Issue]]:
    """Parse and validate one curated table."""
    meta, body = split_table(path)
    issues: list[Issue] = []
    curies = _Curies(path, meta.get("curie_map") or {})
    slug = path.name.removesuffix(".sssom.tsv")
    set_id = str(meta.get("mapping_set_id", ""))
    if set_id and iri_local(set_id) != slug:
        raise SourceError(path, "header", f"mapping_set_id {set_id} does not end in the file's slug {slug!r}")
    version = meta.get("mapping_set_version")
    if version is None:
        raise SourceError(path, "header", "mapping_set_version is missing")
    set_date = _date(path, "header", meta["mapping_date"]) if meta.get("mapping_date") else None
    creators = meta.get("creator_label") or ["normgraph maintainers"]
    if isinstance(creators, str):
        creators = [creators]
    if not body:
        raise SourceError(path, "header", "no column header row")
    head_line, head = body[0]
    columns = head.split("\t")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SourceError(path, f"line {head_line}", f"missing column(s): {', '.join(missing)}")
    reader = csv.DictReader(io.StringIO("\n".join(t for _, t in body)), delimiter="\t", quoting=csv.QUOTE_NONE)
    records: list[MappingRecord] = []
    triples: dict[tuple[URIRef, URIRef, URIRef], int] = {}
    pairs: dict[tuple[URIRef, URIRef], int] = {}
    previous: tuple[str, str] | None = None
    for (line, _), row in zip(body[1:], reader, strict=True):
        where = f"line {line}"
        if None in row:
            raise SourceError(path, where, f"more cells than the {len(columns)} columns")
        cells = {k: (v or "").strip() for k, v in row.items()}
        for col in REQUIRED:
            if not cells.get(col):
                raise SourceError(path, where, f"{col} is empty")
        subject = curies.expand(where, cells["subject_id"], "subject_id")
        obj = curies.expand(where, cells["object_id"], "object_id")
        predicate = curies.expand(where, cells["predicate_id"], "predicate_id")
        if predicate not in relations():
            raise SourceError(
                path,
                where,
                f"unknown predicate {cells['predicate_id']!r} (use {', '.join('ng:' + r.name for r in relations())})",
            )
        if obj == NO_TERM_FOUND and predicate != RELATED:
            raise SourceError(path, where, "sssom:NoTermFound rows must use ng:relatedTo (DESIGN.md §6)")
        justification = curies.expand(where, cells["mapping_justification"], "mapping_justification")
        if not str(justification).startswith(str(SEMAPV)):
            raise SourceError(path, where, f"mapping_justification {cells['mapping_justification']!r} is not a semapv: term")
        try:
            confidence = Decimal(cells["confidence"])
        except InvalidOperation:
            raise SourceError(path, where, f"confidence {cells['confidence']!r} is not a number") from None
        if not Decimal(0) <= confidence <= Decimal(1):
            raise SourceError(path, where, f"confidence {confidence} is outside 0–1")
        date = _date(path, where, cells["mapping_date"]) if cells.get("mapping_date") else set_date
        key = (subject, predicate, obj)
        if key in triples:
            raise SourceError(
                path,
                where,
                f"duplicate mapping {cells['subject_id']} {cells['predicate_id']} {cells['object_id']} (first on line {triples[key]})",
            )
        triples[key] = line
        if (subject, obj) in pairs:
            raise SourceError(
                path,
                where,
                f"{cells['subject_id']} and {cells['object_id']} already mapped on line "
                f"{pairs[(subject, obj)]} with another relation; one relation per pair",
            )
        pairs[(subject, obj)] = line
        order = (cells["subject_id"], cells["object_id"])
        if previous is not None and order < previous:
            issues.append(Issue(str(path), line, "row out of order", "rows should be sorted by subject_id, object_id"))
        previous = order
        if known is not None:
            for role, iri in (("subject", subject), ("object", obj)):
                if iri != NO_TERM_FOUND and str(iri) not in known:
                    issues.append(Issue(str(path), line, f"unknown {role} {cells[role + '_id']}", "no loaded catalog declares it"))
        records.append(
            MappingRecord(
                subject=subject,
                predicate=predicate,
                object=obj,
                set_slug=slug,
                justification=justification,
                creator=cells.get("author_label") or ", ".join(creators),
                source=URIRef(set_id) if set_id else None,
                confidence=confidence,
                rationale=cells.get("comment") or None,
                date=date,
                subject_label=cells.get("subject_label") or None,
                object_label=cells.get("object_label") or None,
            )
        )
    locals_seen: dict[str, MappingRecord] = {}
    for rec in records:
        local = pair_local(rec.subject, rec.object)
        if local in locals_seen:
            raise SourceError(
                path,
                "rows",
                f"records {rec.subject} and {locals_seen[local].subject} give the same "
                f"record IRI {rec.iri}; a set must keep one catalog per side",
            )
        locals_seen[local] = rec

    def scheme(key: str) -> URIRef | None:
        value = meta.get(key)
        if not value:
            return None
        iri = URIRef(str(value))
        if str(iri) not in {c.scheme for c in catalogs()} and (known is None or str(iri) not in known):
            issues.append(Issue(str(path), 0, f"{key} {iri}", "is not the scheme IRI of a normgraph catalog"))
        return iri

    license_iri = URIRef(str(meta.get("license") or LICENSES["normgraph"]))
    subject_scheme, object_scheme = scheme("subject_source"), scheme("object_source")
    # The set is curated from the two catalogs it connects: their graphs are what it derives from.
    derived_from = [
        URIRef(str(s).replace(str(NGID), str(NGG), 1)) for s in (subject_scheme, object_scheme) if s is not None
    ]
    info = MappingSetInfo(
        slug=slug,
        title=str(meta.get("mapping_set_title") or slug),
        subject_scheme=subject_scheme,
        object_scheme=object_scheme,
        source=URIRef(set_id) if set_id else URIRef(f"https://w3id.org/normgraph/id/mapping-set/{slug}"),
        license=license_iri,
        version=str(version),
        derived_from=derived_from,
        description=str(meta["mapping_set_description"]) if meta.get("mapping_set_description") else None,
        modified=set_date,
        creator=", ".join(str(c) for c in creators),
    )
    return info, records, issues


def known_iris(repo_root: Path) -> set[str] | None:
    """IRIs declared (as subjects) by the catalog files data/*.ttl, or None when there are none yet."""
    import pyoxigraph

    files = sorted((repo_root / "data").glob("*.ttl"))
    if not files:
        return None
    out: set[str] = set()
    for f in files:
        with f.open("rb") as fh:
            for triple in pyoxigraph.parse(fh, format=pyoxigraph.RdfFormat.TURTLE):
                if isinstance(triple.subject, pyoxigraph.NamedNode):
                    out.add(triple.subject.value)
    return out


def tables(repo_root: Path) -> list[Path]:
    return sorted((repo_root / "data" / "mappings").glob("*.sssom.tsv"))


def ingest(repo_root: Path, paths: Iterable[Path] | None = None) -> tuple[dict[str, Graph], list[Issue], dict[str, list[MappingRecord]]]:
    """Every curated table → (graphs by output path, warnings, records by output path)."""
    known = known_iris(repo_root)
    graphs: dict[str, Graph] = {}
    issues: list[Issue] = []
    records: dict[str, list[MappingRecord]] = {}
    todo = list(paths) if paths is not None else tables(repo_root)
    if known is None and todo:
        issues.append(Issue("data", 0, "no catalog loaded", "subjects and objects of curated sets not checked"))
    for path in todo:
        info, recs, found = read_table(path, known)
        out = f"data/mappings/{info.slug}.ttl"
        graphs[out] = set_graph(info, recs)
        records[out] = recs
        issues.extend(found)
    return graphs, issues, records


def build(repo_root: Path) -> dict[str, Graph]:
    """data/mappings/<stem>.sssom.tsv → {'data/mappings/<stem>.ttl': graph}."""
    return ingest(repo_root)[0]
