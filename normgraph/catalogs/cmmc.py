"""CMMC 2.0: levels 1 and 2, 14 domains and 110 practices.

Source: the reference pack's cmmc-2.0/practices.csv (from CISO Assistant's cmmc-2.0.yaml). Each
practice is skos:broader its domain, has ng:cmmcLevel (level-1 / level-2), ng:derivesFrom the
SP 800-171 r2 requirement it comes from (checked against nist-sp800-171r2/requirements.json) and,
for Level 1, ng:farReference (the FAR 52.204-21 paragraph). CMMC content is CC BY 4.0; the
required attribution is the graph's dct:rights.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from normgraph.catalogs import sp800_171
from normgraph.catalogs.common import Publication, SourceError, ca_url, pack_url, read_csv, text
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG, notation_iri

KEY = "cmmc-2.0"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(KEY, "cmmc", "CMMC 2.0", "CMMC", 8)
CATALOGS = (ENTRY,)
FILE = "cmmc-2.0/practices.csv"
OFFICIAL = "https://dodcio.defense.gov/CMMC/"
#: The publication the scheme describes, and the licence of the converted text.
PUBLICATION = Publication(
    ENTRY,
    kind=NG.Framework,
    title="Cybersecurity Maturity Model Certification (CMMC) 2.0",
    publisher="US Department of Defense",
    version="2.0",
    issued="2021-11-04",
    source=OFFICIAL,
    license="cc-by-4.0",
)
CA_PATH = "backend/library/libraries/cmmc-2.0.yaml"
CA_FILE_COMMIT = "f990d7b1b9a9f56e391acbc247c9076262a11412"  # commit used; last change 90e7e4d

#: The source file's copyright notice, verbatim (line breaks removed): CC BY 4.0 requires the attribution.
ATTRIBUTION = (
    "Copyright 2020, 2021 Carnegie Mellon University and The Johns Hopkins University Applied "
    "Physics Laboratory LLC. Copyright 2021 Futures, Inc. This material is based upon work funded "
    "and supported by the Department of Defense under Contract No. FA8702-15-D-0002 with Carnegie "
    "Mellon University for the operation of the Software Engineering Institute, a federally funded "
    "research and development center, and under Contract No. HQ0034-13-D-0003 and Contract No. "
    "N00024-13-D-6400 with the Johns Hopkins University Applied Physics Laboratory LLC, a "
    "University Affiliated Research Center. The view, opinions, and/or findings contained in this "
    "material are those of the author(s) and should not be construed as an official Government "
    "position, policy, or decision, unless designated by other documentation. NO WARRANTY. THIS "
    "MATERIAL IS FURNISHED ON AN “AS-IS” BASIS. CARNEGIE MELLON UNIVERSITY AND THE JOHNS HOPKINS "
    "UNIVERSITY APPLIED PHYSICS LABORATORY LLC MAKE NO WARRANTIES OF ANY KIND, EITHER EXPRESSED OR "
    "IMPLIED, AS TO ANY MATTER INCLUDING, BUT NOT LIMITED TO, WARRANTY OF FITNESS FOR PURPOSE OR "
    "MERCHANTABILITY, EXCLUSIVITY, OR RESULTS OBTAINED FROM USE OF THE MATERIAL NOR ANY WARRANTY OF "
    "ANY KIND WITH RESPECT TO FREEDOM FROM PATENT, TRADEMARK, OR COPYRIGHT INFRINGEMENT. "
    "[DISTRIBUTION STATEMENT A] Approved for public release. This work is licensed to the public "
    "under the Creative Commons Attribution 4.0 International License."
)

LEVELS = {"1": "Level 1 (Foundational)", "2": "Level 2 (Advanced)"}
COLUMNS = ("practice_id", "level", "domain", "domain_name", "title", "sp800_171r2_id",
           "far_52_204_21")
_PRACTICE = re.compile(r"(?P<domain>[A-Z]{2})\.L(?P<level>[12])-(?P<req>3\.\d+\.\d+)")
_FAR = re.compile(r"(?P<partial>Partial )?(?P<para>b\.1\.[ivx]+)")


def build(sources: Path) -> dict[str, Graph]:
    path = sources / FILE
    _p, _d, _f, reqs = sp800_171.load(sources)
    known_reqs = {r["id"] for r in reqs}

    g, c = PUBLICATION.start()
    levels: dict[str, URIRef] = {}
    for level, label in LEVELS.items():
        levels[level] = c.add(f"Level {level}", label, NG.CMMCLevel, local=f"level-{level}")
    domains: dict[str, URIRef] = {}
    domain_names: dict[str, str] = {}
    rows = 0
    for line, row in read_csv(path):
        if rows == 0 and any(col not in row for col in COLUMNS):
            raise SourceError(path, "header", f"expected columns {', '.join(COLUMNS)}")
        rows += 1
        pid = text(row["practice_id"])
        where = f"line {line} ({pid or 'no practice id'})"
        m = _PRACTICE.fullmatch(pid)
        if not m:
            raise SourceError(path, where, "practice id like 'AC.L1-3.1.1' required")
        level, domain = text(row["level"]), text(row["domain"])
        req_id, title = text(row["sp800_171r2_id"]), text(row["title"])
        if level != m["level"] or domain != m["domain"] or req_id != m["req"]:
            raise SourceError(path, where, "level, domain or SP 800-171 id disagree with the id")
        if req_id not in known_reqs:
            raise SourceError(path, where, f"SP 800-171 r2 requirement {req_id} does not exist")
        if not title:
            raise SourceError(path, where, "title is empty")
        name = text(row["domain_name"])
        if domain not in domains:
            if not name:
                raise SourceError(path, where, "domain_name is empty")
            domains[domain] = c.add(domain, name, NG.CMMCDomain, prefix="domain-")
            domain_names[domain] = name
        elif domain_names[domain] != name:
            raise SourceError(path, where, f"domain {domain} named {name!r}, earlier "
                              f"{domain_names[domain]!r}")
        try:
            node = c.add(pid, title, NG.CMMCPractice, parent=domains[domain])
        except ValueError as e:
            raise SourceError(path, where, str(e)) from None
        g.add((node, NG.cmmcLevel, levels[level]))
        g.add((node, NG.derivesFrom, notation_iri(sp800_171.KEY, req_id)))
        far = text(row["far_52_204_21"])
        if level == "1":
            fm = _FAR.fullmatch(far)
            if not fm:
                raise SourceError(path, where, f"Level 1 practice needs a FAR 52.204-21 paragraph "
                                  f"like 'b.1.i', got {far!r}")
            ref = f"FAR 52.204-21 {fm['para']}" + (" (partial)" if fm["partial"] else "")
            g.add((node, NG.farReference, Literal(ref)))
        elif far:
            raise SourceError(path, where, "a Level 2 practice has no FAR 52.204-21 paragraph")
    if rows == 0:
        raise SourceError(path, "file", "no practices")

    return PUBLICATION.finish(
        g,
        title="CMMC 2.0: levels, domains and practices",
        derived_from=[pack_url(FILE), ca_url(CA_PATH, CA_FILE_COMMIT)],
        description="CMMC 2.0 Level 1 and Level 2 practices with their domains, the SP 800-171 "
        f"r2 requirement each derives from and FAR 52.204-21 paragraphs, converted from the "
        f"normgraph reference pack file {FILE}.",
        attribution=ATTRIBUTION,
    )
