"""Named queries: the files in queries/*.rq, their headers and safe parameter binding.

A query file starts with comment lines:

    # title: Crosswalk of a requirement
    # description: What a requirement maps to in every other catalog …
    # param: requirement (iri) — the requirement to look up [iso27001:A-5-19]

`# internal: true` marks a query the stores and the server run for themselves (probes, graph sizes,
derivations): `list_queries()` leaves it out, so it is not offered to users (/api/queries, the query UI)
nor put in the load mixes; `get_query` still finds it by name.

Parameter types: `iri`, `iris` (a space-separated list, for VALUES), `string`, `integer`, `date`.

A parameter `name` appears in the body as the variable `?_name`; `bind()` replaces it with the value
written as a SPARQL term (IRIs checked, strings escaped, integers parsed), so user input can never
change the query's structure. Parameters without a default are required.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from normgraph import knowledge
from normgraph.iri import PREFIXES, expand, is_iri
from normgraph.knowledge import ROOT, KnowledgeMissing

QUERIES_DIR = ROOT / "queries"

_HEADER = re.compile(r"^#\s*(title|description|param|internal)\s*:\s*(.*)$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_]*)\s*\((?P<type>iris|iri|string|integer|date)\)\s*(?:[—–-]+\s*)?"
    r"(?P<doc>.*?)\s*(?:\[(?P<default>[^\]]*)\])?\s*$"
)


class QueryError(ValueError):
    """A named query is missing, malformed, or was given bad parameters (message says which)."""


class UnknownQuery(QueryError, KnowledgeMissing):
    """No `queries/NAME.rq`: a mistyped name, or a file missing from the installed knowledge."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str
    default: str | None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    path: Path = field(compare=False)
    internal: bool = False

    def bind(self, values: dict[str, str] | None = None) -> str:
        """The query text with every `?_param` replaced by its (validated) value."""
        values = dict(values or {})
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise QueryError(f"query {self.name!r} has no parameter {', '.join(sorted(unknown))}")
        text = self.text
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                raise QueryError(f"query {self.name!r} needs parameter {p.name!r} ({p.type}): {p.doc}")
            term = render_value(p, raw)
            text = re.sub(rf"[?$]_{p.name}\b", _constant(term), text)
        return text


def _constant(value: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts `value` as it is (no backslash or group processing)."""
    return lambda _m: value


def render_value(p: Param, raw: str) -> str:
    """A user-supplied parameter value as a SPARQL term, or QueryError saying why not.

    An `iris` parameter is a space-separated list of IRIs or prefixed names, written as `<a> <b>`
    (for a VALUES block).
    """
    if p.type == "iris":
        return " ".join(_iri_term(p, one) for one in raw.split())
    if p.type == "iri":
        return _iri_term(p, raw)
    if p.type == "integer":
        try:
            return str(int(raw))
        except ValueError:
            raise QueryError(f"parameter {p.name!r}: {raw!r} is not an integer") from None
    if p.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise QueryError(f"parameter {p.name!r}: {raw!r} is not a date (YYYY-MM-DD)")
        return Literal(raw, datatype=XSD.date).n3()
    return Literal(raw).n3()


def _iri_term(p: Param, raw: str) -> str:
    try:
        iri = expand(raw)
    except ValueError as e:
        raise QueryError(f"parameter {p.name!r}: {e}") from None
    if not is_iri(str(iri)):
        raise QueryError(f"parameter {p.name!r}: {raw!r} is not a valid IRI")
    return f"<{iri}>"


def parse_query_file(path: Path) -> NamedQuery:
    title = ""
    description: list[str] = []
    params: list[Param] = []
    internal = False
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "title":
            title = value
        elif key == "internal":
            if value.lower() not in ("true", "false"):
                raise QueryError(f"{path}:{lineno}: '# internal:' is true or false, not {value!r}")
            internal = value.lower() == "true"
        elif key == "description":
            description.append(value)
        else:
            pm = _PARAM.match(value)
            if not pm:
                raise QueryError(
                    f"{path}:{lineno}: malformed parameter line {value!r} (want 'name (iri|string|integer|date) — doc [default]')"
                )
            params.append(Param(pm["name"], pm["type"], pm["doc"].strip(), pm["default"]))
    if not title:
        raise QueryError(f"{path}:1: missing '# title:' header")
    return NamedQuery(path.stem, title, " ".join(description), tuple(params), path.read_text(encoding="utf-8"), path,
                      internal)


def list_queries(folder: Path = QUERIES_DIR, *, internal: bool = False) -> list[NamedQuery]:
    """The named queries offered to users (the API, the query UI, the load mixes); with `internal`, also
    the ones the stores and the server run for themselves (`# internal: true`)."""
    every = (parse_query_file(p) for p in knowledge.files(folder, "*.rq"))
    return [q for q in every if internal or not q.internal]


def get_query(name: str, folder: Path = QUERIES_DIR) -> NamedQuery:
    path = folder / f"{name}.rq"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        known = ", ".join(q.name for q in list_queries(folder))
        raise UnknownQuery(f"no named query {name!r} in {folder}; known: {known}")
    return parse_query_file(path)


def with_prefixes(sparql: str) -> str:
    """Prepend PREFIX declarations for every normgraph prefix the query uses but does not declare."""
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w-]*)?\s*:", sparql)}
    needed = [
        p for p in PREFIXES if p.lower() not in declared and re.search(rf"(?<![\w<#/.-]){re.escape(p)}:", sparql)
    ]
    head = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in needed)
    return head + sparql


__all__ = ["NamedQuery", "Param", "QueryError", "URIRef", "get_query", "list_queries", "parse_query_file", "with_prefixes"]
