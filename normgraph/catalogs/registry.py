"""The catalogs normgraph knows, read from the catalogs' own scheme descriptions in the data.

Each catalog's `skos:ConceptScheme` in data/<file>.ttl states its key (`ng:catalogKey`), the prefix
and namespace of its items (`vann:preferredNamespacePrefix`, `vann:preferredNamespaceUri`), its name
(`skos:prefLabel`), a short name (`ng:shortTitle`) and its place in lists (`ng:order`) — the way
W3C DPV puts a term's facts on the term. The converters write these triples
(`normgraph.catalogs.common.describe_catalog`); everything else asks this module.

Reading is lazy and done once per process. Only the scheme's own block of each generated file is
parsed (the files are written sorted, one subject per block, by `write_turtle`); a file whose block
cannot be found that way is parsed whole. Measured: 6–10 ms for the ten catalogs in a fresh process,
against ~80 ms for parsing the 3.9 MB of catalog Turtle in full; `normgraph --help` and creating the
server app do not read it at all. Lookups afterwards are dictionary lookups (< 1 µs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from normgraph import knowledge
from normgraph.iri import NG, NGID

_NGID = str(NGID)
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_VANN = "http://purl.org/vocab/vann/"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The scheme property -> Catalog field it fills.
_FIELDS = {
    f"{NG}catalogKey": "key",
    f"{_VANN}preferredNamespacePrefix": "prefix",
    f"{_VANN}preferredNamespaceUri": "namespace",
    f"{_SKOS}prefLabel": "title",
    f"{NG}shortTitle": "short_title",
    f"{NG}order": "order",
}
#: A subject block of `write_turtle` output: blank line, subject, indented lines, a lone '.'.
_BLOCK_END = "\n.\n"


@dataclass(frozen=True, order=False)
class Catalog:
    """One catalog: a standard, regulation or framework version, or our curated obligations.

    `key` names it (graph `ngg:<key>`, scheme `ngid:<key>`, URLs, CLI); `prefix` / `namespace` are
    how its items are written (`iso27001:A-5-19`); `title` its name ("ISO/IEC 27001:2022"),
    `short_title` a narrow one ("ISO 27001"); `scheme` the scheme IRI; `order` its place in lists.
    """

    key: str
    prefix: str
    namespace: str
    title: str
    short_title: str
    scheme: str
    order: int

    @classmethod
    def of(cls, key: str, prefix: str, title: str, short_title: str, order: int) -> Catalog:
        """A catalog as a converter declares it: scheme and namespace follow from the key (DESIGN.md §2)."""
        return cls(key, prefix, f"{NGID}{key}/", title, short_title, f"{NGID}{key}", order)


class RegistryError(ValueError):
    """A catalog's scheme description in the data is incomplete or contradicts another's."""


@cache
def catalogs() -> tuple[Catalog, ...]:
    """Every catalog, in `order` (read on first use, then kept for the life of the process)."""
    return _read(knowledge.path("data"))


@cache
def _by_key() -> dict[str, Catalog]:
    return {c.key: c for c in catalogs()}


def catalog(key: str) -> Catalog:
    """The catalog with this key; KeyError naming the known keys otherwise."""
    found = _by_key().get(key)
    if found is None:
        raise KeyError(f"unknown catalog {key!r}; known: {', '.join(c.key for c in catalogs())}")
    return found


def catalog_of(iri: str) -> Catalog | None:
    """The catalog an IRI is in (its scheme, or an item in its namespace), or None.

    THE one answer to "which catalog is this IRI in". A catalog's namespace is `ngid:<key>/` (the
    registry checks that the data says so), so the key is looked up, not searched for.
    """
    text = str(iri)
    if not text.startswith(_NGID):
        return None
    key, slash, rest = text[len(_NGID) :].partition("/")
    found = _by_key().get(key)
    return found if found is not None and (rest if slash else True) else None


@cache
def _read(folder: Path) -> tuple[Catalog, ...]:
    found = [c for path in sorted(folder.glob("*.ttl")) for c in read_file(path)]
    for field in ("key", "prefix", "namespace", "order"):
        values = [getattr(c, field) for c in found]
        twice = sorted({v for v in values if values.count(v) > 1}, key=str)
        if twice:
            raise RegistryError(f"two catalogs in {folder} state the same {field}: {twice}")
    return tuple(sorted(found, key=lambda c: c.order))


def read_file(path: Path) -> list[Catalog]:
    """The catalogs whose schemes one Turtle file describes (usually one, or none)."""
    text = path.read_text(encoding="utf-8")
    block = _scheme_block(text)
    if block is not None:
        try:
            found = _catalogs_in(ox.parse(block, format=ox.RdfFormat.TURTLE), path)
        except SyntaxError:
            found = []
        if found:
            return found
    return _catalogs_in(ox.parse(text, format=ox.RdfFormat.TURTLE), path)


def _scheme_block(text: str) -> str | None:
    """The file's prefix lines and the one subject block that states an ng:catalogKey, or None."""
    at = text.find("ng:catalogKey ")
    head_end = text.find("\n\n")
    if at < 0 or head_end < 0 or at < head_end:
        return None
    start = text.rfind("\n\n", 0, at)
    end = text.find(_BLOCK_END, at)
    if end < 0:
        return None
    return text[:head_end] + "\n" + text[start : end + len(_BLOCK_END)]


def _catalogs_in(triples: object, path: Path) -> list[Catalog]:
    facts: dict[str, dict[str, str]] = {}
    schemes: set[str] = set()
    for t in triples:  # type: ignore[attr-defined]
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, ox.NamedNode):
            continue
        if p == _RDF_TYPE and o == ox.NamedNode(f"{_SKOS}ConceptScheme"):
            schemes.add(s.value)
        elif p in _FIELDS and isinstance(o, ox.Literal):
            facts.setdefault(s.value, {})[_FIELDS[p]] = o.value
    out = []
    for scheme in sorted(schemes & {s for s, f in facts.items() if "key" in f}):
        f = facts[scheme]
        missing = [name for name in _FIELDS.values() if name not in f]
        if missing:
            raise RegistryError(f"{path}: scheme <{scheme}> states ng:catalogKey but not {', '.join(missing)}")
        c = Catalog(f["key"], f["prefix"], f["namespace"], f["title"], f["short_title"], scheme, int(f["order"]))
        if Catalog.of(c.key, c.prefix, c.title, c.short_title, c.order) != c or not re.fullmatch(r"[a-z][a-z0-9]*", c.prefix):
            raise RegistryError(f"{path}: scheme <{scheme}>: key, scheme IRI, namespace and prefix disagree ({c})")
        out.append(c)
    return out
