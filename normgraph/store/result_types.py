"""Which columns of a SELECT answer are booleans, read from the query text (for stores without booleans).

Virtuoso 7 has no boolean type in its engine: `BIND(true AS ?x)`, `(?a = ?b AS ?same)`, `EXISTS {…}` come
back as xsd:integer 1 / 0, and stored xsd:boolean literals as "1" / "0" (a valid but not the canonical
lexical form). The answer itself cannot tell an integer that stands for a boolean from a count, so the
query text is read: a variable is boolean when every expression that binds it (`BIND (… AS ?v)`, a
projection `(… AS ?v)`) is boolean-valued — a comparison or logical operator at its top level, `!`,
`true` / `false`, EXISTS / NOT EXISTS, a boolean built-in (BOUND, REGEX, STRSTARTS, isIRI, …), IF whose
two branches and COALESCE whose arguments are boolean (or variables bound only by patterns: their
stored values are typed), SAMPLE / MIN / MAX of a boolean, or another boolean variable.

The same reading finds the columns made by GROUP_CONCAT (`concat_columns`): over a group with no
values, Virtuoso gives "" where Oxigraph leaves the column unbound (the aggregate of an error).

`boolean_columns(text)` is memoised by the text's sha256 and costs ~1 ms for a 5 KB query.
"""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
from rdflib import Literal
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from normgraph.store.sparql_text import TextMemo, tokens

_BOOLEAN_FUNCTIONS = frozenset({
    "BOUND", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC", "REGEX", "STRSTARTS", "STRENDS",
    "CONTAINS", "SAMETERM", "LANGMATCHES", "EXISTS",
})
#: a comparison or logical operator (or IN) at the top level of an expression makes it boolean
_RELATIONAL = frozenset({("other", "="), ("other", "<"), ("other", ">"), ("other", "&"), ("other", "|"),
                         ("word", "IN")})
_TYPE_KEEPING_AGGREGATES = frozenset({"SAMPLE", "MIN", "MAX"})
_MEMO_ENTRIES = 512

Token = tuple[str, str]  # (kind, text): "word" (upper-cased), "var" (name), "pname", "iri", "literal", "other"


def _tokens(sparql: str) -> list[Token]:
    kinds = {"string": "literal", "lstring": "literal"}
    return [("word", text.upper()) if kind == "word" else ("var", text[1:]) if kind == "var"
            else (kinds[kind], "") if kind in kinds else (kind, text) for kind, text in tokens(sparql)]


