"""NIST AI RMF 1.0 (NIST AI 100-1): the AI RMF Core's functions, categories and subcategories.

Source: the reference pack's nist-ai-rmf-1.0/ai-rmf-1.0-core.json (4 functions, 19 categories,
72 subcategories, all with NIST's text). Each item's `description_source` says which upstream file
the text was read from; we record it as dct:source on the item (the upstream file's URL).

The AI RMF gives categories and subcategories no titles: their skos:prefLabel is NIST's statement,
which is also their ng:text. Functions are labelled with their name ("Govern").
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from normgraph.catalogs.common import (
    Publication,
    SourceError,
    ca_url,
    csa_url,
    en,
    pack_url,
    read_json,
    text,
)
from normgraph.catalogs.registry import Catalog
from normgraph.iri import NG

KEY = "nist-ai-rmf-1.0"
#: The catalog as the registry lists it (stated on the scheme in the data).
ENTRY = Catalog.of(KEY, "airmf", "NIST AI RMF 1.0", "AI RMF", 6)
CATALOGS = (ENTRY,)
CORE = "nist-ai-rmf-1.0/ai-rmf-1.0-core.json"
OFFICIAL = "https://doi.org/10.6028/NIST.AI.100-1"
#: The publication the scheme describes, and the licence of the converted text.
PUBLICATION = Publication(
    ENTRY,
    kind=NG.Framework,
    title="Artificial Intelligence Risk Management Framework (AI RMF 1.0), NIST AI 100-1",
    publisher="National Institute of Standards and Technology",
    version="1.0",
    issued="2023-01-26",
    source=OFFICIAL,
    license="public-domain-us",
)
CSA_PATH = "control/nist.gov/ai-rmf/1.0/ai-rmf-1.0-subcategories.json"
CSA_FILE_COMMIT = "e2f61fa64237370a2ed94a61091340ac15220a52"
CA_PATH = "backend/library/libraries/nist-ai-rmf-1.0.yaml"
CA_FILE_COMMIT = "7c165ec9db4263de1eec873ec7961dbc5512b30a"
UPSTREAM = {
    "CSA": csa_url(CSA_PATH, CSA_FILE_COMMIT),
    "CA": ca_url(CA_PATH, CA_FILE_COMMIT),
}
_DASH = re.compile(r" - ")


def _upstream(path: Path, where: str, value: object) -> URIRef:
    """Map a `description_source` value ("CSA", "CA (CSA text empty)", …) to the upstream file."""
    head = str(value or "").split(" ", 1)[0]
    if head not in UPSTREAM:
        raise SourceError(path, where, f"unknown description_source {value!r}")
    return UPSTREAM[head]


def _nist_text(raw: object, origin: URIRef, *, statement: bool = False) -> str:
    """NIST's text, with the CSA file's typography defects undone.

    Defect of the source file (ai-rmf-1.0-subcategories.json): CSA writes NIST's spaced en dashes as
    " - " and drops the final period of category statements. Texts read from CSA get " – " back
    (every " - " in them is such a dash) and category statements their period. Texts from CA
    already have NIST's typography.
    """
    value = text(raw if isinstance(raw, str) else "")
    if origin == UPSTREAM["CSA"]:
        value = _DASH.sub(" – ", value)
        if statement and value and not value.endswith("."):
            value += "."
    return value


def build(sources: Path) -> dict[str, Graph]:
    path = sources / CORE
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("functions"), list):
        raise SourceError(path, "top level", "expected an object with a 'functions' list")

    g, c = PUBLICATION.start()

    def item(obj: object, where: str, keys: tuple[str, ...]) -> dict:
        if not isinstance(obj, dict) or any(not obj.get(k) for k in keys):
            raise SourceError(path, where, f"expected an object with {', '.join(keys)}")
        return obj

    for fi, fobj in enumerate(data["functions"]):
        f = item(fobj, f"functions[{fi}]", ("id", "name", "description", "categories"))
        where = f"function {f['id']}"
        origin = _upstream(path, where, f.get("description_source"))
        node = c.add(text(f["id"]), text(f["name"]), NG.AIRMFFunction)
        g.add((node, NG.text, en(_nist_text(f["description"], origin))))
        g.add((node, DCTERMS.source, origin))
        intro = f.get("introduction") or []
        if intro:
            intro_origin = _upstream(path, where, f.get("introduction_source"))
            # Paragraphs (and the bullet list of GOVERN) keep their line breaks.
            paragraphs = [p.strip() for p in intro if isinstance(p, str) and p.strip()]
            g.add((node, NG.discussion, en("\n\n".join(paragraphs))))
            g.add((node, DCTERMS.source, intro_origin))
        for ci, cobj in enumerate(f["categories"]):
            cat = item(cobj, f"{where} categories[{ci}]", ("id", "description", "subcategories"))
            cid = text(cat["id"])
            cwhere = f"category {cid}"
            if not re.fullmatch(re.escape(f["id"]) + r" \d+", cid):
                raise SourceError(path, cwhere, f"id does not belong to function {f['id']}")
            origin = _upstream(path, cwhere, cat.get("description_source"))
            statement = _nist_text(cat["description"], origin, statement=True)
            cnode = c.add(cid, statement, NG.AIRMFCategory, parent=node)
            g.add((cnode, NG.text, en(statement)))
            g.add((cnode, DCTERMS.source, origin))
            for si, sobj in enumerate(cat["subcategories"]):
                sub = item(sobj, f"{cwhere} subcategories[{si}]", ("id", "description"))
                sid = text(sub["id"])
                swhere = f"subcategory {sid}"
                if not re.fullmatch(re.escape(cid) + r"\.\d+", sid):
                    raise SourceError(path, swhere, f"id does not belong to category {cid}")
                origin = _upstream(path, swhere, sub.get("description_source"))
                statement = _nist_text(sub["description"], origin)
                snode = c.add(sid, statement, NG.AIRMFSubcategory, parent=cnode)
                g.add((snode, NG.text, en(statement)))
                g.add((snode, DCTERMS.source, origin))

    return PUBLICATION.finish(
        g,
        title="NIST AI RMF 1.0 Core: functions, categories and subcategories",
        derived_from=[pack_url(CORE), UPSTREAM["CSA"], UPSTREAM["CA"]],
        description="The AI RMF Core (NIST AI 100-1, Tables 1-4) with NIST's text, converted from "
        f"the normgraph reference pack file {CORE}. Work of the US Government (public domain).",
    )
