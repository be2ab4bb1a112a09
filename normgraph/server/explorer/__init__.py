"""The crosswalk explorer: server-rendered HTML pages under /explore (and the home page /).

Every view is also downloadable as CSV and JSON-LD (`?format=csv|jsonld`, or by Accept); the
JSON-LD uses the stable normgraph context (normgraph/exports/context.jsonld, served at
/context.jsonld). The read models come from the engine, normgraph.explorer; this package holds the
blueprint and template helpers (`blueprint`), the routes (`views`), how pages draw (`layout`:
colours, the neighbourhood's geometry) and the downloads (`downloads`).
"""

from __future__ import annotations

from normgraph.server.explorer.blueprint import VIEW_PARAMS, bp, safe_href
from normgraph.server.explorer.views import index

__all__ = ["VIEW_PARAMS", "bp", "index", "safe_href"]
