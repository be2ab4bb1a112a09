"""Namespaces and the one IRI rule of normgraph (DESIGN.md §1–3).

Everything that mints or recognises an IRI goes through this module, so the escaping rule and the
graph-naming rule exist exactly once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SH, SKOS, VANN, VOID, XSD

BASE = "https://w3id.org/normgraph/"
NG = Namespace(BASE + "ont#")
NGID = Namespace(BASE + "id/")
NGG = Namespace(BASE + "graph/")
NGV = Namespace(BASE + "id/vocab/")
NGMAP = Namespace(BASE + "id/mapping/")
NGORG = Namespace(BASE + "id/org/")

ORG = Namespace("http://www.w3.org/ns/org#")
DPV = Namespace("https://w3id.org/dpv#")
DPV_AI = Namespace("https://w3id.org/dpv/ai#")
EU_AIACT = Namespace("https://w3id.org/dpv/legal/eu/aiact#")
AIRO = Namespace("https://w3id.org/airo#")
SEMAPV = Namespace("https://w3id.org/semapv/vocab/")
SSSOM = Namespace("https://w3id.org/sssom/")
SCHEMA = Namespace("https://schema.org/")

_HEAD: dict[str, str] = {
    "ng": str(NG),
    "ngid": str(NGID),
    "ngg": str(NGG),
    "ngv": str(NGV),
    "ngmap": str(NGMAP),
    "ngorg": str(NGORG),
}
_TAIL: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "vann": str(VANN),
    "void": str(VOID),
    "sh": str(SH),
    "org": str(ORG),
    "dpv": str(DPV),
    "ai": str(DPV_AI),
    "eu-aiact": str(EU_AIACT),
    "airo": str(AIRO),
    "semapv": str(SEMAPV),
    "sssom": str(SSSOM),
    "schema": str(SCHEMA),
}
#: The prefixes that do not depend on the data: ours and the vocabularies we reuse.
STATIC_PREFIXES: dict[str, str] = {**_HEAD, **_TAIL}


class _Prefixes(Mapping[str, str]):
    """Every prefix normgraph writes and offers: ours, each catalog's (as its scheme in the data
    declares it, via normgraph.catalogs.registry) and the reused vocabularies'. Read on first use."""

    def _all(self) -> dict[str, str]:
        return _all_prefixes()

    def __getitem__(self, prefix: str) -> str:
        return self._all()[prefix]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


@cache
def _all_prefixes() -> dict[str, str]:
    from normgraph.catalogs.registry import catalogs

    return {**_HEAD, **{c.prefix: c.namespace for c in catalogs()}, **_TAIL}


#: Every prefix normgraph writes and offers to users (Turtle output, SPARQL UI, JSON-LD context).
#: A read-only mapping; `dict(PREFIXES)` where a real dict (JSON) is needed.
PREFIXES: Mapping[str, str] = _Prefixes()


_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
#: The part of SPARQL's PN_LOCAL we ever write: no escapes, dots only inside.
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
LOCAL_NAME = re.compile(r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")
#: Keys name a catalog version or a mapping set (`nist-ai-rmf-1.0`, `cmmc-2.0_to_nist-sp800-171r2`).
KEY = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*$")


#: SPARQL's IRIREF: an absolute IRI with none of <>"{}|^`\ and no control characters (C0, DEL or C1 —
#: RFC 3987 allows none, and Oxigraph refuses them) or spaces.
_IRIREF = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20\x7f-\x9f]*")


_SCHEMES_WITHOUT_AUTHORITY = frozenset({"urn", "tag", "did", "mailto"})


def is_iri(value: str) -> bool:
    """True when `value` can stand between <> in SPARQL or Turtle (one check for every input path)."""
    return bool(_IRIREF.fullmatch(value))


def local_id(notation: str) -> str:
    """Turn an official identifier into an IRI local name: runs of non-alphanumerics become '-'.

    >>> local_id("A.5.19"), local_id("GOVERN 1.1"), local_id("AC-2(1)")
    ('A-5-19', 'GOVERN-1-1', 'AC-2-1')
    """
    local = _NON_ALNUM.sub("-", notation).strip("-")
    if not local:
        raise ValueError(f"identifier {notation!r} has no letters or digits to build an IRI from")
    return local


