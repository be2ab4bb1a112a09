"""Official crosswalks → mapping sets (DESIGN.md §6; the reference sources' crosswalks/).

Each source keeps its own word: NIST's tables state no set relation, so their records say
``ng:relatedTo`` (the "intersect" in the converted SP 800-53 file is a packager default, not
NIST's); only the CMMC ↔ SP 800-171 identity is ``ng:equalTo``. Rows that are empty, malformed
or suspect are reported as Issues — never silently dropped or fixed.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from rdflib import Graph, URIRef

from normgraph.catalogs.common import LICENSES, SourceError, read_csv, text
from normgraph.iri import SEMAPV, notation_iri, scheme_iri
from normgraph.mappings.records import (
    EQUAL,
    RELATED,
    Issue,
    MappingRecord,
    MappingSetInfo,
    set_graph,
)

NIST = "National Institute of Standards and Technology (NIST)"
#: The AI RMF → ISO/IEC 42001 crosswalk is hosted by NIST's AI Resource Center but was not written by
#: NIST. The document itself names no author (its pages carry its title and the table only, and the text copy
#: read keeps no file metadata); the Resource Center's list of crosswalk documents, which NIST says come from
#: the AI RMF user community, names Microsoft as its provider. Author and host are kept apart
#: (dct:creator / dct:publisher) in the graph and in every export, and the set's description says where
#: the attribution comes from (AIRMF_CROSSWALK_ATTRIBUTION).
AIRMF_CROSSWALK_AUTHOR = "Microsoft"
AIRMF_CROSSWALK_TITLE = "NIST AI RMF to ISO/IEC FDIS 42001 AI Management system Crosswalk"
AIRMF_CROSSWALK_ATTRIBUTION = (
    f"Author and host: the document itself names no author. Its sixteen pages carry only its title, "
    f"'{AIRMF_CROSSWALK_TITLE}', and the table: no cover page, author line, organisation or copyright line, and "
    f"the text copy converted from its PDF keeps no file metadata (no PDF author or creator field). It is "
    f"published on NIST's AI Resource Center, in the list of crosswalk documents that NIST says are submitted by "
    f"the AI RMF user community and lists without endorsing them; that list names {AIRMF_CROSSWALK_AUTHOR} as the "
    f"provider of this crosswalk. So {AIRMF_CROSSWALK_AUTHOR} is recorded as its author (dct:creator) on the "
    f"strength of the host's list, and NIST's AI Resource Center as its host (dct:publisher); the 'NIST' in the "
    f"title names the framework mapped, not the author."
)
AIRMF_CROSSWALK_HOST = "National Institute of Standards and Technology (NIST), AI Resource Center"
CSA = "https://github.com/CloudSecurityAlliance-DataSets/dataset-public-laws-regulations-standards/blob/7d418867b0650a0982683b90af1bd0a42357a227/"
CA = "https://github.com/intuitem/ciso-assistant-community/blob/f990d7b1b9a9f56e391acbc247c9076262a11412/"
TB = "https://github.com/tbusillo/nist-800-171-oscal/blob/5fc2ed3a5af50a12d8435cd649ca7cd7f1395429/"

#: Source documents, as cited in the records' dct:source.
AIRMF_CROSSWALK = URIRef("https://airc.nist.gov/docs/NIST_AI_RMF_to_ISO_IEC_42001_Crosswalk.pdf")
CSF_REFERENCE_TOOL = URIRef("https://csrc.nist.gov/Projects/Cybersecurity-Framework/Filters")
SP80053_OLIR = URIRef("https://csrc.nist.gov/CSRC/media/Publications/sp/800-53/rev-5/final/documents/sp800-53r5-to-iso-27001-mapping.docx")
SP800171R2 = URIRef("https://doi.org/10.6028/NIST.SP.800-171r2")
CMMC_MODEL = URIRef("https://dodcio.defense.gov/CMMC/Model/")

Built = tuple[MappingSetInfo, list[MappingRecord], list[Issue]]


def _rel(sources: Path, path: Path) -> str:
    try:
        return str(path.relative_to(sources.parent))
    except ValueError:
        return str(path)


def _check_header(path: Path, row: dict[str, str], columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in row]
    if missing:
        raise SourceError(path, "line 1", f"missing column(s) {', '.join(missing)}")


def airmf_to_iso42001(sources: Path) -> Built:
    """NIST AI RMF 1.0 → ISO/IEC 42001:2023 (Microsoft's crosswalk hosted by NIST's AIRC, 280 pairs, relatedTo)."""
    path = sources / "crosswalks" / "nist-ai-rmf-1.0_to_iso42001-2023.csv"
    slug = "nist-ai-rmf-1.0_to_iso42001-2023"
    name = _rel(sources, path)
    records: list[MappingRecord] = []
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for line, row in read_csv(path):
        _check_header(path, row, ("ai_rmf_subcategory", "iso42001_ref", "title_as_printed", "note"))
        sub, ref = text(row["ai_rmf_subcategory"]), text(row["iso42001_ref"])
        if not sub or not ref:
            issues.append(Issue(name, line, "empty row", "no subcategory or no ISO reference; no record"))
            continue
        if (sub, ref) in seen:
            issues.append(Issue(name, line, f"duplicate pair {sub} -> {ref}", "already recorded; no second record"))
            continue
        seen.add((sub, ref))
        note = text(row["note"])
        notes: tuple[str, ...] = ()
        if note:
            notes = (f"Source defect (kept as printed): {note}",)
            issues.append(Issue(name, line, f"{sub} -> {ref} flagged", note + " (record kept, note attached)"))
        printed = text(row["title_as_printed"])
        records.append(
            MappingRecord(
                subject=notation_iri("nist-ai-rmf-1.0", sub),
                predicate=RELATED,
                object=notation_iri("iso42001-2023", ref),
                set_slug=slug,
                justification=SEMAPV.ManualMappingCuration,
                creator=AIRMF_CROSSWALK_AUTHOR,
                source=AIRMF_CROSSWALK,
                rationale=(
                    f"The AI RMF to ISO/IEC 42001 crosswalk (by {AIRMF_CROSSWALK_AUTHOR}, hosted by NIST's AI "
                    f"Resource Center) lists {ref} ('{printed}', FDIS wording) "
                    f"against {sub}; it states no set relation."
                ),
                notes=notes,
                object_label=printed,
            )
        )
    info = MappingSetInfo(
        slug=slug,
        title=f"NIST AI RMF 1.0 to ISO/IEC 42001:2023 (crosswalk by {AIRMF_CROSSWALK_AUTHOR}, hosted by NIST)",
        subject_scheme=scheme_iri("nist-ai-rmf-1.0"),
        object_scheme=scheme_iri("iso42001-2023"),
        source=AIRMF_CROSSWALK,
        license=LICENSES["public-domain-us"],
        version="NIST AI RMF to ISO/IEC FDIS 42001 crosswalk (FDIS numbering, B.x read as A.x)",
        derived_from=[
            URIRef(
                CSA + "reference/nist.gov/ai-rmf-crosswalks/NIST_AI_RMF_to_ISO_IEC_42001_Crosswalk/"
                "NIST_AI_RMF_to_ISO_IEC_42001_Crosswalk.md"
            )
        ],
        description=(
            "Every pair of the AI RMF to ISO/IEC 42001 crosswalk as an ng:relatedTo record: for each AI RMF "
            "subcategory the crosswalk names related ISO/IEC 42001 clauses and Annex A controls but states no set "
            f"relation. {AIRMF_CROSSWALK_ATTRIBUTION}"
        ),
        modified=dt.date(2026, 8, 5),
        creator=AIRMF_CROSSWALK_AUTHOR,
        publisher=AIRMF_CROSSWALK_HOST,
    )
    return info, records, issues


def csf_to_iso27001(sources: Path) -> Built:
    """NIST CSF 2.0 → ISO/IEC 27001:2022 (NIST informative references, relatedTo).

    ``malformed`` rows are kept with the file's normalisation and a note; ``typo`` rows (6.11,
    6.13) are excluded — the likely clause is NOT guessed; ``empty`` rows give no record. Two
    malformed rows that normalise to a pair already present (4.2(a) and 4.2(b) → 4.2) merge
    into one record carrying both printed lines.
    """
    path = sources / "crosswalks" / "nist-csf-2.0_to_iso27001-2022.csv"
    slug = "nist-csf-2.0_to_iso27001-2022"
    name = _rel(sources, path)
    issues: list[Issue] = []
    pairs: dict[tuple[str, str], dict[str, list[str]]] = {}
    for line, row in read_csv(path):
        _check_header(path, row, ("csf_subcategory", "as_printed", "normalized_ref", "flag", "note"))
        sub, ref, flag = text(row["csf_subcategory"]), text(row["normalized_ref"]), text(row["flag"])
        printed, note = text(row["as_printed"]), text(row["note"])
        if flag == "empty":
            issues.append(Issue(name, line, f"{sub}: empty reference", f"{note or 'nothing printed'}; no record"))
            continue
        if flag == "typo":
            issues.append(Issue(name, line, f"{sub}: '{printed}' excluded", f"{note}; not a clause, the fix is not guessed"))
            continue
        if flag not in ("", "malformed"):
            issues.append(Issue(name, line, f"{sub}: unknown flag {flag!r}", "row excluded"))
            continue
        if not sub or not ref:
            issues.append(Issue(name, line, f"{sub or '?'}: no usable reference", "row excluded"))
            continue
        repeated = (sub, ref) in pairs
        entry = pairs.setdefault((sub, ref), {"printed": [], "notes": []})
        if printed not in entry["printed"]:
            entry["printed"].append(printed)
        if flag == "malformed":
            entry["notes"].append(f"Source line '{printed}' is malformed: {note}.")
            issues.append(Issue(name, line, f"{sub} -> {ref} malformed", f"{note}; kept as normalised, flagged"))
        if repeated:
            issues.append(
                Issue(
                    name,
                    line,
                    f"{sub} -> {ref} repeated",
                    "same normalised pair as an earlier row; merged into one record",
                )
            )
    records: list[MappingRecord] = []
    for (sub, ref), entry in pairs.items():
        lines = "; ".join(f"'{p}'" for p in entry["printed"])
        records.append(
            MappingRecord(
                subject=notation_iri("nist-csf-2.0", sub),
                predicate=RELATED,
                object=notation_iri("iso27001-2022", ref),
                set_slug=slug,
                justification=SEMAPV.ManualMappingCuration,
                creator=NIST,
                source=CSF_REFERENCE_TOOL,
                rationale=f"NIST CSF 2.0 informative reference of {sub}: {lines}; NIST states no set relation.",
                notes=tuple(dict.fromkeys(entry["notes"])),
            )
        )
    info = MappingSetInfo(
        slug=slug,
        title="NIST CSF 2.0 to ISO/IEC 27001:2022 (NIST informative references)",
        subject_scheme=scheme_iri("nist-csf-2.0"),
        object_scheme=scheme_iri("iso27001-2022"),
        source=CSF_REFERENCE_TOOL,
        license=LICENSES["public-domain-us"],
        version="CSF 2.0 Reference Tool export (February 2024)",
        derived_from=[URIRef(CSA + "control/nist.gov/csf/2.0/csf-2.0.json")],
        description=(
            "The ISO/IEC 27001:2022 lines of the Informative References of the CSF 2.0 subcategories, "
            "one ng:relatedTo record per distinct pair. Malformed lines are kept as normalised and "
            "flagged; the two typo lines (6.11, 6.13) and the empty lines give no record."
        ),
        modified=dt.date(2026, 8, 5),
        creator=NIST,
    )
    return info, records, issues


def sp80053_to_iso27001(sources: Path) -> Built:
    """NIST SP 800-53 r5 → ISO/IEC 27001:2022 (NIST OLIR mapping 2023-10-12; 642 pairs, relatedTo)."""
    path = sources / "crosswalks" / "nist-sp800-53r5_to_iso27001-2022.csv"
    slug = "nist-sp800-53r5_to_iso27001-2022"
    name = _rel(sources, path)
    records: list[MappingRecord] = []
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for line, row in read_csv(path):
        _check_header(path, row, ("sp800_53r5_id", "iso27001_2022_ref"))
        ctl, ref = text(row["sp800_53r5_id"]), text(row["iso27001_2022_ref"])
        if not ctl or not ref:
            issues.append(Issue(name, line, "empty row", "no SP 800-53 id or no ISO reference; no record"))
            continue
        if (ctl, ref) in seen:
            issues.append(Issue(name, line, f"duplicate pair {ctl} -> {ref}", "no second record"))
            continue
        seen.add((ctl, ref))
        records.append(
            MappingRecord(
                subject=notation_iri("nist-sp800-53r5", ctl),
                predicate=RELATED,
                object=notation_iri("iso27001-2022", ref),
                set_slug=slug,
                justification=SEMAPV.ManualMappingCuration,
                creator=NIST,
                source=SP80053_OLIR,
                rationale=(
                    f"NIST's SP 800-53 Rev. 5 to ISO/IEC 27001:2022 mapping pairs {ctl} with {ref}; "
                    "the relationship type did not survive conversion, so no set relation is claimed."
                ),
            )
        )
    info = MappingSetInfo(
        slug=slug,
        title="NIST SP 800-53 Rev. 5 to ISO/IEC 27001:2022 (NIST mapping)",
        subject_scheme=scheme_iri("nist-sp800-53r5"),
        object_scheme=scheme_iri("iso27001-2022"),
        source=SP80053_OLIR,
        license=LICENSES["public-domain-us"],
        version="NIST OLIR sp800-53r5-to-iso-27001-mapping-2022, 2023-10-12",
        derived_from=[URIRef(CA + "backend/library/libraries/mapping-nist-sp-800-53-rev5-to-iso27001-2022.yaml")],
        description=(
            "Id pairs of NIST's mapping. The converted file marks every pair 'intersect', a packager "
            "default rather than NIST's word, so each record says ng:relatedTo."
        ),
        modified=dt.date(2026, 8, 8),
        creator=NIST,
    )
    return info, records, issues


def sp800171_to_sp80053(sources: Path) -> Built:
    """NIST SP 800-171 r2 → SP 800-53 (Appendix D references; 191 pairs, relatedTo).

    The references cite Rev. 4 controls; ids withdrawn in Rev. 5 are kept (they are NIST's word)
    and flagged in the record and the report.
    """
    path = sources / "nist-sp800-171r2" / "sp800-171r2_to_sp800-53.csv"
    slug = "nist-sp800-171r2_to_nist-sp800-53r5"
    name = _rel(sources, path)
    records: list[MappingRecord] = []
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for line, row in read_csv(path):
        _check_header(path, row, ("sp800_171r2_id", "sp800_53_control_id", "as_printed", "sp800_53r5_status", "note"))
        req, ctl = text(row["sp800_171r2_id"]), text(row["sp800_53_control_id"])
        status, printed, note = text(row["sp800_53r5_status"]), text(row["as_printed"]), text(row["note"])
        if not req or not ctl:
            issues.append(Issue(name, line, "empty row", "no SP 800-171 id or no SP 800-53 id; no record"))
            continue
        if (req, ctl) in seen:
            issues.append(Issue(name, line, f"duplicate pair {req} -> {ctl}", "no second record"))
            continue
        seen.add((req, ctl))
        notes: list[str] = []
        if status == "withdrawn in r5":
            notes.append(f"{ctl} is a SP 800-53 Rev. 4 id withdrawn in Rev. 5; kept as NIST cites it.")
            issues.append(Issue(name, line, f"{req} -> {ctl}", "Rev. 4 id withdrawn in Rev. 5; record kept, flagged"))
        elif status != "in r5":
            notes.append(f"Unexpected Rev. 5 status {status!r} in the source.")
            issues.append(Issue(name, line, f"{req} -> {ctl}", f"unknown status {status!r}; record kept, flagged"))
        if note:
            notes.append(f"Source: {note}.")
            issues.append(Issue(name, line, f"{req} -> {ctl} (printed {printed!r})", note))
        records.append(
            MappingRecord(
                subject=notation_iri("nist-sp800-171r2", req),
                predicate=RELATED,
                object=notation_iri("nist-sp800-53r5", ctl),
                set_slug=slug,
                justification=SEMAPV.ManualMappingCuration,
                creator=NIST,
                source=SP800171R2,
                rationale=(
                    f"SP 800-171 r2 Appendix D lists SP 800-53 {printed} as a source control of "
                    f"requirement {req}; no set relation is stated."
                ),
                notes=tuple(notes),
            )
        )
    info = MappingSetInfo(
        slug=slug,
        title="NIST SP 800-171 Rev. 2 to NIST SP 800-53 (Appendix D references)",
        subject_scheme=scheme_iri("nist-sp800-171r2"),
        object_scheme=scheme_iri("nist-sp800-53r5"),
        source=SP800171R2,
        license=LICENSES["public-domain-us"],
        version="SP 800-171 Rev. 2 (February 2020, updated January 2021), Appendix D (cites SP 800-53 Rev. 4)",
        derived_from=[
            URIRef(TB + "dist/nist-800-171-rev2.json"),
            URIRef(TB + "misc/nist_800_53_mappings.json"),
        ],
        description=(
            "SP 800-171 r2 requirements and the SP 800-53 controls NIST cites for them. The citations "
            "are Rev. 4 ids; the six withdrawn in Rev. 5 are kept and flagged. 3.12.4 has no reference."
        ),
        modified=dt.date(2026, 8, 8),
        creator=NIST,
        attribution="Mapping facts: NIST. Extracted from tbusillo/nist-800-171-oscal (MIT, (c) 2022 Tom Busillo).",
    )
    return info, records, issues


def cmmc_to_sp800171(sources: Path) -> Built:
    """CMMC 2.0 → SP 800-171 r2: 110 identity pairs (ng:equalTo, the only identity a source states)."""
    path = sources / "crosswalks" / "cmmc-2.0_to_nist-sp800-171r2.csv"
    slug = "cmmc-2.0_to_nist-sp800-171r2"
    name = _rel(sources, path)
    records: list[MappingRecord] = []
    issues: list[Issue] = []
    seen: set[str] = set()
    for line, row in read_csv(path):
        _check_header(path, row, ("cmmc_practice_id", "sp800_171r2_id"))
        practice, req = text(row["cmmc_practice_id"]), text(row["sp800_171r2_id"])
        if not practice or not req:
            issues.append(Issue(name, line, "empty row", "no practice or no requirement; no record"))
            continue
        if not practice.endswith("-" + req):
            issues.append(Issue(name, line, f"{practice} -> {req}", "id suffix differs: not an identity; excluded"))
            continue
        if practice in seen:
            issues.append(Issue(name, line, f"duplicate practice {practice}", "no second record"))
            continue
        seen.add(practice)
        records.append(
            MappingRecord(
                subject=notation_iri("cmmc-2.0", practice),
                predicate=EQUAL,
                object=notation_iri("nist-sp800-171r2", req),
                set_slug=slug,
                justification=SEMAPV.ManualMappingCuration,
                creator="U.S. Department of Defense (CMMC Program Office)",
                source=CMMC_MODEL,
                confidence=Decimal("1.0"),
                rationale=(
                    f"CMMC 2.0 practice {practice} is SP 800-171 r2 requirement {req} (the practice id "
                    "carries the requirement id; the CMMC model states the practices are the requirements)."
                ),
            )
        )
    info = MappingSetInfo(
        slug=slug,
        title="CMMC 2.0 to NIST SP 800-171 Rev. 2 (identity)",
        subject_scheme=scheme_iri("cmmc-2.0"),
        object_scheme=scheme_iri("nist-sp800-171r2"),
        source=CMMC_MODEL,
        license=LICENSES["cc-by-4.0"],
        version="CMMC 2.0 model (practices as in the reference pack)",
        derived_from=[URIRef(CA + "backend/library/libraries/cmmc-2.0.yaml")],
        description="Each CMMC 2.0 practice equals the SP 800-171 r2 requirement whose id is its suffix.",
        modified=dt.date(2026, 8, 8),
        creator="U.S. Department of Defense (CMMC Program Office)",
        attribution=(
            "Copyright 2020, 2021 Carnegie Mellon University and The Johns Hopkins University Applied Physics "
            "Laboratory LLC. Copyright 2021 Futures, Inc. Licensed under CC BY 4.0."
        ),
    )
    return info, records, issues


#: Every official set builder, in build order.
BUILDERS: tuple[Callable[[Path], Built], ...] = (
    airmf_to_iso42001,
    csf_to_iso27001,
    sp80053_to_iso27001,
    sp800171_to_sp80053,
    cmmc_to_sp800171,
)


def ingest(sources: Path) -> tuple[dict[str, Graph], list[Issue], dict[str, list[MappingRecord]]]:
    """Build every official set: graphs by output path, the ingest report, the records by path."""
    graphs: dict[str, Graph] = {}
    issues: list[Issue] = []
    records: dict[str, list[MappingRecord]] = {}
    for builder in BUILDERS:
        info, recs, found = builder(sources)
        out = f"data/mappings/{info.slug}.ttl"
        graphs[out] = set_graph(info, recs)
        records[out] = recs
        issues.extend(found)
    return graphs, issues, records


def build(sources: Path) -> dict[str, Graph]:
    """Converter entry point (normgraph.catalogs convention); prints the ingest report to stderr."""
    graphs, issues, _ = ingest(sources)
    for issue in issues:
        print(f"ingest: {issue}", file=sys.stderr)
    return graphs
