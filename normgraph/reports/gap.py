"""Gap analysis: from what the organisation implements to ISO/IEC 42001, the AI Act, the AI RMF.

What the organisation implements is what it records (report-gap-implemented), as the ontology has it:
SoA entries with status implemented or partially implemented for Annex A controls, and clauses 4-10
through the documented information (evidence, ng:supports) that shows them; for the AI Act, an obligation
its evidence supports for each system that owes it (report-gap-obligation-evidence); nothing is assumed.
Whether an item is shown working on the judged date is its current evidence (report-gap-evidence).
How a target is then covered — fully, implemented without current evidence, in part, not at all —
and the one weighted figure are normgraph.reports.coverage's rules; a target reached by nothing gets
the reason — the curators' rationale when a record says it has no counterpart (sssom:NoTermFound),
else "no mapping from any implemented control" — and the catalog items that would reach it
(candidates). The "27001 only" baseline is the same reading with only the ISO/IEC 27001 items (what
the ISMS alone gives, ignoring the 42001 lines of the SoA). Every row comes from named queries
(report-gap-implemented, report-gap-evidence, report-gap-records, report-gap-no-counterpart,
report-gap-targets-*); this module only joins and counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from rdflib import URIRef

from normgraph.catalogs.registry import catalog, catalog_of
from normgraph.mappings.records import chain_of, record_from_row
from normgraph.mappings.relations import relations
from normgraph.reports import TARGETS, check_target, coverage, num, run, short, text, words
from normgraph.reports.common import org_info, plain
from normgraph.reports.coverage import STATS_COLUMNS, GroupStats
from normgraph.reports.duties import APPLIES, IN_FORCE, Duty, Memo, assessed, duty, shared_rows
from normgraph.reports.model import Report, Table
from normgraph.store.base import Store

COVERAGE_LABEL = coverage.LABEL
TARGET_QUERY = {
    "iso42001-2023": "report-gap-targets-iso42001",
    "eu-ai-act": "applicability-gap-targets",  # the obligations normgraph.applicability says are owed
    "nist-ai-rmf-1.0": "report-gap-targets-nist-ai-rmf",
}
OWN_CATALOGS = ("iso27001-2022", "iso42001-2023")
LEGEND = ("How to read the explanations: an item you implement \"equal to\", \"superset of\" a requirement covers it fully; "
          "\"subset of\", \"intersects with\" covers it in part; \"related to\" claims no overlap in substance. Confidence "
          "is the curators' own: clear-cut (0.9), sound judgement (0.7), arguable (0.5). Full coverage also needs "
          "current evidence on the date.")
ISMS = "iso27001-2022"


@dataclass(frozen=True)
class Implemented:
    """An item the organisation records as implemented, how, and its current evidence on the date."""

    status: str  # implemented | partially-implemented
    via: str  # "soa" (an SoA line) | "evidence" (a clause its evidence supports)
    notation: str
    evidence: tuple[str, ...]  # notations of current evidence supporting it (or the clause it is part of)


@dataclass(frozen=True)
class Link:
    """One reason a target is (partly) covered: an implemented item and the record that links them."""

    source: str  # IRI of the implemented item
    source_notation: str
    source_catalog: str
    status: str  # implemented | partially-implemented
    via: str  # soa | evidence
    evidence: tuple[str, ...]  # current evidence of the source item on the judged date
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
    def full_strength(self) -> bool:
        """Implemented, and the relation covers the target fully (evidence aside)."""
        if self.status != "implemented":
            return False
        relation = relations().by_name(self.relation)
        return self.relation == "is" or (relation is not None and relation.full)

    @property
    def evidenced(self) -> bool:
        return bool(self.evidence)

    @property
    def full(self) -> bool:
        """Covers the target fully on the judged date: full strength and current evidence."""
        return self.full_strength and self.evidenced

    @property
    def state(self) -> str:
        """The source item's status as recorded, with its current evidence, in words."""
        status = "implemented" if self.status == "implemented" else "partly implemented"
        how = "as its evidence shows" if self.via == "evidence" else "in the SoA"
        shown = f"current evidence: {words.some(self.evidence)}" if self.evidence else "no current evidence"
        return f"{status} {how}; {shown}"

    @property
    def name(self) -> str:
        return words.item_name(self.source, self.source_notation)

    def describe(self) -> str:
        """In plain words: the item, how it relates to the requirement, how far it covers it, and who says so."""
        if self.relation == "is":
            return f"{self.name} itself: {self.state}"
        how = "covers it fully" if self.full else ("would cover it fully with current evidence" if self.full_strength
                                                    else "claims no overlap in substance" if self.relation == coverage.NO_OVERLAP
                                                    else "covers it in part" if self.evidenced
                                                    else "would cover it in part with current evidence")
        said = ", ".join(filter(None, [f"mapping by {self.creator}" if self.creator else "",
                                       f"confidence {words.confidence_words(self.confidence)}" if self.confidence else ""]))
        chain = f"; inferred through {len(self.derived_from)} stated mappings" if self.derived_from else ""
        return f"{self.name} {words.relation_phrase(self.relation)} it and {how} ({self.state}{'; ' + said if said else ''}{chain})"


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
    due: str = ""  # AI Act: "in force", "applies from 2027-08-02" or "cannot tell yet: record …" (the engine's answer)

    @property
    def coverage(self) -> str:
        return coverage.status(self.links)

    @property
    def weight(self) -> float:
        return coverage.weight(self.links)

    def isms_links(self) -> list[Link]:
        """The links from ISO/IEC 27001 items: the "27001 only" baseline's reading."""
        return [link for link in self.links if link.source_catalog == ISMS]

    @property
    def reason(self) -> str:
        state = self.coverage
        if state == coverage.FULL:
            return "; ".join(link.describe() for link in self.links if link.full)
        if state == coverage.NO_EVIDENCE:
            shown = [link for link in self.links if link.full_strength] or coverage.overlapping(self.links)
            return "Implemented, but no current evidence: " + "; ".join(link.describe() for link in shown)
        if state == coverage.PARTIAL:
            return "; ".join(link.describe() for link in coverage.overlapping(self.links) if link.evidenced)
        related = [link.describe() for link in self.links if link.relation == coverage.NO_OVERLAP]
        also = f" Related, no overlap claimed: {'; '.join(related)}" if related else ""
        if self.no_counterpart:
            return "New control needed — the curators found no counterpart: " + " ".join(
                r for _rec, r in self.no_counterpart if r) + also
        if related:
            return "New control needed — no implemented item overlaps it in substance." + also
        return "New control needed — no mapping from any implemented control"