def scheme_iri(catalog: str) -> URIRef:
    """The skos:ConceptScheme IRI of a catalog key, e.g. …/id/iso27001-2022.

    Only the key's form is checked: which catalogs exist is the data's to say
    (normgraph.catalogs.registry), and the converters mint IRIs before that data is written.
    """
    if not KEY.match(catalog):
        raise ValueError(f"{catalog!r} is not a catalog key (lower case, digits, '.', '_', '-')")
    return URIRef(f"{NGID}{catalog}")


def item_iri(catalog: str, local: str) -> URIRef:
    """An instance IRI in a catalog from an already-built local name (see local_id)."""
    if not LOCAL_NAME.match(local):
        raise ValueError(f"{local!r} is not a valid normgraph local name (DESIGN.md §2)")
    return URIRef(f"{scheme_iri(catalog)}/{local}")


def notation_iri(catalog: str, notation: str) -> URIRef:
    """The IRI of the item with this official notation, e.g. ('iso27001-2022', 'A.5.19')."""
    return item_iri(catalog, local_id(notation))


def graph_for_path(path: Path, root: Path) -> URIRef:
    """The named graph a Turtle file under the repository root is loaded into (DESIGN.md §3)."""
    parts = _parts_under(path, root)
    if parts[0] == "ontology":
        name = "ontology/" + "/".join(parts[1:])
    elif parts[:2] == ("data", "examples"):
        name = "org/" + "/".join(parts[2:])
    elif parts[0] == "data":
        name = "/".join(parts[1:])
    else:
        raise ValueError(f"{path} is neither under ontology/ nor data/: no graph rule applies")
    return URIRef(f"{NGG}{name}")


def _parts_under(path: Path, root: Path) -> tuple[str, ...]:
    """The path's parts below `root`, looking through links (the packaged knowledge folders are links
    to the checkout's top-level folders, and callers may hand in either spelling)."""
    with_suffix = path.with_suffix("")
    for base in (root, root.resolve()):
        try:
            return with_suffix.relative_to(base).parts
        except ValueError:
            pass
    real = path.resolve().with_suffix("")
    for folder in ("ontology", "data"):
        try:
            return (folder, *real.relative_to((root / folder).resolve()).parts)
        except ValueError:
            pass
    raise ValueError(f"{path} is neither under ontology/ nor data/ of {root}: no graph rule applies")


def org_graph(org_slug: str) -> URIRef:
    """The named graph of one organisation's data (the slug goes through the IRI rule: acme.eu → acme-eu)."""
    return URIRef(f"{NGG}org/{local_id(org_slug)}")


def org_slugs(graphs: Iterable[str]) -> list[str]:
    """The organisations among these named graphs (ngg:org/<slug>), sorted."""
    prefix = f"{NGG}org/"
    return sorted(g[len(prefix):] for g in graphs if g.startswith(prefix))


def curie(iri: str) -> str:
    """The shortest prefixed name for an IRI, or the IRI in angle brackets."""
    best = ""
    best_prefix = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best):
            rest = iri[len(ns) :]
            if rest == "" or _PN_LOCAL.match(rest):
                best, best_prefix = ns, prefix
    if best:
        return f"{best_prefix}:{iri[len(best):]}"
    return f"<{iri}>"


def expand(curie_or_iri: str) -> URIRef:
    """Expand 'iso27001:A-5-19' (or an IRI, with or without <>) to a full IRI."""
    text = curie_or_iri.strip()
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if "://" in text:
        return URIRef(text)
    prefix, sep, rest = text.partition(":")
    if sep and prefix in PREFIXES:
        return URIRef(PREFIXES[prefix] + rest)
    # IRIs without '//' (urn:…) are taken as IRIs; any other unknown prefix is most likely a typo.
    if prefix.lower() in _SCHEMES_WITHOUT_AUTHORITY and is_iri(text):
        return URIRef(text)
    raise ValueError(f"{curie_or_iri!r} is neither an IRI nor a known prefixed name")
