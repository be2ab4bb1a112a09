"""How the explorer draws: catalog colours and the neighbourhood picture's geometry (SVG)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from normgraph.catalogs.registry import catalogs as registry
from normgraph.explorer.neighbourhood import Edge, Neighbourhood, Node
from normgraph.explorer.records import Record

#: Okabe-Ito based colours (distinguishable with the common colour-vision deficiencies).
CATALOG_COLOURS: dict[str, str] = {
    "iso27001-2022": "#0072B2",
    "iso42001-2023": "#009E73",
    "eu-ai-act": "#D55E00",
    "eu-ai-act-obligation": "#E69F00",
    "gdpr": "#CC79A7",
    "nist-ai-rmf-1.0": "#56B4E9",
    "nist-sp800-171r2": "#8C564B",
    "cmmc-2.0": "#7F7F7F",
    "nist-csf-2.0": "#F0E442",
    "nist-sp800-53r5": "#332288",
}
OTHER_COLOUR = "#999999"


def colour(key: str) -> str:
    """The colour of a catalog (by key) in every picture and swatch."""
    return CATALOG_COLOURS.get(key, OTHER_COLOUR)


@dataclass
class Placed:
    """A node where the picture draws it."""

    node: Node
    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0

    @property
    def iri(self) -> str:
        return self.node.iri

    @property
    def text(self) -> str:
        return self.node.text

    @property
    def title(self) -> str:
        return self.node.title

    @property
    def key(self) -> str:
        return self.node.key

    @property
    def hop(self) -> int:
        return self.node.hop

    @property
    def colour(self) -> str:
        return colour(self.node.key)

    @property
    def radius(self) -> float:
        return 30.0 if self.hop == 0 else 18.0 if self.hop == 1 else 13.0


@dataclass
class Line:
    """An edge between two placed nodes."""

    edge: Edge
    source: Placed
    target: Placed

    @property
    def relation(self) -> str:
        return self.edge.relation

    @property
    def words(self) -> str:
        return self.edge.words

    @property
    def symbol(self) -> str:
        return self.edge.symbol

    @property
    def record(self) -> Record:
        return self.edge.record

    @property
    def short(self) -> str:
        return self.edge.short

    def ends(self) -> tuple[float, float, float, float]:
        """The line from source to target, trimmed to the node circles."""
        x1, y1, x2, y2 = self.source.x, self.source.y, self.target.x, self.target.y
        d = math.hypot(x2 - x1, y2 - y1) or 1.0
        r1, r2 = self.source.radius + 2, self.target.radius + 4
        return (x1 + (x2 - x1) * r1 / d, y1 + (y2 - y1) * r1 / d, x2 - (x2 - x1) * r2 / d, y2 - (y2 - y1) * r2 / d)

    @property
    def mid(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.ends()
        return (x1 + x2) / 2, (y1 + y2) / 2


@dataclass
class Drawing:
    """A neighbourhood laid out on a square of `size` pixels (what the templates draw)."""

    hood: Neighbourhood
    center: Placed
    nodes: list[Placed]
    edges: list[Line]
    size: int

    @property
    def omitted(self) -> int:
        return self.hood.omitted

    @property
    def no_counterpart(self) -> list[Record]:
        return self.hood.no_counterpart

    @property
    def legend(self) -> list[tuple[str, str, str]]:
        keys: list[str] = []
        for n in [self.center, *self.nodes]:
            if n.key not in keys:
                keys.append(n.key)
        short = {c.key: c.short_title for c in registry()}
        return [(k, short.get(k, "other"), colour(k)) for k in keys]


def draw(hood: Neighbourhood, size: int = 720) -> Drawing:
    """Centre in the middle, the first ring around it, the second ring outside near its parents."""
    placed = {n.iri: Placed(n) for n in [hood.center, *hood.nodes]}
    center = placed[hood.center.iri]
    nodes = [placed[n.iri] for n in hood.nodes]
    edges = [Line(e, placed[e.source.iri], placed[e.target.iri]) for e in hood.edges]
    c = size / 2
    center.x = center.y = c
    ring1 = [n for n in nodes if n.hop == 1]
    ring2 = [n for n in nodes if n.hop == 2]
    r1 = size * (0.24 if ring2 else 0.34)
    r2 = size * 0.42
    for k, n in enumerate(ring1):
        n.angle = -math.pi / 2 + 2 * math.pi * k / max(1, len(ring1))
        n.x, n.y = c + r1 * math.cos(n.angle), c + r1 * math.sin(n.angle)
    parent_of = {e.target.iri: e.source for e in edges if e.target.hop == 2}
    ring2.sort(key=lambda n: (parent_of[n.iri].angle, n.text))
    for k, n in enumerate(ring2):
        want = parent_of[n.iri].angle
        even = -math.pi / 2 + 2 * math.pi * k / max(1, len(ring2))
        n.angle = even if len(ring2) > 6 else want + (k % 3 - 1) * 0.25
        n.x, n.y = c + r2 * math.cos(n.angle), c + r2 * math.sin(n.angle)
    return Drawing(hood, center, nodes, edges, size)

