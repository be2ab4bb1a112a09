"""The crosswalk explorer's read models: what the explorer shows, computed from the store.

One job per module: `cache` (answers per store and data generation), `catalogs` (catalog index and
items), `search`, `records` (the mapping records as the explorer shows them), `page` (one resource),
`matrix` (two catalogs side by side) and `neighbourhood` (what an item reaches through records).
Everything here returns plain dataclasses of strings, already sorted; HTML, SVG geometry, colours
and downloads belong to the web layer (normgraph.server.explorer).
"""
