"""Why are two requirements connected? Every chain of mapping records between them.

A chain is either one record linking the two directly (any relation, asserted or inferred, read
in either direction) or a simple path of 2–3 asserted records that composes under DESIGN.md §10 —
so intersectsWith and relatedTo appear only as single direct steps, never inside a chain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef

from normgraph.catalogs.registry import catalogs
from normgraph.iri import LOCAL_NAME, PREFIXES, curie, local_id, notation_iri
from normgraph.mappings.compose import MAX_CHAIN, Step, paths, steps
from normgraph.mappings.records import MappingRecord, chain_of, iri_local, records_from_graph
from normgraph.mappings.relations import relations


class UnknownRequirement(ValueError):
    """An argument that names no catalog item we know."""


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]
    relation: URIRef  # how the first item relates to the last, as the chain reads

    @property
    def direct(self) -> bool:
        return len(self.steps) == 1


def resolve(arg: str) -> URIRef:
    """'iso27001:A-5-19', 'iso27001-2022:A.5.19' (catalog key + notation), 'iso27001:A.5.19' or an IRI."""
    text = arg.strip()
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if re.match(r"^[a-z][a-z0-9+.-]*://", text):
        return URIRef(text)
    prefix, sep, rest = text.partition(":")
    if not sep or not rest:
        raise UnknownRequirement(f"{arg!r} is not a prefixed name (like iso27001:A-5-19) or an IRI")
    keys = {c.key for c in catalogs()}
    if prefix in keys:
        return notation_iri(prefix, rest)
    if prefix in PREFIXES:
        if LOCAL_NAME.match(rest):
            return URIRef(PREFIXES[prefix] + rest)
        return URIRef(PREFIXES[prefix] + local_id(rest))
    raise UnknownRequirement(f"{arg!r}: unknown prefix or catalog {prefix!r} (known: {', '.join(sorted({*PREFIXES, *keys}))})")


def load_records(repo_root: Path) -> list[MappingRecord]:
    """Every record in data/mappings/*.ttl and data/derived/inferred-mappings.ttl."""
    files = sorted((repo_root / "data" / "mappings").glob("*.ttl"))
    inferred = repo_root / "data" / "derived" / "inferred-mappings.ttl"
    if inferred.exists():
        files.append(inferred)
    out: list[MappingRecord] = []
    for f in files:
        g = Graph()
        g.parse(f, format="turtle")
        out.extend(records_from_graph(g))
    return out


def find_chains(records: Iterable[MappingRecord], a: URIRef, b: URIRef, max_len: int = MAX_CHAIN) -> list[Chain]:
    """Direct records between a and b (either direction), then composable chains a → b."""
    recs = list(records)
    out: list[Chain] = []
    for rec in recs:
        if rec.subject == a and rec.object == b:
            out.append(Chain((Step(a, rec.predicate, b, rec, True),), rec.predicate))
        elif rec.subject == b and rec.object == a:
            inverse = relations().inverse(rec.predicate)
            out.append(Chain((Step(a, inverse, b, rec, False),), inverse))
    adj = steps([r for r in recs if not r.inferred], composable_only=True)
    for chain, rel in paths(adj, a, max_len):
        if len(chain) >= 2 and chain[-1].target == b:
            out.append(Chain(tuple(chain), rel))
    out.sort(key=lambda c: (len(c.steps), c.steps[0].record.inferred, [str(s.record.iri) for s in c.steps]))
    return out


def describe_step(step: Step) -> dict[str, str]:
    rec = step.record
    return {
        "from": curie(str(step.source)),
        "relation": iri_local(step.rel) + ("" if step.forward else " (inverse reading)"),
        "to": curie(str(step.target)),
        "record": curie(str(rec.iri)),
        "set": rec.set_slug,
        "source": f"{rec.creator}" + (f" <{rec.source}>" if rec.source else ""),
        "confidence": "-" if rec.confidence is None else str(rec.confidence),
        "inferred": "yes" if rec.inferred else "no",
        "rationale": rec.rationale or "",
    }


def origins_text(record: MappingRecord, by_iri: Mapping[URIRef, MappingRecord]) -> str:
    """The stated records an inferred record came from, in chain order (records.chain_of), as CURIEs;
    as the record lists them when they are not among `by_iri`."""
    origins = [r.iri for r in chain_of(record, by_iri)] or list(record.derived_from)
    return ", ".join(curie(str(x)) for x in origins)


def render(chains: list[Chain], a: URIRef, b: URIRef, console: object | None = None,
           records: Iterable[MappingRecord] = ()) -> None:
    """Print the chains as rich tables (one per chain); an inferred record names the stated records it
    was composed from, in chain order (found among `records`, else as it lists them)."""
    from rich.console import Console
    from rich.table import Table

    con = console if isinstance(console, Console) else Console()
    if not chains:
        con.print(f"No chain of mapping records connects {curie(str(a))} and {curie(str(b))}.")
        return
    by_iri = {r.iri: r for r in records}
    con.print(f"{len(chains)} chain(s) connect {curie(str(a))} and {curie(str(b))}:")
    for n, chain in enumerate(chains, start=1):
        kind = "direct record" if chain.direct else f"chain of {len(chain.steps)} records"
        table = Table(
            title=f"{n}. {curie(str(a))} {iri_local(chain.relation)} {curie(str(b))} ({kind})",
            show_lines=True,
            title_justify="left",
        )
        for col in ("step", "from", "relation", "to", "set / source", "confidence", "rationale"):
            table.add_column(col, overflow="fold")
        for i, step in enumerate(chain.steps, start=1):
            d = describe_step(step)
            rationale = d["rationale"]
            if step.record.inferred:
                derived = origins_text(step.record, by_iri)
                rationale += f" [inferred from {derived}]"
            table.add_row(
                str(i),
                d["from"],
                d["relation"],
                d["to"],
                f"{d['set']}\n{d['source']}\n{d['record']}",
                d["confidence"],
                rationale,
            )
        con.print(table)
