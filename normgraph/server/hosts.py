"""The Host header is the client's to choose: answers must not carry it back where a cache in front could keep
it for others. Redirects to this server go out as relative references (RFC 9110 allows them), so
`Host: evil.example` no longer gives `Location: http://evil.example/…`; and NORMGRAPH_TRUSTED_HOSTS, when set,
makes Flask refuse (400) any other Host, which also covers the absolute IRIs that must name this server (the
SPARQL service description's sd:endpoint)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Response, request


def relative_location(resp: Response) -> Response:
    """An after-request hook: a Location on this request's own host made relative (other sites' untouched)."""
    location = resp.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.scheme in ("http", "https") and parts.netloc == request.host:
            resp.headers["Location"] = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    return resp


__all__ = ["relative_location"]
