"""NIST SP 800-171 Revision 2: 14 requirement families and 110 security requirements.

Source: the reference pack's nist-sp800-171r2/requirements.json (NIST statements, discussion and
footnotes, already cleaned: footnote markers removed, footnotes moved to the requirement citing
them, lost final periods restored). Requirements have no titles: skos:prefLabel is the statement,
which is also ng:text. Footnotes are written "[<number>] <text>" so their number is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, URIRef

from normgraph.catalogs.common import Publication, SourceError, ca_url, en, pack_url, read_json, text
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG

KEY = "nist-sp800-171r2"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(KEY, "sp800171", "NIST SP 800-171 Rev. 2", "SP 800-171", 7)
CATALOGS = (ENTRY,)
FILE = "nist-sp800-171r2/requirements.json"
OFFICIAL = "https://doi.org/10.6028/NIST.SP.800-171r2"
#: The publication the scheme describes, and the licence of the converted text.
PUBLICATION = Publication(
    ENTRY,
    kind=NG.Standard,
    title="NIST SP 800-171 Rev. 2, Protecting Controlled Unclassified Information in "
    "Nonfederal Systems and Organizations",
    publisher="National Institute of Standards and Technology",
    version="Revision 2",
    issued="2020-02-21",
    modified="2021-01-28",
    source=OFFICIAL,
    license="public-domain-us",
)


def load(sources: Path) -> tuple[Path, dict, list[dict], list[dict]]:
    """Read and check requirements.json: (path, data, families, requirements)."""
    path = sources / FILE
    data = read_json(path)
    if not isinstance(data, dict):
        raise SourceError(path, "top level", "expected an object")
    families, reqs = data.get("families"), data.get("requirements")
    if not isinstance(families, list) or not isinstance(reqs, list):
        raise SourceError(path, "top level", "expected 'families' and 'requirements' lists")
    for i, fam in enumerate(families):
        if not isinstance(fam, dict) or not re.fullmatch(r"3\.\d+", str(fam.get("id", ""))):
            raise SourceError(path, f"families[{i}]", "family id like '3.1' required")
        if not text(fam.get("name")):
            raise SourceError(path, f"family {fam['id']}", "name is empty")
    for i, req in enumerate(reqs):
        if not isinstance(req, dict) or not re.fullmatch(r"3\.\d+\.\d+", str(req.get("id", ""))):
            raise SourceError(path, f"requirements[{i}]", "requirement id like '3.1.1' required")
        rid = req["id"]
        if not text(req.get("text")):
            raise SourceError(path, f"requirement {rid}", "statement text is empty")
        if req.get("family") != rid.rsplit(".", 1)[0]:
            raise SourceError(path, f"requirement {rid}", f"family {req.get('family')!r} "
                              "does not match the id")
    return path, data, families, reqs


def build(sources: Path) -> dict[str, Graph]:
    path, data, families, reqs = load(sources)
    derived = data.get("source") or {}
    if not derived.get("path") or not derived.get("commit"):
        raise SourceError(path, "source", "path and commit of the upstream file are required")

    g, c = PUBLICATION.start()
    fam_nodes = {}
    by_family: dict[str, list[dict]] = {}
    for req in reqs:
        by_family.setdefault(req["family"], []).append(req)
    for fam in families:
        fid = fam["id"]
        fam_nodes[fid] = c.add(fid, text(fam["name"]), NG.RequirementFamily, prefix="family-")
        count = fam.get("requirement_count")
        if count is not None and count != len(by_family.get(fid, [])):
            raise SourceError(path, f"family {fid}", f"requirement_count {count} but "
                              f"{len(by_family.get(fid, []))} requirements")
        for req in by_family.get(fid, []):
            rid = req["id"]
            statement = text(req["text"])
            try:
                node = c.add(rid, statement, NG.SecurityRequirement, parent=fam_nodes[fid])
            except ValueError as e:
                raise SourceError(path, f"requirement {rid}", str(e)) from None
            g.add((node, NG.text, en(statement)))
            if text(req.get("discussion")):
                g.add((node, NG.discussion, en(text(req["discussion"]))))
            for fn in req.get("footnotes") or []:
                if not isinstance(fn, dict) or not fn.get("number") or not text(fn.get("text")):
                    raise SourceError(path, f"requirement {rid} footnotes", "number and text "
                                      "required")
                g.add((node, NG.footnote, en(f"[{fn['number']}] {text(fn['text'])}")))
    orphans = sorted(set(by_family) - set(fam_nodes))
    if orphans:
        raise SourceError(path, f"requirements of family {orphans[0]}", "family is not declared")

    upstream: list[URIRef | str] = [pack_url(FILE), ca_url(derived["path"], derived["commit"])]
    return PUBLICATION.finish(
        g,
        title="NIST SP 800-171 Rev. 2: security requirements",
        derived_from=upstream,
        description="The 110 security requirements of NIST SP 800-171 Rev. 2 in 14 families, with "
        "NIST's statements, discussion and footnotes, converted from the normgraph reference pack "
        f"file {FILE}. Work of the US Government (public domain).",
    )