def catalog_key(iri: str) -> str:
    """The key of the catalog the IRI is in (the catalog registry), or ""."""
    found = catalog_of(iri)
    return found.key if found is not None else ""


def current_evidence(store: Store, graph: str, today: dt.date) -> dict[str, set[str]]:
    """Item IRI -> names (notation, else the IRI's last part) of the evidence that supports it and is current on `today`."""
    out: dict[str, set[str]] = defaultdict(set)
    for row in run(store, "report-gap-evidence", graph=graph, today=today.isoformat()).rows:
        names = text(row.get("names")).split("\n")
        out[text(row["item"])].update(n.rstrip("/").rsplit("/", 1)[-1] if n.startswith(("http://", "https://")) else n
                                      for n in names if n)  # an item without a notation: its IRI's last part
    return out


def implemented(store: Store, graph: str, today: dt.date, memo: Memo | None = None) -> dict[str, Implemented]:
    """IRI -> what the organisation records as implemented, with its current evidence on `today`; kept by `memo` (the
    three gap reports of one data generation read it once). Not to be changed by the caller."""
    found: dict[str, Implemented] = (memo or plain)(("gap-implemented", graph, today.isoformat()),
                                                    lambda: _implemented(store, graph, today))
    return found


def _implemented(store: Store, graph: str, today: dt.date) -> dict[str, Implemented]:
    evidence = current_evidence(store, graph, today)
    found: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for row in run(store, "report-gap-implemented", graph=graph).rows:
        iri = text(row["source"])
        found[iri].append((text(row["status"]), text(row["via"]), text(row.get("notation")) or short(iri),
                           text(row["recorded"])))
    out: dict[str, Implemented] = {}
    for iri, rows in found.items():
        best = min(rows, key=lambda r: (r[0] != "implemented", r[3] != iri, r[1] != "soa"))
        shown = set(evidence.get(iri, ())).union(*(evidence.get(r[3], set()) for r in rows))
        out[iri] = Implemented(best[0], best[1], best[2], tuple(sorted(shown)))
    return out


