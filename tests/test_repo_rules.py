"""Rules of the repository that no single module can check for itself.

1. No SPARQL text in Python: queries live in queries/*.rq with a header and run through
   normgraph.queries (DESIGN.md §5). Every string constant (f-strings included, with their holes
   filled) in normgraph/ and bench/ is read with `ast` and matched against the forms a SPARQL query
   or update starts with. tests/ is left out on purpose: tests state queries inline to check the
   engine and the named queries against them.
2. No reference to documents outside the repository: every tracked text file is self-contained.
3. No timed assertions in tests: speed is measured in bench/ as ratios against a reference in the same
   run. An `assert` that compares a clock difference (`time.monotonic() - started`, or a name bound to
   one) is refused unless its line or the line above says why it is not a speed assertion (a bound that
   shows a timeout stopped work that would run for minutes, or a wait that load cannot shorten).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
from repo import ROOT

#: The folders whose Python must hold no SPARQL. tests/ is not one of them (see the module docstring).
SCANNED = ("normgraph", "bench")

#: What an f-string's `{…}` becomes when its text is checked: no letter or digit, so the words beside
#: it keep their boundaries (`f"{drop}INSERT DATA"` still reads as INSERT DATA).
HOLE = "«X»"

#: What SPARQL looks like, upper case as we write it (prose says "select" and "where" in lower case).
#: `ASK {}` (nothing asked: a server's readiness probe) is not a query of our data.
SPARQL = re.compile(
    r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:\?\w|\*|\()[^\"]*?\bWHERE\s*\{"
    r"|\bSELECT\b[^\"]*?\{[^\"]*\?\w"
    r"|\bCONSTRUCT\s*(?:\{|WHERE\b)"
    r"|\bASK\s*(?:WHERE\s*)?\{\s*[^\s}]"
    r"|\bDESCRIBE\s+(?:<|\?\w|\*|\w+:)"
    r"|\b(?:INSERT|DELETE)\s+(?:DATA\s*)?\{"
    r"|\b(?:INSERT|DELETE)\s+WHERE\b"
    r"|\b(?:DROP|CLEAR|CREATE)\s+(?:SILENT\s+)?(?:GRAPH|DEFAULT|NAMED|ALL)\b"
    r"|\bLOAD\s+(?:SILENT\s+)?<"
    r"|\bPREFIX\s+(?:[A-Za-z][\w-]*|«X»)?\s*:\s*<"
)

#: (file, what the string starts with) -> why it is not a query that belongs in queries/ (keep tiny).
ALLOWED: dict[tuple[str, str], str] = {
    ("normgraph/queries.py", "PREFIX «X»: <«X»>"):
        "with_prefixes writes the PREFIX lines of iri.PREFIXES in front of a query: the prologue, not a query",
    ("normgraph/store/embedded.py", "DROP SILENT GRAPH <«X»> ; INSERT DATA"):
        "the write path: replaces a graph with the triples being loaded, in one update (data, not a query)",
    ("normgraph/store/embedded.py", "DROP SILENT GRAPH <«X»>"): "the write path: drop(graph)",
    ("normgraph/store/remote.py", "«X»INSERT DATA"):
        "the write path without a Graph Store: the triples being loaded, sent as an update (data, not a query)",
    ("normgraph/store/remote.py", "DROP SILENT GRAPH «X»"): "the write path: drop(graph), and the replace of a load",
    ("normgraph/store/remote.py", "ASK { «X» }"):
        "the union probe asks for one triple read back from the endpoint (terms in N-Triples syntax)",
    ("normgraph/backup.py", "CLEAR ALL"): "restore: the dump's quads written back as one update (data, not a query)",
}


def allowed(rel: str, text: str) -> bool:
    return any(rel == path and text.strip().startswith(start) for (path, start) in ALLOWED)


def strings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string constant that is not a docstring; f-strings with HOLE for each `{…}`."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    inside_fstring = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else HOLE
                           for v in node.values)
            out.append((node.lineno, text))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings and id(node) not in inside_fstring):
            out.append((node.lineno, node.value))
    return out


def sparql_strings(path: Path, *, allow: bool = True) -> list[str]:
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{rel}:{line}: {text.strip()[:80]!r}" for line, text in strings(tree)
            if SPARQL.search(text) and not (allow and allowed(rel, text))]


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_no_sparql_in_python() -> None:
    found = [hit for p in python_files(*SCANNED) for hit in sparql_strings(p)]
    assert not found, "SPARQL belongs in queries/*.rq (run it with normgraph.queries):\n" + "\n".join(found)


def test_every_exception_is_still_needed() -> None:
    for (rel, start), reason in ALLOWED.items():
        hits = [h for h in sparql_strings(ROOT / rel, allow=False) if repr(start)[1:-1][:40] in h]
        assert reason and hits, f"{rel} no longer holds {start!r}: drop it from ALLOWED"


def test_tests_are_left_out_on_purpose() -> None:
    """tests/ holds SPARQL on purpose (inline queries that check engines and named queries)."""
    assert "tests" not in SCANNED
    assert any(sparql_strings(p) for p in python_files("tests")), "the detector no longer sees tests' SPARQL"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s WHERE { ?s ?p ?o }",
        "SELECT DISTINCT ?x ?y\nWHERE {\n ?x a ?y }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT * { ?s skos:notation ?n }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "ASK { <urn:x> ?p ?o }",
        "ASK WHERE { ?s ?p ?o }",
        "DESCRIBE <urn:x>",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        "DROP SILENT GRAPH <urn:g>",
        "CLEAR DEFAULT",
        "«X»INSERT DATA { GRAPH «X» { «X» } }",
        "DROP SILENT GRAPH «X»",
        "PREFIX «X»: <«X»>",
        "LOAD <http://example.org/x>",
    ],
)
def test_the_detector_sees_sparql(text: str) -> None:
    assert SPARQL.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "Select the rows where the control is implemented.",
        "run the classification CONSTRUCTs in order",
        "ASK queries answer yes or no",
        "a SELECT or ASK result",
        "GRAPH_TYPES",
        "SERVICE and LOAD are refused",
        "unknown prefix {prefix!r}",
        "DELETE removes the graph (Graph Store Protocol)",
        "queries/mapping-records.rq must be a CONSTRUCT",
        "ASK {}",
    ],
)
def test_the_detector_leaves_prose_alone(text: str) -> None:
    assert not SPARQL.search(text)


def test_fstrings_are_read_with_their_holes_filled() -> None:
    tree = ast.parse('def f():\n    """SELECT ?s WHERE { ?s ?p ?o } in a docstring"""\n    return f"ASK {{ <{iri}> ?p ?o }}"\n')
    texts = [text for _line, text in strings(tree)]
    assert texts == ["ASK { <«X»> ?p ?o }"]


# ── 2. no references to documents outside the repository ───────────────────────────────────────

#: A citation of a document kept outside the repository: the design guide, or a path beside the checkout.
OUTSIDE = re.compile(r"GUIDE\b|GUIDE\.md|\.\./shared/|\bshared/GUIDE|SOURCES\.md")


def tracked_text_files() -> list[Path]:
    """Every text file git tracks, except this one (it has to name what it forbids)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    out = []
    for name in names.decode().split("\0"):
        path = ROOT / name
        if not name or name == "tests/test_repo_rules.py" or not path.is_file() or path.is_symlink() \
                or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        if b"\0" not in data[:8192]:
            out.append(path)
    return out


