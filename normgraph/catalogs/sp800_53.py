"""NIST SP 800-53 Revision 5: 20 families, 322 controls and 867 control enhancements.

Source: the reference pack's nist-sp800-53r5/800-53-r5-controls.json (a copy of CSA's extraction
from the PDF). "AC-2(1)" becomes local name "AC-2-1" (DESIGN.md §2); an enhancement is
skos:broader its base control, a control its family (`family-AC`). Related controls are
skos:related between the two control IRIs (only when the target exists; all do in this file).

Defect of the source file: the 179 controls withdrawn in Rev. 5 have empty statement text and the
"[Withdrawn: …]" notice is not kept. They are written with ng:withdrawn true and no ng:text; an
entry with empty text is read as withdrawn, and a withdrawn entry that still has a discussion or
related controls is a SourceError (it would mean the text was lost, not withdrawn). Active items
carry no ng:withdrawn triple.

The family names are not in the source file; they are SP 800-53 r5's (Table 1).
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from normgraph.catalogs.common import Publication, SourceError, csa_url, en, pack_url, read_json, text
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG

KEY = "nist-sp800-53r5"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(KEY, "sp80053", "NIST SP 800-53 Rev. 5", "SP 800-53", 10)
CATALOGS = (ENTRY,)
FILE = "nist-sp800-53r5/800-53-r5-controls.json"
CSA_PATH = "control/nist.gov/800-53/r5/800-53-r5-controls.json"
OFFICIAL = "https://doi.org/10.6028/NIST.SP.800-53r5"
#: The publication the scheme describes, and the licence of the converted text.
PUBLICATION = Publication(
    ENTRY,
    kind=NG.Standard,
    title="NIST SP 800-53 Rev. 5, Security and Privacy Controls for Information Systems and "
    "Organizations",
    publisher="National Institute of Standards and Technology",
    version="Revision 5",
    issued="2020-09-23",
    source=OFFICIAL,
    license="public-domain-us",
)
FIELDS = ("control_id", "family", "base_control", "is_enhancement", "name", "control_text",
          "discussion", "related_controls")

#: SP 800-53 r5, Table 1: security and privacy control families (in the publication's order).
FAMILIES = {
    "AC": "Access Control",
    "AT": "Awareness and Training",
    "AU": "Audit and Accountability",
    "CA": "Assessment, Authorization, and Monitoring",
    "CM": "Configuration Management",
    "CP": "Contingency Planning",
    "IA": "Identification and Authentication",
    "IR": "Incident Response",
    "MA": "Maintenance",
    "MP": "Media Protection",
    "PE": "Physical and Environmental Protection",
    "PL": "Planning",
    "PM": "Program Management",
    "PS": "Personnel Security",
    "PT": "Personally Identifiable Information Processing and Transparency",
    "RA": "Risk Assessment",
    "SA": "System and Services Acquisition",
    "SC": "System and Communications Protection",
    "SI": "System and Information Integrity",
    "SR": "Supply Chain Risk Management",
}
_ID = re.compile(r"(?P<base>(?P<family>[A-Z]{2})-\d+)(?:\((?P<enh>\d+)\))?")


def build(sources: Path) -> dict[str, Graph]:
    path = sources / FILE
    entries = read_json(path)
    if not isinstance(entries, list) or not entries:
        raise SourceError(path, "top level", "expected a non-empty list of controls")
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or any(f not in e for f in FIELDS):
            raise SourceError(path, f"entry {i}", f"expected fields {', '.join(FIELDS)}")
        cid = e["control_id"]
        m = _ID.fullmatch(str(cid))
        where = f"entry {i} ({cid})"
        if not m:
            raise SourceError(path, where, "control id like 'AC-2' or 'AC-2(1)' required")
        if (m["family"] != e["family"] or m["base"] != e["base_control"]
                or bool(m["enh"]) != bool(e["is_enhancement"])):
            raise SourceError(path, where, "family / base_control / is_enhancement disagree "
                              "with the id")
        if m["family"] not in FAMILIES:
            raise SourceError(path, where, f"unknown family {m['family']}")
        if not text(e["name"]):
            raise SourceError(path, where, "name is empty")
        if not text(e["control_text"]) and (text(e["discussion"]) or e["related_controls"]):
            raise SourceError(path, where, "statement text is empty but the entry has a "
                              "discussion or related controls (text lost, not withdrawn?)")
    known = {e["control_id"] for e in entries}

    g, c = PUBLICATION.start()
    used = {e["family"] for e in entries}
    for fam, name in FAMILIES.items():
        if fam in used:
            c.add(fam, name, NG.RequirementFamily, prefix="family-")
    for i, e in enumerate(entries):
        cid = e["control_id"]
        where = f"entry {i} ({cid})"
        if e["is_enhancement"]:
            parent = c.iris.get(e["base_control"])
            if parent is None:
                raise SourceError(path, where, f"base control {e['base_control']} is not an "
                                  "earlier entry")
            cls = NG.ControlEnhancement
        else:
            parent, cls = c.iris[e["family"]], NG.Control
        try:
            node = c.add(cid, text(e["name"]), cls, parent=parent)
        except ValueError as err:
            raise SourceError(path, where, str(err)) from None
        statement = e["control_text"].strip()
        if statement:
            # Keep the line breaks: they separate the lettered parts (a., b., 1., (a)).
            g.add((node, NG.text, en("\n".join(text(line) for line in statement.splitlines()
                                               if text(line)))))
        else:
            g.add((node, NG.withdrawn, Literal(True)))
        if text(e["discussion"]):
            g.add((node, NG.discussion, en(text(e["discussion"]))))
        for target in e["related_controls"]:
            if target in known:
                g.add((node, SKOS.related, c.iri(target)))
    missing = sorted(set(FAMILIES) - used)
    if missing:
        raise SourceError(path, "families", f"no entries for {', '.join(missing)}")

    return PUBLICATION.finish(
        g,
        title="NIST SP 800-53 Rev. 5: controls and control enhancements",
        derived_from=[pack_url(FILE), csa_url(CSA_PATH)],
        description="The SP 800-53 Rev. 5 control catalog (statements, discussion, related "
        "controls; withdrawn controls as ng:withdrawn true), converted from the normgraph "
        f"reference pack file {FILE}. Work of the US Government (public domain).",
    )
