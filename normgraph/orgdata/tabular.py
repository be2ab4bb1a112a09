"""CSV and XLSX import of the templates (templates.py) into RDF for one organisation.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2. Every
cell is checked before anything is returned; the first bad cell raises OrgDataError(file, row, column, reason).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import SKOS as _SKOS
from rdflib.namespace import XSD as _XSD
from rdflib.namespace import DefinedNamespace

from normgraph.catalogs.registry import catalog, catalogs
from normgraph.exports.csvsafe import restore
from normgraph.iri import NG as _NG
from normgraph.iri import NGV, PREFIXES, expand, local_id
from normgraph.orgdata.errors import OrgDataError
from normgraph.orgdata.facts import check_ai_act_facts
from normgraph.orgdata.limits import MAX_CELL_CHARS, MAX_CELLS, MAX_ROWS, check_xlsx_size
from normgraph.orgdata.ntriples import Triple, ntriples
from normgraph.orgdata.templates import AI_ACT_FACTS, REASONS, STANDARDS, STATUSES, TEMPLATES, Template

Row = dict[str, str]


class _Terms:
    """A namespace whose terms are built once each: rdflib builds and checks a new URIRef on every `NG.x`, which
    cost a third of the conversion of a large table."""

    def __init__(self, ns: Namespace | type[DefinedNamespace]) -> None:
        self._ns = ns

    def __getattr__(self, name: str) -> URIRef:
        term = URIRef(getattr(self._ns, name))
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        return getattr(self, name)


NG, RDF, RDFS, SKOS, XSD = _Terms(_NG), _Terms(_RDF), _Terms(_RDFS), _Terms(_SKOS), _Terms(_XSD)

RISK_KINDS = ("confidentiality", "integrity", "availability", "bias", "drift", "robustness", "adversarial-attack",
              "hallucination", "explainability", "privacy", "safety")
SECURITY_KINDS = {"confidentiality", "integrity", "availability"}
ROLES = ("provider", "deployer", "importer", "distributor", "authorised-representative", "gpai-model-provider",
         "product-manufacturer")
CATEGORIES = ("any-ai-system", "prohibited-practice", "high-risk", "gpai-model", "gpai-model-systemic-risk",
              "art-50-system", "minimal-risk")
STAGES = ("inception", "design-development", "verification-validation", "deployment", "operation-monitoring",
          "re-evaluation", "retirement")
EVIDENCE_KINDS = (
    "risk-management-record", "data-governance-record", "technical-documentation", "event-log", "instructions-for-use",
    "human-oversight-measure", "test-report", "quality-management-system", "fundamental-rights-impact-assessment",
    "data-protection-impact-assessment", "ai-system-impact-assessment", "conformity-assessment",
    "eu-declaration-of-conformity", "ce-marking", "registration-record", "post-market-monitoring-plan",
    "serious-incident-report", "ai-literacy-record", "transparency-notice", "copyright-policy",
    "training-content-summary", "policy", "procedure", "training-record", "audit-report", "management-review-record",
    "contract", "certificate", "log", "other",
)
_NOTATION = re.compile(r"^(A\.)?\d+(\.\d+)*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_LOCAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]*$")


# -- reading ----------------------------------------------------------------------------------------

def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _unneutralised(cell: str) -> str:
    """A CSV cell our exports neutralised ("'=…", normgraph/exports/csvsafe.py) read back as the text it was."""
    return restore(cell)


def _capped(path: Path, rows: Iterator[list[object]], max_rows: int) -> list[list[object]]:
    """The rows, refused (OrgDataError with row and column) past MAX_ROWS rows, MAX_CELLS cells or a cell
    of more than MAX_CELL_CHARS characters; stops after `max_rows` rows."""
    table: list[list[object]] = []
    cells = 0
    for n, row in enumerate(rows, start=1):
        if n > max_rows:
            break
        if n > MAX_ROWS:
            raise OrgDataError(path, n, None, f"more than {MAX_ROWS} rows")
        cells += len(row)
        if cells > MAX_CELLS:
            raise OrgDataError(path, n, None, f"more than {MAX_CELLS} cells")
        for i, v in enumerate(row):
            if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                column = _cell(table[0][i]) if table and i < len(table[0]) else f"#{i + 1}"
                raise OrgDataError(path, n, column, f"a cell of {len(v)} characters (at most {MAX_CELL_CHARS})")
        table.append(row)
    return table


def read_rows(path: Path, *, max_rows: int = MAX_ROWS + 1) -> tuple[list[str], list[tuple[int, Row]]]:
    """(header, [(spreadsheet row number, row)]) of a CSV or XLSX file; blank rows are skipped. The file is
    read once, within the limits of normgraph/orgdata/limits.py; `max_rows=1` reads the header only."""
    _sheet, header, rows = read_sheet(path, max_rows=max_rows)
    return header, rows


def read_sheet(path: Path, *, max_rows: int = MAX_ROWS + 1) -> tuple[str | None, list[str], list[tuple[int, Row]]]:
    """read_rows, and the name of the sheet read (None for CSV); errors name the sheet too."""
    seen: list[str] = []  # the sheet's name, once the workbook is open
    try:
        header, rows = _read(path, max_rows, seen)
    except OrgDataError as e:
        raise e.in_sheet(seen[0] if seen else None) from None
    return (seen[0] if seen else None), header, rows


def _read(path: Path, max_rows: int, sheet_seen: list[str]) -> tuple[list[str], list[tuple[int, Row]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")  # as written: a CR in a cell is not a line break
        except UnicodeDecodeError as e:
            raise OrgDataError(path, None, None, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
        reader = csv.reader(io.StringIO(text, newline=""))  # a line break inside a quoted cell stays in it
        try:
            table = _capped(path, (list(map(_unneutralised, r)) for r in reader), max_rows)
        except csv.Error as e:  # e.g. a field over the csv module's own limit (131,072 characters)
            raise OrgDataError(path, reader.line_num, None, f"unreadable CSV: {e}") from None
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        check_xlsx_size(path)
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises zipfile/KeyError/… for broken files
            raise OrgDataError(path, None, None, f"not a readable XLSX workbook: {e}") from None
        try:
            ws = wb.worksheets[0]
            sheet_seen.append(ws.title)
            table = _capped(path, (list(r) for r in ws.iter_rows(values_only=True)), max_rows)
        finally:
            wb.close()
    else:
        raise OrgDataError(path, None, None, f"unsupported file type {suffix!r} (want .csv, .xlsx, .ttl, .jsonld, .json)")
    if not table or not any(table[0]):
        raise OrgDataError(path, 1, None, "empty file: no header row")
    header = [_cell(h).strip().lower() for h in table[0]]
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, Row]] = []
    for n, raw in enumerate(table[1:], start=2):
        cells = [_cell(c) for c in raw]
        if not any(cells):
            continue
        if len(cells) > len(header) and any(cells[len(header):]):
            raise OrgDataError(path, n, None, f"{len(cells)} cells but the header has {len(header)} columns")
        rows.append((n, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}))
    return header, rows


def detect_template(path: Path, header: list[str]) -> Template:
    for t in TEMPLATES.values():
        if t.required <= set(header) and set(header) <= set(t.names):
            return t
    best = max(TEMPLATES.values(), key=lambda t: len(set(t.names) & set(header)))
    missing = sorted(best.required - set(header))
    unknown = sorted(set(header) - set(best.names))
    detail = "; ".join(x for x in (f"missing required column(s) {', '.join(missing)}" if missing else "",
                                   f"unknown column(s) {', '.join(unknown)}" if unknown else "") if x)
    raise OrgDataError(path, 1, None, f"header matches no template (closest: {best.kind}: {detail})")


# -- cell conversion --------------------------------------------------------------------------------

class _Triples(list[Triple]):
    """The triples of a table, in the order the rows state them: a list, not an rdflib Graph, because adding to a
    Graph (its indexes, per triple) cost more than the whole rest of the conversion."""

    def add(self, triple: Triple) -> None:
        self.append(triple)


class _Ctx:
    def __init__(self, path: Path, slug: str) -> None:
        self.path = path
        self.slug = local_id(slug)
        self.base = f"{PREFIXES['ngorg']}{self.slug}/"
        self.g = _Triples()
        self.people: set[URIRef] = set()
        #: terms already converted from a cell (vocabulary values, catalog references), as each cell gives the same
        #: term for the same text; only successful conversions are kept, so every bad cell is still refused
        self.terms: dict[tuple[object, ...], URIRef] = {}
        self.row = 0

    def err(self, column: str | None, reason: str) -> OrgDataError:
        return OrgDataError(self.path, self.row, column, reason)

    def iri(self, kind: str, local: str, column: str) -> URIRef:
        if not _LOCAL.match(local):
            raise self.err(column, f"{local!r} is not an identifier (letters, digits, '.', '-', '_')")
        return URIRef(f"{self.base}{kind}/{local_id(local)}")

    def person(self, value: str, column: str = "owner") -> URIRef:
        p = self.iri("person", value, column)
        if p not in self.people:  # stated once, however many rows name the person
            self.people.add(p)
            self.g.add((p, RDF.type, NG.Person))
        return p

    def vocab(self, scheme: str, value: str, allowed: tuple[str, ...], column: str) -> URIRef:
        v = value.strip().lower()
        if v not in allowed:
            raise self.err(column, f"{value!r} is not one of: {', '.join(allowed)}")
        key = (scheme, v)
        term = self.terms.get(key)
        if term is None:
            term = self.terms[key] = URIRef(f"{NGV}{scheme}/{v}")
        return term

    def integer(self, value: str, column: str, lo: int | None = None, hi: int | None = None) -> Literal:
        try:
            n = int(value)
        except ValueError:
            raise self.err(column, f"{value!r} is not an integer") from None
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise self.err(column, f"{n} is outside {lo}–{hi}")
        return Literal(n)

    def date(self, value: str, column: str) -> Literal:
        if not _DATE.match(value):
            raise self.err(column, f"{value!r} is not a date YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError as e:
            raise self.err(column, f"{value!r} is not a valid date ({e})") from None
        return Literal(value, datatype=XSD.date)

    def boolean(self, value: str, column: str) -> Literal:
        v = value.strip().lower()
        if v in ("yes", "y", "true", "1"):
            return Literal(True)
        if v in ("no", "n", "false", "0"):
            return Literal(False)
        raise self.err(column, f"{value!r} is not yes/no")

    def ref(self, value: str, standard: str, column: str, *, controls_only: bool = False) -> URIRef:
        """A catalog reference: notation + standard column, or a CURIE/IRI of a normgraph catalog."""
        key = ("ref", value, standard, controls_only)
        term = self.terms.get(key)
        if term is None:
            term = self.terms[key] = self._ref(value, standard, column, controls_only)
        return term

    def _ref(self, value: str, standard: str, column: str, controls_only: bool) -> URIRef:
        v = value.strip()
        if ":" in v and not _NOTATION.match(v):
            prefix = v.split(":", 1)[0]
            known = sorted(c.prefix for c in catalogs())
            if "://" not in v and prefix not in known:
                raise self.err(column, f"{v!r}: unknown prefix {prefix!r} (known: {', '.join(known)})")
            try:
                iri = expand(v)
            except ValueError as e:
                raise self.err(column, str(e)) from None
            local = str(iri).rsplit("/", 1)[-1]
            if not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", local):
                raise self.err(column, f"{v!r} is not a valid catalog identifier")
            if controls_only and not (prefix in ("iso27001", "iso42001") and local.startswith("A-")):
                raise self.err(column, f"{v!r} is not an ISO/IEC 27001 or 42001 Annex A control")
            return iri
        if not _NOTATION.match(v):
            raise self.err(column, f"{v!r} is neither a notation like A.5.19 nor a CURIE like iso27001:A-5-19")
        std = standard.strip().lower().replace("iso/iec ", "iso").replace(" ", "")
        if not std:
            raise self.err(column, f"{v!r} is a bare notation: fill in the `standard` column (iso27001 or iso42001) or use a CURIE")
        key = STANDARDS.get(std.split(":")[0]) or STANDARDS.get(std.removeprefix("iso"))
        if key is None:
            raise self.err("standard", f"{standard!r} is not iso27001 or iso42001")
        if controls_only and not v.startswith("A."):
            raise self.err(column, f"{v!r} is not an Annex A control (A.x.y)")
        return URIRef(f"{PREFIXES['ngid']}{key}/{local_id(v)}")


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


# -- one converter per template ---------------------------------------------------------------------

def _soa(c: _Ctx, r: Row) -> None:
    control = c.ref(r["control"], r.get("standard", ""), "control", controls_only=True)
    scheme, local = str(control).rsplit("/", 2)[-2:]
    e = URIRef(f"{c.base}soa/{scheme.split('-')[0]}-{local}")
    g = c.g
    g.add((e, RDF.type, NG.SoAEntry))
    g.add((e, NG.forControl, control))
    applicable = c.boolean(r["applicable"], "applicable")
    g.add((e, NG.applicable, applicable))
    g.add((e, RDFS.label, Literal(f"SoA {catalog(scheme).title} {local.replace('-', '.')}", lang="en")))
    for reason in _split(r.get("inclusion_reason", "")):
        g.add((e, NG.inclusionReason, c.vocab("inclusion-reason", reason, REASONS, "inclusion_reason")))
    if r.get("exclusion_justification"):
        g.add((e, NG.exclusionJustification, Literal(r["exclusion_justification"], lang="en")))
    g.add((e, NG.implementationStatus, c.vocab("implementation-status", r["implementation_status"], STATUSES, "implementation_status")))
    if r.get("implementing_measure"):
        g.add((e, NG.implementingMeasure, Literal(r["implementing_measure"], lang="en")))
    if r.get("owner"):
        g.add((e, NG.owner, c.person(r["owner"])))


def _risk(c: _Ctx, r: Row) -> None:
    g = c.g
    ri = c.iri("risk", r["id"], "id")
    kind = r["kind"].strip().lower()
    g.add((ri, RDF.type, NG.Risk))
    g.add((ri, RDF.type, NG.SecurityRisk if kind in SECURITY_KINDS else NG.AIRisk))
    g.add((ri, SKOS.notation, Literal(r["id"])))
    g.add((ri, RDFS.label, Literal(r["title"], lang="en")))
    g.add((ri, NG.riskKind, c.vocab("risk-kind", kind, RISK_KINDS, "kind")))
    lk = c.integer(r["likelihood"], "likelihood", 1, 5)
    im = c.integer(r["impact"], "impact", 1, 5)
    g.add((ri, NG.likelihood, lk))
    g.add((ri, NG.impact, im))
    inherent = c.integer(r["inherent_score"], "inherent_score", 1, 25) if r.get("inherent_score") else Literal(int(lk) * int(im))
    g.add((ri, NG.inherentScore, inherent))
    if r.get("residual_score"):
        g.add((ri, NG.residualScore, c.integer(r["residual_score"], "residual_score", 1, 25)))
    owner = c.person(r["owner"]) if r.get("owner") else None
    if owner is not None:
        g.add((ri, NG.owner, owner))
    for ref in _split(r.get("treated_by", "")):
        g.add((ri, NG.treatedBy, c.ref(ref, r.get("standard", ""), "treated_by", controls_only=True)))
    if r.get("treatment"):
        t = c.iri("treatment", r["id"], "id")
        g.add((ri, NG.hasTreatment, t))
        g.add((t, RDF.type, NG.RiskTreatment))
        g.add((t, NG.implementingMeasure, Literal(r["treatment"], lang="en")))
        if owner is not None:
            g.add((t, NG.owner, owner))
    for s in _split(r.get("affects", "")):
        g.add((ri, NG.affects, c.iri("ai-system", s, "affects")))


def _evidence(c: _Ctx, r: Row) -> None:
    g = c.g
    e = c.iri("evidence", r["id"], "id")
    g.add((e, RDF.type, NG.Evidence))
    g.add((e, SKOS.notation, Literal(r["id"])))
    g.add((e, RDFS.label, Literal(r["title"], lang="en")))
    kinds = _split(r["kind"])
    if not kinds:
        raise c.err("kind", "at least one evidence kind is required")
    for k in kinds:
        g.add((e, NG.evidenceKind, c.vocab("evidence-kind", k, EVIDENCE_KINDS, "kind")))
        if k.strip().lower() in ("fundamental-rights-impact-assessment", "data-protection-impact-assessment",
                                 "ai-system-impact-assessment"):
            g.add((e, RDF.type, NG.ImpactAssessment))
    issued = c.date(r["issued"], "issued")
    g.add((e, NG.issued, issued))
    if r.get("valid_until"):
        until = c.date(r["valid_until"], "valid_until")
        if until.toPython() < issued.toPython():
            raise c.err("valid_until", f"{r['valid_until']} is before the issue date {r['issued']}")
        g.add((e, NG.validUntil, until))
    if r.get("owner"):
        g.add((e, NG.owner, c.person(r["owner"])))
    if r.get("location"):
        loc = r["location"]
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", loc):
            raise c.err("location", f"{loc!r} is not a URI")
        g.add((e, NG.location, Literal(loc, datatype=XSD.anyURI)))
    if r.get("sha256"):
        if not _HEX64.match(r["sha256"]):
            raise c.err("sha256", f"{r['sha256']!r} is not 64 lower-case hexadecimal characters")
        g.add((e, NG.sha256, Literal(r["sha256"])))
    refs = _split(r["supports"])
    if not refs:
        raise c.err("supports", "evidence must support at least one control, clause or obligation")
    for ref in refs:
        g.add((e, NG.supports, c.ref(ref, r.get("standard", ""), "supports")))
    for s in _split(r.get("concerns_system", "")):
        g.add((e, NG.concernsSystem, c.iri("ai-system", s, "concerns_system")))


def _annex_iii(c: _Ctx, value: str) -> URIRef:
    v = value.strip()
    m = re.fullmatch(r"(\d)\s*\(?([a-e])?\)?", v)
    if m:
        local = f"annex-III-{m.group(1)}" + (f"-{m.group(2)}" if m.group(2) else "")
    elif v.startswith("aiact:"):
        local = v.split(":", 1)[1]
    else:
        local = v
    if not re.fullmatch(r"annex-III-[1-8](-[a-e])?", local):
        raise c.err("annex_iii_area", f"{value!r} is not an Annex III point (e.g. 5(b), annex-III-5-b)")
    return URIRef(f"{PREFIXES['aiact']}{local}")


def _ai_system(c: _Ctx, r: Row) -> None:
    g = c.g
    s = c.iri("ai-system", r["id"], "id")
    g.add((s, RDF.type, NG.AISystem))
    g.add((s, RDFS.label, Literal(r["name"], lang="en")))
    roles = _split(r["role"])
    if not roles:
        raise c.err("role", "at least one AI Act role is required")
    for role in roles:
        g.add((s, NG.aiActRole, c.vocab("role", role, ROLES, "role")))
    if r.get("risk_category"):
        g.add((s, NG.riskCategory, c.vocab("system-category", r["risk_category"], CATEGORIES, "risk_category")))
    if r.get("annex_iii_area"):
        g.add((s, NG.annexIIIArea, _annex_iii(c, r["annex_iii_area"])))
    if r.get("lifecycle_stage"):
        g.add((s, NG.lifecycleStage, c.vocab("lifecycle-stage", r["lifecycle_stage"], STAGES, "lifecycle_stage")))
    g.add((s, NG.intendedPurpose, Literal(r["intended_purpose"], lang="en")))
    for m in _split(r.get("models", "")):
        mi = c.iri("model", m, "models")
        g.add((s, NG.usesModel, mi))
        g.add((mi, RDF.type, NG.AIModel))
    if r.get("supplier"):
        sup = c.iri("supplier", r["supplier"], "supplier")
        g.add((s, NG.suppliedBy, sup))
        g.add((sup, RDF.type, NG.Supplier))
    # no template states the organisation: normgraph.orgdata.CheckedFiles links the systems to it
    _ai_act_facts(c, r, s)


def _ai_act_facts(c: _Ctx, r: Row, s: URIRef) -> None:
    """The AI Act applicability facts of one inventory row (ontology/organisations.ttl, DESIGN.md §13)."""
    g = c.g
    for f in AI_ACT_FACTS:
        if f.scheme:
            for v in _split(r.get(f.column, "")):
                g.add((s, NG[f.prop], c.vocab(f.scheme, v, f.values, f.column)))
        elif r.get(f.column):
            g.add((s, NG[f.prop], c.boolean(r[f.column], f.column)))
    placed = r.get("placed_on_market", "").strip()
    if placed.lower() in ("not-yet", "not yet"):
        g.add((s, NG.notYetPlacedOnMarket, Literal(True)))
    elif placed:
        g.add((s, NG.placedOnMarket, c.date(placed, "placed_on_market")))


CONVERTERS: dict[str, Callable[[_Ctx, Row], None]] = {
    "soa": _soa, "risk-register": _risk, "evidence-register": _evidence, "ai-systems": _ai_system,
}


@dataclass
class TableImport:
    """One table read: its template, the triples of its converted rows, the rows taken as they were."""

    template: Template
    #: the triples of the converted rows, in row order (a triple stated by two rows is listed twice)
    triples: list[Triple]
    #: keys of rows equal to the `keep` row of the same key (not converted) → their spreadsheet row
    kept: dict[str, int]
    sheet: str | None
    #: the triples as N-Triples: what the contradiction check read, and what an import loads
    ntriples: bytes = b""

    @cached_property
    def graph(self) -> Graph:
        """The triples as an rdflib Graph (built on first use: the import itself never needs one)."""
        g = Graph()
        g.addN((s, p, o, g) for s, p, o in self.triples)
        return g


def row_key(kind: str, r: Row) -> str:
    """What names a row of a table: `iso27001 A.5.19` for the SoA (standard and control), the id otherwise."""
    return (r.get("standard", "") + " " + r["control"]).strip() if kind == "soa" else r["id"]


def read_table(path: Path, org_slug: str, keep: Callable[[str], Mapping[str, Row]] | None = None) -> TableImport:
    """One CSV/XLSX file → its triples for organisation `org_slug`, or OrgDataError at the first bad cell.

    `keep(template kind)` gives the rows of the graph as it is, exported, by key: a row equal to its `keep`
    row in every column of the template is taken as it was and not converted, so a value the graph holds and
    validation reports (a likelihood of 6) round-trips instead of being refused; it is listed in `kept`.
    """
    sheet, header, rows = read_sheet(path)
    try:
        template = detect_template(path, header)
        return _convert(path, org_slug, template, rows, sheet, keep(template.kind) if keep else {})
    except OrgDataError as e:
        raise e.in_sheet(sheet) from None


def _convert(path: Path, org_slug: str, template: Template, rows: list[tuple[int, Row]], sheet: str | None,
             keep: Mapping[str, Row]) -> TableImport:
    c = _Ctx(path, org_slug)
    seen: dict[str, int] = {}
    row_of: dict[str, int] = {}
    kept: dict[str, int] = {}
    key_col = "control" if template.kind == "soa" else "id"
    for n, r in rows:
        c.row = n
        for col in sorted(template.required):
            if not r.get(col, "").strip():
                raise c.err(col, "required value is empty")
        key = row_key(template.kind, r)
        if key in seen:
            raise c.err(key_col, f"duplicate {key_col} {r[key_col]!r} (also in row {seen[key]})")
        seen[key] = n
        if key in keep and all(r.get(name, "") == keep[key].get(name, "") for name in template.names):
            kept[key] = n
            continue
        CONVERTERS[template.kind](c, r)
        if template.kind == "ai-systems":
            row_of[str(c.iri("ai-system", r["id"], "id"))] = n
    nt = ntriples(c.g)
    check_ai_act_facts(path, nt, row_of)
    return TableImport(template, c.g, kept, sheet, nt)


def import_table(path: Path, org_slug: str) -> Graph:
    """One CSV/XLSX file → RDF triples for organisation `org_slug`, or OrgDataError at the first bad cell."""
    return read_table(path, org_slug).graph
