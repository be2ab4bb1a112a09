"""Answer a request with a query's serialised result: the one query runner every route uses.

`run_query` checks the text (SERVICE / LOAD refused), negotiates the format, runs the query on the
request's store with the server's time limit and maps each store failure to its HTTP status.
Big bodies go out gzip-compressed to clients that accept it.
"""

from __future__ import annotations

import contextlib

from flask import Response, request

from normgraph.server.kernel import current_config, fail, retry_after, store_failure
from normgraph.server.negotiation import GRAPH_TYPES, RESULT_TYPES, NotAcceptable, negotiate
from normgraph.store import Dataset, QuerySyntaxError, QueryTimeout, Store, StoreError
from normgraph.store.cache import BoundedCache
from normgraph.store.coding import Gzip, gzip_wanted
from normgraph.store.sparql_text import OutboundRefused, ResultTooLarge, check_sparql

#: Bodies at least this big go out gzip-compressed to clients that accept it (explorer-records is
#: 2.5 MB of JSON: sending it, and parsing it on the client, dominated the endpoint's p99).
GZIP_MIN_BYTES = 32 * 1024

#: zlib's fastest level: on explorer-records' 2.8 MB of JSON, 5.3 ms and 129 KB against level 5's 11.2 ms and
#: 100 KB. Uncached, every big answer is compressed again in the server process, on the cores the query
#: workers need; the bytes saved by a higher level do not pay for that CPU.
GZIP_LEVEL = 1

#: The compressed form of recent bodies. A cached result is the same bytes object on every hit, so
#: the compressed form is kept per object: the entry holds the body, so its id cannot be reused while
#: the entry lives. An entry costs the body and its compressed form.
_gzipped: BoundedCache[tuple[int, int], tuple[bytes, bytes]] = BoundedCache(32, 256 * 1024 * 1024)


def run_query(store: Store, sparql: str, dataset: Dataset | None, *, types: dict[str, tuple[str, ...]] | None = None,
              fmt: str | None = None, compress: bool = False) -> Response:
    """The query's result as the response, in `fmt` or the format negotiated among `types`."""
    info = check_sparql(sparql)
    if info.outbound:
        raise fail(400, f"{info.outbound} is not allowed: this endpoint never fetches remote data")
    if types is None:
        types = GRAPH_TYPES if info.form == "graph" else RESULT_TYPES
    if fmt is None:
        try:
            fmt = negotiate(request, types)
        except NotAcceptable as e:
            raise fail(406, str(e)) from None
    if dataset is None and info.has_from:
        dataset = Dataset(from_query=True)
    # Only responses that go straight to the client are compressed (callers such as /api read the body). A
    # store that can compresses where the answer is made (uncached, in the query worker: coding.py).
    wanted = gzip_wanted(GZIP_MIN_BYTES, GZIP_LEVEL) if compress and accepts_gzip() else contextlib.nullcontext()
    try:
        with wanted as gz:
            body, media, _form = store.query_serialized(sparql, fmt, dataset=dataset,
                                                        timeout=current_config().query_timeout)
    except QuerySyntaxError as e:
        raise fail(400, f"query syntax error: {e}") from None
    except OutboundRefused as e:
        raise fail(400, str(e)) from None
    except QueryTimeout as e:
        raise fail(503, f"query timeout: {e}", retry_after(e)) from None
    except ResultTooLarge as e:
        raise fail(422, f"result too large: {e}") from None
    except ValueError as e:  # format does not suit the query form (form detection missed)
        raise fail(406, str(e)) from None
    except StoreError as e:
        raise store_failure(e) from None
    charset = "; charset=utf-8" if media.startswith("text/") or media.endswith(("json", "xml")) else ""
    encoded = None if gz is None else body if gz.applied else gzipped(body)
    resp = Response(encoded or body, status=200, content_type=media + charset)
    resp.headers["Vary"] = "Accept, Accept-Encoding"
    if encoded is not None:
        resp.headers["Content-Encoding"] = "gzip"
    return resp


def accepts_gzip() -> bool:
    """Whether the client named gzip in Accept-Encoding with a quality above 0 (werkzeug reads `q=0.0`, `q=0.000`,
    spaces and case as HTTP says; a bare `*` is not taken as asking for it)."""
    encodings = request.accept_encodings
    return any(value.lower() == "gzip" for value, _q in encodings) and encodings["gzip"] > 0


def gzipped(body: bytes) -> bytes | None:
    """The gzip encoding of a big body, or None for a small one."""
    if len(body) < GZIP_MIN_BYTES:
        return None
    key = (id(body), len(body))
    hit = _gzipped.get(key)
    if hit is not None and hit[0] is body:
        return hit[1]
    encoded = Gzip(GZIP_MIN_BYTES, GZIP_LEVEL).encode(body)
    assert encoded is not None
    _gzipped.put(key, (body, encoded), len(body) + len(encoded))
    return encoded


__all__ = ["GZIP_LEVEL", "GZIP_MIN_BYTES", "accepts_gzip", "gzipped", "run_query"]