def test_no_reference_to_documents_outside_the_repository() -> None:
    found = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not found, "cite DESIGN.md (or say it in place), not a document outside the repository:\n" + "\n".join(found)


@pytest.mark.parametrize("text", ["see GUIDE §6", "../shared/GUIDE.md", "(GUIDE §2)", "`../shared/reference/x.csv`"])
def test_the_outside_reference_check_sees_citations(text: str) -> None:
    assert OUTSIDE.search(text)


@pytest.mark.parametrize("text", ["USER_GUIDE_URL", "guide", "shared/reference beside the checkout", "GUIDED"])
def test_the_outside_reference_check_leaves_other_words_alone(text: str) -> None:
    assert not OUTSIDE.search(text)


# -- 3. no timed assertions -------------------------------------------------------------------------------
CLOCKS = {"perf_counter", "monotonic", "time", "perf_counter_ns", "monotonic_ns", "time_ns"}
#: what the line of such an assert, or the line above, says to be let through
NOT_SPEED = ("not a speed assertion", "not a timing assertion")


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name in CLOCKS and (not isinstance(f, ast.Attribute) or (isinstance(f.value, ast.Name) and f.value.id == "time"))


def _has_clock_difference(node: ast.AST, durations: set[str]) -> bool:
    """Whether `node` holds `clock() - x` or a name bound to one."""
    return any((isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) and _is_clock_call(n.left))
               or (isinstance(n, ast.Name) and n.id in durations) for n in ast.walk(node))


def timed_assertions(source: str) -> list[int]:
    """Lines of the asserts in `source` that compare a clock difference, unless marked NOT_SPEED."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        durations: set[str] = set()
        for node in ast.walk(fn):  # names bound to a duration (took = ..., slowest = max(slowest, ...))
            if isinstance(node, ast.Assign) and _has_clock_difference(node.value, durations):
                durations |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assert) and any(isinstance(c, ast.Compare) and _has_clock_difference(c, durations)
                                                    for c in ast.walk(node.test)):
                near = " ".join(lines[max(0, node.lineno - 2):node.end_lineno or node.lineno]).lower()
                if not any(mark in near for mark in NOT_SPEED):
                    found.append(node.lineno)
    return sorted(set(found))


def test_no_timed_assertions_in_tests() -> None:
    found = [f"{p.relative_to(ROOT)}:{n}" for p in python_files("tests") if p.name != "test_repo_rules.py"
             for n in timed_assertions(p.read_text(encoding="utf-8"))]
    assert not found, ("assert the behaviour the speed stands for (a cache hit, no query reaching the store) and "
                       "measure speed in bench/; a bound that shows a timeout stopped work says why on its line "
                       "or the one above (" + NOT_SPEED[0] + "):\n" + "\n".join(found))


#: (a test body, whether it asserts on elapsed time)
TIMED_CASES = [
    ("t = time.perf_counter()\n    run()\n    assert time.perf_counter() - t < 0.5", True),
    ("started = time.monotonic()\n    run()\n    took = time.monotonic() - started\n    assert took < 10", True),
    ("slowest = 0.0\n    slowest = max(slowest, time.monotonic() - started)\n    assert slowest < 1", True),
    ("started = perf_counter()\n    assert perf_counter() - started >= 0.35", True),
    # a deadline that only stops a hung test, a duration printed, and bounds that say why they are no speed check
    ("deadline = time.monotonic() + 60\n    while not done():\n        assert time.monotonic() < deadline, 'hung'", False),
    ("took = time.monotonic() - started\n    print(took)\n    assert answered >= 5", False),
    ("# not a speed assertion: unstopped it runs for minutes\n    assert time.monotonic() - started < 20", False),
    ("assert time.monotonic() - started < 20  # not a speed assertion: unstopped it runs for minutes", False),
]


@pytest.mark.parametrize(("body", "timed"), TIMED_CASES)
def test_the_timed_assertion_check_sees_exactly_the_timed_ones(body: str, timed: bool) -> None:
    assert bool(timed_assertions(f"def test_x() -> None:\n    {body}\n")) is timed
