"""rdflib terms written as N-Triples without building an rdflib Graph.

The import converts every cell into rdflib terms; collecting them in a list and writing them here costs about a
third of adding them to a Graph and serialising that (and holds no index), which is what makes an organisation of
hundreds of thousands of rows import in linear time and memory. Oxigraph parses the output, so an IRI no store
would take is still refused where it is loaded (orgdata.facts turns that into the import's error).
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

#: The characters N-Triples escapes in a literal (ECHAR); everything else is written as UTF-8.
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_XSD_STRING = str(XSD.string)


def _term(t: Node) -> str:
    if isinstance(t, URIRef):
        return f"<{t}>"
    if isinstance(t, Literal):
        value = str(t).translate(_ESCAPES)
        if t.language:
            return f'"{value}"@{t.language}'
        dt = t.datatype
        return f'"{value}"^^<{dt}>' if dt is not None and str(dt) != _XSD_STRING else f'"{value}"'
    return f"_:{t}"


def ntriples(triples: Iterable[Triple]) -> bytes:
    """The triples as N-Triples (UTF-8), one line each, in the order given (duplicates are left to the store)."""
    return "".join(f"{_term(s)} {_term(p)} {_term(o)} .\n" for s, p, o in triples).encode("utf-8")