def obligation_evidence(store: Store, graph: str, today: dt.date, owed: dict[str, set[str]],
                        notations: dict[str, str], memo: Memo | None = None) -> dict[str, Implemented]:
    """AI Act obligations the organisation implements itself, as its evidence shows (report-gap-obligation-evidence):
    recorded when, for every system that owes it, some evidence supports it and concerns that system or none (the
    whole organisation); shown on `today` by that evidence where it is current — as validation and the audit pack read it."""
    # item -> system ("" for none) -> (names of its evidence, names of its current evidence)
    rows: dict[str, dict[str, tuple[set[str], set[str]]]] = defaultdict(dict)
    for row in shared_rows(store, memo, "report-gap-obligation-evidence", graph=graph, today=today.isoformat()):
        named, current_named = rows[text(row["item"])].setdefault(text(row.get("system")), (set(), set()))
        names = [n for n in text(row["names"]).split("\n") if n]
        named.update(names)
        if text(row.get("current")) == "true":
            current_named.update(names)
    out: dict[str, Implemented] = {}
    for iri, found in rows.items():
        systems = owed.get(iri)
        if systems is None:
            continue
        if not all(_for_system(found, s, current_only=False) for s in systems):
            continue  # some system that owes it has no evidence for it: not recorded as implemented
        current = [_for_system(found, s, current_only=True) for s in systems or {""}]
        shown = set().union(*current) if all(current) else set()  # shown only if shown for every system
        out[iri] = Implemented("implemented", "evidence", notations.get(iri) or short(iri), tuple(sorted(shown)))
    return out


def _for_system(found: dict[str, tuple[set[str], set[str]]], system: str, *, current_only: bool) -> set[str]:
    """Names of the evidence that concerns `system` or no system (and is current, with `current_only`)."""
    none, own = found.get("", (set(), set())), found.get(system, (set(), set())) if system else (set(), set())
    return none[current_only] | own[current_only]


def link_to(iri: str, item: Implemented, relation: str, row: dict[str, str] | None = None) -> Link:
    """A link from the implemented item `iri`; `row` holds the record's columns (none for "is")."""
    r = row or {}
    return Link(iri, item.notation, catalog_key(iri), item.status, item.via, item.evidence, relation,
                r.get("record", ""), r.get("set", ""), r.get("creator", ""), r.get("recSource", ""),
                r.get("confidence", ""), r.get("inferred", "") == "true", tuple(r.get("derivedFrom", "").split()),
                r.get("rationale", ""))


