"""NIST Cybersecurity Framework (CSF) 2.0: functions, categories, subcategories.

Source: the reference pack's nist-csf-2.0/csf-2.0.json (a copy of CSA's conversion of NIST's CSF 2.0
Reference Tool export): 185 rows, 106 active subcategories in 22 categories and 6 functions, and 79
withdrawn CSF 1.1 entries.

Withdrawn entries are kept, as items with ng:withdrawn true: NIST's Reference Tool lists them so
that CSF 1.1 identifiers (still used in older crosswalks) resolve; their ng:text is NIST's notice
("[Withdrawn: Incorporated into GV.OC-05]") and dct:isReplacedBy points at each CSF 2.0 item the
notice names. A category is withdrawn when it has no active subcategory (12 such: ID.BE, PR.AC, …).
Active items carry no ng:withdrawn triple. Informative References are not converted here (the
CSF→ISO crosswalk has its own file).

Subcategories have no titles: skos:prefLabel is NIST's statement, which is also ng:text.
Implementation examples are ng:implementationExample, one literal per example ("Ex1: …").
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from normgraph.catalogs.common import Publication, SourceError, csa_url, en, pack_url, read_json, text
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG

KEY = "nist-csf-2.0"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(KEY, "csf", "NIST CSF 2.0", "CSF 2.0", 9)
CATALOGS = (ENTRY,)
FILE = "nist-csf-2.0/csf-2.0.json"
CSA_PATH = "control/nist.gov/csf/2.0/csf-2.0.json"
OFFICIAL = "https://doi.org/10.6028/NIST.CSWP.29"
#: The publication the scheme describes, and the licence of the converted text.
PUBLICATION = Publication(
    ENTRY,
    kind=NG.Framework,
    title="The NIST Cybersecurity Framework (CSF) 2.0, NIST CSWP 29",
    publisher="National Institute of Standards and Technology",
    version="2.0",
    issued="2024-02-26",
    source=OFFICIAL,
    license="public-domain-us",
)
FIELDS = ("Status", "Function ID", "Function Name", "Function Description", "Category ID",
          "Category Name", "Category Description", "Subcategory ID", "Subcategory",
          "Implementation Examples")
_WITHDRAWN = re.compile(r"\[Withdrawn: (?:Incorporated into|Moved to|Moved into) (?P<to>[^\]]+)\]")
_ID = re.compile(r"[A-Z]{2}(?:\.[A-Z]{2}(?:-\d{2})?)?")
_DASH = re.compile(r" - ")


def _nist(value: object) -> str:
    """NIST's text with the source's dash defect undone.

    Defect of the source file (csf-2.0.json): NIST's dashes are written " - ". CSF 2.0 prints spaced em
    dashes there ("The circumstances — mission, …"), so every " - " in a description, statement or
    example becomes " — " (6 occurrences in this file, all parenthetical dashes).
    """
    return _DASH.sub(" — ", text(value if isinstance(value, str) else ""))


def build(sources: Path) -> dict[str, Graph]:
    path = sources / FILE
    rows = read_json(path)
    if not isinstance(rows, list) or not rows:
        raise SourceError(path, "top level", "expected a non-empty list of rows")
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or any(f not in row for f in FIELDS):
            raise SourceError(path, f"row {i}", f"expected fields {', '.join(FIELDS)}")
        if row["Status"] not in ("Active", "Withdrawn"):
            raise SourceError(path, f"row {i} ({row['Subcategory ID']})",
                              f"unknown Status {row['Status']!r}")
        sid, cid, fid = row["Subcategory ID"], row["Category ID"], row["Function ID"]
        if not (re.fullmatch(r"[A-Z]{2}", fid) and cid.startswith(fid + ".")
                and re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}", cid) and sid.startswith(cid + "-")
                and re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}-\d{2}", sid)):
            raise SourceError(path, f"row {i} ({sid or 'no id'})",
                              "function / category / subcategory ids do not nest")
        if not text(row["Subcategory"]):
            raise SourceError(path, f"row {i} ({sid})", "subcategory statement is empty")
    active_cats = {r["Category ID"] for r in rows if r["Status"] == "Active"}

    g, c = PUBLICATION.start()
    seen: dict[str, tuple[str, str]] = {}  # function / category id -> (name, description)
    replaced: list[tuple[URIRef, str, str]] = []  # (withdrawn item, notice, where)

    def withdrawn(node: URIRef, notice: str, where: str) -> None:
        m = _WITHDRAWN.fullmatch(notice)
        if not m:
            raise SourceError(path, where, f"withdrawn entry without a notice: {notice!r}")
        g.add((node, NG.withdrawn, Literal(True)))
        replaced.append((node, m["to"], where))

    for i, row in enumerate(rows):
        fid, cid, sid = row["Function ID"], row["Category ID"], row["Subcategory ID"]
        where = f"row {i} ({sid})"
        for ident, name, desc in ((fid, row["Function Name"], row["Function Description"]),
                                  (cid, row["Category Name"], row["Category Description"])):
            key = (text(name), _nist(desc))
            if ident in seen:
                # Every row repeats its function's and category's name and description.
                if seen[ident] != key:
                    raise SourceError(path, where, f"{ident} name/description differs from "
                                      "an earlier row")
                continue
            if not key[0] or not key[1]:
                raise SourceError(path, where, f"{ident} has no name or description")
            seen[ident] = key
            if ident == fid:
                node = c.add(fid, key[0], NG.CSFFunction)
                g.add((node, NG.text, en(key[1])))
            else:
                node = c.add(cid, key[0], NG.CSFCategory, parent=c.iris[fid])
                g.add((node, NG.text, en(key[1])))
                if cid not in active_cats:
                    withdrawn(node, key[1], where)
        statement = _nist(row["Subcategory"])
        try:
            node = c.add(sid, statement, NG.CSFSubcategory, parent=c.iris[cid])
        except ValueError as e:
            raise SourceError(path, where, str(e)) from None
        g.add((node, NG.text, en(statement)))
        for example in (row["Implementation Examples"] or "").split("\n"):
            if text(example):
                g.add((node, NG.implementationExample, en(_nist(example))))
        if row["Status"] == "Withdrawn":
            withdrawn(node, statement, where)

    # Targets of "[Withdrawn: Incorporated into …]": CSF ids resolve to dct:isReplacedBy;
    # prose targets ("other Categories and Functions") have none.
    for node, targets, where in replaced:
        for ident in _ID.findall(targets):
            if ident not in c.iris:
                raise SourceError(path, where, f"withdrawn entry points at unknown {ident}")
            g.add((node, DCTERMS.isReplacedBy, c.iris[ident]))

    return PUBLICATION.finish(
        g,
        title="NIST CSF 2.0 Core: functions, categories and subcategories",
        derived_from=[pack_url(FILE), csa_url(CSA_PATH)],
        description="The CSF 2.0 Core with NIST's statements and implementation examples, and "
        "the withdrawn CSF 1.1 entries (ng:withdrawn true) from NIST's CSF 2.0 Reference Tool, "
        f"converted from the normgraph reference pack file {FILE}. Work of the US Government "
        "(public domain).",
    )
