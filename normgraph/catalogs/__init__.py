"""Converters from the reference sources (the folder `normgraph build --sources` reads) to data/*.ttl.

Each converter module exposes ``build(sources: Path) -> dict[str, Graph]``: output path relative to
the repository root (e.g. ``data/iso27001-2022.ttl``) -> the graph to write there. ``build.py``
runs them all and writes with ``common.write_turtle`` so the output is sorted and deterministic.
"""