def _owed(store: Store, slug: str, today: dt.date, memo: Memo | None) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The AI Act obligations the organisation's systems owe, from the one applicability engine (as validation), and
    when each is due, in words: "in force" when it is for some system on `today`, else "applies from D" (the
    earliest date), else "cannot tell yet: record …" — never a duty of a later date shown as due now."""
    result = assessed(store, slug, today, memo)
    answers: dict[str, list[Duty]] = {}
    for a in result.owed_answers():
        answers.setdefault(a.obligation.iri, []).append(duty(a, today))
    due = {}
    for iri, listed in answers.items():
        dated = sorted(d.applies_from for d in listed if d.status == APPLIES and d.applies_from)
        if any(d.in_force for d in listed):
            due[iri] = IN_FORCE
        elif dated:
            due[iri] = f"applies from {dated[0].isoformat()}"
        else:
            due[iri] = next(d.state for d in listed)
    return result.owed(), due


def inputs(store: Store, slug: str, today: dt.date, memo: Memo) -> list[Callable[[], object]]:
    """What the gap reports share, each kept by `memo` for the data generation (ReportCache.warm computes them after a
    write); the AI Act's owed obligations are the applicability engine's (soa.inputs)."""
    graph = org_info(store, slug, memo).graph
    return [lambda: implemented(store, graph, today, memo),
            lambda: shared_rows(store, memo, "report-gap-obligation-evidence", graph=graph, today=today.isoformat())]


def analyse(store: Store, slug: str, target: str, today: dt.date,
            memo: Memo | None = None) -> tuple[list[Requirement], dict[str, Implemented]]:
    scheme, _title = check_target(target)
    info = org_info(store, slug, memo)
    impl = dict(implemented(store, info.graph, today, memo))  # a copy: the AI Act's own evidence is added below
    owed, due = _owed(store, slug, today, memo) if target == "eu-ai-act" else ({}, {})
    params = {"obligations": " ".join(sorted(owed))} if target == "eu-ai-act" else {}
    reqs: dict[str, Requirement] = {}
    for row in run(store, TARGET_QUERY[target], **params).rows:
        iri = text(row["target"])
        if iri in reqs:
            continue
        systems = tuple(sorted(owed.get(iri, ()))) or (tuple(text(row.get("systems")).split()) if row.get("systems") is not None else ())
        reqs[iri] = Requirement(iri, text(row["notation"]), text(row.get("title")), text(row["part"]),
                                text(row.get("group")), text(row.get("groupTitle")).strip(),
                                num(row.get("order")) or 0, systems, due=due.get(iri, ""))
    if target == "eu-ai-act":
        impl.update(obligation_evidence(store, info.graph, today, owed, {iri: r.notation for iri, r in reqs.items()}, memo))
    for iri, req in reqs.items():
        if iri in impl:
            req.links.append(link_to(iri, impl[iri], "is"))
    for row in run(store, "report-gap-records", scheme=str(scheme)).rows:
        wanted = reqs.get(text(row["target"]))
        if wanted is None:
            continue
        src = text(row["source"])
        relation = text(row["relation"]).rsplit("#", 1)[-1]
        if src not in impl:
            if catalog_key(src) in OWN_CATALOGS:
                cand = f"{words.item_name(src, text(row.get('sourceNotation')) or short(src))} ({words.relation_phrase(relation)} it)"
                if cand not in wanted.candidates:
                    wanted.candidates.append(cand)
            continue
        wanted.links.append(link_to(src, impl[src], relation, {k: text(v) for k, v in row.items()}))
    walk_chains(store, reqs.values())
    for row in run(store, "report-gap-no-counterpart", scheme=str(scheme)).rows:
        missing = reqs.get(text(row["target"]))
        if missing is not None:
            missing.no_counterpart.append((text(row["record"]), text(row.get("rationale"))))
    ordered = sorted(reqs.values(), key=lambda r: (r.order, r.notation))
    for r in ordered:
        r.links.sort(key=lambda x: (not x.full, not x.full_strength, x.relation != "is", x.source_notation, x.record))
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


def stats(reqs: list[Requirement], isms_only: bool = False) -> tuple[GroupStats, list[GroupStats]]:
    """Counts per status, for all requirements, per part (when there are several) and per group;
    with `isms_only`, as the ISO/IEC 27001 items alone would give them (the baseline)."""
    total = GroupStats("all", "all", "All requirements")
    groups: dict[tuple[str, str], GroupStats] = {}
    for r in reqs:
        links = r.isms_links() if isms_only else r.links
        g = groups.setdefault((r.part, r.group), GroupStats(r.part, r.group, r.group_title or short(r.group) or "other"))
        for s in (total, g):
            s.add(coverage.status(links), coverage.weight(links))
    parts: dict[str, GroupStats] = {}
    for (part, _), g in groups.items():
        parts.setdefault(part, GroupStats(part, part, f"{part} (all)")).merge(g)
    out = list(parts.values()) if len(parts) > 1 else []
    return total, out + list(groups.values())


COLUMNS = ["requirement", "title", "part", "group", "coverage", "covered_by", "current_evidence", "mapping_records",
           "relations", "reason", "candidates", "applies_via_systems", "due", "iri"]


def sort_key(notation: str) -> list[tuple[int, int, str]]:
    """Clauses before Annex A, numbers numerically: 4.1 < 10.2 < A.5.1 < A.5.10."""
    return [(1, 0, x) if not x.isdigit() else (0, int(x), "") for x in notation.replace(".", " ").split()]


def reuse_table(reqs: list[Requirement]) -> Table:
    """Which of my 27001 items already satisfy this target: fully (with evidence), without current
    evidence, or in part."""
    reuse: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"full": [], "no_evidence": [], "partial": []})
    iris: dict[str, str] = {}
    for r in reqs:
        for link in coverage.overlapping(r.isms_links()):
            kind = "full" if link.full else ("no_evidence" if link.full_strength else "partial")
            reuse[link.source_notation][kind].append(r.notation)
            iris[link.source_notation] = link.source
    return Table("reuse", ["iso27001_control", "covers_fully", "covers_fully_without_current_evidence", "covers_in_part"], [
        {"iso27001_control": k, "covers_fully": "; ".join(v["full"]),
         "covers_fully_without_current_evidence": "; ".join(v["no_evidence"]), "covers_in_part": "; ".join(v["partial"]),
         "iri": iris[k]}
        for k, v in sorted(reuse.items(), key=lambda kv: sort_key(kv[0]))
    ], key="iso27001_control")


def due_counts(reqs: list[Requirement]) -> dict[str, int]:
    """AI Act targets: how many are in force on the date, apply from a later date, cannot be told yet — and of the
    new work, how many are in force (the rest is not due now)."""
    def kind(r: Requirement) -> str:
        return "in force" if r.due == IN_FORCE else "later" if r.due.startswith("applies from") else "cannot tell yet"

    dated = [r for r in reqs if r.due]
    out = {k: sum(1 for r in dated if kind(r) == k) for k in ("in force", "later", "cannot tell yet")}
    out["new work in force"] = sum(1 for r in dated if kind(r) == "in force" and r.coverage == coverage.NONE)
    return out


def headline(reqs: list[Requirement]) -> dict[str, int]:
    """The first screen's answer: of what the organisation has not implemented (with evidence) as
    such, what do its ISO 27001 items already give, and what is new work? The parts add up to "rest"."""
    own = [r for r in reqs if any(link.relation == "is" and link.full for link in r.links)]
    rest = [r for r in reqs if r not in own]
    answer = {
        "own": len(own),
        "rest": len(rest),
        "by_27001_fully": sum(1 for r in rest if any(link.full for link in r.isms_links())),
        "by_27001_in_part": sum(1 for r in rest if r.coverage == coverage.PARTIAL and r.isms_links()),
        "no_evidence": sum(1 for r in rest if r.coverage == coverage.NO_EVIDENCE),
        "new": sum(1 for r in rest if r.coverage == coverage.NONE),
        "links_from_27001": sum(len(r.isms_links()) for r in rest),
    }
    answer["other"] = answer["rest"] - answer["by_27001_fully"] - answer["by_27001_in_part"] - answer["new"]
    return answer


def build(store: Store, slug: str, target: str, today: dt.date, memo: Memo | None = None) -> Report:
    scheme, title = check_target(target)
    info = org_info(store, slug, memo)
    reqs, impl = analyse(store, slug, target, today, memo)
    total, groups = stats(reqs)
    baseline, baseline_groups = stats(reqs, isms_only=True)
    table = Table("gap", COLUMNS, key="requirement")
    labels = {s.iri: s.label for s in info.systems}
    for r in reqs:
        table.rows.append({
            "requirement": r.notation, "title": r.title, "part": r.part, "group": r.group_title,
            "coverage": COVERAGE_LABEL[r.coverage],
            "covered_by": "; ".join(dict.fromkeys(link.source_notation for link in r.links)),
            "current_evidence": "; ".join(sorted({e for link in r.links for e in link.evidence})),
            "mapping_records": " ".join(dict.fromkeys(link.record for link in r.links if link.record)),
            "relations": "; ".join(dict.fromkeys(
                f"{link.source_notation} {link.relation}" for link in r.links)),
            "reason": r.reason,
            "candidates": "; ".join(r.candidates[:8]),
            "applies_via_systems": "; ".join(labels.get(s, short(s)) for s in r.systems),
            "due": r.due,
            "iri": r.iri,
        })
    group_table = Table("coverage", STATS_COLUMNS, [total.as_row()] + [g.as_row() for g in groups])
    baseline_table = Table("baseline-27001", STATS_COLUMNS, [baseline.as_row()] + [g.as_row() for g in baseline_groups])
    impl_27001 = sum(1 for iri, item in impl.items()
                     if catalog_key(iri) == ISMS and item.status == "implemented" and "/A-" in iri)
    return Report("gap", f"Gap analysis to {title}", slug, info.label, info.graph, today,
                  [table, group_table, baseline_table, reuse_table(reqs)],
                  {"target": target, "target_title": title, "scheme": str(scheme), "requirements": reqs,
                   "total": total, "groups": groups, "baseline": baseline, "implemented_27001": impl_27001,
                   "answer": headline(reqs), "weighting": coverage.WEIGHTING, "legend": LEGEND, "due": due_counts(reqs),
                   "targets": [(key, catalog(cat).title) for key, cat in TARGETS.items()]})


def explain(report: Report, requirement: str) -> list[Requirement]:
    """The requirements of a gap report whose notation or IRI matches `requirement` (case-insensitive)."""
    want = requirement.strip().lower()
    reqs: list[Requirement] = report.extra["requirements"]
    return [r for r in reqs if want in (r.notation.lower(), r.iri.lower(), short(r.iri).lower())]
