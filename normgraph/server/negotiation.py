"""Content negotiation: pick a format from the Accept header (q-values, wildcards) or `?format=`."""

from __future__ import annotations

import functools

from flask import Request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

#: short format name -> media types that select it (the first is what we send as Content-Type).
RESULT_TYPES: dict[str, tuple[str, ...]] = {
    "json": ("application/sparql-results+json", "application/json", "text/javascript", "application/javascript"),
    "xml": ("application/sparql-results+xml", "application/xml", "text/xml"),
    "csv": ("text/csv",),
    "tsv": ("text/tab-separated-values",),
}
GRAPH_TYPES: dict[str, tuple[str, ...]] = {
    "turtle": ("text/turtle", "application/turtle", "application/x-turtle", "text/n3", "text/rdf+n3"),
    "ntriples": ("application/n-triples", "text/plain"),
    "jsonld": ("application/ld+json", "application/x-json+ld", "application/json"),
    "rdfxml": ("application/rdf+xml", "application/xml", "text/xml"),
}
FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml", "n-triples": "ntriples",
                  "rdf+xml": "rdfxml", "rdf/xml": "rdfxml", "text": "tsv"}


class NotAcceptable(Exception):
    def __init__(self, available: list[str]) -> None:
        super().__init__("none of the accepted media types is available; available: " + ", ".join(available))
        self.available = available


def available(types: dict[str, tuple[str, ...]]) -> list[str]:
    return [t for ts in types.values() for t in ts]


def negotiate(request: Request, types: dict[str, tuple[str, ...]], *, use_format_param: bool = True) -> str:
    """The short name of the best format in `types` (first = default); NotAcceptable when none fits."""
    if use_format_param:
        wanted = request.args.get("format") or (request.form.get("format") if request.method == "POST" else None)
        if wanted:
            wanted = wanted.strip().lower()
            wanted = FORMAT_ALIASES.get(wanted, wanted)
            if wanted in types:
                return wanted
            for name, media in types.items():
                if wanted in media:
                    return name
            raise NotAcceptable(list(types))
    header = request.headers.get("Accept")
    pairs = tuple(types.items())
    chosen = _by_accept(header, pairs) if header is None or len(header) <= MEMO_ACCEPT_CHARS else _choose(header, pairs)
    if chosen is None:
        raise NotAcceptable(available(types))
    return chosen


#: Accept headers up to this long have their choice memoised (per header text and format table): the same few
#: headers come again and again, and parsing one with werkzeug and matching it costs ~0.1 ms a request
MEMO_ACCEPT_CHARS = 512


def _choose(header: str | None, pairs: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """The format name an Accept header picks among `pairs` (the first is the default); None: none fits."""
    types = dict(pairs)
    default = pairs[0][0]
    if not (header or "").strip():
        return default
    accept = parse_accept_header(header, MIMEAccept)  # what request.accept_mimetypes holds
    best = accept.best_match(available(types))
    if best is None:
        return None
    # a tie between our default and another type (e.g. */*) goes to the default
    if accept.quality(types[default][0]) >= accept.quality(best):
        return default
    for name, media in pairs:
        if best in media:
            return name
    return default  # pragma: no cover


_by_accept = functools.lru_cache(maxsize=256)(_choose)


def media_type(types: dict[str, tuple[str, ...]], name: str) -> str:
    return types[name][0]


def prefers_html(request: Request, others: list[str]) -> bool:
    """Does the client (a browser) rank text/html above every machine format we offer?"""
    accept = request.accept_mimetypes
    if not request.headers.get("Accept"):
        return False
    html = max(accept.quality("text/html"), accept.quality("application/xhtml+xml"))
    if html <= 0:
        return False
    # exact (not wildcard) mention of html, ranked at least as high as any machine type
    explicit = any(v in ("text/html", "application/xhtml+xml") for v, _q in accept)
    return explicit and all(html >= _explicit_quality(request, o) for o in others)


def _explicit_quality(request: Request, media: str) -> float:
    return max((q for v, q in request.accept_mimetypes if v == media), default=0.0)
