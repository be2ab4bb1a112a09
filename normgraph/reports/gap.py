"""Gap analysis: from what the organisation implements to ISO/IEC 42001, the AI Act, the AI RMF.

Reading. A target requirement is covered
- **fully** when the organisation implements it itself (a 42001 control or clause in its SoA with
  status implemented), or implements an item whose mapping record, read from that item's side, has
  a relation of full coverage strength (ng:coverageStrength in the ontology: equalTo, supersetOf);
- **in part** when it is reached only by records of partial strength (intersectsWith, subsetOf,
  relatedTo), or only from items that are partially implemented;
- **not at all** otherwise: new work, with the reason — the curators' rationale when a record says the
  target has no counterpart (sssom:NoTermFound), else "no mapping from any implemented control" — and
  the catalog items that would reach it (candidates).
The implemented set and every record come from named queries (report-gap-implemented,
report-gap-records, report-gap-no-counterpart, report-gap-targets-*); this module only joins and counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rdflib import URIRef

from normgraph.catalogs.registry import catalog_of
from normgraph.mappings.records import chain_of, record_from_row
from normgraph.mappings.relations import relations
from normgraph.reports import check_target, num, run, short, text
from normgraph.reports.common import org_info
from normgraph.reports.model import Report, Table
from normgraph.store.base import Store

COVERAGE_LABEL = {"full": "covered fully", "partial": "covered in part", "none": "not at all (new control needed)"}
TARGET_QUERY = {
    "iso42001-2023": "report-gap-targets-iso42001",
    "eu-ai-act": "report-gap-targets-eu-ai-act",
    "nist-ai-rmf-1.0": "report-gap-targets-nist-ai-rmf",
}
OWN_CATALOGS = ("iso27001-2022", "iso42001-2023")


@dataclass(frozen=True)
class Link:
    """One reason a target is (partly) covered: an implemented item and the record that links them."""

    source: str  # IRI of the implemented item
    source_notation: str
    source_catalog: str
    status: str  # implemented | partially-implemented
    assumed: bool  # the ISMS clauses taken as operating because an SoA exists
    relation: str  # read from the source's side; "is" = the organisation implements the target itself
    record: str  # IRI, '' when relation == "is"
    mapping_set: str
    creator: str
    record_source: str
    confidence: str
    inferred: bool
    derived_from: tuple[str, ...]
    rationale: str

    @property
    def full(self) -> bool:
        if self.status != "implemented":
            return False
        relation = relations().by_name(self.relation)
        return self.relation == "is" or (relation is not None and relation.full)

    def describe(self) -> str:
        if self.relation == "is":
            return f"{self.source_notation} ({self.status}, the organisation's own SoA)"
        how = "fully" if self.full else "in part"
        extra = f"; inferred from {', '.join(short(d) for d in self.derived_from)}" if self.derived_from else ""
        assumed = ", ISMS clause assumed operating" if self.assumed else ""
        return (f"{self.source_notation} {self.relation} ({how}; {self.status}{assumed}) via {short(self.record)} "
                f"[{short(self.mapping_set)}; {self.creator}{extra}]")


@dataclass
class Requirement:
    iri: str
    notation: str
    title: str
    part: str
    group: str
    group_title: str
    order: int
    systems: tuple[str, ...] = ()
    links: list[Link] = field(default_factory=list)
    no_counterpart: list[tuple[str, str]] = field(default_factory=list)  # (record IRI, rationale)
    candidates: list[str] = field(default_factory=list)  # 27001/42001 items that would reach it

    @property
    def coverage(self) -> str:
        if any(link.full for link in self.links):
            return "full"
        return "partial" if self.links else "none"

    @property
    def reason(self) -> str:
        if self.coverage == "full":
            return "; ".join(link.describe() for link in self.links if link.full)
        if self.coverage == "partial":
            return "; ".join(link.describe() for link in self.links)
        if self.no_counterpart:
            return "New control needed — no counterpart: " + " ".join(
                f"{r} [{short(rec)}]" for rec, r in self.no_counterpart)
        return "New control needed — no mapping from any implemented control"


@dataclass
class GroupStats:
    part: str
    group: str
    title: str
    total: int = 0
    full: int = 0
    partial: int = 0
    none: int = 0

    def pct(self, n: int) -> float:
        return round(100.0 * n / self.total, 1) if self.total else 0.0

    def as_row(self) -> dict[str, str | int | float | bool | None]:
        return {"part": self.part, "group": self.title or self.group, "requirements": self.total,
                "full": self.full, "partial": self.partial, "none": self.none,
                "full_pct": self.pct(self.full), "partial_pct": self.pct(self.partial),
                "none_pct": self.pct(self.none), "covered_pct": self.pct(self.full + self.partial)}


def catalog_key(iri: str) -> str:
    """The key of the catalog the IRI is in (the catalog registry), or ""."""
    found = catalog_of(iri)
    return found.key if found is not None else ""


def implemented(store: Store, graph: str) -> dict[str, tuple[str, bool, str]]:
    """IRI -> (status, assumed, notation) of what the organisation implements."""
    out: dict[str, tuple[str, bool, str]] = {}
    for row in run(store, "report-gap-implemented", graph=graph).rows:
        iri = text(row["source"])
        status, assumed = text(row["status"]), text(row.get("assumed")) == "true"
        old = out.get(iri)
        if old is None or (old[0] != "implemented" and status == "implemented") or (old[1] and not assumed):
            out[iri] = (status, assumed, text(row.get("notation")) or short(iri))
    return out


def analyse(store: Store, slug: str, target: str) -> tuple[list[Requirement], dict[str, tuple[str, bool, str]]]:
    scheme, _title = check_target(target)
    info = org_info(store, slug)
    impl = implemented(store, info.graph)
    params = {"graph": info.graph} if target == "eu-ai-act" else {}
    reqs: dict[str, Requirement] = {}
    for row in run(store, TARGET_QUERY[target], **params).rows:
        iri = text(row["target"])
        if iri in reqs:
            continue
        systems = tuple(text(row.get("systems")).split()) if row.get("systems") is not None else ()
        reqs[iri] = Requirement(iri, text(row["notation"]), text(row.get("title")), text(row["part"]),
                                text(row.get("group")), text(row.get("groupTitle")).strip(),
                                num(row.get("order")) or 0, systems)
    for iri, req in reqs.items():
        if iri in impl:
            status, assumed, notation = impl[iri]
            req.links.append(Link(iri, notation, catalog_key(iri), status, assumed, "is", "", "", "", "", "",
                                  False, (), ""))
    for row in run(store, "report-gap-records", scheme=str(scheme)).rows:
        wanted = reqs.get(text(row["target"]))
        if wanted is None:
            continue
        src = text(row["source"])
        relation = text(row["relation"]).rsplit("#", 1)[-1]
        if src not in impl:
            if catalog_key(src) in OWN_CATALOGS:
                cand = f"{short(src)} ({relation})"
                if cand not in wanted.candidates:
                    wanted.candidates.append(cand)
            continue
        status, assumed, notation = impl[src]
        wanted.links.append(Link(
            src, notation, catalog_key(src), status, assumed, relation, text(row["record"]),
            text(row.get("set")), text(row.get("creator")), text(row.get("recSource")),
            text(row.get("confidence")), text(row.get("inferred")) == "true",
            tuple(text(row.get("derivedFrom")).split()), text(row.get("rationale")),
        ))
    walk_chains(store, reqs.values())
    for row in run(store, "report-gap-no-counterpart", scheme=str(scheme)).rows:
        missing = reqs.get(text(row["target"]))
        if missing is not None:
            missing.no_counterpart.append((text(row["record"]), text(row.get("rationale"))))
    ordered = sorted(reqs.values(), key=lambda r: (r.order, r.notation))
    for r in ordered:
        r.links.sort(key=lambda x: (not x.full, x.relation != "is", x.source_notation, x.record))
    return ordered, impl


def walk_chains(store: Store, reqs: Iterable[Requirement]) -> None:
    """An inferred link names the stated records it was composed from in chain order: the one chain
    walk (mappings.records.chain_of) that `normgraph explain` and the explorer use too."""
    inferred = [(r, i) for r in reqs for i, link in enumerate(r.links) if link.inferred and link.record]
    if not inferred:
        return
    by_iri = {rec.iri: rec for rec in map(record_from_row, run(store, "explorer-records").rows)}
    for req, i in inferred:
        rec = by_iri.get(URIRef(req.links[i].record))
        origins = chain_of(rec, by_iri) if rec is not None else []
        if origins:
            req.links[i] = replace(req.links[i], derived_from=tuple(str(o.iri) for o in origins))


def stats(reqs: list[Requirement]) -> tuple[GroupStats, list[GroupStats]]:
    total = GroupStats("all", "all", "All requirements")
    groups: dict[tuple[str, str], GroupStats] = {}
    for r in reqs:
        g = groups.setdefault((r.part, r.group), GroupStats(r.part, r.group, r.group_title or short(r.group) or "other"))
        for s in (total, g):
            s.total += 1
            setattr(s, r.coverage, getattr(s, r.coverage) + 1)
    parts: dict[str, GroupStats] = {}
    for (part, _), g in groups.items():
        p = parts.setdefault(part, GroupStats(part, part, f"{part} (all)"))
        p.total += g.total
        p.full += g.full
        p.partial += g.partial
        p.none += g.none
    out = list(parts.values()) if len(parts) > 1 else []
    return total, out + list(groups.values())


COLUMNS = ["requirement", "title", "part", "group", "coverage", "covered_by", "mapping_records",
           "relations", "reason", "candidates", "applies_via_systems", "iri"]


def build(store: Store, slug: str, target: str, today: dt.date) -> Report:
    scheme, title = check_target(target)
    info = org_info(store, slug)
    reqs, impl = analyse(store, slug, target)
    total, groups = stats(reqs)
    table = Table("gap", COLUMNS, key="requirement")
    labels = {s.iri: s.label for s in info.systems}
    for r in reqs:
        table.rows.append({
            "requirement": r.notation, "title": r.title, "part": r.part, "group": r.group_title,
            "coverage": COVERAGE_LABEL[r.coverage],
            "covered_by": "; ".join(dict.fromkeys(link.source_notation for link in r.links)),
            "mapping_records": " ".join(dict.fromkeys(link.record for link in r.links if link.record)),
            "relations": "; ".join(dict.fromkeys(
                f"{link.source_notation} {link.relation}" for link in r.links)),
            "reason": r.reason,
            "candidates": "; ".join(r.candidates[:8]),
            "applies_via_systems": "; ".join(labels.get(s, short(s)) for s in r.systems),
            "iri": r.iri,
        })
    group_table = Table("coverage", ["part", "group", "requirements", "full", "partial", "none", "full_pct",
                                     "partial_pct", "none_pct", "covered_pct"], [total.as_row()] + [g.as_row() for g in groups])
    # "Which of my 27001 controls already satisfy this target, and what is new?"
    reuse: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"full": [], "partial": []})
    for r in reqs:
        for link in r.links:
            if link.source_catalog == "iso27001-2022" and not link.assumed:
                reuse[link.source_notation]["full" if link.full else "partial"].append(r.notation)
    reuse_table = Table("reuse", ["iso27001_control", "covers_fully", "covers_in_part"], [
        {"iso27001_control": k, "covers_fully": "; ".join(v["full"]), "covers_in_part": "; ".join(v["partial"])}
        for k, v in sorted(reuse.items(), key=lambda kv: [int(x) if x.isdigit() else x for x in kv[0].replace(".", " ").split()])
    ], key="iso27001_control")
    # The headline question: of what the organisation has not implemented as such, what do its
    # ISO 27001 controls already give, and what is new work?
    own = [r for r in reqs if any(link.relation == "is" and link.full for link in r.links)]
    rest = [r for r in reqs if r not in own]
    from_27001 = [link for r in rest for link in r.links if link.source_catalog == "iso27001-2022" and not link.assumed]
    answer = {
        "own": len(own),
        "rest": len(rest),
        "by_27001_fully": sum(1 for r in rest if any(
            link.full and link.source_catalog == "iso27001-2022" and not link.assumed for link in r.links)),
        "by_27001_in_part": sum(1 for r in rest if r.coverage == "partial" and any(
            link.source_catalog == "iso27001-2022" and not link.assumed for link in r.links)),
        "new": sum(1 for r in rest if r.coverage == "none"),
        "links_from_27001": len(from_27001),
    }
    answer["other"] = answer["rest"] - answer["by_27001_fully"] - answer["by_27001_in_part"] - answer["new"]
    impl_27001 = sum(1 for iri, (st, assumed, _n) in impl.items()
                     if catalog_key(iri) == "iso27001-2022" and not assumed and st == "implemented" and "/A-" in iri)
    return Report("gap", f"Gap analysis to {title}", slug, info.label, info.graph, today,
                  [table, group_table, reuse_table],
                  {"target": target, "target_title": title, "scheme": str(scheme), "requirements": reqs,
                   "total": total, "groups": groups, "implemented_27001": impl_27001, "answer": answer,
                   "assumed_clauses": any(a for (_s, a, _n) in impl.values())})


def explain(report: Report, requirement: str) -> list[Requirement]:
    """The requirements of a gap report whose notation or IRI matches `requirement` (case-insensitive)."""
    want = requirement.strip().lower()
    reqs: list[Requirement] = report.extra["requirements"]
    return [r for r in reqs if want in (r.notation.lower(), r.iri.lower(), short(r.iri).lower())]
