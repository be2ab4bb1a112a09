"""Exports of normgraph graphs for other tools: SSSOM TSV (mapping sets) and JSON-LD (any graph)."""