def _closing(tokens: list[Token], start: int) -> int:
    """Index of the ")" matching the "(" at `start` (len(tokens) when unbalanced)."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i] == ("other", "("):
            depth += 1
        elif tokens[i] == ("other", ")"):
            depth -= 1
            if depth == 0:
                return i
    return len(tokens)


def _arguments(tokens: list[Token]) -> list[list[Token]]:
    """The comma-separated arguments of `NAME ( … )` (tokens[1] is the "(")."""
    args: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens[2:-1]:
        if tok == ("other", "(") or tok == ("other", "{"):
            depth += 1
        elif tok == ("other", ")") or tok == ("other", "}"):
            depth -= 1
        if tok == ("other", ",") and depth == 0:
            args.append([])
        else:
            args[-1].append(tok)
    return args


def _definitions(tokens: list[Token]) -> dict[str, list[list[Token]]]:
    """variable -> the expressions bound to it by `( expr AS ?v )` (BIND and projections)."""
    defs: dict[str, list[list[Token]]] = {}
    for i, tok in enumerate(tokens):
        if tok != ("word", "AS") or i + 2 >= len(tokens) or tokens[i + 1][0] != "var" \
                or tokens[i + 2] != ("other", ")"):
            continue
        depth, start = 0, -1
        for j in range(i - 1, -1, -1):
            if tokens[j] == ("other", ")"):
                depth += 1
            elif tokens[j] == ("other", "("):
                if depth == 0:
                    start = j
                    break
                depth -= 1
        if start >= 0:
            defs.setdefault(tokens[i + 1][1], []).append(tokens[start + 1:i])
    return defs


def _is_boolean(expr: list[Token], booleans: set[str], defined: set[str]) -> bool:
    while len(expr) > 2 and expr[0] == ("other", "(") and _closing(expr, 0) == len(expr) - 1:
        expr = expr[1:-1]
    if not expr:
        return False
    if len(expr) == 1:
        kind, text = expr[0]
        return (kind == "word" and text in ("TRUE", "FALSE")) or (kind == "var" and text in booleans)
    depth = 0
    for k, (kind, text) in enumerate(expr):
        if (kind, text) in (("other", "("), ("other", "{")):
            depth += 1
        elif (kind, text) in (("other", ")"), ("other", "}")):
            depth -= 1
        elif depth == 0 and ((kind, text) in _RELATIONAL or (
                (kind, text) == ("other", "!") and k + 1 < len(expr) and expr[k + 1] == ("other", "="))):
            return True
    head = expr[0]
    if head == ("other", "!"):
        return True
    if head == ("word", "NOT") and len(expr) > 1 and expr[1] == ("word", "EXISTS"):
        return True
    if head[0] != "word" or len(expr) < 2:
        return False
    if head[1] == "EXISTS":
        return True
    if expr[1] != ("other", "(") or _closing(expr, 1) != len(expr) - 1:
        return False
    name = head[1]
    if name in _BOOLEAN_FUNCTIONS:
        return True
    args = _arguments(expr)

    def boolean_or_pattern_bound(values: list[list[Token]]) -> bool:
        """Some value is boolean, and the others are too or are variables no expression binds (their
        values come from the data, typed; or they are never bound)."""
        def pattern_bound(a: list[Token]) -> bool:
            return len(a) == 1 and a[0][0] == "var" and a[0][1] not in defined
        return any(_is_boolean(a, booleans, defined) for a in values) and \
            all(_is_boolean(a, booleans, defined) or pattern_bound(a) for a in values)

    if name == "IF":
        return len(args) == 3 and boolean_or_pattern_bound(args[1:])
    if name == "COALESCE":
        return boolean_or_pattern_bound(args)
    if name in _TYPE_KEEPING_AGGREGATES and len(args) == 1:
        arg = args[0][1:] if args[0][:1] == [("word", "DISTINCT")] else args[0]
        return _is_boolean(arg, booleans, defined)
    return False


def _analyse(sparql: str) -> tuple[frozenset[str], frozenset[str]]:
    defs = _definitions(_tokens(sparql))
    defined = set(defs)
    booleans: set[str] = set()
    changed = True
    while changed:  # a variable may be bound from another one defined later in the text
        changed = False
        for var, exprs in defs.items():
            if var not in booleans and all(_is_boolean(e, booleans, defined) for e in exprs):
                booleans.add(var)
                changed = True
    concats = {var for var, exprs in defs.items() if all(e[:2] == [("word", "GROUP_CONCAT"), ("other", "(")]
                                                         for e in exprs)}
    return frozenset(booleans), frozenset(concats)


_kinds: TextMemo[tuple[frozenset[str], frozenset[str]]] = TextMemo(_analyse, _MEMO_ENTRIES)


def boolean_columns(sparql: str) -> frozenset[str]:
    """The variables a query binds only to boolean values (see the module docstring)."""
    return _kinds(sparql)[0]


def concat_columns(sparql: str) -> frozenset[str]:
    """The variables a query binds only by GROUP_CONCAT (`(GROUP_CONCAT(…) AS ?v)`)."""
    return _kinds(sparql)[1]


_TRUE, _FALSE = Literal(True), Literal(False)


def as_boolean(term: Identifier | None, boolean_column: bool) -> Identifier | None:
    """A boolean given as 1 / 0 (xsd:boolean, or xsd:integer in a boolean column) as true / false."""
    if isinstance(term, Literal) and (term.datatype == XSD.boolean or (boolean_column and term.datatype == XSD.integer)):
        text = str(term)
        if text == "1":
            return _TRUE
        if text == "0":
            return _FALSE
    return term


_BOOLEAN = str(XSD.boolean)
_INTEGER = str(XSD.integer)
_OX_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


def booleans_in_json(body: bytes, sparql: str, result_format: str, *, empty_concat_unbound: bool = False) -> bytes:
    """A SELECT answer in SPARQL JSON with its 1 / 0 booleans as true / false (as `as_boolean`), and, when
    `empty_concat_unbound`, an empty GROUP_CONCAT left unbound; written in `result_format` (json, xml,
    csv, tsv) the way the embedded store writes it."""
    data = json.loads(body)
    columns = boolean_columns(sparql)
    concats = concat_columns(sparql) if empty_concat_unbound else frozenset()
    for binding in data.get("results", {}).get("bindings", []):
        for var in [v for v in concats if binding.get(v, {}).get("value") == ""]:
            del binding[var]
        for var, term in binding.items():
            datatype = term.get("datatype")
            if term.get("value") in ("0", "1") and (datatype == _BOOLEAN or (datatype == _INTEGER and var in columns)):
                term["datatype"] = _BOOLEAN
                term["value"] = "true" if term["value"] == "1" else "false"
    fixed = json.dumps(data, ensure_ascii=False).encode()
    out = io.BytesIO()
    ox.parse_query_results(fixed, ox.QueryResultsFormat.JSON).serialize(out, _OX_FORMATS[result_format])
    return out.getvalue()


def boolean_predicates(sparql: str) -> frozenset[str]:
    """The predicates (IRIs, or prefixed names resolved by the query's PREFIXes) a CONSTRUCT template only
    gives boolean variables or literals as objects: their 1 / 0 objects are read back as true / false."""
    tokens = _tokens(sparql)
    prefixes: dict[str, str] = {}
    for i, (kind, text) in enumerate(tokens[:-2]):
        if (kind, text) == ("word", "PREFIX") and tokens[i + 1][0] == "pname" and tokens[i + 2][0] == "iri":
            prefixes[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
    try:
        start = tokens.index(("word", "CONSTRUCT")) + 1
    except ValueError:
        return frozenset()
    if start >= len(tokens) or tokens[start] != ("other", "{"):
        return frozenset()
    booleans = boolean_columns(sparql)
    seen: dict[str, bool] = {}  # predicate -> only boolean objects so far
    position, predicate = 0, None  # 0 subject, 1 predicate, 2 object
    for kind, text in tokens[start + 1:]:
        if (kind, text) == ("other", "}"):
            break
        if (kind, text) == ("other", "."):
            position, predicate = 0, None
        elif (kind, text) == ("other", ";"):
            position = 1
        elif (kind, text) == ("other", ","):
            position = 2
        elif position == 0:
            position = 1
        elif position == 1:
            predicate = _iri_of(kind, text, prefixes)
            position = 2
        elif position == 2 and predicate is not None:
            boolean = (kind == "var" and text in booleans) or (kind, text) in (("word", "TRUE"), ("word", "FALSE"))
            seen[predicate] = seen.get(predicate, True) and boolean
    return frozenset(p for p, only in seen.items() if only)


def _iri_of(kind: str, text: str, prefixes: dict[str, str]) -> str | None:
    if kind == "iri":
        return text[1:-1]
    if kind == "pname" and text.split(":", 1)[0] in prefixes:
        prefix, local = text.split(":", 1)
        return prefixes[prefix] + local
    if (kind, text) == ("word", "A"):
        return str(RDF.type)
    return None


__all__ = ["as_boolean", "boolean_columns", "boolean_predicates", "booleans_in_json", "concat_columns"]
